import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {contactNames, normalizeEmail, normalizePhone} from '../../src/fields/index.js'
import type {Patient} from '../../src/ident/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {readClinic, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  )
}

/** What a person would search the data dir for: each patient's name, phones, e-mail and birthday. */
function personalData(patients: Patient[]): Array<{patientId: string; what: string; value: string}> {
  const today = new Date().toISOString().slice(0, 10)
  const out: Array<{patientId: string; what: string; value: string}> = []
  for (const p of patients) {
    const add = (what: string, value: string | null | undefined) => {
      if (value && value.length >= 5) out.push({patientId: p.id, what, value})
    }
    add('name', contactNames(p).name)
    add('surname and name', [p.surname, p.name].filter(Boolean).join(' '))
    for (const raw of [p.phone, p.mobilePhone]) {
      const e164 = normalizePhone(raw)?.e164
      add('phone', e164)
      add('phone digits', e164?.slice(-10))
    }
    add('e-mail', p.email ? normalizeEmail(p.email) : null)
    // a birthday equal to today's date would match every timestamp written today
    if (typeof p.birthday === 'string' && p.birthday !== today) {
      add('birthday', p.birthday)
      add('birthday', p.birthday.split('-').reverse().join('.'))
    }
  }
  return out
}

describe('e2e: amoCRM quoting values in its errors leaves no personal data in the data dir', function () {
  this.timeout(180_000)
  let f: SyncFixture
  let patients: Patient[]
  let refusedName: Patient
  let refusedPhone: {patient: Patient; e164: string}

  before(async () => {
    f = await syncFixture({patients: 60, seed: 29})
    patients = await readClinic(f)
    refusedName = patients.find((p) => p.surname && p.name && p.patronymic && p.email)!
    const withPhone = patients.find((p) => p.id !== refusedName.id && normalizePhone(p.mobilePhone))!
    refusedPhone = {patient: withPhone, e164: normalizePhone(withPhone.mobilePhone)!.e164}
    // amoCRM refuses these two values with a text that quotes them (`The value "…" is not valid.`);
    // pre-1970 birthdays are refused quoting the date sent.
    f.sandbox.settings.refuseValues = [contactNames(refusedName).name, refusedPhone.e164]
  })
  after(async () => f.close())

  it('the run at hand shows amoCRM’s full text; logs and state keep only codes and fields', async () => {
    const result = await f.cli(['sync', 'full', '--json'], {LOG_LEVEL: 'trace'})
    expectExit(result, 3)
    const report = parseJson<SyncReport>(result)
    // every patient of that name (the sample clinic has namesakes) fails, and only they do
    const namesakes = patients.filter((p) => contactNames(p).name === contactNames(refusedName).name)
    expect(report.counts.failed).to.equal(namesakes.length)
    const failure = report.failures.find((x) => x.patientId === refusedName.id && x.reason === 'validation')!
    expect(failure.detail, 'the terminal of this run gets amoCRM’s words').to.include(contactNames(refusedName).name)
    expect(failure.detail).to.include('InvalidValue at name')
    const phoneRefused = report.failures.find((x) => x.patientId === refusedPhone.patient.id && x.reason === 'field_refused')!
    expect(phoneRefused.detail).to.include(refusedPhone.e164)
    expect(
      report.failures.some((x) => x.reason === 'field_refused' && /19[0-6]\d-\d\d-\d\d/.test(x.detail)),
      'a pre-1970 birthday quoted',
    ).to.equal(true)

    // the next run retries the failed patient (and records it again); status reads what the state kept
    expectExit(await f.cli(['sync', 'incremental', '--json'], {LOG_LEVEL: 'trace'}), 3)
    const status = parseJson<{pendingFailures: Array<{patientId: string; reason: string; detail: string}>}>(
      await f.cli(['sync', 'status', '--json']),
    )
    const kept = status.pendingFailures.find((p) => p.patientId === refusedName.id)
    expect(kept).to.include({reason: 'validation', detail: 'InvalidValue at name'})
  })

  it('no name, phone, e-mail or birthday is in any file of the data dir (logs, state, its WAL, its key)', () => {
    const files = filesUnder(f.home.dataDir).filter((file) => statSync(file).isFile())
    expect(files.map((file) => path.relative(f.home.dataDir, file))).to.include.members(['state.sqlite', path.join('logs', 'sync.log')])
    const data = personalData(patients)
    expect(data.length).to.be.above(150)
    for (const file of files) {
      // the raw bytes: every text value of every table, free pages and the WAL included
      const text = readFileSync(file).toString('utf8')
      for (const {patientId, what, value} of data)
        expect(text.includes(value), `${path.relative(f.home.dataDir, file)} holds patient ${patientId}'s ${what}`).to.equal(false)
    }
  })
})
