import {LOST_STATUS_ID, WON_STATUS_ID} from '../../amocrm/leads.js'
import type {AmoApi} from '../../amocrm/api.js'
import type {Lead} from '../../amocrm/types.js'
import type {DealMapper} from './mapper.js'
import type {DealMatch} from './planner.js'

/** The part of the amoCRM client the deal sync uses. */
export type DealsApi = Pick<
  AmoApi,
  'listLeads' | 'createLeads' | 'updateLeads' | 'listPipelines' | 'listLeadCustomFields' | 'listLossReasons' | 'stats'
>

/** A reception to match: its id, its patient's contact, and whether it may claim a manager's deal. */
export interface MatchRequest {
  receptionId: string
  contactId: number | null
  /** The stored link's deal. */
  linkedDealId: number | undefined
  /** The patient's first reception without a deal (`claimants`): only it claims. */
  mayClaim: boolean
}

const CLOSED = new Set<number>([WON_STATUS_ID, LOST_STATUS_ID])
const PAGE = 250

/**
 * The deals of the configured pipelines, read once (250 per page, `filter[pipeline_id][]`), plus the
 * linked deals a manager moved to another pipeline (by id): matching against it sends nothing
 * (docs/sync.md "Deals").
 */
export class DealIndex {
  private readonly byId = new Map<number, Lead>()
  private readonly byReception = new Map<string, Lead[]>()
  /** Contact id → its open deals with an empty reception id in a claim pipeline, oldest first. */
  private readonly claimable = new Map<number, Lead[]>()
  private readonly claimed = new Set<number>()

  private constructor(private readonly mapper: DealMapper) {}

  static async read(
    api: DealsApi,
    mapper: DealMapper,
    options: {pipelineIds: number[]; claimPipelineIds: number[]; linkedDealIds: Iterable<number>; onPage?: (count: number) => void},
  ): Promise<DealIndex> {
    const index = new DealIndex(mapper)
    const pipelines = [...new Set([...options.pipelineIds, ...options.claimPipelineIds])]
    for await (const page of api.listLeads({
      pipelineIds: pipelines,
      with: ['contacts'],
      limit: PAGE,
      order: {field: 'id', direction: 'asc'},
    })) {
      for (const lead of page) index.add(lead)
      options.onPage?.(index.byId.size)
    }
    // A linked deal moved out of these pipelines by a manager is still ours: read by id, not taken for deleted.
    const missing = [...new Set(options.linkedDealIds)].filter((id) => !index.byId.has(id))
    for (let i = 0; i < missing.length; i += PAGE)
      for await (const page of api.listLeads({ids: missing.slice(i, i + PAGE), with: ['contacts'], limit: PAGE}))
        for (const lead of page) index.add(lead)
    const claimIn = new Set(options.claimPipelineIds)
    const linked = new Set(options.linkedDealIds)
    for (const lead of index.byId.values()) {
      if (!claimIn.has(lead.pipeline_id) || CLOSED.has(lead.status_id) || linked.has(lead.id)) continue
      if (mapper.receptionIdOf(lead) !== null) continue
      for (const c of lead._embedded?.contacts ?? []) index.claimable.set(c.id, [...(index.claimable.get(c.id) ?? []), lead])
    }
    for (const list of [...index.byReception.values(), ...index.claimable.values()]) list.sort(oldestFirst)
    return index
  }

  private add(read: Lead): void {
    if (read.is_deleted || this.byId.has(read.id)) return
    const lead = compact(read)
    this.byId.set(lead.id, lead)
    const receptionId = this.mapper.receptionIdOf(lead)
    if (receptionId !== null) this.byReception.set(receptionId, [...(this.byReception.get(receptionId) ?? []), lead])
  }

  get size(): number {
    return this.byId.size
  }

  /** Some contact has a deal to claim. */
  get anyClaimable(): boolean {
    return this.claimable.size > 0
  }

  /** Contacts that have a deal to claim (their patients' first receptions without a deal are the claimants). */
  hasClaimable(contactId: number | null): boolean {
    return contactId !== null && (this.claimable.get(contactId)?.length ?? 0) > 0
  }

  /** Whether a deal carries this reception id. */
  carries(receptionId: string): boolean {
    return this.byReception.has(receptionId)
  }

  /** The stored link if it still holds, else the reception id (oldest; the rest duplicates), else a claim, else none. */
  match(request: MatchRequest): DealMatch {
    const sameId = this.byReception.get(request.receptionId) ?? []
    let deadLink = false
    if (request.linkedDealId !== undefined) {
      const lead = this.byId.get(request.linkedDealId)
      const carried = lead ? this.mapper.receptionIdOf(lead) : null
      if (lead && (carried === null || carried === request.receptionId))
        return {lead, via: 'link', duplicates: sameId.filter((l) => l.id !== lead.id).map((l) => l.id), deadLink: false}
      deadLink = true
    }
    if (sameId.length > 0) return {lead: sameId[0]!, via: 'id_field', duplicates: sameId.slice(1).map((l) => l.id), deadLink}
    if (request.mayClaim && request.contactId !== null) {
      const lead = (this.claimable.get(request.contactId) ?? []).find((l) => !this.claimed.has(l.id))
      if (lead) {
        // A deal is claimed by one reception only.
        this.claimed.add(lead.id)
        return {lead, via: 'claim', duplicates: [], deadLink}
      }
    }
    return {lead: null, via: 'none', duplicates: [], deadLink}
  }
}

/** What matching, planning and comparing use of a deal: a big clinic's index holds thousands. */
function compact(lead: Lead): Lead {
  return {
    id: lead.id,
    name: lead.name,
    price: lead.price,
    status_id: lead.status_id,
    pipeline_id: lead.pipeline_id,
    loss_reason_id: lead.loss_reason_id ?? null,
    responsible_user_id: lead.responsible_user_id,
    created_at: lead.created_at,
    updated_at: lead.updated_at,
    custom_fields_values: lead.custom_fields_values?.map((cf) => ({field_id: cf.field_id, values: cf.values})) ?? null,
    _embedded: {tags: [], companies: [], contacts: lead._embedded?.contacts?.map((c) => ({id: c.id, is_main: c.is_main})) ?? []},
  }
}

function oldestFirst(a: Lead, b: Lead): number {
  return a.created_at - b.created_at || a.id - b.id
}
