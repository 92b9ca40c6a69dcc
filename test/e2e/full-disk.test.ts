import {existsSync} from 'node:fs'

import {expect} from 'chai'

import {updatePatient} from '../../src/sample/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson, startCli, waitFor} from '../helpers/cli.js'
import {accountMismatches, contactsByPatient, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/** Every write to /dev/full fails with ENOSPC: a log on a disk that is full. */
const FULL_DISK_LOG = {LOG_FILE: '/dev/full'}

const notices = (stderr: string) => stderr.match(/cannot write the log \(\/dev\/full\): the disk is full/g) ?? []

describe('e2e: a full log disk stops nothing', function () {
  this.timeout(180_000)
  let f: SyncFixture

  before(async function () {
    if (!existsSync('/dev/full')) this.skip()
    f = await syncFixture({patients: 40, seed: 37})
  })
  after(async () => f?.close())

  it('sync full --json completes, prints its document, says once that the log is dropped; status shows the run finished', async () => {
    const result = await f.cli(['sync', 'full', '--json'], {...FULL_DISK_LOG, LOG_LEVEL: 'debug'})
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)
    expect(report.counts).to.include({read: 40, created: 40, failed: 0})
    expect(notices(result.stderr)).to.have.length(1)
    expect(await accountMismatches(f)).to.deep.equal([])

    const status = parseJson<{runs: Array<{mode: string; status: string}>}>(await f.cli(['sync', 'status', '--json'], FULL_DISK_LOG))
    expect(status.runs[0]).to.include({mode: 'full', status: 'ok'})
  })

  it('sync watch keeps passing and carries changes; Ctrl+C still exits 130', async () => {
    const watch = startCli(['sync', 'watch'], {
      env: {...f.env, ...FULL_DISK_LOG, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'},
      cwd: f.home.root,
    })
    try {
      await waitFor(() => (watch.output().stderr.match(/incremental pass: read/g) ?? []).length >= 2, 60_000)
      updatePatient(f.clinic.file, 5, {persons: {SurName: 'Дисковая'}})
      await waitFor(() => contactsByPatient(f).get('5')?.[0]?.last_name === 'Дисковая', 60_000)
      expect(watch.child.exitCode).to.equal(null)
    } finally {
      watch.child.kill('SIGINT')
    }
    const ended = await watch.exited
    expect(ended.code, ended.stderr).to.equal(130)
    expect(notices(ended.stderr), 'the notice comes once, not once per pass').to.have.length(1)
    expect(ended.stderr).to.match(/stopped after \d+ pass\(es\); state saved/)
  })
})
