import {expect} from 'chai'

import type {FaultSpec} from '../../src/sandbox/index.js'
import {SyncState} from '../../src/sync/state.js'
import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson, startCli, waitFor} from '../helpers/cli.js'
import {accountMismatches, contactsByPatient, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/** amoCRM's own limit, on the sandbox too: what the tool must never exceed. */
const AMO_RATE = {rateLimit: 7}
const IN_FLIGHT_ENV = {AMOCRM_RATE_LIMIT: '7', AMOCRM_CONCURRENCY: '8'}

function posts(f: SyncFixture): number {
  return f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'})
}

/** Creates sent other than those amoCRM refused before applying anything (429, or 400 for a value it refuses): one per batch when none was sent twice. */
function createsApplied(f: SyncFixture): number {
  const refused = f.sandbox.requests.filter(
    (r) => r.method === 'POST' && r.path.startsWith('/api/v4/contacts') && (r.status === 429 || r.status === 400),
  )
  return posts(f) - refused.length
}

/**
 * Leaves birthdays out of the mapping: a third of the sample clinic is born before 1970, which amoCRM
 * refuses, and a batch refused for it is sent twice. Without them each batch applies whole at its
 * first send, so the creates sent can be counted exactly.
 */
async function withoutBirthdays(f: SyncFixture): Promise<void> {
  expectExit(await f.cli(['config', 'set', 'fields.birthday', 'false']), 0)
}

describe('e2e: writes in flight against a sandbox with latency and faults', function () {
  this.timeout(240_000)

  it('429s, 500s on GETs and writes applied-then-failed, several batches in flight: one correct contact per patient, never over 7 requests a second', async () => {
    const f = await syncFixture({patients: 400, seed: 31, sandbox: {latencyMs: 300, ...AMO_RATE}})
    try {
      await withoutBirthdays(f)
      f.sandbox.faults.add({kind: '500', method: 'GET', path: '/api/v4/contacts', times: 2})
      f.sandbox.faults.add({kind: '429', method: 'POST', path: '/api/v4/contacts', times: 2})
      f.sandbox.faults.add({kind: 'apply-then-500', method: 'POST', path: '/api/v4/contacts'})
      f.sandbox.faults.add({kind: 'apply-then-drop', method: 'POST', path: '/api/v4/contacts'})
      const result = await f.cli(['sync', 'full', '--json', '--batch-size', '25'], IN_FLIGHT_ENV)
      expectExit(result, 0)
      const report = parseJson<SyncReport>(result)
      expect(report.counts).to.include({read: 400, created: 400, failed: 0, duplicates: 0})
      expect(await accountMismatches(f)).to.deep.equal([])
      expect(f.sandbox.store.countContacts()).to.equal(400)
      // the faults were met: two 500s to GETs and the two 429s
      expect(f.sandbox.requests.filter((r) => r.status === 500 && r.method === 'GET')).to.have.length(2)
      expect(f.sandbox.requests.filter((r) => r.status === 429).length).to.be.at.least(2)
      // batches were in flight together, yet amoCRM's counter never saw more than 7 in a second
      expect(f.sandbox.maxRequestsInFlight()).to.be.at.least(2)
      // (arrival times are taken by a server sharing two CPUs with the client: a send descheduled between its
      // grant and the wire shifts by more than the limiter's 0.1 s margin, so 0.9 s is looked at, and 3 s)
      expect(f.sandbox.maxRequestsInWindow(900), 'most arrivals in any 0.9 s').to.be.at.most(7)
      expect(f.sandbox.maxRequestsInWindow(3000), 'most arrivals in any 3 s').to.be.at.most(21)
      // the two creates whose answer was lost were found applied, not sent again: one send per batch of 25
      expect(createsApplied(f)).to.equal(16)
    } finally {
      await f.close()
    }
  })

  const lateCreates: Array<{title: string; fault: FaultSpec; timeoutMs: string; seed: number}> = [
    {
      title: 'a create answered 504 at once and applied 0.5–5 s later',
      // parked for 1.5 × 4 s: past the latest the sandbox applies it
      fault: {kind: '504-then-apply', method: 'POST', path: '/api/v4/contacts'},
      timeoutMs: '4000',
      seed: 32,
    },
    {
      title: 'a create held past the client timeout (2 s) and then applied',
      fault: {kind: 'hold-then-apply', method: 'POST', path: '/api/v4/contacts', applyAfterMs: 2500},
      timeoutMs: '2000',
      seed: 33,
    },
  ]
  for (const late of lateCreates)
    it(`${late.title} is found, not sent again: one contact per patient`, async () => {
      const f = await syncFixture({patients: 200, seed: late.seed, sandbox: {latencyMs: 100}})
      try {
        await withoutBirthdays(f)
        f.sandbox.faults.add(late.fault)
        const result = await f.cli(['sync', 'full', '--json', '--batch-size', '25'], {
          ...IN_FLIGHT_ENV,
          AMOCRM_REQUEST_TIMEOUT_MS: late.timeoutMs,
        })
        expectExit(result, 0)
        const report = parseJson<SyncReport>(result)
        expect(report.counts).to.include({created: 200, failed: 0, duplicates: 0})
        // the fault was met, and its batch was not sent a second time: one send per batch of 25
        expect(f.sandbox.stats().faults).to.deep.equal([])
        expect(createsApplied(f)).to.equal(8)
        expect(f.sandbox.store.countContacts()).to.equal(200)
        expect(await accountMismatches(f)).to.deep.equal([])
      } finally {
        await f.close()
      }
    })

  it('a create applied later than anyone could wait makes a duplicate, and it is reported, not hidden', async () => {
    const f = await syncFixture({patients: 40, seed: 34, sandbox: {latencyMs: 50}})
    try {
      await withoutBirthdays(f)
      // answered 504, applied 6 s later: after the 1.5 s park the batch is sent again
      f.sandbox.faults.add({kind: '504-then-apply', method: 'POST', path: '/api/v4/contacts', applyAfterMs: 6000})
      const first = await f.cli(['sync', 'full', '--json', '--batch-size', '10'], {AMOCRM_REQUEST_TIMEOUT_MS: '1000'})
      expectExit(first, 0)
      await waitFor(() => f.sandbox.store.countContacts() === 50, 20_000)
      const doubled = [...contactsByPatient(f)].filter(([, contacts]) => contacts.length > 1).map(([id]) => id)
      expect(doubled).to.have.length(10)
      // reported by the run that made it if it landed in time, else by the next one
      const second = await f.cli(['sync', 'full', '--json'])
      expectExit(second, 0)
      const reported = new Set(
        [parseJson<SyncReport>(first), parseJson<SyncReport>(second)].flatMap((r) =>
          r.duplicates.flatMap((d) => ('patientId' in d ? [d.patientId] : [])),
        ),
      )
      expect([...reported].sort()).to.deep.equal([...doubled].sort())
    } finally {
      await f.close()
    }
  })

  it('a storm of 502s on creates: each batch is sent at most three times, parked longer each time; the next run creates them', async () => {
    const f = await syncFixture({patients: 30, seed: 37, sandbox: {latencyMs: 50}})
    try {
      await withoutBirthdays(f)
      f.sandbox.faults.add({kind: '502', method: 'POST', path: '/api/v4/contacts', times: 1000})
      // parked 1.5 s, then 3 s, then 4.5 s at a 1 s timeout
      const first = await f.cli(['sync', 'full', '--json', '--batch-size', '10'], {AMOCRM_REQUEST_TIMEOUT_MS: '1000'})
      expectExit(first, 3)
      const report = parseJson<SyncReport>(first)
      expect(report.counts).to.include({created: 0, failed: 30})
      expect(new Set(report.failures.map((x) => x.reason))).to.deep.equal(new Set(['outcome_unknown']))
      expect(posts(f)).to.equal(3 * 3)
      f.sandbox.faults.clear()
      const second = await f.cli(['sync', 'incremental', '--json'])
      expectExit(second, 0)
      expect(parseJson<SyncReport>(second).counts.created).to.equal(30)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('kill -9 with batches in flight, then a re-run: no duplicate, no lost patient', async () => {
    const f = await syncFixture({patients: 300, seed: 35, sandbox: {latencyMs: 300}})
    try {
      const run = startCli(['sync', 'full', '--batch-size', '10'], {env: {...f.env, AMOCRM_CONCURRENCY: '8'}, cwd: f.home.root})
      await waitFor(() => f.sandbox.store.countContacts() >= 60, 60_000)
      run.child.kill('SIGKILL')
      const killed = await run.exited
      expect(killed.signal).to.equal('SIGKILL')
      expect(f.sandbox.maxRequestsInFlight()).to.be.at.least(2)
      const partial = f.sandbox.store.countContacts()
      expect(partial).to.be.lessThan(300)

      const again = await f.cli(['sync', 'full', '--json', '--batch-size', '50'])
      expectExit(again, 0)
      expect(f.sandbox.store.countContacts()).to.equal(300)
      expect(parseJson<SyncReport>(again).counts.duplicates).to.equal(0)
      expect(await accountMismatches(f)).to.deep.equal([])
    } finally {
      await f.close()
    }
  })

  it('a fatal answer (402) with batches in flight: nothing new is sent, what was confirmed is recorded, --json carries the report', async () => {
    const f = await syncFixture({patients: 300, seed: 36, sandbox: {latencyMs: 300}})
    try {
      await withoutBirthdays(f)
      const run = startCli(['sync', 'full', '--json', '--batch-size', '10'], {env: {...f.env, AMOCRM_CONCURRENCY: '8'}, cwd: f.home.root})
      // the subscription lapses once some contacts are made, while batches are in flight
      await waitFor(() => f.sandbox.store.countContacts() >= 30, 60_000)
      f.sandbox.faults.add({kind: '402', times: 1000})
      const result = await run.exited
      expect(result.code).to.equal(1)
      const doc = parseJson<{error: {code: string; hint: string}; report: SyncReport}>(result)
      expect(doc.error.code).to.equal('E_PAYMENT_REQUIRED')
      expect(doc.error.hint).to.include('pay for the amoCRM account')
      // every contact amoCRM made is counted and linked: the batches in flight were awaited and recorded
      const made = f.sandbox.store.countContacts()
      expect(doc.report.counts.created).to.equal(made)
      const state = await SyncState.open(f.home.dataDir)
      try {
        expect(await state.countLinks()).to.equal(made)
      } finally {
        await state.close()
      }
      // after the first 402 only what was already in flight arrived; without the stop 30 batches would have gone
      const first402 = f.sandbox.requests.findIndex((r) => r.status === 402)
      expect(f.sandbox.requests.length - first402 - 1).to.be.below(8)
      expect(posts(f)).to.be.below(30)
    } finally {
      await f.close()
    }
  })
})
