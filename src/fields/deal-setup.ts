import type {AmoApi} from '../amocrm/api.js'
import {LOST_STATUS_ID, WON_STATUS_ID} from '../amocrm/leads.js'
import type {CustomFieldDef, LossReason, Pipeline, PipelineStatus} from '../amocrm/types.js'
import type {DealFieldSetting, DealsConfig} from '../config/index.js'
import {AppError} from '../errors.js'
import {
  DEAL_PIPELINE_NAME,
  DEAL_STAGES,
  type DealFieldKey,
  type DealStageKey,
  type DealStageSpec,
  DEFAULT_LOSS_REASON,
} from './deal-catalogue.js'
import {foldText} from './normalize.js'
import {resolveDealFields, withFieldIds, type FieldStatus} from './resolve.js'
import type {ResolvedField} from './types.js'

/**
 * What the deals need of the amoCRM account — the pipeline, the stage of each key, the deal fields
 * and the loss reasons — found the way the contact fields are: by the configured id, else by default
 * name. `fields check`/`create` show and repair it; the deals sync writes with the `DealMappingContext`
 * made of it.
 */

/** The account's side of the deals: read in three requests, cached in the state like the contact fields. */
export interface DealAccount {
  pipelines: Pipeline[]
  /** The deal custom fields. */
  fields: CustomFieldDef[]
  lossReasons: LossReason[]
  fetchedAt: string
}

export type DealAccountApi = Pick<AmoApi, 'listPipelines' | 'listLeadCustomFields' | 'listLossReasons'>

/** The configuration the deals setup is checked against (`AppConfig` has both). */
export interface DealSetupConfig {
  deals: Pick<DealsConfig, 'pipelineId' | 'stages' | 'keysInFile'>
  dealFields: Partial<Record<DealFieldKey, DealFieldSetting>>
}

export type DealSetupProblemKind =
  | 'not_found'
  | 'configured_id_not_found'
  | 'archived'
  /** The incoming "unsorted" stage: deals are not put there. */
  | 'unsorted_stage'
  /** A stage that cannot be checked because the pipeline is not found. */
  | 'pipeline_missing'

/** Something of the account's deals setup and its state, as `fields check` shows it. */
interface SetupItem {
  /** The name in the account, else the default name. */
  name: string
  id: number | null
  /** Usable by the deals sync (a warning may still be said: `problem` with `ok`). */
  ok: boolean
  problem: DealSetupProblemKind | null
  /** What is wrong, in words (null when nothing is). */
  message: string | null
  /** What to do about it (null when nothing is to be done). */
  fix: string | null
}

export interface PipelineCheck extends SetupItem {
  foundBy: 'id' | 'name' | null
}

export interface StageCheck extends SetupItem {
  key: DealStageKey
  /** `default`: amoCRM's closed stage (142, 143) the key goes to unless configured. */
  foundBy: 'id' | 'name' | 'default' | null
}

export interface LossReasonCheck extends SetupItem {
  /** The fallback every cancellation can go with ("Отменён в IDENT"), or one of IDENT's cancel reasons. */
  source: 'fallback' | 'ident'
}

/** Ids found by name (or made) that the config does not hold yet: what `--fix` and `fields create` save. */
export interface DealIds {
  pipelineId?: number
  stages: Partial<Record<DealStageKey, number>>
  fields: Partial<Record<DealFieldKey, number>>
}

/** What the deals sync writes with: one pipeline, a stage per key, the deal fields, the loss reasons. */
export interface DealMappingContext {
  pipelineId: number
  statusIds: Record<DealStageKey, number>
  /** Key → the account's field, for every enabled deal field (always `reception_id`). */
  fields: Partial<Record<DealFieldKey, ResolvedField<DealFieldKey>>>
  /** Every loss reason of the account, by its name folded (`foldText`). */
  lossReasons: Record<string, number>
  /** The id of "Отменён в IDENT": for a cancellation whose reason has no loss reason of its name. */
  defaultLossReasonId: number
}

export interface DealResolution {
  pipeline: PipelineCheck
  stages: StageCheck[]
  fields: Array<FieldStatus<DealFieldKey>>
  lossReasons: LossReasonCheck[]
  idsToSave: DealIds
  /** Everything the deals sync needs is usable (missing loss reasons of IDENT's names are warnings). */
  ok: boolean
  /** The pipelines of the account, to map the deals to one by hand. */
  pipelines: Array<{id: number; name: string; stages: Array<{id: number; name: string}>}>
  /** Set when `ok`. */
  context: DealMappingContext | undefined
}

const FIX_COMMAND = 'ident-amo fields check --fix'
const CREATE_COMMAND = 'ident-amo fields create'
const CLOSED = new Set<number>([WON_STATUS_ID, LOST_STATUS_ID])
const UNSORTED_STATUS_TYPE = 1

/** Reads the account's pipelines, deal fields and loss reasons: three requests. */
export async function readDealAccount(api: DealAccountApi): Promise<DealAccount> {
  const pipelines = await api.listPipelines()
  const fields = await api.listLeadCustomFields()
  const lossReasons = await api.listLossReasons()
  return {pipelines, fields, lossReasons, fetchedAt: new Date().toISOString()}
}

/** Where the account's side is kept between runs: the sync state's JSON values. */
export interface JsonMetaStore {
  getJsonMeta<T>(key: string): Promise<T | undefined>
  setJsonMeta(key: string, value: unknown): Promise<void>
}

const ACCOUNT_META = 'deal_account_context'

/**
 * The account's side of the deals: read (3 requests) when `fresh` or nothing is cached, else what the
 * last run cached — so that an incremental pass with nothing changed sends nothing. `cache: false` (a
 * dry run) reads without keeping it.
 */
export async function loadDealAccount(
  api: () => Promise<DealAccountApi>,
  store: JsonMetaStore | undefined,
  fresh: boolean,
  options: {cache?: boolean} = {},
): Promise<DealAccount> {
  if (!fresh && store) {
    const cached = await store.getJsonMeta<DealAccount>(ACCOUNT_META)
    if (cached) return cached
  }
  const account = await readDealAccount(await api())
  if (options.cache !== false) await store?.setJsonMeta(ACCOUNT_META, account)
  return account
}

/**
 * The deals mapping for one account. Refuses (exit 1) when something the deals need is not usable: a
 * missing pipeline, stage, field or the fallback loss reason is a `fields check` error, not a silent skip.
 */
export function dealMappingContext(account: DealAccount, config: DealSetupConfig): DealMappingContext {
  const resolution = resolveDeals(account, config)
  if (resolution.context) return resolution.context
  const bad = problemsOf(resolution)
  throw new AppError(`the amoCRM account is not set up for deals: ${bad.map((p) => `${p.what} (${p.message})`).join('; ')}`, {
    hint: 'run `ident-amo fields check` to see the fix for each (`fields check --fix` saves ids found by name, `fields create` creates what is missing)',
    code: 'E_FIELDS',
  })
}

/** The loss reason of a cancellation: the one named like IDENT's reason, else "Отменён в IDENT". */
export function lossReasonFor(context: DealMappingContext, identReason: string | null | undefined): number {
  const name = identReason === null || identReason === undefined ? '' : foldText(identReason)
  return (name === '' ? undefined : context.lossReasons[name]) ?? context.defaultLossReasonId
}

/** The unusable items of a resolution, named for people (`pipeline`, `stage booked`, `field start`, `loss reason '…'`). */
export function problemsOf(resolution: DealResolution): Array<{what: string; problem: string; message: string}> {
  const out: Array<{what: string; problem: string; message: string}> = []
  const add = (what: string, item: {ok: boolean; problem: string | null; message: string | null}) => {
    if (!item.ok) out.push({what, problem: item.problem ?? 'problem', message: item.message ?? ''})
  }
  add('pipeline', resolution.pipeline)
  for (const s of resolution.stages) add(`stage ${s.key}`, s)
  for (const f of resolution.fields) add(`field ${f.key}`, f)
  for (const r of resolution.lossReasons) add(`loss reason '${r.name}'`, r)
  return out
}

/**
 * Finds what the deals need in the account: the pipeline (`deals.pipeline_id`, else by the name
 * «Приёмы IDENT»), the stage of each key in it (`deals.stages.<key>`, else by default name; `paid` and
 * `cancelled` are amoCRM's 142 and 143 unless configured), the deal fields, and a loss reason for
 * "Отменён в IDENT" and for each of IDENT's cancel reason names (`cancelReasons`; a missing one is a
 * warning: its cancellations go as "Отменён в IDENT").
 */
export function resolveDeals(account: DealAccount, config: DealSetupConfig, cancelReasons: readonly string[] = []): DealResolution {
  const {pipeline, found, pipelineId} = resolvePipeline(account.pipelines, config.deals.pipelineId)
  const stages = DEAL_STAGES.map((spec) => resolveStage(spec, found, config.deals))
  const fieldResolution = resolveDealFields(account.fields, config.dealFields)
  const lossReasons = resolveLossReasons(account.lossReasons, cancelReasons)
  const idsToSave: DealIds = {stages: {}, fields: fieldResolution.idsToSave}
  if (pipelineId !== undefined) idsToSave.pipelineId = pipelineId
  for (const s of stages) if (s.foundBy === 'name' && s.id !== null) idsToSave.stages[s.key] = s.id
  // A configured stage the pipeline lacks, found there by its default name.
  for (const s of stages)
    if (s.problem === 'configured_id_not_found' && s.alternative !== undefined) idsToSave.stages[s.key] = s.alternative

  const checks = stages.map(({alternative: _, ...s}) => s)
  const ok = pipeline.ok && checks.every((s) => s.ok) && fieldResolution.ok && lossReasons.every((r) => r.ok)
  const fallback = lossReasons.find((r) => r.source === 'fallback')!
  const context =
    ok && found
      ? {
          pipelineId: found.id,
          statusIds: Object.fromEntries(checks.map((s) => [s.key, s.id!])) as Record<DealStageKey, number>,
          fields: fieldResolution.resolved,
          lossReasons: lossReasonIndex(account.lossReasons),
          defaultLossReasonId: fallback.id!,
        }
      : undefined
  return {
    pipeline,
    stages: checks,
    fields: fieldResolution.fields,
    lossReasons,
    idsToSave,
    ok,
    pipelines: account.pipelines.map((p) => ({
      id: p.id,
      name: p.name,
      stages: sortedStatuses(p).map((s) => ({id: s.id, name: s.name})),
    })),
    context,
  }
}

/** The config with `ids` applied (what the config file holds after they are saved). */
export function withDealIds<C extends DealSetupConfig>(config: C, ids: DealIds): C {
  const stages = Object.entries(ids.stages).filter(([, id]) => id !== undefined)
  return {
    ...config,
    deals: {
      ...config.deals,
      pipelineId: ids.pipelineId ?? config.deals.pipelineId,
      stages: {...config.deals.stages, ...Object.fromEntries(stages)},
      keysInFile: [
        ...config.deals.keysInFile,
        ...(ids.pipelineId === undefined ? [] : ['deals.pipeline_id']),
        ...stages.map(([key]) => `deals.stages.${key}`),
      ],
    },
    dealFields: withFieldIds(config.dealFields, ids.fields),
  }
}

/** True when `ids` holds nothing to save. */
export function noDealIds(ids: DealIds): boolean {
  return ids.pipelineId === undefined && Object.keys(ids.stages).length === 0 && Object.keys(ids.fields).length === 0
}

function resolvePipeline(
  pipelines: Pipeline[],
  configuredId: number | undefined,
): {pipeline: PipelineCheck; found: Pipeline | undefined; pipelineId: number | undefined} {
  const byName = findByName(
    pipelines.filter((p) => !p.is_archive),
    DEAL_PIPELINE_NAME,
  )
  const base = {name: DEAL_PIPELINE_NAME, id: null, foundBy: null, problem: null, message: null, fix: null}
  const mapByHand = 'or map the deals to a pipeline of yours with `ident-amo config set deals.pipeline_id ID`'
  if (configuredId !== undefined) {
    const byId = pipelines.find((p) => p.id === configuredId)
    if (!byId) {
      return {
        pipeline: {
          ...base,
          ok: false,
          problem: 'configured_id_not_found',
          message: `deals.pipeline_id is ${configuredId}, but the account has no pipeline with that id`,
          fix: byName
            ? `run \`${FIX_COMMAND}\` to use the pipeline '${byName.name}' (id ${byName.id})`
            : `run \`${CREATE_COMMAND}\` to create the pipeline '${DEAL_PIPELINE_NAME}' with its stages, ${mapByHand}`,
        },
        found: undefined,
        pipelineId: byName?.id,
      }
    }
    const found = {...base, name: byId.name, id: byId.id, foundBy: 'id' as const}
    if (byId.is_archive)
      return {
        pipeline: {
          ...found,
          ok: false,
          problem: 'archived',
          message: `the pipeline '${byId.name}' (id ${byId.id}) is archived`,
          fix: `restore it in amoCRM, or map the deals to another pipeline with \`ident-amo config set deals.pipeline_id ID\``,
        },
        found: undefined,
        pipelineId: undefined,
      }
    return {pipeline: {...found, ok: true}, found: byId, pipelineId: undefined}
  }
  if (!byName)
    return {
      pipeline: {
        ...base,
        ok: false,
        problem: 'not_found',
        message: `the account has no pipeline named '${DEAL_PIPELINE_NAME}'`,
        fix: `run \`${CREATE_COMMAND}\` to create it with its stages, ${mapByHand}`,
      },
      found: undefined,
      pipelineId: undefined,
    }
  return {
    pipeline: {
      ...base,
      name: byName.name,
      id: byName.id,
      foundBy: 'name',
      ok: true,
      fix: `run \`${FIX_COMMAND}\` to save its id in the config`,
    },
    found: byName,
    pipelineId: byName.id,
  }
}

function resolveStage(
  spec: DealStageSpec,
  pipeline: Pipeline | undefined,
  deals: DealSetupConfig['deals'],
): StageCheck & {alternative?: number} {
  const setting = `deals.stages.${spec.key}`
  const configuredId = deals.stages[spec.key]
  const byDefault = spec.status !== undefined && configuredId === spec.status && !deals.keysInFile.includes(setting)
  const base = {key: spec.key, name: spec.name ?? '', id: null, foundBy: null, problem: null, message: null, fix: null}
  const setById = `set its id with \`ident-amo config set ${setting} ID\``
  if (!pipeline) {
    // amoCRM's closed stages are in every pipeline: they are right whichever the pipeline turns out to be.
    if (configuredId !== undefined && CLOSED.has(configuredId))
      return {...base, name: closedName(configuredId), id: configuredId, foundBy: byDefault ? 'default' : 'id', ok: true}
    return {
      ...base,
      id: configuredId ?? null,
      ok: false,
      problem: 'pipeline_missing',
      message: 'not checked: the pipeline is not usable',
      fix: spec.name ? `fix the pipeline first; \`${CREATE_COMMAND}\` makes this stage with it` : 'fix the pipeline first',
    }
  }
  const statuses = sortedStatuses(pipeline)
  const byName = spec.name === undefined ? undefined : findByName(statuses, spec.name)
  if (configuredId !== undefined) {
    const byId = statuses.find((s) => s.id === configuredId)
    if (!byId) {
      const alternative = byName && byName.type !== UNSORTED_STATUS_TYPE ? byName : undefined
      return {
        ...base,
        id: configuredId,
        ok: false,
        problem: 'configured_id_not_found',
        message: `${setting} is ${configuredId}, but the pipeline '${pipeline.name}' has no stage with that id`,
        fix: alternative
          ? `run \`${FIX_COMMAND}\` to use the stage '${alternative.name}' (id ${alternative.id})`
          : spec.name
            ? `run \`${CREATE_COMMAND}\` to add the stage '${spec.name}', or ${setById}`
            : setById,
        ...(alternative ? {alternative: alternative.id} : {}),
      }
    }
    const found = {...base, name: byId.name, id: byId.id, foundBy: byDefault ? ('default' as const) : ('id' as const)}
    if (byId.type === UNSORTED_STATUS_TYPE)
      return {
        ...found,
        ok: false,
        problem: 'unsorted_stage',
        message: `the stage '${byId.name}' (id ${byId.id}) is the pipeline's incoming "unsorted" stage: deals are not put there`,
        fix: `choose another stage: ${setById}`,
      }
    return {...found, ok: true}
  }
  if (!byName || byName.type === UNSORTED_STATUS_TYPE)
    return {
      ...base,
      ok: false,
      problem: 'not_found',
      message: `the pipeline '${pipeline.name}' has no stage named '${spec.name}'`,
      fix: `run \`${CREATE_COMMAND}\` to add it, or map the key to a stage of the pipeline: ${setById}`,
    }
  return {...base, name: byName.name, id: byName.id, foundBy: 'name', ok: true, fix: `run \`${FIX_COMMAND}\` to save its id in the config`}
}

function resolveLossReasons(reasons: LossReason[], cancelReasons: readonly string[]): LossReasonCheck[] {
  const wanted = new Map<string, {name: string; source: LossReasonCheck['source']}>()
  wanted.set(foldText(DEFAULT_LOSS_REASON), {name: DEFAULT_LOSS_REASON, source: 'fallback'})
  for (const raw of cancelReasons) {
    const name = raw.trim()
    if (name !== '' && !wanted.has(foldText(name))) wanted.set(foldText(name), {name, source: 'ident'})
  }
  return [...wanted.values()].map(({name, source}) => {
    const found = findByName(reasons, name)
    if (found) return {name: found.name, id: found.id, source, ok: true, problem: null, message: null, fix: null}
    const fallback = source === 'fallback'
    return {
      name,
      id: null,
      source,
      ok: !fallback,
      problem: 'not_found',
      message: fallback
        ? `the account has no loss reason '${name}': every cancellation whose reason has no loss reason of its name goes with it`
        : `the account has no loss reason '${name}': cancellations for this reason go as '${DEFAULT_LOSS_REASON}'`,
      fix: `run \`${CREATE_COMMAND}\` to create it`,
    }
  })
}

function lossReasonIndex(reasons: LossReason[]): Record<string, number> {
  const out: Record<string, number> = {}
  // Of several with one name (amoCRM does not refuse them), the oldest.
  for (const r of [...reasons].sort((a, b) => a.id - b.id)) out[foldText(r.name)] ??= r.id
  return out
}

/** By name: exact, then case- and ё-insensitive; the oldest (lowest id) of several. */
function findByName<T extends {id: number; name: string}>(items: readonly T[], name: string): T | undefined {
  const exact = items.filter((i) => i.name === name)
  const folded = exact.length > 0 ? exact : items.filter((i) => foldText(i.name) === foldText(name))
  return [...folded].sort((a, b) => a.id - b.id)[0]
}

function sortedStatuses(pipeline: Pipeline): PipelineStatus[] {
  return [...pipeline._embedded.statuses].sort((a, b) => a.sort - b.sort || a.id - b.id)
}

function closedName(id: number): string {
  return id === WON_STATUS_ID ? 'Успешно реализовано' : 'Закрыто и не реализовано'
}
