import Database from 'better-sqlite3'
import {expect} from 'chai'

import type {Reception, ReceptionClock} from '../../src/ident/index.js'
import {generateClinic, setReceptionStatus, updatePatient} from '../../src/sample/index.js'
import {CRAFTED, craftedClinic, DEALS_CLOCK, readReceptions, sqliteConfig, tempDir, withReader} from './helpers.js'
import {expectedReceptions} from './reception-oracle.js'

const ids = (receptions: readonly Reception[]) => receptions.map((r) => Number(r.id)).sort((a, b) => a - b)

describe('ident reception reader: changed since a watermark, and no-shows since the previous pass', () => {
  it('reads nothing when nothing changed, then each reception changed through itself, a status only, its bill or its patient', async () => {
    const {file} = generateClinic({patients: 300, seed: 17, file: `${tempDir()}/clinic.sqlite`})
    const config = sqliteConfig(file)
    const before = await withReader(config, async (reader) => {
      const now = await reader.readDatabaseClock()
      const clock: ReceptionClock = {now, historyDays: 30, noShowHours: 2}
      return {clock, receptions: await readReceptions(reader, clock)}
    })
    const since = before.clock.now
    expect(await withReader(config, (r) => readReceptions(r, before.clock, {changedSince: since}))).to.deep.equal([])

    const future = before.receptions.filter((r) => r.stage === 'booked' && r.planStart > since)
    const [toCome, toCancel] = future as [Reception, Reception]
    const billed = before.receptions.find((r) => r.stage === 'paid')!
    const renamed = before.receptions.find((r) => ![toCome, toCancel, billed].some((x) => x.patientId === r.patientId))!
    // IDENT marks a status without touching DateTimeChanged.
    setReceptionStatus(file, Number(toCome.id), {appeared: true})
    setReceptionStatus(file, Number(toCancel.id), {canceled: true})
    const db = new Database(file)
    try {
      db.prepare("UPDATE Orders SET DateTimeChanged = datetime('now', 'localtime') WHERE ID_Receptions = ?").run(Number(billed.id))
      // A reception before the window changed too: not a deal, not read.
      const old = db.prepare("SELECT ID FROM Receptions WHERE PlanStart < datetime(?, '-40 days') ORDER BY ID LIMIT 1").get(since) as {
        ID: number
      }
      db.prepare("UPDATE Receptions SET DateTimeChanged = datetime('now', 'localtime') WHERE ID = ?").run(old.ID)
    } finally {
      db.close()
    }
    updatePatient(file, Number(renamed.patientId), {persons: {SurName: 'Переименова'}})

    const changed = await withReader(config, (r) => readReceptions(r, before.clock, {changedSince: since}))
    const ofRenamed = before.receptions.filter((r) => r.patientId === renamed.patientId)
    expect(ids(changed)).to.deep.equal(ids([toCome, toCancel, billed, ...ofRenamed]))
    const byId = new Map(changed.map((r) => [r.id, r]))
    expect(byId.get(toCome.id)).to.include({stage: 'came', identStatus: 'Пришёл'})
    expect(byId.get(toCancel.id)).to.include({stage: 'cancelled'})
    expect(byId.get(billed.id)).to.deep.equal(billed)
    for (const r of ofRenamed) expect(byId.get(r.id)!.patient.surname).to.equal('Переименова')
    await withReader(config, async (reader) =>
      expect(await reader.countReceptions(before.clock, {changedSince: since})).to.equal(changed.length),
    )
  })

  describe('no-shows by time', () => {
    let file: string
    const deals = String(CRAFTED.deals!.id)
    /** The receptions that become no-shows in (after, now], worked out by the oracle. */
    const crossing = (after: string, clock: ReceptionClock = DEALS_CLOCK) => {
      const earlier = new Set(
        expectedReceptions(file, {...clock, now: after})
          .receptions.filter((r) => r.stage === 'no_show')
          .map((r) => r.id),
      )
      return expectedReceptions(file, clock).receptions.filter((r) => r.stage === 'no_show' && !earlier.has(r.id))
    }

    before(() => {
      file = craftedClinic(200).file
    })

    it('reads the receptions whose end plus the grace hours came after the previous pass and by now', async () => {
      await withReader(sqliteConfig(file), async (reader) => {
        const read = (noShowsAfter: string) => readReceptions(reader, DEALS_CLOCK, {noShowsAfter})
        // The end 10:00:00 + 2 hours is 12:00:00 = now: in (11:59:59, 12:00:00], not in (12:00:00, 12:00:00].
        const lastSecond = await read('2026-03-15 11:59:59')
        expect(lastSecond.map((r) => [r.patientId, r.planStart, r.stage])).to.deep.equal([[deals, '2026-03-15 09:30:00', 'no_show']])
        expect(await read(DEALS_CLOCK.now)).to.deep.equal([])
        expect(await read('2026-03-16 00:00:00')).to.deep.equal([])
        // An hour: also the one without an end, timed from its start (09:59:59 + 2 hours).
        const hour = await read('2026-03-15 11:00:00')
        expect(hour.filter((r) => r.patientId === deals).map((r) => r.planStart)).to.deep.equal([
          '2026-03-15 09:30:00',
          '2026-03-15 09:59:59',
        ])
        expect(ids(hour)).to.deep.equal(ids(crossing('2026-03-15 11:00:00')))
        // A day: the sample's own no-show of the morning too.
        const day = await read('2026-03-14 12:00:00')
        expect(ids(day)).to.deep.equal(ids(crossing('2026-03-14 12:00:00')))
        expect(day.length).to.be.greaterThan(hour.length)
        expect(day.every((r) => r.stage === 'no_show')).to.equal(true)
      })
    })

    it('follows the grace hours: with 3 of them the boundary moves an hour back', async () => {
      const clock = {...DEALS_CLOCK, noShowHours: 3}
      await withReader(sqliteConfig(file), async (reader) => {
        const read = await readReceptions(reader, clock, {noShowsAfter: '2026-03-15 11:00:00'})
        expect(ids(read)).to.deep.equal(ids(crossing('2026-03-15 11:00:00', clock)))
        expect(read.some((r) => r.patientId === deals && r.planStart === '2026-03-15 09:30:00')).to.equal(false)
      })
    })

    it('adds up with changed since W: changed, or became a no-show', async () => {
      await withReader(sqliteConfig(file), async (reader) => {
        const since = '2026-03-15 11:50:00'
        const changed = await readReceptions(reader, DEALS_CLOCK, {changedSince: since})
        const noShows = await readReceptions(reader, DEALS_CLOCK, {noShowsAfter: '2026-03-15 11:00:00'})
        const both = await readReceptions(reader, DEALS_CLOCK, {changedSince: since, noShowsAfter: '2026-03-15 11:00:00'})
        expect(ids(both)).to.deep.equal([...new Set([...ids(changed), ...ids(noShows)])].sort((a, b) => a - b))
        // Marked as come at 11:50 (changed), started at 11:31 (not since 11:50).
        expect(changed.map((r) => r.planStart)).to.include('2026-03-15 12:30:00')
        expect(changed.map((r) => r.planStart)).not.to.include('2026-03-15 11:30:00')
        expect(noShows.length).to.be.greaterThan(0)
        expect(await reader.countReceptions(DEALS_CLOCK, {changedSince: since, noShowsAfter: '2026-03-15 11:00:00'})).to.equal(both.length)
        expect(
          ids(await readReceptions(reader, DEALS_CLOCK, {changedSince: '2100-01-01 00:00:00', noShowsAfter: '2026-03-15 11:00:00'})),
        ).to.deep.equal(ids(noShows))
      })
    })
  })
})
