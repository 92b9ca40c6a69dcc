import path from 'node:path'

import {expect} from 'chai'

import {type IdentReader} from '../../src/ident/index.js'
import {generateClinic, updatePatient} from '../../src/sample/index.js'
import {readAll, readReceptions, sqliteConfig, tempDir, withReader} from './helpers.js'

/** The statements one read costs, counted on knex's `query` event. */
async function statementsFor(reader: IdentReader, read: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = []
  const stop = reader.onQuery((sql) => statements.push(sql))
  try {
    await read()
  } finally {
    stop()
  }
  return statements
}

describe('ident reader: a constant number of queries', () => {
  it('costs the same statements for 100 and for 2,000 patients (no query per patient)', async () => {
    const costs: Record<number, Record<string, string[]>> = {}
    for (const patients of [100, 2000]) {
      const {file} = generateClinic({patients, seed: 5, file: path.join(tempDir(), `clinic-${patients}.sqlite`)})
      costs[patients] = await withReader(sqliteConfig(file), async (reader) => {
        const clock = await reader.readDatabaseClock()
        const all = await statementsFor(reader, async () => expect(await readAll(reader)).to.have.length(patients))
        const since = await statementsFor(reader, () => readAll(reader, {since: '2000-01-01 00:00:00'}))
        const none = await statementsFor(reader, async () => expect(await readAll(reader, {since: clock})).to.deep.equal([]))
        const some = await statementsFor(reader, () => readAll(reader, {ids: ['1', '50', '99']}))
        for (const id of [3, 40, 77]) updatePatient(file, id, {patients: {Comment: `changed ${id}`}})
        const fewChanged = await statementsFor(reader, async () =>
          expect((await readAll(reader, {since: clock})).map((p) => p.id)).to.deep.equal(['3', '40', '77']),
        )
        return {all, since, none, some, fewChanged}
      })
    }
    // Every patient: where the slice ends, then the two statements for it — for the first slice of
    // 1,000, then for each of 10,000: 2,000 patients are two slices, the same three statements twice.
    expect(costs[100]!.all).to.have.length(3)
    expect(costs[2000]!.all).to.deep.equal([...costs[100]!.all!, ...costs[100]!.all!])
    // Nothing changed: two statements (which patients changed by their rows' DateTimeChanged, and
    // which by a reception's status datetimes). A few changed: those, then the two statements by their
    // ids — the same text whatever the clinic's size.
    expect(costs[100]!.none).to.have.length(2)
    expect(costs[100]!.fewChanged).to.have.length(4)
    for (const kind of ['none', 'some', 'fewChanged']) expect(costs[2000]![kind], kind).to.deep.equal(costs[100]![kind])
    // Every patient changed: read by id up to 1,000 of them, else by the change condition — four
    // statements either way (a thousand changed would be five reads by id: still no query per patient).
    expect(costs[2000]!.since).to.have.length(costs[100]!.since!.length)
    expect(costs[100]!.since).to.have.length(4)
  })

  it('costs the same statements for the receptions of 100 and of 2,000 patients (no query per reception or patient)', async () => {
    const costs: Record<number, Record<string, string[]>> = {}
    const read: Record<number, number> = {}
    for (const patients of [100, 2000]) {
      const {file} = generateClinic({patients, seed: 5, file: path.join(tempDir(), `clinic-${patients}.sqlite`)})
      costs[patients] = await withReader(sqliteConfig(file), async (reader) => {
        const now = await reader.readDatabaseClock()
        const clock = {now, historyDays: 30, noShowHours: 2}
        const all = await statementsFor(reader, async () => {
          read[patients] = (await readReceptions(reader, clock)).length
        })
        const changed = await statementsFor(reader, () =>
          readReceptions(reader, clock, {changedSince: '2000-01-01 00:00:00', noShowsAfter: '2000-01-01 00:00:00'}),
        )
        const none = await statementsFor(reader, async () =>
          expect(await readReceptions(reader, clock, {changedSince: now, noShowsAfter: now})).to.deep.equal([]),
        )
        const patient = await statementsFor(reader, () => readReceptions(reader, clock, {patientId: '7'}))
        const some = await statementsFor(reader, () => readReceptions(reader, clock, {ids: ['1', '50', '99']}))
        const counts = await statementsFor(reader, async () => {
          await reader.countReceptions(clock)
          await reader.countReceptionsOutOfWindow(clock)
        })
        return {all, changed, none, patient, some, counts}
      })
    }
    // Twenty times the patients, many times the receptions: the same two statements (receptions, services).
    expect(read[2000]).to.be.greaterThan(read[100]! * 10)
    expect(costs[100]!.all).to.have.length(2)
    for (const kind of ['all', 'changed', 'none', 'patient', 'some', 'counts'])
      expect(costs[2000]![kind], kind).to.deep.equal(costs[100]![kind])
  })
})
