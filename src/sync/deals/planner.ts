import {LOST_STATUS_ID, WON_STATUS_ID} from '../../amocrm/leads.js'
import type {Lead, LeadWrite} from '../../amocrm/types.js'
import {LOOK_UP} from '../kind.js'
import {type PlanStep, type SkipStep, unchangedStep} from '../plan.js'
import type {DealMapper, DesiredDeal} from './mapper.js'
import type {DealLink, PendingDealLink} from './state.js'

export type DealStep = PlanStep<LeadWrite, PendingDealLink>

/** What matching found for a reception (docs/sync.md "Deals"). */
export interface DealMatch {
  /** The deal kept in step; null when none was found (a new one is to be made). */
  lead: Lead | null
  /** `link`: the stored link; `id_field`: its "ID приёма IDENT"; `claim`: a manager's open deal of the contact. */
  via: 'link' | 'id_field' | 'claim' | 'none'
  /** Other deals carrying the reception id: reported, left alone. */
  duplicates: number[]
  /** The stored link named a deal that is gone (deleted in the CRM). */
  deadLink: boolean
}

export interface DealPlanInput {
  desired: DesiredDeal
  link: DealLink | undefined
  /** Absent when nothing was looked up: a linked reception is planned from its hashes. */
  found?: DealMatch
  /** Compare with what amoCRM holds even when the hashes say nothing changed (`sync deep`, `patient test`). */
  compareWithAmo: boolean
  /** `deals.protected_stages`: the tool never moves a deal out of these. */
  protectedStages: readonly number[]
}

const CLOSED = new Set<number>([WON_STATUS_ID, LOST_STATUS_ID])

/**
 * Plans one reception's deal: create, update (and move), link, nothing, or skip — pure, it reads and
 * sends nothing. Stage ownership (docs/sync.md "Deals"): a deal moves only when IDENT's stage key differs
 * from the one the tool last wrote, never out of a protected stage, never out of 142/143 unless
 * IDENT's key itself changed; the fields are always kept in step.
 */
export function planDeal(mapper: DealMapper, input: DealPlanInput): DealStep | SkipStep | typeof LOOK_UP {
  const {desired, link, found, compareWithAmo, protectedStages} = input
  const key = desired.receptionId
  if (desired.contactId === null)
    return {
      key,
      skip: 'no_contact',
      detail: `patient ${desired.patientId} has no amoCRM contact yet; the deal is written by the run after its contact`,
      retry: true,
    }
  if (!found) {
    if (!link || compareWithAmo) return LOOK_UP
    const keys = changedKeys(mapper, desired, link)
    const stageChanged = desired.stage !== link.stageKey
    if (keys.length === 0 && !stageChanged) return unchangedStep(key, link.dealId, 'link', [])
    // Whether the deal sits in a protected stage only amoCRM knows.
    if (stageChanged && protectedStages.length > 0) return LOOK_UP
    return update(mapper, desired, link, link.dealId, keys, stageChanged, 'link', [], false)
  }
  const lead = found.lead
  if (!lead) {
    // A deal deleted in the CRM comes back only while the visit is still ahead: a closed visit's deal was deleted on purpose.
    if (found.deadLink && desired.stage !== 'booked')
      return {
        key,
        skip: 'deal_deleted',
        detail: `its deal${link ? ` ${link.dealId}` : ''} was deleted in amoCRM; a new one is made only while the reception is booked`,
        retry: false,
      }
    const payload = mapper.createPayload(desired)
    return {
      key,
      action: 'create',
      remoteId: null,
      via: 'none',
      write: {method: 'create', payload},
      record: pendingLink(mapper, desired, {}),
      fields: mapper.keysOfPayload(payload),
      duplicates: [],
      deadLink: found.deadLink,
    }
  }
  const validLink = found.via === 'link' ? link : undefined
  const keys =
    compareWithAmo || !validLink
      ? mapper.differingKeys(desired, lead).filter((k) => !stillRefused(mapper, desired, validLink)[k])
      : changedKeys(mapper, desired, validLink)
  const move = shouldMove(desired, lead, validLink, protectedStages)
  return update(mapper, desired, validLink, lead.id, keys, move, found.via, found.duplicates, found.deadLink)
}

/**
 * With the tool's last stage key known, a move is due when IDENT's key changed (out of 142/143
 * too); without it (a deal found by its reception id, or claimed) the deal is put at IDENT's stage
 * unless it is closed. Never out of a protected stage, never when it is there already.
 */
function shouldMove(desired: DesiredDeal, lead: Lead, validLink: DealLink | undefined, protectedStages: readonly number[]): boolean {
  if (lead.status_id === desired.statusId && lead.pipeline_id === desired.pipelineId) return false
  if (protectedStages.includes(lead.status_id)) return false
  if (validLink) return desired.stage !== validLink.stageKey
  return !CLOSED.has(lead.status_id)
}

function changedKeys(mapper: DealMapper, desired: DesiredDeal, link: DealLink): string[] {
  const refused = stillRefused(mapper, desired, link)
  return mapper.changedKeys(desired, link.fieldHashes).filter((k) => !refused[k])
}

/** The refused values IDENT still holds unchanged (key → hash): not sent again. */
function stillRefused(mapper: DealMapper, desired: DesiredDeal, link: DealLink | undefined): Record<string, string> {
  const hashes = mapper.fieldHashes(desired)
  return Object.fromEntries(Object.entries(link?.refusedFields ?? {}).filter(([key, hash]) => hashes[key] === hash))
}

function update(
  mapper: DealMapper,
  desired: DesiredDeal,
  validLink: DealLink | undefined,
  dealId: number,
  keys: string[],
  move: boolean,
  via: DealMatch['via'],
  duplicates: number[],
  deadLink: boolean,
): DealStep {
  const record = pendingLink(mapper, desired, stillRefused(mapper, desired, validLink))
  const linking = !validLink
  const base = {key: desired.receptionId, remoteId: dealId, via, duplicates, deadLink}
  const payload = mapper.updatePayload(desired, dealId, keys, move)
  if (!payload) {
    const stale = !validLink || validLink.payloadHash !== record.payloadHash || validLink.stageKey !== record.stageKey
    return {...base, action: linking ? 'link' : 'unchanged', write: null, record: stale ? record : null, fields: []}
  }
  return {
    ...base,
    action: linking ? 'link' : 'update',
    write: {method: 'update', payload},
    record,
    fields: mapper.keysOfPayload(payload),
    moved: move,
  }
}

function pendingLink(mapper: DealMapper, desired: DesiredDeal, refusedFields: Record<string, string>): PendingDealLink {
  return {
    receptionId: desired.receptionId,
    patientId: desired.patientId,
    payloadHash: mapper.payloadHash(desired),
    fieldHashes: mapper.fieldHashes(desired),
    refusedFields,
    stageKey: desired.stage,
    writtenAt: null,
  }
}
