import type {ContactWrite} from '../../src/amocrm/types.js'
import {expect} from 'chai'

import {AmoHttpError} from '../../src/amocrm/errors.js'
import {contactTarget} from '../../src/sync/contacts/kind.js'
import {type ContactStep, type PendingLink, planContact} from '../../src/sync/contacts/planner.js'
import {LOOK_UP} from '../../src/sync/kind.js'
import type {Outcome} from '../../src/sync/plan.js'
import {BatchWriter, type WriteOp} from '../../src/sync/writer.js'
import {rejection} from '../amocrm/helpers.js'
import {eachFakeWorld, newPatient, silentLogger} from './fakes.js'

/** What the writer reported, in order. */
interface Seen {
  settled: Array<{key: string; outcome: Outcome; wrote: boolean}>
  failed: Array<{key: string; reason: string}>
  refused: Array<{key: string; field: string}>
  dead: string[]
  duplicates: Array<{key: string; ids: number[]}>
}

describe('sync writer (batches → amoCRM → state)', () => {
  const world = eachFakeWorld()
  let seen: Seen

  beforeEach(async () => {
    seen = {settled: [], failed: [], refused: [], dead: [], duplicates: []}
  })

  function writer(batchSize: number): BatchWriter<ContactWrite, PendingLink> {
    return new BatchWriter({
      // one batch at a time; a create whose outcome is unknown is parked for a moment only
      inFlight: {concurrency: 1, rate: 7, parkMs: 10},
      target: contactTarget({api: async () => world.amo, state: world.state, mapper: world.mapper}),
      batchSize,
      logger: silentLogger(),
      now: () => new Date(world.amo.nowS * 1000),
      events: {
        settled: (key, outcome, wrote) => seen.settled.push({key, outcome, wrote}),
        failed: (key, reason) => seen.failed.push({key, reason}),
        refused: (key, field) => seen.refused.push({key, field}),
        deadLink: (op: WriteOp<ContactWrite, PendingLink>) => seen.dead.push(op.key),
        duplicates: (key, ids) => seen.duplicates.push({key, ids}),
      },
    })
  }

  /** The create step the planner makes for a new patient. */
  function createStep(id: number, overrides: Parameters<typeof newPatient>[1] = {}): ContactStep {
    const desired = world.mapper.desired(newPatient(id, overrides))
    return step(
      planContact(world.mapper, {
        desired,
        link: undefined,
        match: {contact: null, via: 'none', duplicates: [], deadLink: false},
        compareWithAmo: false,
      }),
    )
  }

  function step(planned: ContactStep | typeof LOOK_UP): ContactStep {
    if (planned === LOOK_UP) throw new Error('unexpected look-up')
    return planned
  }

  async function contactsPerPatient(ids: number[]): Promise<number[]> {
    return ids.map((id) => world.amo.contactsOf(world.mapper, String(id)).length)
  }

  it('sends creates in batches of the batch size and records each confirmed batch', async () => {
    const w = writer(3)
    const ids = [1, 2, 3, 4, 5, 6, 7]
    for (const id of ids) await w.execute(createStep(id))
    // Two full batches went as soon as they were full; the last one waits for flush.
    expect(world.amo.writes('create').map((c) => c.size)).to.deep.equal([3, 3])
    expect(await world.state.countLinks()).to.equal(6)
    await w.flush()
    expect(world.amo.writes('create').map((c) => c.size)).to.deep.equal([3, 3, 1])
    expect(await contactsPerPatient(ids)).to.deep.equal([1, 1, 1, 1, 1, 1, 1])
    const links = await world.state.getLinks(ids.map(String))
    for (const id of ids) expect(links.get(String(id))?.contactId).to.equal(world.amo.contactsOf(world.mapper, String(id))[0]!.id)
    expect(seen.settled.map((s) => s.outcome)).to.deep.equal(Array(7).fill('created'))
    expect(seen.settled.every((s) => s.wrote)).to.equal(true)
  })

  it('records a step with nothing to send at once, without a request', async () => {
    const w = writer(50)
    const record: PendingLink = {...createStep(9).record!}
    await w.execute({
      key: '9',
      action: 'link',
      remoteId: 4242,
      via: 'id_field',
      write: null,
      record,
      fields: [],
      duplicates: [],
      deadLink: false,
    })
    expect(world.amo.calls).to.deep.equal([])
    expect((await world.state.getLink('9'))?.contactId).to.equal(4242)
    expect(seen.settled).to.deep.equal([{key: '9', outcome: 'linked', wrote: false}])
  })

  it('drops a value amoCRM refuses, writes the contact without it, and remembers the refusal in the link', async () => {
    const w = writer(10)
    await w.execute(createStep(1, {birthday: '1950-02-03'}))
    await w.execute(createStep(2))
    await w.flush()
    // The whole batch was refused once, then resent without the birthday.
    expect(world.amo.writes('create').map((c) => c.size)).to.deep.equal([2, 2])
    expect(seen.refused).to.deep.equal([{key: '1', field: 'birthday'}])
    expect(await contactsPerPatient([1, 2])).to.deep.equal([1, 1])
    const link = await world.state.getLink('1')
    expect(Object.keys(link!.refusedFields)).to.deep.equal(['birthday'])
    expect(seen.failed).to.deep.equal([])
  })

  it('leaves out a pre-1970 date amoCRM already refused in this run, instead of paying a refused request again', async () => {
    const w = writer(1)
    await w.execute(createStep(1, {birthday: '1950-02-03'}))
    await w.execute(createStep(2, {birthday: '1948-07-08'}))
    await w.flush()
    expect(world.amo.writes('create').map((c) => c.size)).to.deep.equal([1, 1, 1])
    expect(seen.refused.map((r) => r.key)).to.deep.equal(['1', '2'])
    expect(await contactsPerPatient([1, 2])).to.deep.equal([1, 1])
  })

  it('fails an element it cannot repair (reported and recorded), and writes the rest of its batch', async () => {
    const w = writer(10)
    const bad = createStep(1)
    if (!bad.write) throw new Error('a create step has a write')
    bad.write.payload = {...bad.write.payload, name: 'Я'.repeat(300)}
    await w.execute(bad)
    await w.execute(createStep(2))
    await w.flush()
    expect(seen.failed).to.deep.equal([{key: '1', reason: 'validation'}])
    expect(await contactsPerPatient([1, 2])).to.deep.equal([0, 1])
    const failures = await world.state.pendingFailures()
    expect(failures.map((f) => [f.patientId, f.reason])).to.deep.equal([['1', 'validation']])
  })

  it('hands back an update whose contact was deleted in the CRM, and forgets its link', async () => {
    const w = writer(10)
    await w.execute(createStep(1))
    await w.execute(createStep(2))
    await w.flush()
    const [gone, kept] = [world.amo.contactsOf(world.mapper, '1')[0]!, world.amo.contactsOf(world.mapper, '2')[0]!]
    world.amo.store.deleteContact(gone.id)
    for (const [id, contact] of [
      [1, gone],
      [2, kept],
    ] as const) {
      await w.execute({
        key: String(id),
        action: 'update',
        remoteId: contact.id,
        via: 'link',
        write: {method: 'update', payload: {id: contact.id, last_name: 'Новая'}},
        record: {...createStep(id).record!},
        fields: ['last_name'],
        duplicates: [],
        deadLink: false,
      })
    }
    await w.flush()
    expect(seen.dead).to.deep.equal(['1'])
    expect(await world.state.getLink('1')).to.equal(undefined)
    expect(world.amo.store.getContact(kept.id)?.last_name).to.equal('Новая')
    expect(seen.settled.filter((s) => s.outcome === 'updated').map((s) => s.key)).to.deep.equal(['2'])
  })

  describe('a create whose outcome is unknown', () => {
    it('was applied: reconciled and linked, never sent again', async () => {
      world.amo.createFaults.push('apply-then-unknown')
      const w = writer(5)
      for (const id of [1, 2, 3]) await w.execute(createStep(id))
      await w.flush()
      expect(world.amo.writes('create')).to.have.length(1)
      expect(await contactsPerPatient([1, 2, 3])).to.deep.equal([1, 1, 1])
      expect(await world.state.countLinks()).to.equal(3)
      expect(seen.failed).to.deep.equal([])
    })

    it('was not applied: sent again after the reconciliation found nothing', async () => {
      world.amo.createFaults.push('unknown')
      const w = writer(5)
      for (const id of [1, 2]) await w.execute(createStep(id))
      await w.flush()
      expect(world.amo.writes('create')).to.have.length(2)
      expect(await contactsPerPatient([1, 2])).to.deep.equal([1, 1])
    })

    it('was applied twice: the oldest contact is linked, both are reported as duplicates', async () => {
      world.amo.createFaults.push('apply-twice-then-unknown')
      const w = writer(5)
      await w.execute(createStep(1))
      await w.flush()
      const made = world.amo.contactsOf(world.mapper, '1').map((c) => c.id)
      expect(made).to.have.length(2)
      expect((await world.state.getLink('1'))?.contactId).to.equal(Math.min(...made))
      expect(seen.duplicates).to.deep.equal([{key: '1', ids: made.sort((a, b) => a - b)}])
    })

    it('stays unknown: after three sends the patients fail as outcome_unknown, for the next run to reconcile', async () => {
      world.amo.createFaults.push('unknown', 'unknown', 'unknown')
      const w = writer(5)
      for (const id of [1, 2]) await w.execute(createStep(id))
      await w.flush()
      expect(seen.failed).to.deep.equal([
        {key: '1', reason: 'outcome_unknown'},
        {key: '2', reason: 'outcome_unknown'},
      ])
      expect((await world.state.pendingFailures()).map((f) => f.reason)).to.deep.equal(['outcome_unknown', 'outcome_unknown'])
      expect(await world.state.countLinks()).to.equal(0)
      expect(world.amo.writes('create')).to.have.length(3)
    })
  })

  it('a fatal answer stops the writer: the batch is neither recorded nor failed, so the next run sends it again', async () => {
    const w = writer(2)
    const fatal = new AmoHttpError(403, 'blocked')
    world.amo.createContacts = async () => {
      throw fatal
    }
    await w.execute(createStep(1))
    expect(await rejection(w.execute(createStep(2)))).to.equal(fatal)
    expect(await world.state.countLinks()).to.equal(0)
    expect(await world.state.pendingFailures()).to.deep.equal([])
    expect(seen.settled).to.deep.equal([])
  })
})
