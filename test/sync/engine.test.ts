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

  it('an incremental pass reads the links of the changed patients with one query per group, not one per patient', async () => {
    await sync({})
    for (const p of ident.patients) p.changedAt = '2026-06-01 11:00:00'
    ident.patients[0]!.surname = 'Изменённая'
    const asked: number[] = []
    const getLinks = world.state.getLinks.bind(world.state)
    world.state.getLinks = async (ids) => {
      asked.push(ids.length)
      return getLinks(ids)
    }
    const report = await sync({mode: 'incremental'})
    expect(report.counts).to.include({read: 12, updated: 1, unchanged: 11})
    expect(asked).to.deep.equal([12])
  })

  it('an incremental pass sends what has come while IDENT is still finding more (a short batch, not a wait for a full one)', async () => {
    await sync({})
    const writesBefore = world.amo.writes('update').length
    for (const p of ident.patients.slice(0, 5)) p.surname = `Изменённая ${p.id}`
    // Patients 1–3 come at once; 4 and 5 only after a statement that runs until the test lets it end.
    let release = (): void => undefined
    const scan = new Promise<void>((resolve) => (release = resolve))
    let scanEnded = false
    let firstSentBeforeScanEnded: boolean | undefined
    ident.readPatients = async function* (filter) {
      if (!filter.since) return
      yield* ident.patients.slice(0, 3)
      await scan
      scanEnded = true
      yield* ident.patients.slice(3, 5)
    }
    const hold = setTimeout(release, 5000)
    world.amo.hold = async () => {
      firstSentBeforeScanEnded ??= !scanEnded
      release()
    }
    const report = await sync({mode: 'incremental', batchSize: 250})
    clearTimeout(hold)
    expect(report.counts).to.include({read: 5, updated: 5, failed: 0})
    expect(firstSentBeforeScanEnded, 'the first update sent before the slow statement ended').to.equal(true)
    expect(
      world.amo
        .writes('update')
        .slice(writesBefore)
        .map((w) => w.size),
    ).to.deep.equal([3, 2])
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

describe('sync engine: planning while the contact index is read (sync full / deep)', () => {
  const world = eachFakeWorld()
  let ident: FakeIdent

  beforeEach(async () => {
    ident = new FakeIdent(clinic(12))
    await runSync({mode: 'full', dryRun: false, batchSize: 5}, deps())
    world.amo.listPageSize = 3
  })

  function deps(): SyncDeps {
    return {source: ident, api: async () => world.amo, mapper: async () => world.mapper, state: world.state, logger: silentLogger()}
  }

  /** Holds the listing before its page `n` until a write is sent, or fails after a while. */
  function holdListingUntilAWrite(n: number): {held: Promise<void>} {
    let sent: () => void = () => undefined
    const written = new Promise<void>((resolve) => (sent = resolve))
    const hold = world.amo.hold
    world.amo.hold = async (call) => {
      sent()
      await hold?.(call)
    }
    let held!: Promise<void>
    world.amo.listHold = async (page) => {
      if (page !== n) return
      held = Promise.race([
        written,
        new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no write was sent while page ${n} was held`)), 3000)),
      ])
      await held
    }
    return {
      get held() {
        return held
      },
    }
  }

  it('deep writes the drift of patients whose contacts were read while later pages are still to come, and reports duplicates as the whole index would', async () => {
    // Patients 1–6 are on the listing's first two pages (3 contacts a page); their names drift in amoCRM.
    const firstSix = ['1', '2', '3', '4', '5', '6'].map((id) => world.amo.contactsOf(world.mapper, id)[0]!)
    world.amo.store.patchContacts(
      firstSix.map((c) => ({id: c.id, first_name: 'Изменено'})),
      'api',
    )
    // Another contact carrying patient 2's id comes last, on the listing's last page.
    const [extra] = world.amo.store.createContacts([
      {name: 'Дубль', custom_fields_values: [{field_id: world.mapper.resolved.ident_id!.id, values: [{value: '2'}]}]},
    ])
    const listing = holdListingUntilAWrite(4)
    const report = await runSync({mode: 'deep', dryRun: false, batchSize: 5}, deps())
    await listing.held
    expect(report.counts).to.include({read: 12, updated: 6, unchanged: 6, created: 0, failed: 0})
    expect(report.duplicates.map((d) => ('patientId' in d ? [d.patientId, d.contactIds] : []))).to.deep.equal([
      ['2', [firstSix[1]!.id, extra!.id]],
    ])
    for (const c of firstSix) expect(world.amo.store.getContact(c.id)!.first_name).not.to.equal('Изменено')
  })

  it('a re-run of sync full plans the linked patients page by page, and a dead link still waits for the whole index', async () => {
    const gone = world.amo.contactsOf(world.mapper, '1')[0]!
    world.amo.store.deleteContact(gone.id)
    const changed = ident.patients.slice(1, 6).map((p) => ({...p, mobilePhone: '+7 916 000-00-0' + p.id}))
    ident.patients.splice(1, 5, ...changed)
    const listing = holdListingUntilAWrite(3)
    const report = await runSync({mode: 'full', dryRun: false, batchSize: 5}, deps())
    await listing.held
    expect(report.counts).to.include({read: 12, created: 1, updated: 5, unchanged: 6, failed: 0})
    expect(world.amo.contactsOf(world.mapper, '1')).to.have.length(1)
    expect(report.duplicates).to.deep.equal([])
  })
})

describe('sync engine: the first page of contacts and the mapping, asked for together', () => {
  const world = eachFakeWorld()

  it('sync full asks for the listing’s first page while the account and its fields are still being read', async () => {
    const ident = new FakeIdent(clinic(3))
    let listedBeforeMapping = false
    const mapper = async () => {
      // The mapping's own requests take one answer's time: the first page is on its way meanwhile.
      for (let turn = 0; turn < 50 && !world.amo.calls.some((c) => c.method === 'list'); turn++)
        await new Promise((resolve) => setTimeout(resolve, 5))
      listedBeforeMapping = world.amo.calls.some((c) => c.method === 'list')
      return world.mapper
    }
    const report = await runSync(
      {mode: 'full', dryRun: false, batchSize: 5},
      {source: ident, api: async () => world.amo, mapper, state: world.state, logger: silentLogger()},
    )
    expect(listedBeforeMapping, 'a page was asked for before the mapping was ready').to.equal(true)
    expect(report.counts).to.include({read: 3, created: 3})
    expect(world.amo.calls.filter((c) => c.method === 'list')).to.have.length(1)
  })
})
