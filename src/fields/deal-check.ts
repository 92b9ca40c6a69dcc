import type {AmoApi} from '../amocrm/api.js'
import type {LossReason, Pipeline, PipelineStatus, StatusCreate} from '../amocrm/types.js'
import {createMissingOf, fieldStatusJson, type FieldStatusJson} from './check.js'
import {DEAL_FIELD_CATALOGUE, DEAL_PIPELINE_NAME, DEAL_STAGES, type DealStageKey, DEFAULT_LOSS_REASON} from './deal-catalogue.js'
import {
  type DealAccount,
  type DealAccountApi,
  type DealIds,
  type DealResolution,
  type DealSetupConfig,
  type LossReasonCheck,
  noDealIds,
  type PipelineCheck,
  problemsOf,
  readDealAccount,
  resolveDeals,
  type StageCheck,
  withDealIds,
} from './deal-setup.js'

/** IDENT's cancel reason names, or why they could not be read (then only "Отменён в IDENT" is checked). */
export type CancelReasonNames = {names: readonly string[]} | {unavailable: string}

export interface DealsCheckOptions {
  cancelReasons: CancelReasonNames
  /**
   * Persists ids found by name or made (`--fix`, `fields create`); `pipelineId` is the pipeline the
   * stages belong to. Without it nothing is written.
   */
  saveIds?: (ids: DealIds, pipelineId: number | undefined) => void
}

export interface DealsCheckResult {
  /** Everything the deals sync needs is usable. */
  ok: boolean
  resolution: DealResolution
  /** Ids written to the config by this run. */
  saved: DealIds
  /** Said beside the table (IDENT's cancel reasons not read). */
  warnings: string[]
  /** One line for people. */
  summary: string
}

export interface DealsCreateResult extends DealsCheckResult {
  created: {
    pipeline: {id: number; name: string} | null
    stages: Array<{key: DealStageKey; id: number; name: string}>
    fields: Array<{key: string; name: string; id: number; type: string}>
    lossReasons: Array<{id: number; name: string}>
  }
}

export type DealCreateApi = DealAccountApi &
  Pick<AmoApi, 'createPipelines' | 'createPipelineStatuses' | 'createLeadCustomFields' | 'createLossReasons'>

/**
 * Checks the account's pipeline, stages, deal fields and loss reasons for the deals. With `saveIds`
 * (`--fix`) the ids found by name are saved — the stages found in a pipeline found by name too — and
 * the result shows the fixed state. Three requests, all reads.
 */
export async function checkDeals(api: DealAccountApi, config: DealSetupConfig, options: DealsCheckOptions): Promise<DealsCheckResult> {
  const account = await readDealAccount(api)
  const names = cancelReasonNames(options.cancelReasons)
  if (!options.saveIds) return result(resolveDeals(account, config, names), emptyIds(), options)
  const {resolution, ids} = settle(account, config, names)
  return result(resolution, save(ids, resolution, options), options)
}

/**
 * Creates what the deals need and the account lacks: the pipeline «Приёмы IDENT» with its stages in one
 * request (stages can be given only when a pipeline is created), else the stages missing from the
 * pipeline in use (its statuses route); the deal fields; the loss reasons of "Отменён в IDENT" and of
 * IDENT's cancel reasons. Then saves the ids of everything found or made. Idempotent: what exists (by
 * the configured id or by name) is never made again; a field of a wrong type is reported, not duplicated.
 */
export async function createMissingDeals(
  api: DealCreateApi,
  config: DealSetupConfig,
  options: DealsCheckOptions,
): Promise<DealsCreateResult> {
  const account = await readDealAccount(api)
  const names = cancelReasonNames(options.cancelReasons)
  const created: DealsCreateResult['created'] = {pipeline: null, stages: [], fields: [], lossReasons: []}
  let {resolution, ids} = settle(account, config, names)

  if (resolution.pipeline.problem === 'not_found' || resolution.pipeline.problem === 'configured_id_not_found') {
    const [pipeline] = await api.createPipelines([
      {
        name: DEAL_PIPELINE_NAME,
        is_main: false,
        is_unsorted_on: false,
        request_id: 'deals',
        _embedded: {statuses: stagesToCreate(DEAL_STAGES.map((s) => s.key)).map((s, i) => ({...s, sort: (i + 2) * 10}))},
      },
    ])
    if (pipeline) {
      account.pipelines.push(pipeline)
      created.pipeline = {id: pipeline.id, name: pipeline.name}
      created.stages.push(...stagesOf(pipeline))
      ;({resolution, ids} = settle(account, config, names, {...ids, pipelineId: pipeline.id}))
    }
  } else if (resolution.context === undefined && resolution.pipeline.ok && resolution.pipeline.id !== null) {
    const missing = resolution.stages.filter(
      (s) => s.problem === 'not_found' || (s.problem === 'configured_id_not_found' && ids.stages[s.key] === undefined),
    )
    const toCreate = stagesToCreate(missing.map((s) => s.key))
    if (toCreate.length > 0) {
      const pipelineId = resolution.pipeline.id
      const made = await api.createPipelineStatuses(pipelineId, toCreate)
      const pipeline = account.pipelines.find((p) => p.id === pipelineId)!
      pipeline._embedded.statuses.push(...made)
      const byName = new Map(DEAL_STAGES.map((s) => [s.name, s.key]))
      for (const status of made) {
        const key = byName.get(status.name)
        if (key === undefined) continue
        created.stages.push({key, id: status.id, name: status.name})
        ids.stages[key] = status.id
      }
      ;({resolution, ids} = settle(account, config, names, ids))
    }
  }

  const fields = await createMissingOf(
    // Settled: a field found by name is configured now, so whatever is still missing is to be made.
    {fields: resolution.fields, idsToSave: {}},
    DEAL_FIELD_CATALOGUE,
    (defs) => api.createLeadCustomFields(defs),
  )
  if (fields.made.length > 0) {
    account.fields.push(...fields.made)
    created.fields.push(...fields.created)
    for (const c of fields.created) ids.fields[c.key] = c.id
  }

  const reasons = resolution.lossReasons.filter((r) => r.id === null)
  if (reasons.length > 0) {
    const made = await api.createLossReasons(reasons.map((r, i) => ({name: r.name, request_id: `reason-${i}`})))
    account.lossReasons.push(...made)
    created.lossReasons.push(...made.map((r: LossReason) => ({id: r.id, name: r.name})))
  }

  const after = settle(account, config, names, ids)
  return {...result(after.resolution, save(after.ids, after.resolution, options), options), created}
}

/** The `--json` of the deals section. */
export interface DealsCheckJson {
  ok: boolean
  summary: string
  warnings: string[]
  pipeline: SetupItemJson & {foundBy: string | null}
  stages: Array<SetupItemJson & {key: string; foundBy: string | null}>
  fields: FieldStatusJson[]
  /** Every loss reason the deals need; `ok` with a problem is a warning. */
  lossReasons: Array<SetupItemJson & {source: 'fallback' | 'ident'}>
  /** The account's pipelines and their stages (to map the deals by hand). */
  pipelines: DealResolution['pipelines']
  saved: {pipelineId?: number; stages: Record<string, number>; fields: Record<string, number>}
  /** `fields create` only. */
  created?: DealsCreateResult['created']
}

interface SetupItemJson {
  name: string
  id: number | null
  ok: boolean
  /** What is wrong, in words. */
  problem: string | null
  problemCode: string | null
  fix: string | null
}

export function dealsCheckJson(result: DealsCheckResult | DealsCreateResult): DealsCheckJson {
  const item = (i: PipelineCheck | StageCheck | LossReasonCheck): SetupItemJson => ({
    name: i.name,
    id: i.id,
    ok: i.ok,
    problem: i.message,
    problemCode: i.problem,
    fix: i.fix,
  })
  const {resolution} = result
  return {
    ok: result.ok,
    summary: result.summary,
    warnings: result.warnings,
    pipeline: {...item(resolution.pipeline), foundBy: resolution.pipeline.foundBy},
    stages: resolution.stages.map((s) => ({key: s.key, ...item(s), foundBy: s.foundBy})),
    fields: resolution.fields.map(fieldStatusJson),
    lossReasons: resolution.lossReasons.map((r) => ({...item(r), source: r.source})),
    pipelines: resolution.pipelines,
    saved: result.saved as DealsCheckJson['saved'],
    ...('created' in result ? {created: result.created} : {}),
  }
}

function cancelReasonNames(source: CancelReasonNames): readonly string[] {
  return 'names' in source ? source.names : []
}

function emptyIds(): DealIds {
  return {stages: {}, fields: {}}
}

/**
 * Resolves with the ids found by name applied, again and again until nothing new is found: the stages
 * of a pipeline are looked for once its id is known. `start` holds ids already settled (or made).
 */
function settle(
  account: DealAccount,
  config: DealSetupConfig,
  names: readonly string[],
  start: DealIds = emptyIds(),
): {resolution: DealResolution; ids: DealIds} {
  let ids: DealIds = {...start, stages: {...start.stages}, fields: {...start.fields}}
  // Each round can only add the stages of a pipeline found in the round before: three always settle.
  for (let round = 0; round < 3; round++) {
    const resolution = resolveDeals(account, withDealIds(config, ids), names)
    if (noDealIds(resolution.idsToSave)) return {resolution, ids}
    ids = {
      ...ids,
      ...(resolution.idsToSave.pipelineId === undefined ? {} : {pipelineId: resolution.idsToSave.pipelineId}),
      stages: {...ids.stages, ...resolution.idsToSave.stages},
      fields: {...ids.fields, ...resolution.idsToSave.fields},
    }
  }
  return {resolution: resolveDeals(account, withDealIds(config, ids), names), ids}
}

function save(ids: DealIds, resolution: DealResolution, options: DealsCheckOptions): DealIds {
  if (!options.saveIds || noDealIds(ids)) return emptyIds()
  options.saveIds(ids, resolution.pipeline.id ?? undefined)
  return ids
}

/** The stages of these keys that are made (not amoCRM's closed ones), with their names and colours. */
function stagesToCreate(keys: readonly DealStageKey[]): StatusCreate[] {
  return DEAL_STAGES.filter((s) => keys.includes(s.key) && s.name !== undefined).map((s) => ({
    name: s.name!,
    ...(s.color === undefined ? {} : {color: s.color}),
    request_id: s.key,
  }))
}

function stagesOf(pipeline: Pipeline): DealsCreateResult['created']['stages'] {
  const out: DealsCreateResult['created']['stages'] = []
  for (const spec of DEAL_STAGES) {
    const status = pipeline._embedded.statuses.find((s: PipelineStatus) => s.name === spec.name)
    if (status) out.push({key: spec.key, id: status.id, name: status.name})
  }
  return out
}

function result(resolution: DealResolution, saved: DealIds, options: DealsCheckOptions): DealsCheckResult {
  const warnings: string[] = []
  if ('unavailable' in options.cancelReasons)
    warnings.push(
      `IDENT's cancel reasons were not read (${options.cancelReasons.unavailable}): only the loss reason '${DEFAULT_LOSS_REASON}' is checked`,
    )
  return {ok: resolution.ok, resolution, saved, warnings, summary: summarize(resolution)}
}

function summarize(resolution: DealResolution): string {
  const bad = problemsOf(resolution)
  const missingReasons = resolution.lossReasons.filter((r) => r.ok && r.problem !== null).length
  if (bad.length === 0) {
    const fields = resolution.fields.filter((f) => f.enabled).length
    const usable = `deals: the pipeline '${resolution.pipeline.name}', its ${resolution.stages.length} stages, ${fields} deal fields and the loss reasons are usable`
    return missingReasons === 0
      ? usable
      : `${usable} (${missingReasons} of IDENT's cancel reasons have no loss reason: they go as '${DEFAULT_LOSS_REASON}')`
  }
  const byProblem = new Map<string, string[]>()
  for (const p of bad) {
    const what = p.problem.replaceAll('_', ' ')
    byProblem.set(what, [...(byProblem.get(what) ?? []), p.what])
  }
  const list = [...byProblem].map(([what, items]) => `${what}: ${items.join(', ')}`).join('; ')
  return `deals: ${bad.length} ${bad.length === 1 ? 'item is' : 'items are'} not usable (${list})`
}
