import {copyFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {inspectIdent, type IdentReader, readerFor} from '../../src/ident/reader.js'
import {craftedClinic, readAll, sqliteConfig, tempDir, withReader} from './helpers.js'

/**
 * Every patient is read a slice of ids at a time (the range inside every grouped subquery). Slices of
 * a few patients must read exactly what one slice does: the same patients, values and visits, none
 * twice, a repeated row on a slice's edge still once.
 */
describe('ident reader: every patient, a slice at a time', () => {
  let file: string

  before(() => {
    file = path.join(tempDir(), 'slices.sqlite')
    copyFileSync(craftedClinic(60).file, file)
    const db = new Database(file)
    // Patient 12 three times: with slices of 4 rows, its repeats straddle a slice's end.
    db.exec(`
      CREATE VIEW PatientsView AS
        SELECT * FROM Patients UNION ALL SELECT * FROM Patients WHERE ID_Persons = 12 UNION ALL SELECT * FROM Patients WHERE ID_Persons = 12;
    `)
    db.close()
  })

  async function withSlices<T>(
    patientsPerSlice: number,
    action: (reader: IdentReader) => Promise<T>,
    view = false,
    firstSlice?: number,
  ): Promise<T> {
    const {connection, resolved} = await inspectIdent(sqliteConfig(file, view ? {tables: {Patients: 'PatientsView'}} : {}))
    const reader = readerFor(connection, resolved, patientsPerSlice, firstSlice)
    try {
      return await action(reader)
    } finally {
      await reader.close()
    }
  }

  it('reads the same patients in slices of 7 as in one slice, with the first N across slices', async () => {
    const whole = await withReader(sqliteConfig(file), (reader) => readAll(reader))
    expect(whole.length).to.be.greaterThan(50)
    const statements: string[] = []
    const sliced = await withSlices(7, async (reader) => {
      const stop = reader.onQuery((sql) => statements.push(sql))
      const all = await readAll(reader)
      stop()
      expect((await readAll(reader, {limit: 10})).map((p) => p.id)).to.deep.equal(whole.slice(0, 10).map((p) => p.id))
      return all
    })
    expect(sliced).to.deep.equal(whole)
    // Per slice: where it ends, its patients, their visits.
    expect(statements).to.have.length(3 * Math.ceil(whole.length / 7) + (whole.length % 7 === 0 ? 1 : 0))
  })

  it('reads the same patients when the first slice is smaller (3, then 7 a slice): its rows come sooner', async () => {
    const whole = await withReader(sqliteConfig(file), (reader) => readAll(reader))
    const statements: string[] = []
    const sliced = await withSlices(
      7,
      async (reader) => {
        const stop = reader.onQuery((sql) => statements.push(sql))
        const all = await readAll(reader)
        stop()
        return all
      },
      false,
      3,
    )
    expect(sliced).to.deep.equal(whole)
    const rest = whole.length - 3
    expect(statements).to.have.length(3 * (1 + Math.ceil(rest / 7)) + (rest % 7 === 0 ? 1 : 0))
  })

  it('reads a patient whose rows repeat across a slice end once', async () => {
    const whole = await withReader(sqliteConfig(file), (reader) => readAll(reader))
    const sliced = await withSlices(4, (reader) => readAll(reader), true)
    expect(sliced.map((p) => p.id)).to.deep.equal(whole.map((p) => p.id))
  })
})
