import {expect} from 'chai'

import type {Lead} from '../../../src/amocrm/types.js'
import type {Reception} from '../../../src/ident/index.js'
import {DealIndex, type DealsApi} from '../../../src/sync/deals/deal-index.js'
import type {DealMapper} from '../../../src/sync/deals/mapper.js'
import {type DealMatch, type DealStep, planDeal} from '../../../src/sync/deals/planner.js'
import type {DealLink} from '../../../src/sync/deals/state.js'
import {LOOK_UP} from '../../../src/sync/kind.js'
import {isSkip, type SkipStep} from '../../../src/sync/plan.js'
import {dealMapper, leadFrom, reception} from './fixtures.js'

describe('deal planner (stage ownership and matching)', () => {
  const mapper = dealMapper()
  const came = (overrides: Partial<Reception> = {}) => reception({stage: 'came', identStatus: 'Пришёл', ...overrides})

  /** The link a sync leaves after writing this reception to deal 3000. */
  function linkAfterWriting(r: Reception, overrides: Partial<DealLink> = {}): DealLink {
    const desired = mapper.desired(r, 900)
    return {
      receptionId: r.id,
      patientId: r.patientId,
      dealId: 3000,
      payloadHash: mapper.payloadHash(desired),
      fieldHashes: mapper.fieldHashes(desired),
      refusedFields: {},
      stageKey: r.stage,
      writtenAt: '2026-03-01T00:00:00.000Z',
      ...overrides,
    }
  }

  const found = (lead: Lead | null, via: DealMatch['via'], extra: Partial<DealMatch> = {}): DealMatch => ({
    lead,
    via,
    duplicates: [],
    deadLink: false,
    ...extra,
  })

  function plan(
    r: Reception,
    options: {link?: DealLink; found?: DealMatch; compare?: boolean; protectedStages?: number[]; contactId?: number | null} = {},
  ): DealStep | SkipStep | typeof LOOK_UP {
    return planDeal(mapper, {
      desired: mapper.desired(r, options.contactId === undefined ? 900 : options.contactId),
      link: options.link,
      found: options.found,
      compareWithAmo: options.compare ?? false,
      protectedStages: options.protectedStages ?? [],
    })
  }

  function step(result: ReturnType<typeof plan>): DealStep {
    if (result === LOOK_UP || isSkip(result)) throw new Error(`expected a step, got ${JSON.stringify(result)}`)
    return result
  }

  describe('stage ownership', () => {
    it('a linked reception IDENT did not change costs nothing: no look-up, no write, no record', () => {
      const r = reception()
      expect(step(plan(r, {link: linkAfterWriting(r)}))).to.include({action: 'unchanged', write: null, record: null, remoteId: 3000})
    })

    it("moves the deal when IDENT's stage key changed since the tool last wrote it, from the hashes alone", () => {
      const s = step(plan(came(), {link: linkAfterWriting(reception())}))
      expect(s).to.include({action: 'update', moved: true})
      expect(s.write!.payload).to.include({id: 3000, status_id: 22, pipeline_id: 2})
      expect(s.fields).to.include.members(['stage', 'ident_status'])
      expect(s.record).to.include({stageKey: 'came'})
    })

    it('does not move a deal a manager put elsewhere while IDENT says the same; deep repairs its fields and leaves the stage', () => {
      const r = reception()
      const moved = leadFrom(mapper, r, {status_id: 23})
      // The manager also blanked the IDENT status field.
      const edited = {
        ...moved,
        custom_fields_values: moved.custom_fields_values!.filter((cf) => cf.field_id !== mapper.context.fields.ident_status!.id),
      }
      const s = step(plan(r, {link: linkAfterWriting(r), found: found(edited, 'link'), compare: true}))
      expect(s.moved).to.equal(false)
      expect(s.write!.payload).to.not.have.property('status_id')
      expect(s.fields).to.deep.equal(['ident_status'])
    })

    it('with protected stages, a due move looks the deal up first, and never takes it out of a protected stage', () => {
      const link = linkAfterWriting(reception())
      expect(plan(came(), {link, protectedStages: [23]})).to.equal(LOOK_UP)
      const inProtected = leadFrom(mapper, reception(), {status_id: 23})
      const s = step(plan(came(), {link, found: found(inProtected, 'link'), protectedStages: [23]}))
      expect(s.write!.payload).to.not.have.property('status_id')
      expect(s.fields).to.deep.equal(['ident_status'])
      // The key is remembered: the deal stays put until IDENT's status changes again.
      expect(s.record).to.include({stageKey: 'came'})
      const elsewhere = leadFrom(mapper, reception(), {status_id: 21})
      expect(step(plan(came(), {link, found: found(elsewhere, 'link'), protectedStages: [23]})).write!.payload).to.include({status_id: 22})
    })

    it("moves a deal out of 142/143 only when IDENT's key itself changed", () => {
      const cancelled = reception({stage: 'cancelled', identStatus: 'Отменён'})
      const closed = leadFrom(mapper, cancelled)
      // Rebooked in IDENT (the cancellation undone): the key changed, so the deal reopens.
      const rebooked = step(plan(reception(), {link: linkAfterWriting(cancelled), found: found(closed, 'link'), compare: true}))
      expect(rebooked.write!.payload).to.include({status_id: 21})
      // Found by its reception id with no record of what the tool wrote: a closed deal is not reopened.
      const unlinked = step(plan(reception(), {found: found(closed, 'id_field'), compare: true}))
      expect(unlinked.action).to.equal('link')
      expect(unlinked.write?.payload ?? {}).to.not.have.property('status_id')
    })

    it('a cancellation carries its loss reason with the move to 143', () => {
      const s = step(plan(reception({stage: 'cancelled', cancelReason: 'Пациент заболел'}), {link: linkAfterWriting(reception())}))
      expect(s.write!.payload).to.include({status_id: 143, loss_reason_id: 71})
    })
  })

  describe('matching', () => {
    it('a reception without a link is looked up; one whose patient has no contact is skipped and retried next run', () => {
      expect(plan(reception())).to.equal(LOOK_UP)
      const skipped = plan(reception(), {contactId: null})
      expect(skipped).to.deep.include({key: '1001', skip: 'no_contact', retry: true})
    })

    it('a deal found by its reception id is linked; the other deals carrying it are reported as duplicates', () => {
      const r = reception()
      const s = step(plan(r, {found: found(leadFrom(mapper, r), 'id_field', {duplicates: [3001]})}))
      expect(s).to.include({action: 'link', remoteId: 3000, write: null})
      expect(s.duplicates).to.deep.equal([3001])
      expect(s.record).to.include({receptionId: '1001', stageKey: 'booked'})
    })

    it("a claimed deal gets the reception's id, fields and stage; its contact link is left as the manager made it", () => {
      const managers: Lead = {...leadFrom(mapper, reception()), name: 'Звонок', status_id: 21, custom_fields_values: null}
      const s = step(plan(came(), {found: found(managers, 'claim')}))
      expect(s).to.include({action: 'link', via: 'claim', moved: true})
      expect(s.write!.payload).to.include({id: 3000, status_id: 22})
      expect(s.write!.payload).to.not.have.property('_embedded')
      expect(s.fields).to.include.members(['name', 'reception_id', 'stage'])
    })

    it('nothing found: a new deal; a deal deleted in the CRM comes back only while the reception is booked', () => {
      expect(step(plan(reception(), {found: found(null, 'none')}))).to.include({action: 'create', remoteId: null})
      const link = linkAfterWriting(reception())
      expect(step(plan(reception(), {link, found: found(null, 'none', {deadLink: true})}))).to.include({action: 'create', deadLink: true})
      expect(plan(came(), {link, found: found(null, 'none', {deadLink: true})})).to.deep.include({skip: 'deal_deleted', retry: false})
    })
  })

  describe('the deal index', () => {
    const r = reception()
    const deal = (id: number, extra: Partial<Lead>, receptionId: string | null = null): Lead => ({
      ...leadFrom(mapper, reception({id: receptionId ?? '0'}), {id, created_at: 1_770_000_000 + id, ...extra}),
      ...(receptionId === null ? {custom_fields_values: null} : {}),
    })
    const apiWith = (leads: Lead[]): DealsApi =>
      ({
        async *listLeads(params?: {ids?: number[]; pipelineIds?: number[]}) {
          yield leads.filter((l) => (params?.ids ? params.ids.includes(l.id) : params?.pipelineIds?.includes(l.pipeline_id)))
        },
      }) as unknown as DealsApi
    const read = (leads: Lead[], m: DealMapper = mapper, linked: number[] = []) =>
      DealIndex.read(apiWith(leads), m, {pipelineIds: [2], claimPipelineIds: [2, 5], linkedDealIds: linked})

    it('several deals carry the reception id: the oldest is kept, the rest are duplicates', async () => {
      const index = await read([deal(12, {}, '1001'), deal(11, {}, '1001'), deal(13, {}, '1002')])
      expect(index.match({receptionId: '1001', contactId: 900, linkedDealId: undefined, mayClaim: false})).to.deep.include({
        via: 'id_field',
        duplicates: [12],
      })
      expect(index.match({receptionId: '1001', contactId: 900, linkedDealId: undefined, mayClaim: false}).lead!.id).to.equal(11)
    })

    it("a stored link holds while its deal exists and carries no other reception's id; a linked deal moved to another pipeline is read by id", async () => {
      const index = await read([deal(20, {pipeline_id: 9}, '1001'), deal(21, {}, '1002')], mapper, [20, 21])
      expect(index.match({receptionId: '1001', contactId: 900, linkedDealId: 20, mayClaim: false})).to.deep.include({via: 'link'})
      const stolen = index.match({receptionId: '1003', contactId: 900, linkedDealId: 21, mayClaim: false})
      expect(stolen).to.deep.include({via: 'none', deadLink: true, lead: null})
      expect(index.match({receptionId: '1004', contactId: 900, linkedDealId: 99, mayClaim: false})).to.deep.include({deadLink: true})
    })

    it('claims the oldest open deal of the contact in a claim pipeline with an empty reception id, once, and only for the claimant', async () => {
      const leads = [
        deal(31, {status_id: 142}),
        deal(32, {pipeline_id: 7}),
        deal(35, {pipeline_id: 5}),
        deal(34, {}),
        deal(33, {_embedded: {tags: [], companies: [], contacts: [{id: 901, is_main: true}]}}),
        deal(36, {}, '1009'),
      ]
      const index = await read(leads)
      expect(index.hasClaimable(900)).to.equal(true)
      expect(index.match({receptionId: r.id, contactId: 900, linkedDealId: undefined, mayClaim: false}).via).to.equal('none')
      const first = index.match({receptionId: r.id, contactId: 900, linkedDealId: undefined, mayClaim: true})
      expect(first).to.deep.include({via: 'claim'})
      expect(first.lead!.id, 'open (not 142), in a claim pipeline (not 7), the oldest').to.equal(34)
      expect(index.match({receptionId: '1002', contactId: 900, linkedDealId: undefined, mayClaim: true}).lead!.id).to.equal(35)
      expect(index.match({receptionId: '1003', contactId: 900, linkedDealId: undefined, mayClaim: true}).via).to.equal('none')
    })
  })
})
