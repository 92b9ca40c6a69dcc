import {expect} from 'chai'

import {contactIdentId, contactPhones, namesMatch, normalizePhone} from '../../src/fields/index.js'
import {contact, resolvedFor} from './fixtures.js'

const resolved = resolvedFor()

describe('fields: matching helpers', () => {
  it('normalizePhone: E.164 and mobile/landline, null for what is not a number', () => {
    expect(normalizePhone('8 (925) 123-45-67')).to.deep.equal({e164: '+79251234567', type: 'mobile'})
    expect(normalizePhone('925 123 45 67')).to.deep.equal({e164: '+79251234567', type: 'mobile'})
    expect(normalizePhone('+7 (495) 123-45-67')).to.deep.equal({e164: '+74951234567', type: 'landline'})
    expect(normalizePhone('+380 44 123 4567')).to.deep.equal({e164: '+380441234567', type: 'landline'})
    for (const bad of ['', '   ', '123-45-67', 'нет', '00000000000', null, undefined])
      expect(normalizePhone(bad), String(bad)).to.equal(null)
  })

  it('contactIdentId: the trimmed value of “ID пациента IDENT”, null when empty', () => {
    const id = resolved.ident_id!.id
    expect(contactIdentId(contact([{field_id: id, values: [{value: ' 1001 '}]}]), resolved)).to.equal('1001')
    expect(contactIdentId(contact([{field_id: id, values: [{value: '  '}]}]), resolved)).to.equal(null)
    expect(contactIdentId(contact([{field_id: 999, values: [{value: '1001'}]}]), resolved)).to.equal(null)
    expect(contactIdentId(contact(null), resolved)).to.equal(null)
  })

  it('contactPhones: every valid phone of the contact, normalized', () => {
    const c = contact([
      {
        field_id: 11,
        field_code: 'PHONE',
        values: [
          {value: '8 (925) 123-45-67', enum_code: 'MOB'},
          {value: '+7 495 123 45 67', enum_code: 'WORK'},
          {value: 'мамин', enum_code: 'OTHER'},
        ],
      },
      {field_id: 12, field_code: 'EMAIL', values: [{value: 'a@b.ru'}]},
    ])
    expect([...contactPhones(c)].sort()).to.deep.equal(['+74951234567', '+79251234567'])
    expect(contactPhones(contact(null)).size).to.equal(0)
    // Without field_code in the read form, the resolved phone field id finds it.
    const noCode = contact([{field_id: 11, values: [{value: '89251234567'}]}])
    expect([...contactPhones(noCode, resolved)]).to.deep.equal(['+79251234567'])
  })

  it('namesMatch: surname and first name, case- and ё-insensitive, wherever the CRM user put them', () => {
    const p = {surname: 'Алёшина', name: 'Анна'}
    expect(namesMatch(p, {name: 'Алешина Анна Петровна', first_name: 'Анна Петровна', last_name: 'Алешина'})).to.equal(true)
    expect(namesMatch(p, {name: 'АЛЁШИНА АННА', first_name: '', last_name: ''})).to.equal(true)
    expect(namesMatch(p, {name: 'Анна Алёшина', first_name: '', last_name: ''})).to.equal(true)
    expect(namesMatch(p, {name: 'Алёшина Мария', first_name: 'Мария', last_name: 'Алёшина'})).to.equal(false)
    expect(namesMatch(p, {name: 'Алёшин Анатолий', first_name: 'Анатолий', last_name: 'Алёшин'})).to.equal(false)
    expect(namesMatch(p, {name: 'Алёшина Аннабель', first_name: '', last_name: ''})).to.equal(false)
    expect(namesMatch({surname: 'Алёшина', name: null}, {name: 'Алёшина', first_name: '', last_name: 'Алёшина'})).to.equal(false)
  })
})
