import Database from 'better-sqlite3'
import {expect} from 'chai'

import {
  addOrder,
  addPatient,
  addPayment,
  addVisit,
  archivePatient,
  generateClinic,
  setReceptionStatus,
  touchPatient,
  updatePatient,
} from '../../src/sample/index.js'
import type {IdentConnection} from '../../src/ident/connection.js'
import {readAll, sqliteConfig, tempDir, withReader} from './helpers.js'

describe('ident reader: changed since a watermark', () => {
  it('returns a patient changed through each related table, and no unchanged one', async () => {
    const {file} = generateClinic({patients: 300, seed: 11, file: `${tempDir()}/clinic.sqlite`})
    const config = sqliteConfig(file)
    const before = await withReader(config, async (reader) => ({
      clock: await reader.readDatabaseClock(),
      patients: new Map((await readAll(reader)).map((p) => [p.id, p])),
    }))
    // The database clock is the watermark; nothing generated is at or after it.
    expect(await withReader(config, (r) => readAll(r, {since: before.clock}))).to.deep.equal([])

    touchPatient(file, 11, 'Patients')
    touchPatient(file, 22, 'Persons')
    addVisit(file, 33)
    addPayment(file, 44, {amount: 1500})
    addOrder(file, 55, {amount: 2500})
    archivePatient(file, 66, 'Переезд в другой город')
    updatePatient(file, 77, {persons: {MobilePhone: '+7 916 000-00-77'}})
    const added = addPatient(file, {surName: 'Новенький', name: 'Пётр', phone: '8 (926) 555-44-33'})

    const changed = await withReader(config, (r) => readAll(r, {since: before.clock}))
    expect(changed.map((p) => p.id)).to.deep.equal(['11', '22', '33', '44', '55', '66', '77', String(added)])
    const byId = new Map(changed.map((p) => [p.id, p]))
    expect(byId.get('33')!.totalVisits).to.equal(before.patients.get('33')!.totalVisits! + 1)
    expect(byId.get('33')!.visits![0]!.at >= before.clock).to.equal(true)
    expect(byId.get('44')!.balance).to.equal(Math.round((before.patients.get('44')!.balance! + 1500) * 100) / 100)
    expect(byId.get('55')!.balance).to.equal(Math.round((before.patients.get('55')!.balance! - 2500) * 100) / 100)
    expect(byId.get('66')).to.include({archived: true, archiveReason: 'Переезд в другой город'})
    expect(byId.get('77')!.mobilePhone).to.equal('+7 916 000-00-77')
    expect(byId.get(String(added))).to.include({surname: 'Новенький', name: 'Пётр', totalVisits: 0})
    for (const p of changed) expect(p.changedAt! >= before.clock, p.id).to.equal(true)

    // The count agrees, and a later watermark (a second on: times have whole seconds) sees nothing again.
    await withReader(config, async (reader) => {
      expect(await reader.countPatients({since: before.clock})).to.equal(8)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const later = await reader.readDatabaseClock()
      expect(await readAll(reader, {since: later})).to.have.length(0)
    })
  })

  it('returns a patient whose reception only got a status datetime (IDENT left DateTimeChanged as it was)', async () => {
    const {file} = generateClinic({patients: 200, seed: 12, file: `${tempDir()}/clinic.sqlite`})
    const db = new Database(file, {readonly: true})
    // Receptions in the past with no mark and not cancelled: no-shows, as far as IDENT knows yet.
    const noShows = db
      .prepare(
        `SELECT MIN(ID) AS ID, ID_Patients, MIN(PlanStart) AS PlanStart FROM Receptions
         WHERE PlanStart < datetime('now', 'localtime', '-1 day') AND PatientAppeared IS NULL AND ReceptionStarted IS NULL
         AND ReceptionEnded IS NULL AND CheckIssued IS NULL AND ReceptionCanceled IS NULL AND ID_ReceptionCancelReasons IS NULL
         GROUP BY ID_Patients ORDER BY ID_Patients LIMIT 3`,
      )
      .all() as Array<{ID: number; ID_Patients: number; PlanStart: string}>
    db.close()
    expect(noShows).to.have.length(3)
    const config = sqliteConfig(file)
    const before = await withReader(config, async (reader) => ({
      clock: await reader.readDatabaseClock(),
      patients: new Map((await readAll(reader)).map((p) => [p.id, p])),
    }))
    const [started, ended, canceled] = noShows as [(typeof noShows)[0], (typeof noShows)[0], (typeof noShows)[0]]
    setReceptionStatus(file, started.ID, {started: true})
    setReceptionStatus(file, ended.ID, {ended: true, checkIssued: true})
    setReceptionStatus(file, canceled.ID, {canceled: true})

    const changed = await withReader(config, (r) => readAll(r, {since: before.clock}))
    // Three patients (one reception each), whatever their DateTimeChanged says.
    expect(changed.map((p) => Number(p.id))).to.deep.equal(noShows.map((r) => r.ID_Patients))
    const byId = new Map(changed.map((p) => [p.id, p]))
    const was = (r: {ID_Patients: number}) => before.patients.get(String(r.ID_Patients))!
    const now = (r: {ID_Patients: number}) => byId.get(String(r.ID_Patients))!
    // Started or ended: now a visit, in the history. Cancelled: still none, but read again.
    for (const r of [started, ended]) {
      expect(now(r).totalVisits).to.equal(was(r).totalVisits! + 1)
      expect(now(r).visits!.map((v) => v.at)).to.include(r.PlanStart)
    }
    expect(now(canceled).totalVisits).to.equal(was(canceled).totalVisits)
    for (const p of changed) expect(p.changedAt! >= before.clock, p.id).to.equal(true)
  })

  it('reads the patients changed by their rows while the status datetimes of every reception are still being read, then those a status alone names; each once', async () => {
    const {file} = generateClinic({patients: 200, seed: 13, file: `${tempDir()}/clinic.sqlite`})
    const receptionOf = (patient: number): number => {
      const db = new Database(file, {readonly: true})
      const row = db.prepare('SELECT MIN(ID) AS ID FROM Receptions WHERE ID_Patients = ?').get(patient) as {ID: number | null}
      db.close()
      if (row.ID === null) throw new Error(`patient ${patient} has no reception`)
      return row.ID
    }
    const since = await withReader(sqliteConfig(file), (reader) => reader.readDatabaseClock())
    touchPatient(file, 11)
    touchPatient(file, 30)
    // Patient 30 changed both ways; 5 and 50 by a status datetime alone.
    for (const patient of [30, 5, 50]) setReceptionStatus(file, receptionOf(patient), {canceled: true})

    const read = await withReader(sqliteConfig(file), async (reader) => {
      // The statement run aside answers only when let go: the first patients must come before that.
      const connection = (reader as unknown as {connection: IdentConnection}).connection
      const aside = connection.allAside.bind(connection)
      let release = (): void => undefined
      const held = new Promise<void>((resolve) => (release = resolve))
      let heldTooLong = false
      const timer = setTimeout(() => {
        heldTooLong = true
        release()
      }, 5000)
      connection.allAside = async (query) => {
        await held
        return aside(query)
      }
      const ids: string[] = []
      try {
        for await (const patient of reader.readPatients({since})) {
          ids.push(patient.id)
          if (ids.length === 2) release()
        }
      } finally {
        clearTimeout(timer)
      }
      expect(heldTooLong, 'the first patients waited for the status scan').to.equal(false)
      return ids
    })
    expect(read).to.deep.equal(['11', '30', '5', '50'])
  })

  it('reads more than 1,000 patients changed by a status alone in one set-based read, none twice', async () => {
    const {file} = generateClinic({patients: 1200, seed: 14, file: `${tempDir()}/clinic.sqlite`})
    const since = await withReader(sqliteConfig(file), (reader) => reader.readDatabaseClock())
    touchPatient(file, 7)
    touchPatient(file, 700)
    const db = new Database(file)
    db.prepare('UPDATE Receptions SET ReceptionCanceled = ? WHERE ID IN (SELECT MIN(ID) FROM Receptions GROUP BY ID_Patients)').run(since)
    const withReceptions = (db.prepare('SELECT DISTINCT ID_Patients AS id FROM Receptions').all() as Array<{id: number}>).map((r) => r.id)
    db.close()
    expect(withReceptions.length).to.be.greaterThan(1000)

    const read = (await withReader(sqliteConfig(file), (reader) => readAll(reader, {since}))).map((p) => Number(p.id))
    expect(read).to.have.length(new Set(read).size)
    expect([...read].sort((a, b) => a - b)).to.deep.equal([...new Set([...withReceptions, 7, 700])].sort((a, b) => a - b))
  })

  it('accepts a watermark with a T or fractions of a second, refuses anything else', async () => {
    const {file} = generateClinic({patients: 10, seed: 3, file: `${tempDir()}/clinic.sqlite`})
    await withReader(sqliteConfig(file), async (reader) => {
      expect(await readAll(reader, {since: '2000-01-01T00:00:00.000'})).to.have.length(10)
      let error: unknown
      try {
        await readAll(reader, {since: 'yesterday'})
      } catch (e) {
        error = e
      }
      expect(error).to.have.property('exitCode', 2)
    })
  })
})
