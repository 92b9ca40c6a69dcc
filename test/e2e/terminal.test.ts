import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {SyncState} from '../../src/sync/state.js'
import {expectExit, parseJson, tempHome, waitFor} from '../helpers/cli.js'
import {expectNarrow, startOnPty} from '../helpers/pty.js'
import {accountMismatches, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'
import type {SyncReport} from '../../src/sync/report.js'

const CTRL_C = '\x03'

async function lastRunStatus(f: SyncFixture): Promise<string | undefined> {
  const state = await SyncState.open(f.home.dataDir)
  try {
    return (await state.recentRuns(1))[0]?.status
  } finally {
    await state.close()
  }
}

async function linkCount(f: SyncFixture): Promise<number> {
  const state = await SyncState.open(f.home.dataDir)
  try {
    return await state.countLinks()
  } finally {
    await state.close()
  }
}

const posts = (f: SyncFixture) => f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})

describe('e2e: Ctrl+C typed on a terminal', function () {
  this.timeout(180_000)

  it('sync full: Ctrl+C finishes the batch in flight, saves state and exits 130; the next run completes', async () => {
    const f = await syncFixture({patients: 300, seed: 9, sandbox: {latencyMs: 40}})
    try {
      const run = startOnPty(['sync', 'full', '--batch-size', '10'], {env: f.env, cwd: f.home.root})
      await waitFor(() => posts(f) >= 5, 60_000)
      run.type(CTRL_C)
      const ended = await run.exited
      expect(ended.code, run.text()).to.equal(130)
      expect(run.text()).to.include('Ctrl+C: finishing the batch in flight')
      expect(run.text()).to.include('interrupted: state is saved')
      // It stopped early: not every patient was sent.
      expect(f.sandbox.store.countContacts()).to.be.lessThan(300)
      expect(await linkCount(f)).to.equal(f.sandbox.store.countContacts())
      expect(await lastRunStatus(f)).to.equal('interrupted')

      const again = await f.cli(['sync', 'full', '--json'])
      expectExit(again, 0)
      expect(parseJson<SyncReport>(again).counts.failed).to.equal(0)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('sync deep: Ctrl+C stops it with the state saved and exits 130; the next deep pass repairs everything', async () => {
    const f = await syncFixture({patients: 200, seed: 12})
    try {
      expectExit(await f.cli(['sync', 'full']), 0)
      // Someone deleted every contact in the CRM: the deep pass re-creates them, slowly.
      for (const contact of f.sandbox.store.listContacts()) f.sandbox.store.deleteContact(contact.id)
      f.sandbox.settings.latencyMs = 40
      const before = posts(f)
      const run = startOnPty(['sync', 'deep', '--batch-size', '10'], {env: f.env, cwd: f.home.root})
      await waitFor(() => posts(f) >= before + 4, 60_000)
      run.type(CTRL_C)
      const ended = await run.exited
      expect(ended.code, run.text()).to.equal(130)
      expect(run.text()).to.include('interrupted: state is saved')
      expect(f.sandbox.store.countContacts()).to.be.lessThan(200)
      expect(await lastRunStatus(f)).to.equal('interrupted')

      f.sandbox.settings.latencyMs = 0
      expectExit(await f.cli(['sync', 'deep', '--json']), 0)
      expect(f.sandbox.store.countContacts()).to.equal(200)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('sync watch: Ctrl+C during a pass exits 130 with the state saved; times are shown in the clinic zone', async () => {
    const f = await syncFixture({patients: 200, seed: 13, sandbox: {latencyMs: 40}})
    try {
      const run = startOnPty(['sync', 'watch', '--batch-size', '10'], {
        env: {...f.env, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00', SYNC_TIMEZONE: 'Asia/Vladivostok'},
        cwd: f.home.root,
      })
      await waitFor(() => posts(f) >= 4, 60_000)
      run.type(CTRL_C)
      const ended = await run.exited
      expect(ended.code, run.text()).to.equal(130)
      expect(run.text()).to.match(/stopped after \d+ pass\(es\); state saved/)
      expect(run.text()).to.include('times are Asia/Vladivostok')
      expect(f.sandbox.store.countContacts()).to.be.lessThan(200)
      expect(await linkCount(f)).to.equal(f.sandbox.store.countContacts())
      expect(await lastRunStatus(f)).to.equal('interrupted')

      f.sandbox.settings.latencyMs = 0
      expectExit(await f.cli(['sync', 'full', '--json']), 0)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('sync watch: between passes, each pass line is stamped and Ctrl+C stops it at once', async () => {
    const f = await syncFixture({patients: 30, seed: 14})
    try {
      const run = startOnPty(['sync', 'watch'], {
        env: {...f.env, SYNC_INTERVAL_MINUTES: '5', SYNC_DEEP_TIMES: '03:00', SYNC_TIMEZONE: 'Europe/Moscow'},
        cwd: f.home.root,
      })
      await waitFor(
        () => /last \d\d:\d\d:\d\d · next in \d+ s · deep (\d\d-\d\d )?03:00 Europe\/Moscow · 0 pending/.test(run.text()),
        60_000,
      )
      expect(run.text()).to.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (full|incremental) pass: read 30, created 30/)
      run.type(CTRL_C)
      const ended = await run.exited
      expect(ended.code, run.text()).to.equal(130)
      expect(run.text()).to.match(/stopped after 1 pass\(es\); state saved/)
    } finally {
      await f.close()
    }
  })

  it('at a question: Ctrl+C exits 130 with one line, writes nothing, and the next run goes ahead', async () => {
    const f = await syncFixture({patients: 10, seed: 15})
    try {
      const run = startOnPty(['patient', 'test', '--patient-id', '5'], {env: f.env, cwd: f.home.root})
      await waitFor(() => run.text().includes('Sync patient 5 now?'), 60_000)
      run.type(CTRL_C)
      const ended = await run.exited
      expect(ended.code, run.text()).to.equal(130)
      const after = run.text().slice(run.text().indexOf('Sync patient 5 now?'))
      expect(after).to.include('cancelled (Ctrl+C)')
      expect(after).not.to.match(/ExitPromptError|force closed|at .*\.js:\d+/)
      expect(f.sandbox.store.countContacts()).to.equal(0)

      const next = await f.cli(['patient', 'test', '--patient-id', '5', '--yes', '--json'])
      expectExit(next, 0)
      expect(f.sandbox.store.countContacts()).to.equal(1)

      const configFile = path.join(f.home.configDir, 'config.json')
      const before = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>
      // (the insecure file store: no keychain is needed to reach the first question)
      const init = startOnPty(['config', 'init', '--insecure-storage'], {env: f.home.env, cwd: f.home.root})
      await waitFor(() => init.text().includes('IDENT database'), 60_000)
      init.type(CTRL_C)
      expect((await init.exited).code, init.text()).to.equal(130)
      expect(init.text()).to.include('cancelled (Ctrl+C)')
      // nothing was saved: no answer, and not even the storage choice of the flag (it is remembered
      // once a secret is stored in the file)
      expect(JSON.parse(readFileSync(configFile, 'utf8'))).to.deep.equal(before)
    } finally {
      await f.close()
    }
  })
})

describe('e2e: config init on a terminal', function () {
  this.timeout(120_000)

  it('asks, saves, and reports the number of settings it actually wrote', async () => {
    const home = tempHome()
    const run = startOnPty(['config', 'init', '--insecure-storage'], {env: home.env, cwd: home.root})
    // Each question is looked for after the previous one: a choice of one ("SQLite file (sample / tests)")
    // must not pass for the next question ("? SQLite file").
    let seen = 0
    const answer = async (question: string, keys: string) => {
      await waitFor(() => run.text().indexOf(`? ${question}`, seen) >= 0, 60_000)
      seen = run.text().indexOf(`? ${question}`, seen) + 1
      run.type(keys)
    }
    await answer('IDENT database', '\x1b[B\r') // ↓ to "SQLite file", Enter
    await answer('SQLite file', 'clinic.sqlite\r')
    await answer('amoCRM account', 'https://smile.amocrm.ru/\r')
    await answer('Integration ID', 'client-uuid\r')
    await answer('Integration secret key', 'client-secret\r')
    await answer('Redirect URI', '\r')
    const ended = await run.exited
    expect(ended.code, run.text()).to.equal(0)
    // DB_CLIENT, DB_FILE, AMOCRM_SUBDOMAIN, AMOCRM_CLIENT_ID, AMOCRM_REDIRECT_URI; the empty AMOCRM_DOMAIN
    // and AMOCRM_BASE_URL were never in the file, so nothing was removed.
    expect(run.text()).to.include(`Saved 5 setting(s) in ${path.join(home.configDir, 'config.json')} and AMOCRM_CLIENT_SECRET in file`)
    const saved = JSON.parse(readFileSync(path.join(home.configDir, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(saved).to.include({
      DB_CLIENT: 'sqlite',
      DB_FILE: path.join(home.root, 'clinic.sqlite'),
      AMOCRM_SUBDOMAIN: 'smile',
      AMOCRM_CLIENT_ID: 'client-uuid',
    })
    expect(JSON.stringify(saved)).not.to.include('client-secret')
  })
})

describe('e2e: on an 80-column terminal', function () {
  this.timeout(180_000)

  it('the sync summary, sync status and a failing fields check fit; --json stays complete', async () => {
    const f = await syncFixture({patients: 120, seed: 16, createFields: false})
    try {
      const fields = startOnPty(['fields', 'check'], {env: f.env, cwd: f.home.root})
      expect((await fields.exited).code).to.equal(1)
      expect(fields.text()).to.include('problem / fix')
      expect(fields.text()).to.include('fields create')
      expectNarrow(fields.screen(), 80)

      expectExit(await f.cli(['fields', 'create']), 0)
      const full = startOnPty(['sync', 'full'], {env: f.env, cwd: f.home.root})
      expect((await full.exited).code, full.text()).to.equal(0)
      for (const heading of ['read', 'created', 'duplicates', 'API requests', 'duration', 'values amoCRM refused'])
        expect(full.text()).to.include(heading)
      // (the reason wraps inside its cell)
      expect(full.text()).to.include('amoCRM does not store').and.include('1970,')
      expectNarrow(full.screen(), 80)

      expectExit(await f.cli(['sync', 'incremental']), 0)
      const status = startOnPty(['sync', 'status'], {env: f.env, cwd: f.home.root})
      expect((await status.exited).code).to.equal(0)
      expect(status.text()).to.include('recent runs')
      expect(status.text()).to.match(/full\s.*ok/)
      expectNarrow(status.screen(), 80)

      const json = parseJson<{runs: Array<{counts: Record<string, number>}>}>(await f.cli(['sync', 'status', '--json']))
      expect(Object.keys(json.runs[0]!.counts)).to.include.members(['read', 'created', 'updated', 'linked', 'unchanged', 'failed'])
    } finally {
      await f.close()
    }
  })
})
