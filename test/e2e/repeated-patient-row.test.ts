import {readFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {accountMismatches, contactsByPatient, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/**
 * A renamed table that points at a view repeating rows used to abort the run (both rows in one batch:
 * "request_id '11' appears twice in one batch") or make two contacts (rows in two batches). Now the
 * first row wins and the repeat is a warning with the patient id.
 */
describe('e2e: a patient id the database returns twice (built CLI against the sandbox)', function () {
  this.timeout(180_000)
  const fixtures: SyncFixture[] = []
  after(async () => Promise.all(fixtures.map((f) => f.close())))

  async function clinicWithRepeats(): Promise<SyncFixture> {
    const f = await syncFixture({patients: 30, seed: 31})
    fixtures.push(f)
    const db = new Database(f.clinic.file)
    db.exec(
      'CREATE VIEW PatientsRepeated AS SELECT * FROM Patients UNION ALL SELECT * FROM Patients WHERE ID_Persons IN (11, 12) UNION ALL SELECT * FROM Patients WHERE ID_Persons = 12',
    )
    db.close()
    const set = await f.cli(['config', 'set', 'ident.tables.Patients', 'PatientsRepeated'])
    expectExit(set, 0)
    return f
  }

  for (const [label, batch] of [
    ['both rows in one batch', '100'],
    ['the rows in different batches', '1'],
  ] as const) {
    it(`${label}: one contact per patient, exit 0, a warning naming the id once`, async () => {
      const f = await clinicWithRepeats()
      const result = await f.cli(['sync', 'full', '--json', '--batch-size', batch])
      expectExit(result, 0)
      expect(parseJson<SyncReport>(result).counts).to.include({read: 30, created: 30, failed: 0, duplicates: 0})
      const contacts = contactsByPatient(f)
      expect(contacts.size).to.equal(30)
      for (const [id, list] of contacts) expect(list, `patient ${id}`).to.have.length(1)
      expect(await accountMismatches(f)).to.deep.equal([])

      const log = readFileSync(path.join(f.home.dataDir, 'logs', 'sync.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as {event?: string; patientId?: string; level: number; msg: string})
      const repeats = log.filter((l) => l.event === 'ident_row')
      expect(repeats.map((l) => l.patientId)).to.deep.equal(['11', '12'])
      expect(repeats[0]!.msg).to.equal(
        'IDENT returned patient 11 more than once (a table or view that repeats rows?); the first row is used',
      )
      expect(repeats[0]!.level).to.equal(40)
    })
  }
})
