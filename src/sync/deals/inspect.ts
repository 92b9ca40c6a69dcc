import type {Lead, Pipeline} from '../../amocrm/types.js'
import type {DealStageKey} from '../../fields/index.js'
import type {Reception} from '../../ident/index.js'
import {LOOK_UP} from '../kind.js'
import {isSkip} from '../plan.js'
import type {SyncSession} from '../session.js'
import {DealIndex} from './deal-index.js'
import type {DealMapper, DesiredDeal} from './mapper.js'
import {type DealMatch, planDeal} from './planner.js'
import {DealState} from './state.js'

/** One value of a deal side by side: as IDENT would send it, as amoCRM holds it. */
export interface DealFieldDiff {
  /** `stage`, `name`, `price`, or a deal field key. */
  key: string
  name: string
  ident: string
  amo: string
  equal: boolean
}

/** One reception of the patient in the window beside its deal (`patient test` with deals on). */
export interface ReceptionInspection {
  receptionId: string
  /** `PlanStart`, naive local `YYYY-MM-DD HH:MM:SS`. */
  start: string
  /** IDENT's stage key of the reception. */
  stage: DealStageKey
  /** The deal found by the rules of a sync; null when there is none (one would be created). */
  dealId: number | null
  match: DealMatch['via']
  /** Other deals that carry this reception id (left alone). */
  duplicates: number[]
  fields: DealFieldDiff[]
  /** What a sync would do; `skip` with `skipReason` (e.g. `no_contact`: the patient has no contact yet). */
  action: 'create' | 'update' | 'link' | 'unchanged' | 'skip'
  /** The sync would move the deal to IDENT's stage (a stage a manager moved it to stays otherwise). */
  moves: boolean
  skipReason?: string
}

/**
 * The patient's receptions in the window, each beside its deal, found and planned by the same rules a
 * sync uses (the stored link, "ID приёма IDENT", a manager's open deal to claim; stage ownership): the
 * deals pipeline is read once, as `sync full` does, and nothing is written.
 */
export async function inspectPatientDeals(
  session: SyncSession,
  patientId: string,
  contactId: number | null,
): Promise<ReceptionInspection[]> {
  const {config, reader} = session
  const clock = {now: await reader.readDatabaseClock(), historyDays: config.deals.historyDays, noShowHours: config.deals.noShowHours}
  const receptions: Reception[] = []
  for await (const reception of reader.readReceptions(clock, {patientId})) receptions.push(reception)
  if (receptions.length === 0) return []
  const mapper = await session.dealMapper(true)
  const links = await new DealState(session.state).getLinks(receptions.map((r) => r.id))
  const api = await session.api()
  const pipelineId = mapper.context.pipelineId
  const claimPipelineIds = config.deals.claim ? (config.deals.claimPipelines.length > 0 ? config.deals.claimPipelines : [pipelineId]) : []
  const index = await DealIndex.read(api, mapper, {
    pipelineIds: [pipelineId],
    claimPipelineIds,
    linkedDealIds: [...links.values()].map((l) => l.dealId),
  })
  const stageNames = stageNamesOf(await api.listPipelines())
  // Only the patient's first reception that has no deal may claim a manager's deal (docs/sync.md "Deals").
  const claimant = [...receptions]
    .sort((a, b) => a.planStart.localeCompare(b.planStart) || Number(a.id) - Number(b.id))
    .find((r) => !links.has(r.id) && !index.carries(r.id))?.id

  return receptions.map((reception) => {
    const link = links.get(reception.id)
    const desired = mapper.desired(reception, contactId)
    const found = index.match({
      receptionId: reception.id,
      contactId,
      linkedDealId: link?.dealId,
      mayClaim: contactId !== null && reception.id === claimant,
    })
    const step = planDeal(mapper, {desired, link, found, compareWithAmo: true, protectedStages: config.deals.protectedStages})
    if (step === LOOK_UP) throw new Error('the deal planner asked to look up a deal it was given')
    const base = {
      receptionId: reception.id,
      start: reception.planStart,
      stage: reception.stage,
      dealId: found.lead?.id ?? null,
      match: found.via,
      duplicates: found.duplicates,
      fields: dealFieldDiffs(mapper, desired, found.lead, stageNames),
    }
    if (isSkip(step)) return {...base, action: 'skip', moves: false, skipReason: step.skip}
    return {...base, action: step.action, moves: step.moved === true}
  })
}

/** Status id → `stage (pipeline)` of every pipeline of the account. */
function stageNamesOf(pipelines: Pipeline[]): Map<string, string> {
  const names = new Map<string, string>()
  for (const pipeline of pipelines)
    for (const status of pipeline._embedded.statuses) names.set(`${pipeline.id}:${status.id}`, `${status.name} (${pipeline.name})`)
  return names
}

/** The stage, the name, the price and every mapped deal field, as IDENT would send them next to the deal's. */
function dealFieldDiffs(mapper: DealMapper, desired: DesiredDeal, lead: Lead | null, stageNames: Map<string, string>): DealFieldDiff[] {
  const differing = new Set(lead ? mapper.differingKeys(desired, lead) : [])
  const stageOf = (pipelineId: number, statusId: number) => stageNames.get(`${pipelineId}:${statusId}`) ?? `stage ${statusId}`
  const out: DealFieldDiff[] = [
    {
      key: 'stage',
      name: 'Этап',
      ident: `${stageOf(desired.pipelineId, desired.statusId)} — ${desired.stage}`,
      amo: lead ? stageOf(lead.pipeline_id, lead.status_id) : '',
      equal: lead !== null && lead.pipeline_id === desired.pipelineId && lead.status_id === desired.statusId,
    },
    {key: 'name', name: 'Название', ident: desired.name, amo: lead?.name ?? '', equal: lead !== null && !differing.has('name')},
  ]
  if (desired.price !== undefined)
    out.push({
      key: 'price',
      name: 'Бюджет',
      ident: String(desired.price),
      amo: lead ? String(lead.price ?? 0) : '',
      equal: lead !== null && !differing.has('price'),
    })
  for (const field of desired.fields) {
    const resolved = mapper.context.fields[field.key]
    const identValue = field.values?.[0]?.value ?? null
    const actual = lead?.custom_fields_values?.find((f) => f.field_id === field.fieldId)?.values?.[0]?.value ?? null
    // A date and time: IDENT's is RFC 3339 with the clinic's offset, amoCRM answers unix seconds — both shown at that offset.
    const offset = typeof identValue === 'string' ? offsetMinutesOf(identValue) : undefined
    const show = (value: unknown) => (resolved?.type === 'date_time' ? dateTimeText(value, offset) : plainText(value))
    out.push({
      key: field.key,
      name: resolved?.name ?? field.key,
      ident: show(identValue),
      amo: lead ? show(actual) : '',
      equal: lead !== null && !differing.has(field.key),
    })
  }
  return out
}

function plainText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? '✓' : ''
  return String(value)
}

/** The offset of an RFC 3339 time in minutes (`+03:00` → 180). */
function offsetMinutesOf(rfc: string): number | undefined {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(rfc)
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : undefined
}

/** `DD.MM.YYYY HH:MM` at the clinic's offset (UTC when unknown), from RFC 3339 or unix seconds. */
function dateTimeText(value: unknown, offsetMinutes: number | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const ms = typeof value === 'number' || /^\d+$/.test(String(value)) ? Number(value) * 1000 : Date.parse(String(value))
  if (Number.isNaN(ms)) return String(value)
  const wall = new Date(ms + (offsetMinutes ?? 0) * 60_000).toISOString()
  return `${wall.slice(8, 10)}.${wall.slice(5, 7)}.${wall.slice(0, 4)} ${wall.slice(11, 16)}${offsetMinutes === undefined ? ' UTC' : ''}`
}
