import {renameSync} from 'node:fs'

import {expect} from 'chai'

import {updatePatient} from '../../src/sample/index.js'
import {SyncState} from '../../src/sync/state.js'
import {expectExit, parseJson, startCli, waitFor} from '../helpers/cli.js'
import {accountMismatches, contactsByPatient, mapperFor, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/** The sandbox's contact for a patient, as the CRM shows it. */
function contactOf(f: SyncFixture, patientId: number) {
  const contacts = contactsByPatient(f).get(String(patientId)) ?? []
  expect(contacts, `contacts of patient ${patientId}`).to.have.length(1)
  return contacts[0]!
}

describe('e2e: sync watch', function () {
  this.timeout(180_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({patients: 60, seed: 31})
  })
  after(async () => f.close())

  it('imports, then carries a change in IDENT to amoCRM within one interval; a second watcher is refused; Ctrl+C exits 130', async () => {
    const watch = startCli(['sync', 'watch'], {env: {...f.env, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'}, cwd: f.home.root})
    try {
      // The first pass has no watermark yet: it runs as a full import.
      await waitFor(() => f.sandbox.store.countContacts() === 60, 60_000)

      const second = await f.cli(['sync', 'watch'], {SYNC_INTERVAL_MINUTES: '0.02'})
      expectExit(second, 1)
      expect(second.stderr).to.match(new RegExp(`another sync watch is running on this data directory \\(process ${watch.child.pid}`))

      // Each pass says what it did: which one wrote the change is what is checked, not how fast.
      const passes = () => watch.output().stderr.match(/incremental pass: read \d+, created \d+, updated \d+/g) ?? []
      const wrote = (line: string) => !line.endsWith('updated 0')
      const passesBefore = passes().length
      updatePatient(f.clinic.file, 4, {persons: {SurName: 'Изменённая'}})
      await waitFor(() => passes().slice(passesBefore).some(wrote), 60_000)
      expect(contactOf(f, 4).last_name).to.equal('Изменённая')
      // The pass running when it changed, or else the next one — not a later one.
      expect(passes().slice(passesBefore).findIndex(wrote)).to.be.at.most(1)
    } finally {
      watch.child.kill('SIGINT')
    }
    const ended = await watch.exited
    expect(ended.code, ended.stderr).to.equal(130)
    expect(ended.stderr).to.match(/incremental pass: read/)
    expect(ended.stderr).to.match(/stopped after \d+ pass\(es\); state saved/)
    expect(await accountMismatches(f)).to.deep.equal([])
  })

  it('keeps going while the database is gone and while amoCRM answers 503, and catches up afterwards', async () => {
    const watch = startCli(['sync', 'watch'], {env: {...f.env, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'}, cwd: f.home.root})
    const moved = `${f.clinic.file}.away`
    try {
      await waitFor(() => /incremental pass: read/.test(watch.output().stderr), 30_000)
      // The database disappears for a while…
      renameSync(f.clinic.file, moved)
      await waitFor(() => (watch.output().stderr.match(/pass failed/g) ?? []).length >= 2, 30_000)
      expect(watch.child.exitCode).to.equal(null)
      renameSync(moved, f.clinic.file)
      // …then amoCRM has a bad spell: every contact write answers 503 for a while.
      f.sandbox.faults.add({kind: '503', method: 'PATCH', path: '/api/v4/contacts', times: 4})
      updatePatient(f.clinic.file, 6, {persons: {Name: 'Прохор'}})
      await waitFor(() => contactOf(f, 6).first_name.startsWith('Прохор'), 60_000)
      expect(f.sandbox.requests.filter((r) => r.status === 503)).to.have.length(4)
      expect(watch.child.exitCode).to.equal(null)
    } finally {
      watch.child.kill('SIGINT')
    }
    const ended = await watch.exited
    expect(ended.code).to.equal(130)
    expect(ended.stderr).to.match(/IDENT|SQLite|database/i)
    expect(await accountMismatches(f)).to.deep.equal([])
  })

  it('SIGINT in the middle of a pass: exit 130, then the next run has no duplicate and a consistent state', async () => {
    // Many changes, slow answers, small batches, two in flight (at 50 requests a second and 150 ms the
    // writer would keep eight): the pass is still writing when Ctrl+C comes.
    for (let id = 20; id <= 59; id++) updatePatient(f.clinic.file, id, {patients: {Comment: `новый комментарий ${id}`}})
    f.sandbox.settings.latencyMs = 150
    const watch = startCli(['sync', 'watch', '--batch-size', '2'], {
      env: {...f.env, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00', AMOCRM_CONCURRENCY: '2'},
      cwd: f.home.root,
    })
    const patchesBefore = f.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'})
    await waitFor(() => f.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'}) >= patchesBefore + 3, 60_000)
    watch.child.kill('SIGINT')
    const ended = await watch.exited
    f.sandbox.settings.latencyMs = 0
    expect(ended.code, ended.stderr).to.equal(130)
    const state = await SyncState.open(f.home.dataDir)
    const runs = await state.recentRuns(1)
    await state.close()
    expect(runs[0]!.status).to.equal('interrupted')
    const next = await f.cli(['sync', 'incremental', '--json'])
    expectExit(next, 0)
    expect(await accountMismatches(f)).to.deep.equal([])
    expect(f.sandbox.store.countContacts()).to.equal(60)
  })
})

describe('e2e: sync watch recovers from a revoked authorization', function () {
  this.timeout(120_000)

  it('shows the fatal error prominently, keeps checking slowly, and picks up the token `auth login` stores meanwhile', async () => {
    const f = await syncFixture({patients: 20, seed: 41})
    try {
      // Tokens from the store (a 0600 file here), not from the environment, so that a new login can replace them.
      const env = {...f.env, AMOCRM_ACCESS_TOKEN: ''}
      f.sandbox.oauth.addLongLivedToken('first-long-lived-token')
      expectExit(await f.cli(['auth', 'login', '--token', 'first-long-lived-token', '--insecure-storage'], {AMOCRM_ACCESS_TOKEN: ''}), 0)
      const watch = startCli(['sync', 'watch'], {env: {...env, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'}, cwd: f.home.root})
      try {
        await waitFor(() => f.sandbox.store.countContacts() === 20, 30_000)
        f.sandbox.revokeAllTokens()
        updatePatient(f.clinic.file, 3, {persons: {SurName: 'Послеотзыва'}})
        await waitFor(() => /STOPPED — action needed/.test(watch.output().stderr), 30_000)
        expect(watch.output().stderr).to.match(/auth login/)
        expect(watch.child.exitCode).to.equal(null)
        // The operator logs in again in another terminal.
        f.sandbox.oauth.addLongLivedToken('second-long-lived-token')
        expectExit(await f.cli(['auth', 'login', '--token', 'second-long-lived-token'], {AMOCRM_ACCESS_TOKEN: ''}), 0)
        await waitFor(() => contactOf(f, 3).last_name === 'Послеотзыва', 40_000)
        // Slowly: while stopped it did not hammer amoCRM.
        const refused = f.sandbox.requests.filter((r) => r.status === 401).length
        expect(refused).to.be.below(10)
      } finally {
        watch.child.kill('SIGINT')
      }
      expect((await watch.exited).code).to.equal(130)
    } finally {
      await f.close()
    }
  })
})

describe('e2e: patient test', function () {
  this.timeout(120_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({
      patients: 25,
      seed: 13,
      crafted: [{id: 500, surName: 'Новый', name: 'Пациент', mobilePhone: '+7 917 000 11 22', birthday: '1985-03-04'}],
    })
    const first = await f.cli(['sync', 'full', '--limit', '25'])
    expectExit(first, 0)
  })
  after(async () => f.close())

  it('shows the differences after a hand edit in amoCRM and repairs them with --yes', async () => {
    const mapper = mapperFor(f)
    const contact = contactOf(f, 7)
    f.sandbox.store.updateContacts([
      {
        id: contact.id,
        last_name: 'Правка',
        custom_fields_values: [{field_id: mapper.resolved.card_number!.id, values: [{value: 'ИСПРАВЛЕНО'}]}],
      },
    ])

    const shown = await f.cli(['patient', 'test', '--patient-id', '7', '--dry-run', '--json'])
    expectExit(shown, 0)
    const diff = parseJson<{
      contactId: number
      match: string
      action: string
      fields: Array<{key: string; ident: string; amo: string; equal: boolean}>
      report: unknown
    }>(shown)
    expect(diff).to.include({contactId: contact.id, match: 'link', action: 'update', report: null})
    const unequal = diff.fields.filter((x) => !x.equal).map((x) => x.key)
    expect(unequal).to.include.members(['last_name', 'card_number'])
    expect(diff.fields.find((x) => x.key === 'card_number')!.amo).to.equal('ИСПРАВЛЕНО')
    expect(contactOf(f, 7).last_name).to.equal('Правка')

    const human = await f.cli(['patient', 'test', '--patient-id', '7', '--dry-run'])
    expect(human.stdout).to.match(/matched by: the stored link/)
    expect(human.stdout).to.match(/Номер карты.*ИСПРАВЛЕНО.*✗/)

    const noTty = await f.cli(['patient', 'test', '--patient-id', '7'])
    expect(noTty.stdout).to.include('not synced: pass --yes')
    expect(contactOf(f, 7).last_name).to.equal('Правка')

    const fixed = await f.cli(['patient', 'test', '--patient-id', '7', '--yes', '--json'])
    expectExit(fixed, 0)
    const result = parseJson<{report: {mode: string; counts: {updated: number}}}>(fixed)
    expect(result.report.mode).to.equal('patient')
    expect(result.report.counts.updated).to.equal(1)
    expect(contactOf(f, 7).last_name).to.not.equal('Правка')
    const after = parseJson<{action: string; fields: Array<{equal: boolean; key: string}>}>(
      await f.cli(['patient', 'test', '--patient-id', '7', '--dry-run', '--json']),
    )
    expect(after.fields.filter((x) => !x.equal && x.key !== 'birthday')).to.deep.equal([])
  })

  it('handles a patient that has no contact yet: says it would be created, then creates it', async () => {
    const shown = parseJson<{contactId: number | null; match: string; action: string}>(
      await f.cli(['patient', 'test', '--patient-id', '500', '--dry-run', '--json']),
    )
    expect(shown).to.deep.include({contactId: null, match: 'none', action: 'create'})
    expect(contactsByPatient(f).get('500')).to.equal(undefined)
    const made = await f.cli(['patient', 'test', '--patient-id', '500', '--yes'])
    expectExit(made, 0)
    expect(made.stdout).to.match(/a new contact would be created/)
    expect(contactOf(f, 500).name).to.equal('Новый Пациент')
    const again = parseJson<{match: string; action: string}>(await f.cli(['patient', 'test', '--patient-id', '500', '--dry-run', '--json']))
    expect(again).to.include({match: 'link', action: 'unchanged'})
  })

  it('an unknown patient id exits 1 with "patient 123 not found in IDENT"', async () => {
    const result = await f.cli(['patient', 'test', '--patient-id', '123456'])
    expectExit(result, 1)
    expect(result.stderr).to.include('patient 123456 not found in IDENT')
  })
})
