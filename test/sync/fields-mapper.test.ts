import {expect} from 'chai'

import type {DesiredField} from '../../src/fields/index.js'
import {Random} from '../../src/sample/random.js'
import {base36, createFieldsMapper, shortHash} from '../../src/sync/contacts/fields-mapper.js'
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

  it('are the ones an existing state holds: an upgrade does not see every patient as changed', () => {
    // Computed by the release before this one; a change here makes a re-run send an update for every patient.
    expect(shortHash('')).to.equal('wvjl67o803')
    expect(shortHash('Иванов Иван Иванович')).to.equal('a1inptpldz')
    expect(shortHash({id: 7, values: [{value: 'Клиника на Арбате'}]})).to.equal('4ios9fyx0f')
    expect(shortHash({id: 8, values: null})).to.equal('1qog79gxw9o')
    // The option ids as a first `accountDefs()` makes them (5000 on), whatever the tests before took.
    let enumId = 5000
    const defs = accountDefs().map((d) => (d.code || !d.enums ? d : {...d, enums: d.enums.map((e) => ({...e, id: enumId++}))}))
    const pinned = createFieldsMapper({...context, defs}, {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => MOSCOW.now})
    const desired = pinned.desired(patient({phone: '+7 495 123-45-67'}))
    expect(pinned.fieldHashes(desired)).to.deep.equal({
      _name: '1vnzav4n8hw',
      phone: '2bxjodo3gw7',
      email: '22lr3850ush',
      age: '14uosgddjw9',
      gender: 'badg7gqj6v',
      visits: 'n5jfrm49dp',
      total_visits: '1g1l5jd6izb',
      card_number: '3h3cr2b6v4',
      birthday: '265d9zjl5ba',
      comment: 'ygbmzy2u3p',
      discount: 'd3dcrnir7g',
      sms_opt_out: '16o3gqlu8r0',
      archive_reason: '25go1b4np7o',
      status: 'rdwih2ma0z',
      snils: '16ilxncz0c1',
      inn: 'weio4qq75v',
      branch: '1nxkmudse51',
      patient_number: '1sexcesck4u',
      advance: 'lygejrth5s',
      debt: '2fx4vugt36x',
      ident_id: '1e1jtco1dd7',
    })
    expect(pinned.payloadHash(desired)).to.equal('1susoh63q91')
  })

  it('write a number in base 36 exactly as Number#toString(36) does', () => {
    const edges = [0, 1, 35, 36, 1295, 1296, 1297, 36 ** 3 - 1, 36 ** 3, 36 ** 10 - 1, 36 ** 10, 2 ** 32, 2 ** 53 - 1]
    for (const n of edges) expect(base36(n), String(n)).to.equal(n.toString(36))
    const rng = new Random(53)
    for (let i = 0; i < 100_000; i++) {
      const n = 4294967296 * Math.floor(rng.next() * 2 ** 21) + Math.floor(rng.next() * 2 ** 32)
      expect(base36(n), String(n)).to.equal(n.toString(36))
    }
  })

  it('of a one-value field are those of its JSON, however many patients share the value', () => {
    const fresh = createFieldsMapper(context, {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => MOSCOW.now})
    const expected = (field: DesiredField) => {
      const values =
        field.values === null ? null : field.kind === 'multitext' ? [...field.values].map((v) => JSON.stringify(v)).sort() : field.values
      return shortHash({id: field.fieldId, values})
    }
    class Value {
      constructor(readonly value: number) {}
    }
    // The same field id with values whose JSON differs though a cache keyed loosely would take them as one.
    const odd: unknown[][] = [[{value: 1}], [{value: true}], [{enum_id: 1}], [{value: '1'}], [{value: 1, enum_code: 'X'}], [new Value(1)]]
    odd.push([{value: 0}], [{value: -0}], [{value: Number.NaN}], [{value: null}], [{value: 1}, {value: 2}], [{}], [{value: undefined}])
    const rng = new Random(5)
    for (let i = 0; i < 3000; i++) {
      const desired = fresh.desired(
        patient({
          id: String(i),
          sex: rng.pick([1, 2, 0, null]),
          discount: rng.pick([0, 5, 10, -0]),
          debt: rng.pick([0, 100.5, Number.NaN]),
          archived: rng.chance(0.5),
          smsRejection: rng.chance(0.5),
          birthday: rng.pick(['1980-01-02', '2001-12-31', null]),
        }),
      )
      const fields = desired.fields.map((f) =>
        f.key === 'discount' || f.key === 'debt' ? {...f, values: rng.pick([null, ...odd]) as DesiredField['values']} : f,
      )
      const hashes = fresh.fieldHashes({...desired, fields})
      for (const field of fields) expect(hashes[field.key], `${field.key} ${JSON.stringify(field.values)}`).to.equal(expected(field))
    }
  })

  it('hash the payload as the sorted `key=hash` lines of the field hashes, whatever fields a patient has', () => {
    const fresh = createFieldsMapper(context, {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => MOSCOW.now})
    const rng = new Random(9)
    const full = fresh.desired(patient())
    const extra = {...full.fields[0]!, key: 'zz_not_in_the_catalogue' as DesiredField['key'], fieldId: 999}
    for (let i = 0; i < 200; i++) {
      const fields = full.fields.filter(() => rng.chance(0.7))
      if (rng.chance(0.2)) fields.push(extra)
      const desired = {...full, fields}
      const hashes = fresh.fieldHashes(desired)
      const lines = Object.keys(hashes)
        .sort()
        .map((k) => `${k}=${hashes[k]}`)
      expect(fresh.payloadHash(desired)).to.equal(shortHash(lines.join('\n')))
    }
  })
})
