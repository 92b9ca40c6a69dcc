import {copyFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {checkIdentDatabase, type IdentWarning} from '../../src/ident/index.js'
import {craftedClinic, readAll, sqliteConfig, tempDir, withReader} from './helpers.js'

/**
 * A renamed table may point at a view that repeats rows (issue: the same patient id read twice made
 * two contacts, or aborted a batch). The reader keeps the first row of an id and says so once.
 */
describe('ident reader: a patient id returned twice', () => {
  let file: string
  let expected: string[]

  before(async () => {
    const source = craftedClinic(60).file
    expected = (await withReader(sqliteConfig(source), (r) => readAll(r))).map((p) => p.id)
    file = path.join(tempDir(), 'repeated.sqlite')
    copyFileSync(source, file)
    const db = new Database(file)
    // Patient 11 twice, patient 12 three times; Persons repeats patient 40 (its join row doubles).
    db.exec(`
      CREATE VIEW PatientsView AS
        SELECT * FROM Patients UNION ALL SELECT * FROM Patients WHERE ID_Persons IN (11, 12) UNION ALL SELECT * FROM Patients WHERE ID_Persons = 12;
      CREATE VIEW PersonsView AS SELECT * FROM Persons UNION ALL SELECT * FROM Persons WHERE ID = 40;
    `)
    db.close()
  })

  const config = () => sqliteConfig(file, {tables: {Patients: 'PatientsView', Persons: 'PersonsView'}})

  it('reads each patient once and warns once per repeated id, even when read again', async () => {
    const warnings: IdentWarning[] = []
    await withReader(config(), async (reader) => {
      reader.onWarning((w) => warnings.push(w))
      const first = await readAll(reader)
      expect(first.map((p) => p.id)).to.deep.equal(expected)
      const again = await readAll(reader)
      expect(again).to.deep.equal(first)
      // Small batches, as the sync reads by id: still once each.
      expect((await readAll(reader, {ids: ['11', '12', '40']})).map((p) => p.id)).to.deep.equal(['11', '12', '40'])
      expect(await reader.countPatients()).to.equal(expected.length)
    })
    expect(warnings.map((w) => [w.code, w.patientId])).to.deep.equal([
      ['duplicate_patient_row', '11'],
      ['duplicate_patient_row', '12'],
      ['duplicate_patient_row', '40'],
    ])
    expect(warnings[0]!.message).to.equal(
      'IDENT returned patient 11 more than once (a table or view that repeats rows?); the first row is used',
    )
  })

  it('db check counts the repeated ids and names a few', async () => {
    const report = await checkIdentDatabase(config())
    expect(report.ok).to.equal(true)
    expect(report.scan!.patients).to.equal(expected.length)
    expect(report.scan!.repeated).to.deep.equal({count: 3, examples: ['11', '12', '40']})
  })
})
