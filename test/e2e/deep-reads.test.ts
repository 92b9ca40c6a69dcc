import {expect} from 'chai'

import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {accountMismatches, contactsByPatient, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'
import {mostInWindow} from '../helpers/windows.js'

const PATIENTS = 2100
const PAGE = 250

/** A page of the full contact listing. */
function isPage(request: {method: string; path: string}): boolean {
  return request.method === 'GET' && /^\/api\/v4\/contacts\?.*\bpage=/.test(request.path)
}

describe('e2e: sync deep reads every contact exactly once while managers create contacts', function () {
  this.timeout(300_000)
  let f: SyncFixture
  /** While armed, each contacts page the sandbox answers makes a manager create a few contacts. */
  let armed = false
  let createdDuringPass = 0
  const creations: Array<Promise<unknown>> = []
  /** Contacts pages that had reached the sandbox when the first manager's contacts were made. */
  let pagesBeforeCreation: number | undefined
  let answered = 0
  let mostInFlight = 0

  before(async () => {
    f = await syncFixture({
      patients: PATIENTS,
      seed: 12,
      sandbox: {
        onRequest: (request) => {
          if (!armed) return
          mostInFlight = Math.max(mostInFlight, f.sandbox.requests.length - answered)
          answered++
          if (!isPage(request)) return
          pagesBeforeCreation ??= f.sandbox.requests.filter((r) => isPage(r)).length
          const batch = Array.from({length: 30}, (_, i) => ({first_name: 'Новый', last_name: `Клиент ${createdDuringPass + i}`}))
          createdDuringPass += batch.length
          // The control API, as a CRM manager working in the account.
          creations.push(
            fetch(`${f.sandbox.url}/_sandbox/contacts`, {
              method: 'POST',
              headers: {'content-type': 'application/json'},
              body: JSON.stringify(batch),
            }).then((r) => r.text()),
          )
        },
      },
    })
  })
  after(async () => f?.close())

  it('misses none (no linked contact re-created) and reads none twice, with pages in flight under 7 requests a second', async () => {
    expectExit(await f.cli(['sync', 'full', '--batch-size', '250']), 0)
    expect(contactsByPatient(f).size).to.equal(PATIENTS)

    f.sandbox.settings.latencyMs = 150
    f.sandbox.resetStats()
    armed = true
    const result = await f.cli(['sync', 'deep', '--json'], {AMOCRM_RATE_LIMIT: '7'})
    armed = false
    await Promise.all(creations)
    expectExit(result, 0)
    const report = parseJson<SyncReport>(result)

    // Contacts were made while the listing ran: before its last page was asked for.
    const pages = f.sandbox.requests.filter((r) => isPage(r))
    expect(createdDuringPass).to.be.greaterThan(0)
    expect(pages.length).to.be.at.least(Math.ceil(PATIENTS / PAGE))
    expect(pagesBeforeCreation).to.be.lessThan(Math.ceil(PATIENTS / PAGE))
    // Each page asked for once: nothing read twice.
    const pageNumbers = pages.map((r) => Number(new URL(r.path, f.sandbox.url).searchParams.get('page')))
    expect(new Set(pageNumbers).size).to.equal(pageNumbers.length)
    // No linked patient was taken for gone: nothing created, nothing linked anew, no duplicate.
    expect(report.counts).to.include({created: 0, linked: 0, duplicates: 0, failed: 0})
    expect(report.failures.filter((x) => x.reason === 'missing_in_ident')).to.deep.equal([])
    expect(await accountMismatches(f)).to.deep.equal([])
    // The managers' contacts are all there, left alone.
    const all = f.sandbox.store.listContacts()
    expect(all.length).to.equal(PATIENTS + createdDuringPass)
    // Several requests in flight, never more than 7 arriving in a second (the sandbox's own count). The
    // sandbox timestamps arrivals on a machine it shares with the CLI and others: a client descheduled
    // between its grant and its send shifts an arrival by more than the limiter's 0.1 s margin (meant
    // for network jitter), so the window looked at is 0.9 s, and the sustained rate over 3 s is checked too.
    expect(mostInFlight).to.be.greaterThan(1)
    const arrivals = f.sandbox.requests.map((r) => r.at)
    expect(mostInWindow(arrivals, 900), 'most arrivals in any 0.9 s').to.be.at.most(7)
    expect(mostInWindow(arrivals, 3000), 'most arrivals in any 3 s').to.be.at.most(21)
  })
})
