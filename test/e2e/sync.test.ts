import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Contact} from '../../src/amocrm/types.js'
import {addPatient, addPayment, addVisit, archivePatient, updatePatient} from '../../src/sample/index.js'
import {SyncState} from '../../src/sync/state.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {SANDBOX_TOKEN} from '../../src/sandbox/index.js'
import {
  accountMismatches,
  contactsByPatient,
  mapperFor,
  readClinic,
  stopSyncFull,
  type SyncFixture,
  syncFixture,
  writeRequests,
} from '../helpers/sync-fixture.js'
import type {SyncReport} from '../../src/sync/report.js'

const PATIENTS = 150

describe('e2e: sync full / incremental / deep against the sandbox', function () {
  this.timeout(180_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({patients: PATIENTS, seed: 11})
  })
  after(async () => f.close())

  it('--dry-run on an empty account writes nothing and moves no state', async () => {
    const result = await f.cli(['sync', 'full', '--dry-run', '--json'])
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(report.dryRun).to.equal(true)
    expect(report.counts.created).to.equal(PATIENTS)
    expect(writeRequests(f)).to.equal(0)
    expect(f.sandbox.store.countContacts()).to.equal(0)
    const state = await SyncState.open(f.home.dataDir)
    try {
      expect(await state.countLinks()).to.equal(0)
      expect(await state.getWatermark()).to.equal(undefined)
      expect(await state.recentRuns()).to.deep.equal([])
    } finally {
      await state.close()
    }
    const human = await f.cli(['sync', 'full', '--dry-run'])
    expect(human.stdout).to.match(/^create\s+patient 1: /m)
    expect(human.stdout).to.include('dry run — nothing was written')
    expect(writeRequests(f)).to.equal(0)
  })

  it('full sync onto an empty account makes exactly one correct contact per patient, in batches', async () => {
    f.sandbox.resetStats()
    const result = await f.cli(['sync', 'full', '--json', '--batch-size', '50'])
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(Object.keys(report).sort()).to.deep.equal([
      'api',
      'counts',
      'dryRun',
      'duplicates',
      'durationMs',
      'failures',
      'finishedAt',
      'mode',
      'startedAt',
      'watermark',
    ])
    expect(report.counts).to.include({read: PATIENTS, created: PATIENTS, failed: 0, duplicates: 0})
    expect(report.watermark).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    // 150 patients at 50 per batch: 3 creates (+1 resend for a batch with a refused pre-1970 birthday).
    const posts = f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})
    expect(posts).to.be.within(3, 4)
    expect(report.api.requests).to.equal(f.sandbox.requests.length)
    expect(await accountMismatches(f)).to.deep.equal([])
  })

  it('a second sync full makes no write', async () => {
    f.sandbox.resetStats()
    const result = await f.cli(['sync', 'full', '--json'])
    expectExit(result, 0)
    expect(parseJson<SyncReport>(result).counts).to.include({unchanged: PATIENTS, created: 0, updated: 0, linked: 0})
    expect(writeRequests(f)).to.equal(0)
  })

  it('an incremental pass with no change sends no request at all', async () => {
    f.sandbox.resetStats()
    const result = await f.cli(['sync', 'incremental', '--json'])
    expectExit(result, 0)
    expect(parseJson<SyncReport>(result).api.requests).to.equal(0)
    expect(f.sandbox.requests).to.have.length(0)
  })

  it('an incremental pass after changes of every kind writes exactly those patients', async () => {
    const before = snapshot(f)
    updatePatient(f.clinic.file, 3, {persons: {SurName: 'Переименованная'}})
    addVisit(f.clinic.file, 5, {planStart: '2026-11-20 10:00:00', appeared: true, doctor: ['Зубов', 'Иван', 'Петрович']})
    addPayment(f.clinic.file, 7, {amount: 12345.67, at: '2026-11-21 12:00:00'})
    archivePatient(f.clinic.file, 9, 'Переехал')
    const newId = addPatient(f.clinic.file, {
      surName: 'Новикова',
      name: 'Ольга',
      patronymic: 'Сергеевна',
      mobilePhone: '8 (916) 555-44-33',
      birthday: '1990-05-05',
    })
    f.sandbox.resetStats()

    const result = await f.cli(['sync', 'incremental', '--json'])
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(report.counts).to.include({created: 1, updated: 4, failed: 0})
    expect(f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})).to.equal(1)
    expect(f.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'})).to.equal(1)
    const after = snapshot(f)
    const changed = [...after.keys()].filter((id) => after.get(id) !== before.get(id)).sort((a, b) => Number(a) - Number(b))
    expect(changed).to.deep.equal(['3', '5', '7', '9', String(newId)])
    expect(await accountMismatches(f)).to.deep.equal([])
    const archived = contactsByPatient(f).get('9')![0]!
    const mapper = mapperFor(f)
    const status = archived.custom_fields_values!.find((cf) => cf.field_id === mapper.resolved.status!.id)
    expect(status?.values[0]?.value).to.equal('Архивный')
  })

  it('sync deep repairs hand edits, deleted contacts and cleared ids', async () => {
    const mapper = mapperFor(f)
    const contacts = contactsByPatient(f)
    const edited = contacts.get('11')![0]!
    const deleted = contacts.get('12')![0]!
    const cleared = contacts.get('13')![0]!
    f.sandbox.store.updateContacts([
      {id: edited.id, name: 'Кто-то Другой', custom_fields_values: [{field_id: mapper.resolved.debt!.id, values: [{value: '99999'}]}]},
    ])
    f.sandbox.store.deleteContact(deleted.id)
    f.sandbox.store.updateContacts([{id: cleared.id, custom_fields_values: [{field_id: mapper.resolved.ident_id!.id, values: null}]}])

    // An incremental pass does not look: nothing changed in IDENT.
    const quiet = await f.cli(['sync', 'incremental', '--json'])
    expect(parseJson<SyncReport>(quiet).counts.updated).to.equal(0)

    const result = await f.cli(['sync', 'deep', '--json'])
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(report.counts).to.include({created: 1, updated: 2, failed: 0})
    expect(await accountMismatches(f)).to.deep.equal([])
    const now = contactsByPatient(f)
    expect(now.get('11')![0]!.id).to.equal(edited.id)
    expect(now.get('13')![0]!.id).to.equal(cleared.id)
    expect(now.get('12')![0]!.id).to.not.equal(deleted.id)
    // A second deep pass finds nothing to repair.
    f.sandbox.resetStats()
    const again = await f.cli(['sync', 'deep', '--json'])
    expect(parseJson<SyncReport>(again).counts).to.include({created: 0, updated: 0, linked: 0})
    expect(writeRequests(f)).to.equal(0)
  })

  it('sync status shows the runs, the watermark and the links', async () => {
    const result = await f.cli(['sync', 'status', '--json'])
    expectExit(result, 0)
    const status = parseJson<{watermark: string; links: number; runs: Array<{mode: string; status: string}>; pendingFailures: unknown[]}>(
      result,
    )
    expect(status.links).to.equal(PATIENTS + 1)
    expect(status.watermark).to.match(/^\d{4}-/)
    expect(status.runs.map((r) => r.mode)).to.include.members(['full', 'incremental', 'deep'])
    expect(status.runs.every((r) => r.status === 'ok')).to.equal(true)
    expect(status.pendingFailures).to.deep.equal([])
  })
})

describe('e2e: the sync log', function () {
  this.timeout(120_000)

  it('records every run (start, counts, end) as JSON lines with no personal data', async () => {
    const f = await syncFixture({patients: 80, seed: 17})
    try {
      expectExit(await f.cli(['sync', 'full']), 0)
      updatePatient(f.clinic.file, 2, {persons: {Email: 'changed@example.org'}})
      expectExit(await f.cli(['sync', 'incremental']), 0)
      const lines = readFileSync(path.join(f.home.dataDir, 'logs', 'sync.log'), 'utf8')
        .trim()
        .split('\n')
      const entries = lines.map((l) => JSON.parse(l) as {msg: string; event?: string; counts?: {read: number}})
      expect(entries.filter((e) => e.event === 'run_start')).to.have.length(2)
      expect(entries.filter((e) => e.event === 'run_end').map((e) => e.counts?.read)).to.deep.equal([80, 1])
      const log = lines.join('\n')
      const patients = await readClinic(f)
      for (const p of patients) {
        for (const word of [p.surname, p.name, p.email, p.snils, p.inn, typeof p.birthday === 'string' ? p.birthday : null]) {
          if (word && word.length >= 4) expect(log, `patient ${p.id}: '${word}' in the log`).to.not.include(word)
        }
        for (const phone of [p.phone, p.mobilePhone]) {
          const digits = (phone ?? '').replace(/\D/g, '').slice(-10)
          if (digits.length === 10) expect(log, `patient ${p.id}: a phone in the log`).to.not.include(digits)
        }
      }
      expect(log).to.not.include('changed@example.org')
      expect(log).to.not.include(SANDBOX_TOKEN)
    } finally {
      await f.close()
    }
  })
})

describe('e2e: sync full onto an account that already holds manager-made contacts', function () {
  this.timeout(120_000)
  let f: SyncFixture
  const ids = {ivanov: 1001, petrovaAnna: 1002, petrovOleg: 1003, sidorov: 1004}
  let manager: Record<string, Contact>
  let unrelatedBefore: string

  before(async () => {
    f = await syncFixture({
      patients: 40,
      seed: 5,
      crafted: [
        {id: ids.ivanov, surName: 'Иванов', name: 'Иван', patronymic: 'Иванович', mobilePhone: '8 (925) 111-22-33'},
        {id: ids.petrovaAnna, surName: 'Петрова', name: 'Анна', patronymic: 'Олеговна', mobilePhone: '+7 926 123 45 67'},
        {id: ids.petrovOleg, surName: 'Петров', name: 'Олег', patronymic: 'Ильич', mobilePhone: '89261234567'},
        {id: ids.sidorov, surName: 'Сидоров', name: 'Пётр', mobilePhone: '9030001122'},
      ],
    })
    const mapper = mapperFor(f)
    const phone = (...numbers: string[]) => ({field_code: 'PHONE', values: numbers.map((value) => ({value, enum_code: 'MOB'}))})
    const identId = (id: number) => ({field_id: mapper.resolved.ident_id!.id, values: [{value: String(id)}]})
    const made = f.sandbox.store.createContacts([
      // typed by a manager, another format, plus a number only the CRM knows
      {
        name: 'Иван Иванов',
        first_name: 'Иван',
        last_name: 'Иванов',
        custom_fields_values: [phone('+7 (925) 111-22-33', '+7 999 000-00-01')],
      },
      // the family's shared phone, on a contact named after the father
      {name: 'Петров Олег', first_name: 'Олег', last_name: 'Петров', custom_fields_values: [phone('8-926-123-45-67')]},
      // a duplicate pair carrying Сидоров's patient id
      {name: 'Сидоров П.', custom_fields_values: [identId(ids.sidorov)]},
      {name: 'Сидоров Пётр (дубль)', custom_fields_values: [identId(ids.sidorov)]},
      // unrelated contacts
      {name: 'ООО Поставщик', custom_fields_values: [phone('+7 495 777-66-55')]},
      {
        name: 'Случайный Человек',
        custom_fields_values: [
          phone('+7 911 222-33-44'),
          {field_code: 'EMAIL', values: [{value: 'Someone@Example.com', enum_code: 'WORK'}]},
        ],
      },
    ])
    manager = {ivanov: made[0]!, family: made[1]!, dupOld: made[2]!, dupNew: made[3]!, supplier: made[4]!, stranger: made[5]!}
    unrelatedBefore = JSON.stringify([f.sandbox.store.getContact(manager.supplier!.id), f.sandbox.store.getContact(manager.stranger!.id)])
  })
  after(async () => f.close())

  it("links instead of duplicating, keeps the CRM users' numbers, respects families and reports duplicates", async () => {
    const result = await f.cli(['sync', 'full', '--json'])
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(report.counts.failed).to.equal(0)
    expect(report.counts.linked).to.equal(3)
    expect(report.duplicates).to.deep.equal([{patientId: String(ids.sidorov), contactIds: [manager.dupOld!.id, manager.dupNew!.id]}])

    const byPatient = contactsByPatient(f)
    const mapper = mapperFor(f)
    // Иванов: his manager-made contact, now carrying his id, with both numbers
    const ivanov = byPatient.get(String(ids.ivanov))!
    expect(ivanov.map((c) => c.id)).to.deep.equal([manager.ivanov!.id])
    expect(mapper.contactPhones(ivanov[0]!).sort()).to.deep.equal(['+79251112233', '+79990000001'])
    // The family: Олег claims the contact with his name; Анна, sharing the phone, gets her own
    expect(byPatient.get(String(ids.petrovOleg))!.map((c) => c.id)).to.deep.equal([manager.family!.id])
    const anna = byPatient.get(String(ids.petrovaAnna))!
    expect(anna).to.have.length(1)
    expect(anna[0]!.id).to.not.equal(manager.family!.id)
    // The duplicate pair: the oldest is kept in sync, the other left alone
    expect(byPatient.get(String(ids.sidorov))!.map((c) => c.id)).to.deep.equal([manager.dupOld!.id, manager.dupNew!.id])
    expect(f.sandbox.store.getContact(manager.dupNew!.id)!.name).to.equal('Сидоров Пётр (дубль)')
    expect(f.sandbox.store.getContact(manager.dupOld!.id)!.name).to.equal('Сидоров Пётр')
    // Unrelated contacts: byte for byte untouched
    expect(JSON.stringify([f.sandbox.store.getContact(manager.supplier!.id), f.sandbox.store.getContact(manager.stranger!.id)])).to.equal(
      unrelatedBefore,
    )
    // Every other patient: exactly one correct contact
    const problems = await accountMismatches(f)
    expect(problems).to.deep.equal([`patient ${ids.sidorov}: 2 contacts`])
  })

  it("a number this tool wrote and IDENT dropped is removed; the CRM user's number stays", async () => {
    updatePatient(f.clinic.file, ids.ivanov, {persons: {MobilePhone: '8 (925) 444-55-66'}})
    const result = await f.cli(['sync', 'incremental', '--json'])
    expectExit(result, 0)
    const contact = f.sandbox.store.getContact(manager.ivanov!.id)!
    expect(mapperFor(f).contactPhones(contact).sort()).to.deep.equal(['+79254445566', '+79990000001'])
  })
})

describe('e2e: sync under failures', function () {
  this.timeout(180_000)

  it('429s, 5xx and writes applied-then-failed end with exactly one correct contact per patient', async () => {
    const f = await syncFixture({patients: 120, seed: 21})
    try {
      f.sandbox.faults.add({kind: '429', method: 'POST', path: '/api/v4/contacts', times: 2})
      f.sandbox.faults.add({kind: '429-html', method: 'GET', path: '/api/v4/contacts'})
      f.sandbox.faults.add({kind: '503', method: 'POST', path: '/api/v4/contacts'})
      f.sandbox.faults.add({kind: 'apply-then-500', method: 'POST', path: '/api/v4/contacts'})
      f.sandbox.faults.add({kind: 'apply-then-drop', method: 'POST', path: '/api/v4/contacts'})
      f.sandbox.faults.add({kind: '502', method: 'GET', path: '/api/v4/contacts'})
      const result = await f.cli(['sync', 'full', '--json', '--batch-size', '25'])
      expectExit(result, 0)
      const report = parseJson<SyncReport>(result)
      expect(report.counts.failed).to.equal(0)
      expect(report.api.throttled).to.be.at.least(3)
      expect(report.api.retries).to.be.at.least(3)
      expect(await accountMismatches(f)).to.deep.equal([])
      expect(f.sandbox.store.countContacts()).to.equal(120)
      // and the faults were really met
      expect(f.sandbox.requests.filter((r) => r.status === 429)).to.have.length(3)
      expect(f.sandbox.requests.filter((r) => r.status === 500 || r.status === 503 || r.status === 502)).to.have.length(3)
    } finally {
      await f.close()
    }
  })

  it('a patient whose create keeps failing is recorded, exits 3, and is retried by the next run', async () => {
    const f = await syncFixture({patients: 10, seed: 3})
    try {
      // three sends, each parked longer than the one before (1.5 s, 3 s, 4.5 s at a 1 s timeout)
      f.sandbox.faults.add({kind: 'drop', method: 'POST', path: '/api/v4/contacts', times: 3})
      const first = await f.cli(['sync', 'full', '--json'], {AMOCRM_REQUEST_TIMEOUT_MS: '1000'})
      expectExit(first, 3)
      const report = parseJson<SyncReport>(first)
      expect(report.counts.failed).to.equal(10)
      expect(report.failures.every((x) => x.reason === 'outcome_unknown')).to.equal(true)
      expect(f.sandbox.store.countContacts()).to.equal(0)
      expect(f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})).to.equal(3)
      const status = parseJson<{pendingFailures: unknown[]}>(await f.cli(['sync', 'status', '--json']))
      expect(status.pendingFailures).to.have.length(10)

      const second = await f.cli(['sync', 'incremental', '--json'])
      expectExit(second, 0)
      expect(parseJson<SyncReport>(second).counts.created).to.equal(10)
      expect(await accountMismatches(f)).to.deep.equal([])
      const after = parseJson<{pendingFailures: unknown[]}>(await f.cli(['sync', 'status', '--json']))
      expect(after.pendingFailures).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('a blocked (403) or unpaid (402) account stops the run with exit 1, a clear message and no further request', async () => {
    const f = await syncFixture({patients: 30, seed: 4})
    try {
      f.sandbox.faults.add({kind: '403-html', method: 'POST', path: '/api/v4/contacts', times: 100})
      const blocked = await f.cli(['sync', 'full', '--batch-size', '10'])
      expect(blocked.code).to.equal(1)
      expect(blocked.stderr).to.match(/403 Forbidden/)
      expect(blocked.stderr).to.match(/support/)
      expect(f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})).to.equal(1)
      f.sandbox.faults.clear()
      f.sandbox.faults.add({kind: '402', times: 100})
      const unpaid = await f.cli(['sync', 'full', '--json'])
      expect(unpaid.code).to.equal(1)
      expect(parseJson<{error: {code: string; message: string}}>(unpaid).error.code).to.equal('E_PAYMENT_REQUIRED')
      f.sandbox.faults.clear()
      const fine = await f.cli(['sync', 'full', '--json'])
      expectExit(fine, 0)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('kill -9 in the middle of a full sync, then a re-run: no duplicate, no lost patient', async () => {
    const f = await syncFixture({patients: 300, seed: 8, sandbox: {latencyMs: 40}})
    try {
      const killed = await stopSyncFull(f, {afterCreates: 8, signal: 'SIGKILL'})
      expect(killed.signal).to.equal('SIGKILL')
      const partial = f.sandbox.store.countContacts()
      expect(partial).to.be.greaterThan(0).and.lessThan(300)

      const again = await f.cli(['sync', 'full', '--json', '--batch-size', '50'])
      expectExit(again, 0)
      const report = parseJson<SyncReport>(again)
      expect(report.counts.created + report.counts.linked + report.counts.unchanged + report.counts.updated).to.equal(300)
      expect(f.sandbox.store.countContacts()).to.equal(300)
      expect(await accountMismatches(f)).to.deep.equal([])
      const status = parseJson<{runs: Array<{status: string}>}>(await f.cli(['sync', 'status', '--json']))
      expect(status.runs.map((r) => r.status)).to.deep.equal(['ok', 'interrupted'])
    } finally {
      await f.close()
    }
  })

  it('Ctrl+C (SIGINT) finishes the batch in flight, saves state and exits 130; the next run completes', async () => {
    const f = await syncFixture({patients: 300, seed: 9, sandbox: {latencyMs: 40}})
    try {
      const stopped = await stopSyncFull(f, {afterCreates: 5, signal: 'SIGINT', json: true})
      expectExit(stopped, 130)
      // What was read and not sent is counted as skipped: nothing read goes unaccounted for.
      const {counts} = parseJson<SyncReport>(stopped)
      expect(counts.skipped).to.be.greaterThan(0)
      expect(counts.read).to.equal(counts.created + counts.skipped)
      const state = await SyncState.open(f.home.dataDir)
      const links = await state.countLinks()
      await state.close()
      // every contact made so far is linked: the batch in flight was recorded before exiting
      expect(links).to.equal(f.sandbox.store.countContacts())
      const again = await f.cli(['sync', 'full', '--json'])
      expectExit(again, 0)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })
})

/** Patient id → the JSON of its contact, to see which contacts a run changed. */
function snapshot(f: SyncFixture): Map<string, string> {
  const out = new Map<string, string>()
  for (const [id, contacts] of contactsByPatient(f)) out.set(id, JSON.stringify(contacts))
  return out
}
