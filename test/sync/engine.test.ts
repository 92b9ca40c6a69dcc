import {expect} from 'chai'

import type {Patient} from '../../src/ident/types.js'
import type {PatientSource} from '../../src/sync/contacts/kind.js'
import {runSync, type SyncDeps, SyncInterruptedError, type SyncOptions} from '../../src/sync/engine.js'
import type {SyncReport} from '../../src/sync/report.js'
import {rejection} from '../amocrm/helpers.js'
import {eachFakeWorld, newPatient, silentLogger} from './fakes.js'

/** IDENT in memory: patients with the time each last changed (naive database time). */
class FakeIdent implements PatientSource {
  clock = '2026-06-01 10:00:00'
  constructor(readonly patients: Patient[]) {}

  async *readPatients(filter: {since?: string; ids?: string[]; limit?: number}): AsyncIterable<Patient> {
    let out = this.patients
    if (filter.since) out = out.filter((p) => (p.changedAt ?? '') >= filter.since!)
    if (filter.ids) out = out.filter((p) => filter.ids!.includes(p.id))
    yield* out.slice(0, filter.limit ?? out.length)
  }

  async readDatabaseClock(): Promise<string> {
    return this.clock
  }
}

const clinic = (n: number) => Array.from({length: n}, (_, i) => newPatient(i + 1, {changedAt: '2026-05-01 10:00:00'}))

describe('sync engine (the modes over the contact kind)', () => {
  const world = eachFakeWorld()
  let ident: FakeIdent

  beforeEach(async () => {
    ident = new FakeIdent(clinic(12))
  })

  function sync(options: Partial<SyncOptions>, deps: Partial<SyncDeps> = {}): Promise<SyncReport> {
    return runSync(
      {mode: 'full', dryRun: false, batchSize: 5, ...options},
      {source: ident, api: async () => world.amo, mapper: async () => world.mapper, state: world.state, logger: silentLogger(), ...deps},
    )
  }

  it('a dry run counts what it would do, sends no write and leaves no trace in the state', async () => {
    const report = await sync({dryRun: true})
    expect(report.counts).to.include({read: 12, created: 12, skipped: 0})
    expect(world.amo.writes()).to.deep.equal([])
    expect(await world.state.countLinks()).to.equal(0)
    expect(await world.state.recentRuns()).to.deep.equal([])
    expect(await world.state.getWatermark()).to.equal(undefined)
  })

  it('a full pass creates every patient once, in batches; the next one writes nothing', async () => {
    const first = await sync({})
    expect(first.counts).to.include({read: 12, created: 12, failed: 0})
    expect(world.amo.writes('create').map((c) => c.size)).to.deep.equal([5, 5, 2])
    expect(first.watermark).to.equal('2026-06-01 09:55:00')
    const second = await sync({})
    expect(second.counts).to.include({read: 12, unchanged: 12, created: 0})
    expect(world.amo.writes()).to.have.length(3)
  })

  it('a stopped run counts what it read and did not send as skipped, and the next run finishes it', async () => {
    const stop = new AbortController()
    const error = await rejection(
      sync({batchSize: 5}, {onProgress: (p) => p.phase === 'writing' && p.written === 5 && stop.abort(), signal: stop.signal}),
    )
    expect(error).to.be.instanceOf(SyncInterruptedError)
    const {counts} = (error as SyncInterruptedError).report
    expect(counts.created).to.equal(5)
    expect(counts.skipped).to.be.greaterThan(0)
    expect(counts.read).to.equal(counts.created + counts.skipped)
    expect((await world.state.recentRuns(1))[0]!.status).to.equal('interrupted')
    const again = await sync({})
    expect(again.counts).to.include({created: 12 - 5, unchanged: 5})
  })

  it('an incremental pass writes only the changed patients, from the stored hashes', async () => {
    await sync({})
    ident.patients[3] = {...ident.patients[3]!, comment: 'Новая запись', changedAt: '2026-06-01 10:01:00'}
    const before = world.amo.calls.length
    const report = await sync({mode: 'incremental'})
    expect(report.counts).to.include({read: 1, updated: 1})
    // No read of the contact: only the PATCH.
    expect(world.amo.calls.slice(before).map((c) => c.method)).to.deep.equal(['update'])
  })

  it('an incremental pass retries earlier failures and forgets those of patients gone from IDENT (a dry run forgets nothing)', async () => {
    await sync({})
    // Patient 4 changed before the watermark and its update failed: only the failure brings it back.
    ident.patients[3] = {...ident.patients[3]!, comment: 'Не записано'}
    await world.state.recordFailures([
      {patientId: '4', reason: 'api', detail: 'x'},
      {patientId: '404', reason: 'api', detail: 'x'},
    ])
    await sync({mode: 'incremental', dryRun: true})
    expect((await world.state.pendingFailures()).map((f) => f.patientId).sort()).to.deep.equal(['4', '404'])
    const report = await sync({mode: 'incremental'})
    expect(report.counts).to.include({read: 1, updated: 1})
    expect(await world.state.pendingFailures()).to.deep.equal([])
  })

  it('deep re-creates a contact deleted in the CRM and reports a linked patient gone from IDENT', async () => {
    await sync({})
    const gone = world.amo.contactsOf(world.mapper, '2')[0]!
    world.amo.store.deleteContact(gone.id)
    ident.patients.splice(11, 1)
    const report = await sync({mode: 'deep'})
    expect(report.counts).to.include({created: 1, unchanged: 10})
    expect(world.amo.contactsOf(world.mapper, '2')).to.have.length(1)
    expect(report.failures.map((f) => [f.patientId, f.reason])).to.deep.equal([['12', 'missing_in_ident']])
  })
})
