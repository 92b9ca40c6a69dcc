import {expect} from 'chai'

import {createFieldsMapper} from '../../src/sync/contacts/fields-mapper.js'
import {accountDefs, MOSCOW, patient} from '../fields/fixtures.js'

describe('sync mapping: the hashes the state keeps', () => {
  const context = {accountTimezone: 'Europe/Moscow', defs: accountDefs(), fetchedAt: new Date(0).toISOString()}
  const mapper = createFieldsMapper(context, {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => MOSCOW.now})
  const hashesOf = (overrides: Parameters<typeof patient>[0] = {}) => {
    const desired = mapper.desired(patient(overrides))
    return {fields: mapper.fieldHashes(desired), payload: mapper.payloadHash(desired)}
  }

  it('do not depend on the order of phones, and change with any value sent', () => {
    const a = hashesOf({mobilePhone: '89251234567', phone: '84951234567'})
    expect(hashesOf({mobilePhone: '84951234567', phone: '89251234567'})).to.deep.equal(a)
    const other = hashesOf({mobilePhone: '89251234567', phone: '84951234567', comment: 'другое'})
    expect(other.payload).to.not.equal(a.payload)
    expect(Object.keys(other.fields).filter((k) => other.fields[k] !== a.fields[k])).to.deep.equal(['comment'])
    const renamed = hashesOf({mobilePhone: '89251234567', phone: '84951234567', patronymic: null})
    expect(Object.keys(renamed.fields).filter((k) => renamed.fields[k] !== a.fields[k])).to.deep.equal(['_name'])
  })

  it('do not depend on the order of the fields, nor on the moment of mapping on the same day', () => {
    const desired = mapper.desired(patient())
    const reordered = {...desired, fields: [...desired.fields].reverse()}
    expect(mapper.payloadHash(reordered)).to.equal(mapper.payloadHash(desired))
    const later = createFieldsMapper(context, {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => new Date('2025-06-01T20:00:00Z')})
    expect(later.payloadHash(later.desired(patient()))).to.equal(mapper.payloadHash(desired))
  })
})
