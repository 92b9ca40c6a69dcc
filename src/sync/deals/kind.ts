import type {LeadWrite} from '../../amocrm/types.js'
import type {DealsConfig} from '../../config/index.js'
import type {ReadReceptionsOptions, Reception, ReceptionClock} from '../../ident/index.js'
import type {IndexProgress, KindTypes, ReadFilter, SyncKind} from '../kind.js'
import type {SyncState} from '../state.js'
import type {WriteTarget} from '../writer.js'
import {DealIndex, type DealsApi, type MatchRequest} from './deal-index.js'
import type {DealMapper, DesiredDeal} from './mapper.js'
import {type DealMatch, planDeal} from './planner.js'
import {type DealLink, DealState, type PendingDealLink} from './state.js'

/** A reception with its patient's contact (the stored contact link; null when the patient has none yet). */
export interface DealItem {
  reception: Reception
  contactId: number | null
}

export interface DealTypes extends KindTypes {
  item: DealItem
  desired: DesiredDeal
  link: DealLink
  found: DealMatch
  payload: LeadWrite
  record: PendingDealLink
}

/** The part of the IDENT reader the deal sync uses. */
export interface ReceptionSource {
  readReceptions(clock: ReceptionClock, options?: ReadReceptionsOptions): AsyncIterable<Reception>
  countReceptionsOutOfWindow(clock: ReceptionClock): Promise<number>
  readDatabaseClock(): Promise<string>
}

export interface DealKindDeps {
  source: ReceptionSource
  /** amoCRM, created on first use. */
  api: () => Promise<DealsApi>
  state: SyncState
  deals: Pick<DealsConfig, 'historyDays' | 'noShowHours' | 'protectedStages' | 'claim' | 'claimPipelines'>
  /** The deals mapping for this account (`fresh`: pipelines, fields and loss reasons read again). */
  mapper: (fresh: boolean) => Promise<DealMapper>
  /** `--dry-run`: the contacts were planned, not made, so a patient without a contact counts as about to have one. */
  dryRun?: boolean
}

/** What a pass does with the deals besides the generic modes: its clock and the pass's bounds. */
export interface DealPass {
  /** Reads IDENT's clock; an incremental pass with no deals clock yet (deals just turned on) runs as a full one. */
  start(mode: 'full' | 'deep' | 'incremental' | 'patient'): Promise<'full' | 'deep' | 'incremental' | 'patient'>
  /** After a pass whose every write is settled: the no-shows up to this pass's clock are done. */
  finish(): Promise<void>
  /** Receptions before the window (the report's `outOfWindow`, full passes). */
  outOfWindow(): Promise<number>
}

/** Receptions whose patients' contacts are looked up with one query. */
const CONTACT_GROUP = 250

/** A dry run's stand-in for the contact the same pass would have made (never sent: a dry run sends nothing). */
const PLANNED_CONTACT = 0

/** IDENT receptions → amoCRM deals: the second entity kind, run after the contacts in the same pass. */
export function dealKind(deps: DealKindDeps): SyncKind<DealTypes> & DealPass {
  const dealState = new DealState(deps.state)
  let clock: ReceptionClock | undefined
  let previousClock: string | undefined
  let byPatient = false
  const clockOf = () => {
    if (!clock) throw new Error('the deal pass was not started')
    return clock
  }

  /** Receptions with their patients' contacts, looked up a group at a time. */
  async function* withContacts(receptions: AsyncIterable<Reception>, limit: number | undefined): AsyncGenerator<DealItem> {
    let group: Reception[] = []
    let n = 0
    const flush = async function* () {
      const links = await deps.state.getLinks([...new Set(group.map((r) => r.patientId))])
      const missing = deps.dryRun ? PLANNED_CONTACT : null
      for (const reception of group) yield {reception, contactId: links.get(reception.patientId)?.contactId ?? missing}
      group = []
    }
    for await (const reception of receptions) {
      if (limit !== undefined && n >= limit) break
      n++
      group.push(reception)
      if (group.length >= CONTACT_GROUP) yield* flush()
    }
    yield* flush()
  }

  function receptions(filter: ReadFilter): AsyncIterable<Reception> {
    const c = clockOf()
    if (filter.ids && byPatient) return byPatients(deps.source, c, filter.ids)
    if (filter.ids) return deps.source.readReceptions(c, {ids: filter.ids})
    if (filter.since !== undefined) return deps.source.readReceptions(c, {changedSince: filter.since, noShowsAfter: previousClock})
    return deps.source.readReceptions(c)
  }

  const kind: SyncKind<DealTypes> & DealPass = {
    keyName: 'receptionId',
    sourceNoun: 'reception',
    async start(mode) {
      const now = await deps.source.readDatabaseClock()
      clock = {now, historyDays: deps.deals.historyDays, noShowHours: deps.deals.noShowHours}
      byPatient = mode === 'patient'
      previousClock = await dealState.getClock()
      return mode === 'incremental' && previousClock === undefined ? 'full' : mode
    },
    async finish() {
      if (clock) await dealState.setClock(clock.now)
    },
    outOfWindow: () => deps.source.countReceptionsOutOfWindow(clockOf()),
    read: (filter) => withContacts(receptions(filter), filter.limit),
    keyOf: (item) => item.reception.id,
    links: (keys) => dealState.getLinks(keys),
    // Receptions leave the window as days pass: a linked reception not read is not gone from IDENT.
    linkTargets: async () => new Map(),
    failedKeys: () => dealState.failedKeys(),
    forgetFailures: (keys) => dealState.clearFailures(keys),
    async prepare(fresh) {
      const mapper = await deps.mapper(fresh)
      let index: Promise<(item: DealItem, link: DealLink | undefined) => DealMatch> | undefined
      // Links forgotten in this pass because their deal was gone: planned again as dead links (re-created only while booked).
      const forgotten = new Set<string>()
      const matcher = (progress?: IndexProgress) => (index ??= readIndex(mapper, progress))
      return {
        desired: (item) => mapper.desired(item.reception, item.contactId),
        warnings: (desired) => desired.warnings,
        async readIndex(progress) {
          const match = await matcher(progress)
          return (item, _desired, link) => match(item, link)
        },
        // Without an index (incremental): the first reception that needs amoCRM reads it, the others reuse it.
        async lookUp(item, _desired, link) {
          const found = (await matcher())(item, link)
          return forgotten.has(item.reception.id) && found.lead === null ? {...found, deadLink: true} : found
        },
        plan: ({desired, link, found, compareWithAmo}) =>
          planDeal(mapper, {desired, link, found, compareWithAmo, protectedStages: deps.deals.protectedStages}),
        target: {
          ...dealTarget({api: deps.api, dealState, mapper}),
          forgetLink: async (key) => {
            forgotten.add(key)
            await dealState.removeLink(key)
          },
        },
      }
    },
  }

  /** The deal index, and which reception of each contact may claim a manager's deal (docs/sync.md "Deals"). */
  async function readIndex(mapper: DealMapper, progress?: IndexProgress) {
    const linkTargets = await dealState.linkTargets()
    const pipelineId = mapper.context.pipelineId
    const claimPipelineIds = deps.deals.claim ? (deps.deals.claimPipelines.length > 0 ? deps.deals.claimPipelines : [pipelineId]) : []
    const index = await DealIndex.read(await deps.api(), mapper, {
      pipelineIds: [pipelineId],
      claimPipelineIds,
      linkedDealIds: linkTargets.values(),
      onPage: (n) => progress?.('index', n),
    })
    const claimants = await firstWithoutDeal(index, linkTargets)
    return (item: DealItem, link: DealLink | undefined): DealMatch => {
      const request: MatchRequest = {
        receptionId: item.reception.id,
        contactId: item.contactId,
        linkedDealId: link?.dealId,
        mayClaim: item.contactId !== null && claimants.get(item.contactId) === item.reception.id,
      }
      return index.match(request)
    }
  }

  /**
   * For each contact with a deal to claim: its patient's first reception (by start) that has no deal —
   * no link and no deal carrying its id. Only that one claims. IDENT is read, amoCRM is not.
   */
  async function firstWithoutDeal(index: DealIndex, linkTargets: Map<string, number>): Promise<Map<number, string>> {
    const first = new Map<number, Reception>()
    if (!index.anyClaimable) return new Map()
    for await (const {reception, contactId} of withContacts(deps.source.readReceptions(clockOf()), undefined)) {
      if (contactId === null || !index.hasClaimable(contactId)) continue
      if (linkTargets.has(reception.id) || index.carries(reception.id)) continue
      const best = first.get(contactId)
      if (!best || earlier(reception, best)) first.set(contactId, reception)
    }
    return new Map([...first].map(([contactId, reception]) => [contactId, reception.id]))
  }

  return kind
}

function earlier(a: Reception, b: Reception): boolean {
  return a.planStart < b.planStart || (a.planStart === b.planStart && Number(a.id) < Number(b.id))
}

async function* byPatients(source: ReceptionSource, clock: ReceptionClock, patientIds: readonly string[]): AsyncGenerator<Reception> {
  for (const patientId of patientIds) yield* source.readReceptions(clock, {patientId})
}

/** `POST`/`PATCH /api/v4/leads` and the deal links. */
export function dealTarget(deps: {
  api: () => Promise<DealsApi>
  dealState: DealState
  mapper: DealMapper
}): WriteTarget<LeadWrite, PendingDealLink> {
  const {api, dealState, mapper} = deps
  return {
    noun: 'deal',
    create: async (items) => (await api()).createLeads(items),
    update: async (items) => (await api()).updateLeads(items),
    async *touchedSince(unixSeconds) {
      const pages = (await api()).listLeads({updatedFrom: unixSeconds, order: {field: 'id', direction: 'asc'}, limit: 250})
      for await (const page of pages) yield page.map((l) => ({id: l.id, created_at: l.created_at, key: mapper.receptionIdOf(l)}))
    },
    keyOfField: (fieldId) => mapper.keyOfField(fieldId),
    recordWritten: (confirmed, now) =>
      dealState.recordWritten(
        confirmed.map((c) => ({...c.record, dealId: c.remoteId})),
        now,
      ),
    recordFailures: (failures, now) => dealState.recordFailures(failures, now),
    forgetLink: (key) => dealState.removeLink(key),
  }
}
