import {expect} from 'chai'

import type {SyncStatusResult} from '../../src/commands/sync/status.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

describe('e2e: sync status --check (the container health check)', function () {
  this.timeout(120_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({patients: 20, seed: 5})
  })
  after(async () => f.close())

  it('fails before any pass, passes after one, and fails again once three intervals went by without another', async () => {
    const before = await f.cli(['sync', 'status', '--check', '--json'])
    expectExit(before, 1)
    expect(parseJson<{error: {code: string; message: string}}>(before).error).to.deep.include({
      code: 'E_STALE',
      message: 'no sync pass has finished or started in the last 6 min (three intervals of 2 min); last pass: none',
    })

    expectExit(await f.cli(['sync', 'full']), 0)
    const fresh = await f.cli(['sync', 'status', '--check', '--json'])
    expectExit(fresh, 0)
    const status = parseJson<SyncStatusResult>(fresh)
    expect(status.health).to.include({healthy: true, intervalMinutes: 2, staleAfterMinutes: 6, passRunningSince: null})
    expect(status.health.lastPassAt).to.equal(status.runs[0]!.finishedAt)

    // An interval of 0.001 min: three intervals (180 ms) have surely passed since the pass finished.
    await new Promise((resolve) => setTimeout(resolve, 250))
    const stale = await f.cli(['sync', 'status', '--check', '--json'], {SYNC_INTERVAL_MINUTES: '0.001'})
    expectExit(stale, 1)
    expect(parseJson<{error: {code: string; message: string}}>(stale).error).to.include({code: 'E_STALE'})
  })
})
