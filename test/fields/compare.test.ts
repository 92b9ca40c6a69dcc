import {createHmac} from 'node:crypto'

import {expect} from 'chai'

import type {Contact, ContactCustomFieldRead} from '../../src/amocrm/types.js'
import {buildUpdate, type DesiredContact, diffContact, mapPatient, mergeMultiValues, writtenMultiValues} from '../../src/fields/index.js'
import {contact, MOSCOW, patient, resolvedFor} from './fixtures.js'

const resolved = resolvedFor()
const opts = {accountTimezone: 'Europe/Moscow'}

/** The contact amoCRM would return after the desired contact was written: numbers as strings, dates as ints, enums with ids. */
function asAmoReturns(desired: DesiredContact): Contact {
  const cfs: ContactCustomFieldRead[] = []
  for (const f of desired.fields) {
    if (f.values === null || f.values.length === 0) continue
    const values = f.values.map((v) => {
      if (f.kind === 'numeric') return {value: String(v.value)}
      if (f.kind === 'date') return {value: Math.floor(Date.parse(String(v.value)) / 1000)}
      if (f.kind === 'select') {
        const text = Object.entries(resolved[f.key]!.enums).find(([, id]) => id === v.enum_id)![0]
        return {value: text, enum_id: v.enum_id!}
      }
      if (f.kind === 'multitext') return {value: v.value, enum_id: 1, enum_code: v.enum_code!}
      return {value: v.value!}
    })
    cfs.push({field_id: f.fieldId, field_name: f.fieldName, field_code: f.fieldCode, field_type: f.fieldType, values})
  }
  return contact(cfs.length > 0 ? cfs : null, {name: desired.name, first_name: desired.first_name, last_name: desired.last_name})
}

function replaceField(c: Contact, fieldId: number, values: ContactCustomFieldRead['values'] | null): Contact {
  const others = (c.custom_fields_values ?? []).filter((cf) => cf.field_id !== fieldId)
  return {...c, custom_fields_values: values === null ? others : [...others, {field_id: fieldId, values}]}
}

function row(desired: DesiredContact, c: Contact | null, key: string, previous?: {phone?: string[]; email?: string[]}) {
  return diffContact(desired, c, resolved, {...opts, ...(previous ? {previous} : {})}).find((d) => d.key === key)!
}

describe('fields: comparing with the contact amoCRM holds', () => {
  it('finds nothing to write when the contact holds what was written (amoCRM’s read forms)', () => {
    const desired = mapPatient(
      patient({archived: true, archiveReason: 'Переезд', smsRejection: true, phone: '8 495 123 45 67'}),
      resolved,
      MOSCOW,
    )
    const held = asAmoReturns(desired)
    expect(diffContact(desired, held, resolved, opts).filter((d) => !d.equal)).to.deep.equal([])
    expect(buildUpdate(desired, held, resolved, opts)).to.equal(null)
  })

  it('reads a field listed twice in the contact by its first entry, and the phones by code when the id differs', () => {
    const desired = mapPatient(patient({debt: 10}), resolved, MOSCOW)
    const held = asAmoReturns(desired)
    const debt = resolved.debt!.id
    const first = {field_id: debt, values: [{value: '10'}]}
    const twice = {...held, custom_fields_values: [first, ...held.custom_fields_values!, {field_id: debt, values: [{value: '99'}]}]}
    expect(row(desired, twice, 'debt')).to.include({equal: true, actual: '10'})
    const later = {...held, custom_fields_values: [{field_id: debt, values: [{value: '99'}]}, ...held.custom_fields_values!]}
    expect(row(desired, later, 'debt')).to.include({equal: false, actual: '99'})
    const phones = held.custom_fields_values!.find((cf) => cf.field_code === 'PHONE')!
    const byCode = {
      ...held,
      custom_fields_values: [...held.custom_fields_values!.filter((cf) => cf !== phones), {...phones, field_id: 4242}],
    }
    expect(row(desired, byCode, 'phone').equal).to.equal(true)
  })

  it('compares numbers returned as strings as numbers', () => {
    const desired = mapPatient(patient({advance: 1500.5, debt: 0, discount: 5}), resolved, MOSCOW)
    let held = asAmoReturns(desired)
    held = replaceField(held, resolved.advance!.id, [{value: '1500.50'}])
    held = replaceField(held, resolved.discount!.id, [{value: '5.00'}])
    held = replaceField(held, resolved.age!.id, [{value: '64'}])
    expect(row(desired, held, 'advance').equal).to.equal(true)
    expect(row(desired, held, 'discount').equal).to.equal(true)
    expect(row(desired, held, 'age').equal).to.equal(true)
    held = replaceField(held, resolved.debt!.id, [{value: '100'}])
    const update = buildUpdate(desired, held, resolved, opts)
    expect(update!.custom_fields_values).to.deep.equal([{field_id: resolved.debt!.id, values: [{value: 0}]}])
  })

  it('treats debt and advance as separate fields: a debt paid off becomes an advance', () => {
    const before = mapPatient(patient({balance: -300, debt: 300, advance: 0}), resolved, MOSCOW)
    const after = mapPatient(patient({balance: 200, debt: 0, advance: 200}), resolved, MOSCOW)
    const update = buildUpdate(after, asAmoReturns(before), resolved, opts)
    expect(update!.custom_fields_values).to.have.deep.members([
      {field_id: resolved.advance!.id, values: [{value: 200}]},
      {field_id: resolved.debt!.id, values: [{value: 0}]},
    ])
  })

  describe('phones', () => {
    it('finds `8 (925) 123-45-67` equal to +79251234567', () => {
      const desired = mapPatient(patient(), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [{value: '8 (925) 123-45-67', enum_id: 203, enum_code: 'MOB'}])
      expect(row(desired, held, 'phone').equal).to.equal(true)
      expect(buildUpdate(desired, held, resolved, opts)).to.equal(null)
    })

    it('keeps a number a CRM user added, removes the one IDENT dropped, adds IDENT’s new one', () => {
      const desired = mapPatient(patient({mobilePhone: '+7 903 555-66-77'}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [
        {value: '+79251234567', enum_id: 203, enum_code: 'MOB'},
        {value: '8 916 000-11-22', enum_id: 206, enum_code: 'OTHER'},
      ])
      const update = buildUpdate(desired, held, resolved, {...opts, previous: {phone: ['+79251234567']}})
      expect(update!.custom_fields_values).to.deep.equal([
        {
          field_id: resolved.phone!.id,
          values: [
            {value: '8 916 000-11-22', enum_code: 'OTHER'},
            {value: '+79035556677', enum_code: 'MOB'},
          ],
        },
      ])
    })

    it('keeps a number it never wrote even when IDENT does not have it', () => {
      const desired = mapPatient(patient({mobilePhone: null}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [{value: '+79251234567', enum_id: 203, enum_code: 'MOB'}])
      expect(row(desired, held, 'phone').equal).to.equal(true)
      expect(buildUpdate(desired, held, resolved, {...opts, previous: {phone: []}})).to.equal(null)
      // …and removes it when it did write it.
      const update = buildUpdate(desired, held, resolved, {...opts, previous: {phone: ['8 925 123 45 67']}})
      expect(update!.custom_fields_values).to.deep.equal([{field_id: resolved.phone!.id, values: []}])
    })

    it('adds a landline as WORK next to the existing mobile', () => {
      const before = mapPatient(patient(), resolved, MOSCOW)
      const after = mapPatient(patient({phone: '8 (495) 765-43-21'}), resolved, MOSCOW)
      const update = buildUpdate(after, asAmoReturns(before), resolved, {...opts, previous: writtenMultiValues(before)})
      expect(update!.custom_fields_values).to.deep.equal([
        {
          field_id: resolved.phone!.id,
          values: [
            {value: '+79251234567', enum_code: 'MOB'},
            {value: '+74957654321', enum_code: 'WORK'},
          ],
        },
      ])
    })

    it('leaves the contact’s phones alone when IDENT’s phone is garbage', () => {
      const desired = mapPatient(patient({mobilePhone: 'нет телефона'}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [{value: '+79251234567', enum_id: 203, enum_code: 'MOB'}])
      expect(buildUpdate(desired, held, resolved, {...opts, previous: {phone: []}})).to.equal(null)
    })
  })

  it('merges e-mails case-insensitively', () => {
    const merged = mergeMultiValues(
      'email',
      [
        {value: 'Ivan@Example.ru', enum_code: 'WORK'},
        {value: 'old@x.ru', enum_code: 'PRIV'},
      ],
      [{value: 'ivan@example.ru', enum_code: 'PRIV'}],
      ['OLD@x.ru'],
    )
    expect(merged).to.deep.equal({values: [{value: 'Ivan@Example.ru', enum_code: 'WORK'}], changed: true})
    const same = mergeMultiValues('email', [{value: 'IVAN@example.ru'}], [{value: 'ivan@example.ru', enum_code: 'PRIV'}], [])
    expect(same.changed).to.equal(false)
  })

  describe('what was written, remembered as keyed hashes (the state keeps no phone or e-mail in clear)', () => {
    const writtenKey = (kind: 'phone' | 'email', value: string) => createHmac('sha256', 'test-key').update(`${kind}:${value}`).digest('hex')
    const hashed = {...opts, writtenKey}

    it('remembers hashes of the normalized values, none of the values themselves', () => {
      const desired = mapPatient(patient({phone: '8 (495) 765-43-21', email: 'Anna@Example.COM'}), resolved, MOSCOW)
      const written = writtenMultiValues(desired, writtenKey)
      expect(written).to.deep.equal({
        phone: [writtenKey('phone', '+79251234567'), writtenKey('phone', '+74957654321')],
        email: [writtenKey('email', 'anna@example.com')],
      })
      expect(JSON.stringify(written)).to.not.match(/925|495|anna|example/i)
    })

    it('keeps a number a CRM user added, removes the one it wrote and IDENT dropped, adds IDENT’s new one — as with the values', () => {
      const desired = mapPatient(patient({mobilePhone: '+7 903 555-66-77'}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [
        {value: '8 (925) 123-45-67', enum_id: 203, enum_code: 'MOB'},
        {value: '8 916 000-11-22', enum_id: 206, enum_code: 'OTHER'},
      ])
      const inClear = buildUpdate(desired, held, resolved, {...opts, previous: {phone: ['+79251234567']}})
      const asHashes = buildUpdate(desired, held, resolved, {...hashed, previous: {phone: [writtenKey('phone', '+79251234567')]}})
      expect(asHashes).to.deep.equal(inClear)
      expect(asHashes!.custom_fields_values![0]!.values!.map((v) => v.value)).to.deep.equal(['8 916 000-11-22', '+79035556677'])
    })

    it('keeps a number it never wrote, and one a hash of another key does not match', () => {
      const desired = mapPatient(patient({mobilePhone: null}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.phone!.id, [{value: '+79251234567', enum_id: 203, enum_code: 'MOB'}])
      expect(buildUpdate(desired, held, resolved, {...hashed, previous: {phone: []}})).to.equal(null)
      const otherKey = createHmac('sha256', 'another-install').update('phone:+79251234567').digest('hex')
      expect(buildUpdate(desired, held, resolved, {...hashed, previous: {phone: [otherKey]}})).to.equal(null)
      const update = buildUpdate(desired, held, resolved, {...hashed, previous: {phone: [writtenKey('phone', '+79251234567')]}})
      expect(update!.custom_fields_values).to.deep.equal([{field_id: resolved.phone!.id, values: []}])
    })

    it('merges e-mails case-insensitively, dropping the one it wrote', () => {
      const desired = mapPatient(patient({email: 'new@example.org'}), resolved, MOSCOW)
      const existing = [
        {value: 'Old@Example.org', enum_code: 'PRIV'},
        {value: 'manager@clinic.ru', enum_code: 'WORK'},
      ]
      const merged = mergeMultiValues(
        'email',
        existing,
        desired.fields.find((f) => f.key === 'email')!.values!,
        [writtenKey('email', 'old@example.org')],
        writtenKey,
      )
      expect(merged.changed).to.equal(true)
      expect(merged.values.map((v) => v.value)).to.deep.equal(['manager@clinic.ru', 'new@example.org'])
    })
  })

  describe('birthday', () => {
    it('finds a pre-1970 birthday equal to the negative int amoCRM returns', () => {
      const desired = mapPatient(patient({birthday: '1961-04-12'}), resolved, MOSCOW)
      const held = replaceField(asAmoReturns(desired), resolved.birthday!.id, [{value: Date.parse('1961-04-12T00:00:00+03:00') / 1000}])
      expect(row(desired, held, 'birthday')).to.include({equal: true, desired: '12.04.1961', actual: '12.04.1961'})
    })

    it('reads the int at account midnight in the account timezone, not the clinic’s or the system’s', () => {
      const vladivostok = {accountTimezone: 'Asia/Vladivostok', clinicTimezone: 'Europe/Moscow', now: MOSCOW.now}
      const desired = mapPatient(patient({birthday: '1985-06-15'}), resolved, vladivostok)
      // Midnight of 15 June in Vladivostok is still 14 June in Moscow and in UTC.
      const int = Date.parse('1985-06-15T00:00:00+11:00') / 1000
      expect(new Date(int * 1000).toISOString().slice(0, 10)).to.equal('1985-06-14')
      const held = replaceField(asAmoReturns(desired), resolved.birthday!.id, [{value: int}])
      const diff = diffContact(desired, held, resolved, {accountTimezone: 'Asia/Vladivostok'}).find((d) => d.key === 'birthday')!
      expect(diff.equal).to.equal(true)
      const dayBefore = replaceField(held, resolved.birthday!.id, [{value: int - 86_400}])
      expect(
        diffContact(desired, dayBefore, resolved, {accountTimezone: 'Asia/Vladivostok'}).find((d) => d.key === 'birthday')!.equal,
      ).to.equal(false)
    })
  })

  it('compares enums by id, and by text when amoCRM gives no id', () => {
    const desired = mapPatient(patient({sex: 2}), resolved, MOSCOW)
    const base = asAmoReturns(desired)
    expect(row(desired, replaceField(base, resolved.gender!.id, [{value: 'женский'}]), 'gender').equal).to.equal(true)
    const wrong = replaceField(base, resolved.gender!.id, [{value: 'Мужской', enum_id: resolved.gender!.enums['Мужской']}])
    expect(row(desired, wrong, 'gender')).to.include({equal: false, desired: 'Женский', actual: 'Мужской'})
    expect(buildUpdate(desired, wrong, resolved, opts)!.custom_fields_values).to.deep.equal([
      {field_id: resolved.gender!.id, values: [{enum_id: resolved.gender!.enums['Женский']}]},
    ])
  })

  it('an archived patient made active again: status Активный, reason cleared with values: null', () => {
    const archived = mapPatient(patient({archived: true, archiveReason: 'Переезд'}), resolved, MOSCOW)
    const active = mapPatient(patient({archived: false, archiveReason: null}), resolved, MOSCOW)
    const update = buildUpdate(active, asAmoReturns(archived), resolved, opts)
    expect(update!.custom_fields_values).to.have.deep.members([
      {field_id: resolved.status!.id, values: [{enum_id: resolved.status!.enums['Активный']}]},
      {field_id: resolved.archive_reason!.id, values: null},
    ])
  })

  it('clears a field emptied in IDENT with values: null, and leaves an already empty one alone', () => {
    const before = mapPatient(patient(), resolved, MOSCOW)
    const after = mapPatient(patient({comment: null, snils: null}), resolved, MOSCOW)
    const held = replaceField(asAmoReturns(before), resolved.snils!.id, null)
    const update = buildUpdate(after, held, resolved, opts)
    expect(update!.custom_fields_values).to.deep.equal([{field_id: resolved.comment!.id, values: null}])
  })

  it('handles a contact with custom_fields_values: null', () => {
    const desired = mapPatient(patient({comment: null}), resolved, MOSCOW)
    const empty = contact(null)
    const diffs = diffContact(desired, empty, resolved, opts)
    expect(diffs.find((d) => d.key === 'comment')!.equal).to.equal(true)
    expect(diffs.find((d) => d.key === 'ident_id')).to.include({equal: false, desired: '1001', actual: ''})
    expect(diffs.find((d) => d.key === 'sms_opt_out')!.equal).to.equal(true)
    const update = buildUpdate(desired, empty, resolved, opts)!
    expect(update.id).to.equal(777)
    expect(update).not.to.have.property('name')
    const sent = update.custom_fields_values!
    expect(sent.every((cf) => cf.values !== null)).to.equal(true)
    expect(sent.map((cf) => cf.field_id))
      .to.include(resolved.ident_id!.id)
      .and.not.include(resolved.sms_opt_out!.id)
  })

  it('sends only the name parts that differ', () => {
    const desired = mapPatient(patient(), resolved, MOSCOW)
    const held = {...asAmoReturns(desired), name: 'Иванов Иван', first_name: 'Иван'}
    const update = buildUpdate(desired, held, resolved, opts)!
    expect(update).to.deep.equal({id: 777, name: 'Иванов Иван Иванович', first_name: 'Иван Иванович'})
  })

  it('compares text ignoring a trailing newline and CRLF line ends', () => {
    const desired = mapPatient(patient({comment: 'строка 1\nстрока 2'}), resolved, MOSCOW)
    const held = replaceField(asAmoReturns(desired), resolved.comment!.id, [{value: 'строка 1\r\nстрока 2\n'}])
    expect(row(desired, held, 'comment').equal).to.equal(true)
  })

  it('shows values for people in the diff', () => {
    const desired = mapPatient(patient({smsRejection: true}), resolved, MOSCOW)
    const diffs = diffContact(desired, null, resolved, opts)
    expect(diffs.slice(0, 3).map((d) => d.key)).to.deep.equal(['name', 'first_name', 'last_name'])
    const by = Object.fromEntries(diffs.map((d) => [d.key, d]))
    expect(by.birthday!.desired).to.equal('12.04.1961')
    expect(by.sms_opt_out!.desired).to.equal('да')
    expect(by.gender!.desired).to.equal('Мужской')
    expect(by.phone!.desired).to.equal('+79251234567')
    expect(by.age!).to.include({name: 'Возраст', desired: '64', actual: '', equal: false})
  })
})

describe('fields: written values', () => {
  it('lists the phones and e-mails the contact gets from IDENT, normalized', () => {
    const d = mapPatient(patient({mobilePhone: '8 925 123 45 67', phone: '8 495 123 45 67', email: 'A@B.RU'}), resolved, MOSCOW)
    expect(writtenMultiValues(d)).to.deep.equal({phone: ['+79251234567', '+74951234567'], email: ['a@b.ru']})
    expect(writtenMultiValues(mapPatient(patient({email: undefined}), resolved, MOSCOW))).to.deep.equal({phone: ['+79251234567']})
  })
})
