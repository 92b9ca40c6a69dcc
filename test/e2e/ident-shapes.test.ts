import {readFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import type {Contact} from '../../src/amocrm/types.js'
import {MAX_VISITS_READ, type Patient} from '../../src/ident/index.js'
import {type ClinicShape, type CraftedPatient, setReceptionStatus, updatePatient} from '../../src/sample/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {contactsByPatient, mapperFor, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'
import {expectedPatients} from '../ident/oracle.js'

/**
 * The built CLI against the sandbox, on a clinic in each shape IDENT databases come in: every
 * birthday, age, visit history line (with the doctor's surname) and visit count is checked field by
 * field against what the IDENT tables say — computed here straight from the tables, not by the reader.
 */

const PATIENTS = 120
const BELOVA = ['Белова', 'Ирина', 'Сергеевна'] as const
const NEW_DOCTOR = ['Зубова', 'Алла', 'Петровна'] as const

/** Hand-checked patients; ids far from the generated ones. */
const CRAFTED = {
  marks: {
    id: 5001,
    surName: 'Отметкина',
    name: 'Мария',
    birthday: '12.04.1985',
    receptions: [
      {planStart: '2025-04-01 10:00:00', started: true, ended: '2025-04-01 10:40:00', doctor: NEW_DOCTOR},
      {planStart: '2025-04-03 10:00:00', checkIssued: '2025-04-03 11:00:00', doctor: BELOVA},
      {planStart: '2025-04-04 10:00:00', appeared: true, doctor: BELOVA},
      {planStart: '2025-04-05 10:00:00', started: true, canceledAt: '2025-04-05 09:00:00', doctor: BELOVA},
      {planStart: '2025-04-07 10:00:00', doctor: NEW_DOCTOR},
    ],
  },
  isoBirthday: {id: 5002, surName: 'Исова', name: 'Ирина', birthday: ' 1990-01-31 '},
  badBirthday: {id: 5003, surName: 'Ошибкина', name: 'Ольга', birthday: '31.02.1985'},
  willBreak: {id: 5004, surName: 'Ломкин', name: 'Лев', birthday: '05.06.1977'},
  willEmpty: {id: 5005, surName: 'Пустов', name: 'Павел', birthday: '07.08.1979'},
} satisfies Record<string, CraftedPatient & {id: number}>

/** `YYYY-MM-DD` of an instant in a timezone. */
const dateIn = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-CA', {timeZone}).format(new Date(ms))

function yearsOld(birthday: string, today: string): number {
  const [by, bm, bd] = birthday.split('-').map(Number) as [number, number, number]
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number]
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0)
}

/** `2025-04-04 10:00:00` → `04.04.2025 10:00`. */
const visitTime = (at: string) => `${at.slice(8, 10)}.${at.slice(5, 7)}.${at.slice(0, 4)} ${at.slice(11, 16)}`

/** The four fields as a user reads them on the contact card (null when empty). */
function cardValues(f: SyncFixture, contact: Contact) {
  const {resolved} = mapperFor(f)
  const value = (key: 'birthday' | 'age' | 'visits' | 'total_visits') =>
    contact.custom_fields_values?.find((cf) => cf.field_id === resolved[key]!.id)?.values[0]?.value ?? null
  const birthday = value('birthday')
  return {
    birthday: birthday === null ? null : dateIn(Number(birthday) * 1000, f.sandbox.store.account.timezone),
    age: value('age') === null ? null : Number(value('age')),
    visits: value('visits') as string | null,
    totalVisits: value('total_visits') === null ? null : Number(value('total_visits')),
  }
}

function onlyContact(f: SyncFixture, patientId: string | number): Contact {
  const contacts = contactsByPatient(f).get(String(patientId)) ?? []
  expect(contacts, `patient ${patientId}`).to.have.length(1)
  return contacts[0]!
}

function logLines(f: SyncFixture): Array<Record<string, unknown>> {
  return readFileSync(path.join(f.home.dataDir, 'logs', 'sync.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

for (const shape of ['real', 'old'] as const satisfies readonly ClinicShape[]) {
  describe(`e2e: a clinic in the ${shape} shape, field by field (built CLI against the sandbox)`, function () {
    this.timeout(240_000)
    let f: SyncFixture

    before(async () => {
      f = await syncFixture({patients: PATIENTS, seed: 23, crafted: Object.values(CRAFTED), shape})
    })
    after(async () => f.close())

    it('sync full: every birthday, age, visit history line and visit count is what the IDENT tables say', async () => {
      const timezone = f.sandbox.store.account.timezone
      const todayBefore = dateIn(Date.now(), timezone)
      const result = await f.cli(['sync', 'full', '--json'], {LOG_LEVEL: 'debug'})
      expectExit(result, 0)
      const report = parseJson<SyncReport>(result)
      const all = PATIENTS + Object.keys(CRAFTED).length
      expect(report.counts).to.include({read: all, created: all, failed: 0, duplicates: 0})
      const today = [todayBefore, dateIn(Date.now(), timezone)]
      const refused = new Set(report.failures.filter((x) => x.reason === 'field_refused').map((x) => x.patientId))

      const expected: Patient[] = expectedPatients(f.clinic.file, MAX_VISITS_READ)
      expect(expected).to.have.length(all)
      let withBirthday = 0
      let unparseable = 0
      let withVisits = 0
      for (const p of expected) {
        const card = cardValues(f, onlyContact(f, p.id))
        const where = `patient ${p.id}`
        if (typeof p.birthday === 'string') {
          // amoCRM takes no date before 1970: the contact is written without it and the run says so.
          if (p.birthday < '1970-01-01') {
            expect(card.birthday, where).to.equal(null)
            expect(refused.has(p.id), `${where}: refusal reported`).to.equal(true)
          } else if (p.birthday > '1970-01-01') {
            expect(card.birthday, where).to.equal(p.birthday)
            withBirthday++
          }
          expect(
            today.map((t) => yearsOld(p.birthday as string, t)),
            where,
          ).to.include(card.age)
        } else {
          if (p.birthday !== null) unparseable++
          expect([card.birthday, card.age], where).to.deep.equal([null, null])
        }
        const lines = p.visits!.map((v) => `${visitTime(v.at)}${v.doctor ? ` — ${v.doctor}` : ''}`)
        expect(card.visits, where).to.equal(lines.length > 0 ? lines.join('\n') : null)
        expect(card.totalVisits, where).to.equal(p.totalVisits)
        // Every visit names its doctor: in this clinic each reception has one.
        for (const v of p.visits!) expect(v.doctor, `${where} ${v.at}`).to.match(/^[А-ЯЁ][а-яё-]+( [А-ЯЁ]\.){1,2}$/i)
        if (lines.length > 0) withVisits++
      }
      expect(withBirthday).to.be.greaterThan(40)
      expect(withVisits).to.be.greaterThan(80)
      // The crafted one in both shapes; generated ones that are no date only in the real shape.
      if (shape === 'old') expect(unparseable).to.equal(1)
      else expect(unparseable).to.be.at.least(1)

      // Hand-checked: the real shape counts any of the four marks; the old one has PatientAppeared only.
      const marks = cardValues(f, onlyContact(f, CRAFTED.marks.id))
      expect(marks.birthday).to.equal('1985-04-12')
      if (shape === 'real') {
        expect(marks.visits).to.equal(
          ['04.04.2025 10:00 — Белова И. С.', '03.04.2025 10:00 — Белова И. С.', '01.04.2025 10:00 — Зубова А. П.'].join('\n'),
        )
        expect(marks.totalVisits).to.equal(3)
      } else {
        expect(marks.visits).to.equal('04.04.2025 10:00 — Белова И. С.')
        expect(marks.totalVisits).to.equal(1)
      }
      expect(cardValues(f, onlyContact(f, CRAFTED.isoBirthday.id)).birthday).to.equal('1990-01-31')

      // The unparseable birthday is said once for the patient (not once per field), by id only.
      const warnings = logLines(f).filter((l) => l.msg === 'mapping warning' && l.code === 'birthday_invalid')
      expect(warnings.filter((w) => w.patientId === String(CRAFTED.badBirthday.id))).to.have.length(1)
      expect(warnings).to.have.length(unparseable)
      const end = logLines(f).find((l) => l.event === 'run_end') as {warnings: Record<string, number>}
      expect(Object.entries(end.warnings).filter(([k]) => k.startsWith('birthday_invalid:'))).to.deep.equal([
        ['birthday_invalid:age', unparseable],
      ])
      expect(JSON.stringify(logLines(f))).not.to.include('31.02.1985')
    })

    it('an unparseable birthday leaves the contact’s birthday and age as they are; an empty one clears them', async () => {
      const before = cardValues(f, onlyContact(f, CRAFTED.willBreak.id))
      expect(before.birthday).to.equal('1977-06-05')
      expect(before.age).to.be.a('number')
      updatePatient(f.clinic.file, CRAFTED.willBreak.id, {persons: {Birthday: '05.06.77 г.'}})
      updatePatient(f.clinic.file, CRAFTED.willEmpty.id, {persons: {Birthday: ''}})
      f.sandbox.resetStats()
      const result = await f.cli(['sync', 'incremental', '--json'])
      expectExit(result, 0)
      expect(parseJson<SyncReport>(result).counts).to.include({read: 2, failed: 0})
      expect(cardValues(f, onlyContact(f, CRAFTED.willBreak.id))).to.deep.equal(before)
      expect(cardValues(f, onlyContact(f, CRAFTED.willEmpty.id))).to.include({birthday: null, age: null})

      // A CRM user types a birthday for the patient whose IDENT value is no date: a deep pass keeps it.
      const {resolved} = mapperFor(f)
      const bad = onlyContact(f, CRAFTED.badBirthday.id)
      f.sandbox.store.updateContacts([
        {id: bad.id, custom_fields_values: [{field_id: resolved.birthday!.id, values: [{value: '1985-03-01T00:00:00+03:00'}]}]},
      ])
      const deep = await f.cli(['sync', 'deep', '--json'])
      expectExit(deep, 0)
      expect(cardValues(f, onlyContact(f, CRAFTED.badBirthday.id)).birthday).to.equal('1985-03-01')
      expect(cardValues(f, onlyContact(f, CRAFTED.willBreak.id))).to.deep.equal(before)
    })

    it('an incremental pass picks up a reception whose only change is a status datetime', async () => {
      // A no-show in the past: no mark, not cancelled. The desk now marks it, leaving DateTimeChanged alone.
      const db = new Database(f.clinic.file, {readonly: true})
      const reception = db
        .prepare(
          `SELECT ID, ID_Patients, PlanStart FROM Receptions WHERE PatientAppeared IS NULL ${shape === 'real' ? 'AND ReceptionStarted IS NULL AND ReceptionEnded IS NULL AND CheckIssued IS NULL' : ''}
           AND ReceptionCanceled IS NULL AND ID_ReceptionCancelReasons IS NULL AND PlanStart < datetime('now', 'localtime', '-1 day')
           AND ID_Patients <= ? ORDER BY ID LIMIT 1`,
        )
        .get(PATIENTS) as {ID: number; ID_Patients: number; PlanStart: string}
      db.close()
      const before = cardValues(f, onlyContact(f, reception.ID_Patients))
      setReceptionStatus(f.clinic.file, reception.ID, shape === 'real' ? {started: true, ended: true} : {appeared: true})

      const result = await f.cli(['sync', 'incremental', '--json'])
      expectExit(result, 0)
      // The patients edited just before are read again too (the watermark overlaps the last pass), unchanged.
      expect(parseJson<SyncReport>(result).counts).to.include({updated: 1, created: 0, failed: 0})
      const after = cardValues(f, onlyContact(f, reception.ID_Patients))
      expect(after.totalVisits).to.equal((before.totalVisits ?? 0) + 1)
      // The history gained exactly the line of that reception, with its doctor.
      const lines = after.visits!.split('\n')
      const added = lines.filter((line) => !(before.visits?.split('\n') ?? []).includes(line))
      expect(added).to.have.length(1)
      expect(added[0]).to.match(/^\d\d\.\d\d\.\d{4} \d\d:\d\d — [А-ЯЁ][а-яё-]+ [А-ЯЁ]\./)
      expect(added[0]!.startsWith(`${visitTime(reception.PlanStart)} — `)).to.equal(true)
      expect(lines).to.have.length((before.visits?.split('\n').length ?? 0) + 1)
    })
  })
}
