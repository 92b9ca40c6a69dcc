import {expect} from 'chai'

import {SyncState} from '../../src/sync/state.js'
import {expectExit, parseJson, waitFor} from '../helpers/cli.js'
import {startOnPty} from '../helpers/pty.js'
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
})
