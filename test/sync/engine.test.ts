import {expect} from 'chai'

import type {Patient} from '../../src/ident/types.js'
import type {FieldsMapper} from '../../src/sync/contacts/fields-mapper.js'
import type {PatientSource} from '../../src/sync/contacts/kind.js'
import {runSync, type SyncDeps, SyncInterruptedError, type SyncOptions} from '../../src/sync/engine.js'
import type {SyncReport} from '../../src/sync/report.js'
import type {SyncState} from '../../src/sync/state.js'
import {rejection} from '../amocrm/helpers.js'
import {type FakeAmo, type FakeWorld, fakeWorld, newPatient, silentLogger} from './fakes.js'

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
  let world: FakeWorld
  let amo: FakeAmo
  let mapper: FieldsMapper
  let state: SyncState
  let ident: FakeIdent

  beforeEach(async () => {
    world = await fakeWorld()
    ;({amo, mapper, state} = world)
    ident = new FakeIdent(clinic(12))
  })
  afterEach(async () => world.close())

  function sync(options: Partial<SyncOptions>, deps: Partial<SyncDeps> = {}): Promise<SyncReport> {
    return runSync(
      {mode: 'full', dryRun: false, batchSize: 5, ...options},
      {source: ident, api: async () => amo, mapper: async () => mapper, state, logger: silentLogger(), ...deps},
    )
  }

  it('a dry run counts what it would do, sends no write and leaves no trace in the state', async () => {
    const report = await sync({dryRun: true})
    expect(report.counts).to.include({read: 12, created: 12, skipped: 0})
    expect(amo.writes()).to.deep.equal([])
    expect(await state.countLinks()).to.equal(0)
    expect(await state.recentRuns()).to.deep.equal([])
    expect(await state.getWatermark()).to.equal(undefined)
  })

  it('a full pass creates every patient once, in batches; the next one writes nothing', async () => {
    const first = await sync({})
    expect(first.counts).to.include({read: 12, created: 12, failed: 0})
    expect(amo.writes('create').map((c) => c.size)).to.deep.equal([5, 5, 2])
    expect(first.watermark).to.equal('2026-06-01 09:55:00')
    const second = await sync({})
    expect(second.counts).to.include({read: 12, unchanged: 12, created: 0})
    expect(amo.writes()).to.have.length(3)
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
    expect((await state.recentRuns(1))[0]!.status).to.equal('interrupted')
    const again = await sync({})
    expect(again.counts).to.include({created: 12 - 5, unchanged: 5})
  })

  it('an incremental pass writes only the changed patients, from the stored hashes', async () => {
    await sync({})
    ident.patients[3] = {...ident.patients[3]!, comment: 'Новая запись', changedAt: '2026-06-01 10:01:00'}
    const before = amo.calls.length
    const report = await sync({mode: 'incremental'})
    expect(report.counts).to.include({read: 1, updated: 1})
    // No read of the contact: only the PATCH.
    expect(amo.calls.slice(before).map((c) => c.method)).to.deep.equal(['update'])
  })

  it('an incremental pass retries earlier failures and forgets those of patients gone from IDENT (a dry run forgets nothing)', async () => {
    await sync({})
    // Patient 4 changed before the watermark and its update failed: only the failure brings it back.
    ident.patients[3] = {...ident.patients[3]!, comment: 'Не записано'}
    await state.recordFailures([
      {patientId: '4', reason: 'api', detail: 'x'},
      {patientId: '404', reason: 'api', detail: 'x'},
    ])
    await sync({mode: 'incremental', dryRun: true})
    expect((await state.pendingFailures()).map((f) => f.patientId).sort()).to.deep.equal(['4', '404'])
    const report = await sync({mode: 'incremental'})
    expect(report.counts).to.include({read: 1, updated: 1})
    expect(await state.pendingFailures()).to.deep.equal([])
  })

  it('deep re-creates a contact deleted in the CRM and reports a linked patient gone from IDENT', async () => {
    await sync({})
    const gone = amo.contactsOf(mapper, '2')[0]!
    amo.store.deleteContact(gone.id)
    ident.patients.splice(11, 1)
    const report = await sync({mode: 'deep'})
    expect(report.counts).to.include({created: 1, unchanged: 10})
    expect(amo.contactsOf(mapper, '2')).to.have.length(1)
    expect(report.failures.map((f) => [f.patientId, f.reason])).to.deep.equal([['12', 'missing_in_ident']])
  })
})
