import type {ContactWrite} from '../../src/amocrm/types.js'
import {expect} from 'chai'

import {AmoPaymentRequiredError} from '../../src/amocrm/errors.js'
import {contactTarget} from '../../src/sync/contacts/kind.js'
import {type ContactStep, type PendingLink, planContact} from '../../src/sync/contacts/planner.js'
import {LOOK_UP} from '../../src/sync/kind.js'
import {BatchWriter, type InFlightOptions, MAX_IN_FLIGHT} from '../../src/sync/writer.js'
import {rejection} from '../amocrm/helpers.js'
import {eachFakeWorld, newPatient, silentLogger} from './fakes.js'

/** A write the test answers when it chooses. */
interface HeldWrite {
  method: 'create' | 'update'
  index: number
  answer: () => void
}

describe('sync writer with batches in flight (no process, no server)', () => {
  const world = eachFakeWorld()
  let held: HeldWrite[]
  let seen: {settled: string[]; failed: Array<{key: string; reason: string}>; duplicates: Array<{key: string; ids: number[]}>}

  beforeEach(() => {
    held = []
    seen = {settled: [], failed: [], duplicates: []}
  })

  /** Every write waits until the test answers it (`held`). */
  function holdWrites(): void {
    world.amo.hold = (call) => new Promise<void>((resolve) => held.push({...call, answer: resolve}))
  }

  function writer(batchSize: number, inFlight: Partial<InFlightOptions> = {}, answerMs = 1000): BatchWriter<ContactWrite, PendingLink> {
    return new BatchWriter({
      target: contactTarget({api: async () => world.amo, state: world.state, mapper: world.mapper}),
      batchSize,
      logger: silentLogger(),
      now: () => new Date(world.amo.nowS * 1000),
      inFlight: {concurrency: 4, rate: 7, parkMs: 50, ...inFlight},
      answerMs: () => answerMs,
      events: {
        settled: (key) => seen.settled.push(key),
        failed: (key, reason) => seen.failed.push({key, reason}),
        refused: () => {},
        deadLink: () => {},
        duplicates: (key, ids) => seen.duplicates.push({key, ids}),
      },
    })
  }

  function createStep(id: number, overrides: Parameters<typeof newPatient>[1] = {}): ContactStep {
    const planned = planContact(world.mapper, {
      desired: world.mapper.desired(newPatient(id, overrides)),
      link: undefined,
      match: {contact: null, via: 'none', duplicates: [], deadLink: false},
      compareWithAmo: false,
    })
    if (planned === LOOK_UP) throw new Error('unexpected look-up')
    return planned
  }

  /** Sends one batch (patient 99) through the writer, answered at once: after it, batches go in flight together. */
  async function warm(w: BatchWriter<ContactWrite, PendingLink>): Promise<void> {
    await w.execute(createStep(99))
    await w.flush()
    seen.settled.length = 0
  }

  /** Lets every promise that can settle do so (the fake answers without I/O). */
  async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  async function linked(ids: number[]): Promise<string[]> {
    const links = await world.state.getLinks(ids.map(String))
    return ids.map(String).filter((id) => links.has(id))
  }

  function contactsPerPatient(ids: number[]): number[] {
    return ids.map((id) => world.amo.contactsOf(world.mapper, String(id)).length)
  }

  /** A writer whose first batch has ended: from then on the in-flight limit follows the answer time. */
  async function warmWriter(inFlight: Partial<InFlightOptions>, answerMs: number): Promise<BatchWriter<ContactWrite, PendingLink>> {
    const w = writer(1, inFlight, answerMs)
    expect(w.inFlightLimit(), 'the first batch goes alone').to.equal(1)
    await w.execute(createStep(1000 + Math.round(answerMs)))
    await w.flush()
    return w
  }

  it('keeps rate × answer time batches in flight, within AMOCRM_CONCURRENCY and the bound of 16', async () => {
    expect((await warmWriter({concurrency: 16}, 50)).inFlightLimit()).to.equal(1)
    expect((await warmWriter({concurrency: 16}, 1000)).inFlightLimit()).to.equal(7)
    expect((await warmWriter({concurrency: 16}, 1500)).inFlightLimit()).to.equal(11)
    expect((await warmWriter({concurrency: 16}, 10_000)).inFlightLimit()).to.equal(MAX_IN_FLIGHT)
    expect((await warmWriter({concurrency: 4}, 1500)).inFlightLimit()).to.equal(4)
    expect((await warmWriter({concurrency: 1}, 1500)).inFlightLimit()).to.equal(1)
  })

  it('sends the first batch alone until its first answer: a date before 1970 it refused is left out of the batches after it, sent while it is sent again', async () => {
    holdWrites()
    const w = writer(1, {concurrency: 4})
    let firstDone = false
    const first = w.execute(createStep(1, {birthday: '1950-02-03'})).then(() => (firstDone = true))
    await settle()
    // in flight alone: the engine plans nothing more until amoCRM has answered it
    expect(held).to.have.length(1)
    expect(firstDone).to.equal(false)
    held[0]!.answer() // refused for the birthday
    await settle()
    // sent again without it; what amoCRM refuses is known now, so planning goes on meanwhile
    expect(held).to.have.length(2)
    await first
    await w.execute(createStep(2, {birthday: '1948-07-08'}))
    await settle()
    expect(held, 'the second batch left while the first was sent again').to.have.length(3)
    held[2]!.answer()
    held[1]!.answer()
    await w.flush()
    // patient 2 went without its birthday at once: one refused request in the run
    expect(world.amo.writes('create')).to.have.length(3)
    expect(contactsPerPatient([1, 2])).to.deep.equal([1, 1])
    expect(w.inFlightLimit()).to.equal(4)
  })

  it('sends the next batch while earlier ones are unanswered, and records each batch when it is confirmed, in any order', async () => {
    const w = writer(2, {concurrency: 3})
    await warm(w)
    holdWrites()
    for (const id of [1, 2, 3, 4, 5]) await w.execute(createStep(id))
    // the third batch fills the last slot: planning goes on once one of the three has ended
    const planning = w.execute(createStep(6))
    await settle()
    // three batches sent, none answered yet
    expect(held).to.have.length(3)
    expect(await linked([1, 2, 3, 4, 5, 6])).to.deep.equal([])

    held[2]!.answer()
    await planning
    await settle()
    expect(await linked([1, 2, 3, 4, 5, 6])).to.deep.equal(['5', '6'])
    held[0]!.answer()
    await settle()
    expect(await linked([1, 2, 3, 4, 5, 6])).to.deep.equal(['1', '2', '5', '6'])

    const flushed = w.flush()
    held[1]!.answer()
    await flushed
    expect(await linked([1, 2, 3, 4, 5, 6])).to.deep.equal(['1', '2', '3', '4', '5', '6'])
    expect(seen.settled).to.deep.equal(['5', '6', '1', '2', '3', '4'])
    expect(contactsPerPatient([1, 2, 3, 4, 5, 6])).to.deep.equal([1, 1, 1, 1, 1, 1])
  })

  it('waits for a free slot before sending more than the in-flight limit', async () => {
    const w = writer(1, {concurrency: 2})
    await warm(w)
    holdWrites()
    await w.execute(createStep(1))
    let third = false
    const second = w.execute(createStep(2)).then(() => (third = true))
    await settle()
    // two in flight: the second execute waits for one of them to end before it lets the engine plan more
    expect(held).to.have.length(2)
    expect(third).to.equal(false)
    held[1]!.answer()
    await second
    expect(third).to.equal(true)
    held[0]!.answer()
    await w.flush()
    expect(await linked([1, 2])).to.deep.equal(['1', '2'])
  })

  it('a fatal answer: no new batch is sent, the others in flight end and are recorded, then the error is thrown', async () => {
    const w = writer(1, {concurrency: 3})
    await warm(w)
    holdWrites()
    const fatal = new AmoPaymentRequiredError()
    const create = world.amo.createContacts.bind(world.amo)
    world.amo.createContacts = async (items) => {
      const results = await create(items)
      if (items[0]!.request_id === '2') throw fatal
      return results
    }
    for (const id of [1, 2]) await w.execute(createStep(id))
    await settle()
    held[1]!.answer() // batch 2 fails the run
    await settle()
    const next = rejection(w.execute(createStep(3)))
    await settle()
    // nothing new is sent while batch 1 is still unanswered
    expect(held).to.have.length(2)
    held[0]!.answer()
    expect(await next).to.equal(fatal)
    expect(held).to.have.length(2)
    expect(await linked([1, 2, 3])).to.deep.equal(['1'])
    await w.settle()
    expect(await world.state.pendingFailures()).to.deep.equal([])
  })

  it('parks a create whose outcome is unknown, goes on with the rest, and finds it applied late instead of resending it', async () => {
    world.amo.createFaults.push('unknown-applied-later')
    const w = writer(2, {concurrency: 2, parkMs: 60})
    for (const id of [1, 2, 3, 4]) await w.execute(createStep(id))
    await settle()
    // batch 1 is parked; batch 2 went on and is recorded
    expect(world.amo.writes('create')).to.have.length(2)
    expect(await linked([1, 2, 3, 4])).to.deep.equal(['3', '4'])
    // amoCRM applies the lost create after the answer was lost
    world.amo.lateApplies.shift()!()
    await w.flush()
    expect(world.amo.writes('create')).to.have.length(2)
    expect(contactsPerPatient([1, 2, 3, 4])).to.deep.equal([1, 1, 1, 1])
    expect(await linked([1, 2, 3, 4])).to.deep.equal(['1', '2', '3', '4'])
    expect(seen.failed).to.deep.equal([])
    expect(seen.duplicates).to.deep.equal([])
  })

  it('sends a parked create again only after its wait, and reports a duplicate the original made even later', async () => {
    world.amo.createFaults.push('unknown-applied-later')
    let resentAfterMs: number | undefined
    const parkedAt = performance.now()
    world.amo.hold = async (call) => {
      if (call.method !== 'create' || call.index !== 1) return
      resentAfterMs = performance.now() - parkedAt
      // the original lands while the resend is on its way
      world.amo.lateApplies.shift()!()
    }
    const w = writer(1, {concurrency: 2, parkMs: 80})
    await w.execute(createStep(1))
    await w.flush()
    expect(resentAfterMs).to.be.at.least(80)
    const made = world.amo.contactsOf(world.mapper, '1').map((c) => c.id)
    expect(made).to.have.length(2)
    // the run links one contact and says there are two
    expect(made).to.include((await world.state.getLink('1'))!.contactId)
    expect(seen.duplicates).to.deep.equal([{key: '1', ids: made.sort((a, b) => a - b)}])
  })

  it('stopped while creates are parked: they are recorded as outcome_unknown for the next run, nothing is sent', async () => {
    world.amo.createFaults.push('unknown')
    const w = writer(1, {parkMs: 60_000})
    await w.execute(createStep(1))
    await w.execute(createStep(2))
    await w.settle()
    expect(world.amo.writes('create')).to.have.length(2)
    expect(seen.failed).to.deep.equal([{key: '1', reason: 'outcome_unknown'}])
    expect((await world.state.pendingFailures()).map((f) => [f.patientId, f.reason])).to.deep.equal([['1', 'outcome_unknown']])
    expect(await linked([1, 2])).to.deep.equal(['2'])
  })
})
