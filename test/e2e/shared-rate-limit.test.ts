import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

describe('e2e: processes of one account share its rate limit', function () {
  this.timeout(180_000)
  let f: SyncFixture

  before(async () => {
    // the sandbox refuses more than 7 requests per second per token, as amoCRM does per integration
    f = await syncFixture({patients: 20, seed: 43, sandbox: {rateLimit: 7}})
    // enough contacts that reading them all takes a dozen pages
    f.sandbox.store.createContacts(Array.from({length: 2600}, (_, i) => ({name: `Контакт ${i}`})))
    f.sandbox.resetStats()
  })
  after(async () => f.close())

  it('four commands at once (two syncs with their own data dirs, fields check, patient test) stay within 7 per second together', async () => {
    const dataDir = (name: string) => {
      const dir = path.join(f.home.root, name)
      mkdirSync(dir, {recursive: true})
      return {IDENT_AMO_DATA_DIR: dir}
    }
    const limit = {AMOCRM_RATE_LIMIT: '7'}
    const [a, b, fields, patient] = await Promise.all([
      f.cli(['sync', 'full', '--dry-run', '--json'], {...limit, ...dataDir('data-a')}),
      f.cli(['sync', 'full', '--dry-run', '--json'], {...limit, ...dataDir('data-b')}),
      f.cli(['fields', 'check', '--json'], limit),
      f.cli(['patient', 'test', '--patient-id', '3', '--dry-run', '--json'], limit),
    ])
    for (const result of [a, b, fields, patient]) expectExit(result, 0)
    const reports = [parseJson<SyncReport>(a), parseJson<SyncReport>(b)]
    for (const report of reports) expect(report.api.throttled, 'requests the sync saw refused with 429').to.equal(0)

    // counted where amoCRM counts them: at the server, as they arrive
    const sent = f.sandbox.requests.filter((r) => r.path.startsWith('/api/v4/'))
    expect(sent.length, 'requests of all four').to.be.above(30)
    expect(
      sent.filter((r) => r.status === 429),
      'answered 429',
    ).to.deep.equal([])
    expect(f.sandbox.maxRequestsInWindow(1000)).to.be.at.most(7)
  })
})
