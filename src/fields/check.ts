import type {AmoApi} from '../amocrm/api.js'
import type {CustomFieldCreate, CustomFieldDef} from '../amocrm/types.js'
import type {FieldSetting} from '../config/index.js'
import type {DealsCheckJson} from './deal-check.js'
import {FIELD_CATALOGUE} from './catalogue.js'
import {resolveFields, withFieldIds, type FieldResolution, type FieldStatus, type ResolvableField} from './resolve.js'
import type {FieldKey} from './types.js'

export interface SaveIdsOption {
  /** Persists field ids (`saveFieldIds` of the config area); without it nothing is written. */
  saveIds?: (ids: Record<string, number>) => void
}

export interface FieldsCheckResult {
  /** Every enabled field is usable. */
  ok: boolean
  fields: FieldStatus[]
  /** Ids written to the config by this run (`--fix`). */
  saved: Partial<Record<FieldKey, number>>
  /** One line for people. */
  summary: string
}

export interface FieldsCreateResult extends FieldsCheckResult {
  created: Array<{key: FieldKey; name: string; id: number; type: string}>
}

/** One field in the `--json` of `fields check` / `fields create` (a contact or a deal field). */
export interface FieldStatusJson {
  key: string
  name: string
  id: number | null
  type: string | null
  enabled: boolean
  ok: boolean
  /** What is wrong, in words. */
  problem: string | null
  /** not_found | configured_id_not_found | wrong_type | missing_options | cannot_disable. */
  problemCode: string | null
  fix: string | null
}

/** The `--json` document of `fields check` (and the base of `fields create`'s). */
export interface FieldsCheckJson {
  /** The contact fields — and with DEALS on the deals setup too — are usable. */
  ok: boolean
  summary: string
  saved: Record<string, number>
  fields: FieldStatusJson[]
  /** With DEALS on: the pipeline, stages, deal fields and loss reasons (absent with DEALS off). */
  deals?: DealsCheckJson
}

export function fieldsCheckJson(result: FieldsCheckResult): FieldsCheckJson {
  return {ok: result.ok, summary: result.summary, saved: result.saved as Record<string, number>, fields: result.fields.map(fieldStatusJson)}
}

export function fieldStatusJson(f: FieldStatus<string>): FieldStatusJson {
  return {
    key: f.key,
    name: f.name,
    id: f.id,
    type: f.type,
    enabled: f.enabled,
    ok: f.ok,
    problem: f.message,
    problemCode: f.problem,
    fix: f.fix,
  }
}

function summarize(resolution: FieldResolution): string {
  const enabled = resolution.fields.filter((f) => f.enabled)
  const bad = enabled.filter((f) => !f.ok)
  if (bad.length === 0) return `all ${enabled.length} mapped fields are usable`
  const byProblem = new Map<string, string[]>()
  for (const f of bad) {
    const what = (f.problem ?? 'problem').replaceAll('_', ' ')
    byProblem.set(what, [...(byProblem.get(what) ?? []), f.key])
  }
  const list = [...byProblem].map(([what, keys]) => `${what}: ${keys.join(', ')}`).join('; ')
  return `${bad.length} of ${enabled.length} mapped fields are not usable (${list})`
}

function save(ids: Partial<Record<FieldKey, number>>, options: SaveIdsOption): Partial<Record<FieldKey, number>> {
  const entries = Object.entries(ids).filter((e): e is [FieldKey, number] => e[1] !== undefined)
  if (!options.saveIds || entries.length === 0) return {}
  options.saveIds(Object.fromEntries(entries))
  return Object.fromEntries(entries)
}

/**
 * Checks every enabled mapped field against the account: found (by configured id, code or default
 * name), of a compatible type, with every select option. With `saveIds` (`--fix`) the ids found by
 * code or name are saved and the result shows the fixed state.
 */
export async function checkFields(
  api: Pick<AmoApi, 'listCustomFields'>,
  fieldsConfig: Record<string, FieldSetting>,
  options: SaveIdsOption = {},
): Promise<FieldsCheckResult> {
  const defs = await api.listCustomFields()
  let resolution = resolveFields(defs, fieldsConfig)
  const saved = save(resolution.idsToSave, options)
  if (Object.keys(saved).length > 0) resolution = resolveFields(defs, withFieldIds(fieldsConfig, saved))
  return {ok: resolution.ok, fields: resolution.fields, saved, summary: summarize(resolution)}
}

/** What `fields create` would make for the problems of a resolution: each enabled field missing (not of a wrong type). */
function fieldsToCreate<K extends string>(
  resolution: Pick<FieldResolution<K>, 'fields' | 'idsToSave'>,
  catalogue: ReadonlyArray<ResolvableField<K>>,
): CustomFieldCreate[] {
  const out: CustomFieldCreate[] = []
  for (const status of resolution.fields) {
    const spec = catalogue.find((s) => s.key === status.key)
    if (!status.enabled || !spec?.createType) continue
    const missing =
      status.problem === 'not_found' || (status.problem === 'configured_id_not_found' && resolution.idsToSave[status.key] === undefined)
    if (!missing) continue
    out.push({
      name: spec.name,
      type: spec.createType,
      ...(spec.options ? {enums: spec.options.map((value, i) => ({value, sort: (i + 1) * 10}))} : {}),
      request_id: spec.key,
    })
  }
  return out
}

/**
 * Creates the fields of `catalogue` that `resolution` finds missing, in one request (none when nothing
 * is missing): what was made, by key, and the account's new field definitions.
 */
export async function createMissingOf<K extends string>(
  resolution: Pick<FieldResolution<K>, 'fields' | 'idsToSave'>,
  catalogue: ReadonlyArray<ResolvableField<K>>,
  create: (defs: CustomFieldCreate[]) => Promise<CustomFieldDef[]>,
): Promise<{created: Array<{key: K; name: string; id: number; type: string}>; made: CustomFieldDef[]}> {
  const toCreate = fieldsToCreate(resolution, catalogue)
  if (toCreate.length === 0) return {created: [], made: []}
  const made = await create(toCreate)
  const isKey = (key: string | undefined): key is K => catalogue.some((s) => s.key === key)
  const created: Array<{key: K; name: string; id: number; type: string}> = []
  made.forEach((def, i) => {
    const requestId = (def as CustomFieldDef & {request_id?: string}).request_id
    const key = isKey(requestId) ? requestId : toCreate[i]?.request_id
    if (isKey(key)) created.push({key, name: def.name, id: def.id, type: def.type})
  })
  return {created, made}
}

/**
 * Creates the enabled mapped fields the account lacks (right type, select options), saves their ids
 * and those of the fields found by code or name. A field that exists with a wrong type or without an
 * option is reported, not duplicated. PHONE and EMAIL are built in and never created. Idempotent.
 */
export async function createMissingFields(
  api: Pick<AmoApi, 'listCustomFields' | 'createCustomFields'>,
  fieldsConfig: Record<string, FieldSetting>,
  options: SaveIdsOption = {},
): Promise<FieldsCreateResult> {
  const defs = await api.listCustomFields()
  const before = resolveFields(defs, fieldsConfig)
  const {created, made} = await createMissingOf(before, FIELD_CATALOGUE, (d) => api.createCustomFields(d))
  const all: CustomFieldDef[] = [...defs, ...made]
  const ids: Partial<Record<FieldKey, number>> = {...before.idsToSave}
  for (const c of created) ids[c.key] = c.id
  const saved = save(ids, options)
  const after = resolveFields(all, withFieldIds(fieldsConfig, ids))
  return {ok: after.ok, fields: after.fields, saved, created, summary: summarize(after)}
}
