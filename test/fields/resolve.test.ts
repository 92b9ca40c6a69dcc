import {expect} from 'chai'

import type {CustomFieldDef} from '../../src/amocrm/types.js'
import {resolveFields} from '../../src/fields/index.js'
import {accountDefs} from './fixtures.js'

function status(defs: CustomFieldDef[], config: Record<string, {id?: number} | false>, key: string) {
  return resolveFields(defs, config).fields.find((f) => f.key === key)!
}

describe('fields: resolving the mapped fields in an account', () => {
  it('finds every field by default name and PHONE/EMAIL by code, and offers to save their ids', () => {
    const r = resolveFields(accountDefs(), {})
    expect(r.ok).to.equal(true)
    expect(r.fields.filter((f) => f.foundBy === 'name')).to.have.length(18)
    expect(r.fields.filter((f) => f.foundBy === 'code').map((f) => f.key)).to.deep.equal(['phone', 'email'])
    expect(r.resolved.phone!.id).to.equal(11)
    expect(Object.keys(r.idsToSave)).to.have.length(20)
    expect(r.fields.find((f) => f.key === 'age')!.fix).to.contain('fields check --fix')
  })

  it('prefers the configured id over the name, and needs nothing saved then', () => {
    const defs = [...accountDefs(), {id: 900, name: 'Возраст пациента', type: 'numeric', code: null, sort: 1, enums: null}]
    const r = resolveFields(defs, {age: {id: 900}})
    expect(r.resolved.age).to.include({id: 900, name: 'Возраст пациента'})
    expect(r.idsToSave).not.to.have.property('age')
    expect(r.fields.find((f) => f.key === 'age')).to.include({ok: true, foundBy: 'id', fix: null})
  })

  it('matches a name case- and ё-insensitively, preferring the exact one', () => {
    const defs = accountDefs().map((d) => (d.name === 'Приемы' ? {...d, name: 'ПРИЁМЫ'} : d))
    expect(status(defs, {}, 'visits')).to.include({ok: true, foundBy: 'name', name: 'ПРИЁМЫ'})
    const both = [...accountDefs(), {id: 901, name: 'приемы', type: 'textarea', code: null, sort: 1, enums: null}]
    expect(status(both, {}, 'visits').id).not.to.equal(901)
  })

  it('reports a configured id the account does not have, with the field found by name as the fix', () => {
    const s = status(accountDefs(), {age: {id: 424242}}, 'age')
    expect(s).to.include({ok: false, problem: 'configured_id_not_found'})
    expect(s.message).to.contain('424242')
    expect(s.fix).to.contain('fields check --fix')
    const r = resolveFields(accountDefs(), {age: {id: 424242}})
    expect(r.resolved).not.to.have.property('age')
    expect(r.idsToSave.age).to.equal(100)
  })

  it('reports a missing field with `fields create` as the fix', () => {
    const defs = accountDefs().filter((d) => d.name !== 'СНИЛС')
    const s = status(defs, {}, 'snils')
    expect(s).to.include({ok: false, problem: 'not_found', id: null})
    expect(s.fix).to.contain('ident-amo fields create')
  })

  it('reports a field of the wrong type and does not write to it', () => {
    const defs = accountDefs({age: 'text', birthday: 'date_time'})
    const r = resolveFields(defs, {})
    expect(r.ok).to.equal(false)
    const age = r.fields.find((f) => f.key === 'age')!
    expect(age).to.include({ok: false, problem: 'wrong_type', type: 'text'})
    expect(age.message).to.contain("'numeric'")
    expect(r.resolved).not.to.have.property('age')
    expect(r.fields.find((f) => f.key === 'birthday')!.problem).to.equal('wrong_type')
  })

  it('accepts the compatible types: textarea for text, text for the long ones, radiobutton, date', () => {
    const defs = accountDefs({card_number: 'textarea', comment: 'text', gender: 'radiobutton', birthday: 'date'})
    expect(resolveFields(defs, {}).ok).to.equal(true)
  })

  it('reports a select without an option, naming it and the fix', () => {
    const defs = accountDefs().map((d) => (d.name === 'Статус' ? {...d, enums: d.enums!.filter((e) => e.value !== 'Архивный')} : d))
    const r = resolveFields(defs, {})
    const s = r.fields.find((f) => f.key === 'status')!
    expect(s).to.include({ok: false, problem: 'missing_options'})
    expect(s.fix).to.equal("add the option 'Архивный' to the field 'Статус' in amoCRM, or fix fields.status.id")
    expect(r.ok).to.equal(false)
  })

  it('skips a disabled field entirely', () => {
    const defs = accountDefs().filter((d) => d.name !== 'ИНН')
    const r = resolveFields(defs, {inn: false})
    expect(r.ok).to.equal(true)
    expect(r.fields.find((f) => f.key === 'inn')).to.include({enabled: false, ok: true})
    expect(r.resolved).not.to.have.property('inn')
  })

  it('says the built-in PHONE cannot be created when it is missing', () => {
    const defs = accountDefs().filter((d) => d.code !== 'PHONE')
    const s = status(defs, {}, 'phone')
    expect(s).to.include({ok: false, problem: 'not_found'})
    expect(s.fix).to.contain('cannot be created')
  })
})
