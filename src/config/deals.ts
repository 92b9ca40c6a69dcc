import {ConfigError} from '../errors.js'
import {
  DEAL_FIELD_KEYS,
  DEAL_STAGE_KEYS,
  DEAL_STAGES,
  type DealFieldKey,
  type DealStageKey,
  isDealFieldKey,
  isDealStageKey,
} from '../fields/deal-catalogue.js'
import {parseBoolean} from './load.js'

/**
 * The `deals.*` keys of the config file (appointments → deals) and the deal field ids
 * `fields.deal.<key>.id`: how they are read, validated, set and documented. `DEALS`,
 * `DEALS_HISTORY_DAYS` and `DEALS_NO_SHOW_HOURS` are ordinary settings (settings.ts).
 */

/** A deal field's entry: its amoCRM id, or `false` to never send it (as `fields.<key>` for contacts). */
export type DealFieldSetting = {id?: number} | false

export interface DealsConfig {
  /** DEALS (`deals.enabled`). */
  enabled: boolean
  /** DEALS_HISTORY_DAYS. */
  historyDays: number
  /** DEALS_NO_SHOW_HOURS. */
  noShowHours: number
  /** `deals.pipeline_id`: the pipeline of the deals. */
  pipelineId: number | undefined
  /** `deals.stages.<key>`: the stage of each key; `paid` is 142 and `cancelled` 143 unless set. */
  stages: Partial<Record<DealStageKey, number>>
  /** `deals.protected_stages`: stages the tool never moves a deal out of. */
  protectedStages: number[]
  /** `deals.claim` (default on): a patient's first booking takes the open deal a manager made. */
  claim: boolean
  /** `deals.claim_pipelines`: where deals are claimed; the deals pipeline unless set. */
  claimPipelines: number[]
  /** `deals.responsible_user_id`: responsible user of deals whose doctor has no user. */
  responsibleUserId: number | undefined
  /** `deals.users.<staff id>`: IDENT doctor (Staffs.ID) → amoCRM user id. */
  users: Record<string, number>
  /** The `deals.*` keys the config file sets (for `config show`). */
  keysInFile: string[]
}

/** One documented key (README, `config show`). */
export interface DealKeyDef {
  key: string
  describe: string
  default?: string
}

const STAGE_DEFAULTS = Object.fromEntries(DEAL_STAGES.flatMap((s) => (s.status === undefined ? [] : [[s.key, s.status]]))) as Partial<
  Record<DealStageKey, number>
>

/** The keys of the config file for deals, in the order the README lists them. */
export const DEAL_KEYS: readonly DealKeyDef[] = [
  {key: 'deals.pipeline_id', describe: 'id of the amoCRM pipeline of the deals (`fields create` makes «Приёмы IDENT» and saves it)'},
  {
    key: 'deals.stages.<key>',
    describe: `id of the stage for each key: ${DEAL_STAGE_KEYS.join(', ')} (\`fields check --fix\` finds them by name)`,
    default: 'paid `142`, cancelled `143`',
  },
  {key: 'deals.protected_stages', describe: 'stage ids the tool never moves a deal out of, comma-separated'},
  {key: 'deals.claim', describe: "a patient's first booking takes the open deal a manager made for the contact", default: '`true`'},
  {key: 'deals.claim_pipelines', describe: 'pipeline ids where deals are claimed, comma-separated', default: 'the deals pipeline'},
  {key: 'deals.responsible_user_id', describe: 'amoCRM user responsible for deals whose doctor has no user of their own'},
  {key: 'deals.users.<staff id>', describe: 'amoCRM user id of an IDENT doctor (`Staffs.ID`)'},
  {
    key: 'fields.deal.<key>.id',
    describe: `amoCRM id of a deal field (${DEAL_FIELD_KEYS.join(', ')}); \`fields.deal.<key> false\` never sends it`,
  },
]

const LIST_KEYS = ['protected_stages', 'claim_pipelines'] as const
const ID_KEYS = ['pipeline_id', 'responsible_user_id'] as const
const DEALS_FILE_KEYS = new Set(['enabled', 'stages', 'claim', 'users', ...LIST_KEYS, ...ID_KEYS])

/**
 * The `deals` object of the config file, validated; `settings` are the values of DEALS,
 * DEALS_HISTORY_DAYS and DEALS_NO_SHOW_HOURS (already validated as settings).
 */
export function readDealsConfig(raw: unknown, settings: {enabled: boolean; historyDays: number; noShowHours: number}): DealsConfig {
  if (raw !== undefined && raw !== null && !isObject(raw))
    throw new ConfigError(`deals in the config file must be an object, got '${JSON.stringify(raw)}'`)
  const stored = (raw ?? {}) as Record<string, unknown>
  for (const key of Object.keys(stored)) if (!DEALS_FILE_KEYS.has(key)) throw unknownKey(`deals.${key}`)
  const keysInFile: string[] = []
  const present = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') keysInFile.push(key)
    return value !== undefined && value !== null && value !== ''
  }
  const id = (key: (typeof ID_KEYS)[number]) => (present(`deals.${key}`, stored[key]) ? positiveId(stored[key], `deals.${key}`) : undefined)
  const list = (key: (typeof LIST_KEYS)[number]) => (present(`deals.${key}`, stored[key]) ? idList(stored[key], `deals.${key}`) : undefined)

  const stages: Partial<Record<DealStageKey, number>> = {...STAGE_DEFAULTS}
  for (const [key, value] of Object.entries(objectAt(stored.stages, 'deals.stages'))) {
    if (!isDealStageKey(key)) throw new ConfigError(`deals.stages.${key} is not a stage key`, `use one of ${DEAL_STAGE_KEYS.join(', ')}`)
    if (present(`deals.stages.${key}`, value)) stages[key] = positiveId(value, `deals.stages.${key}`)
  }
  const users: Record<string, number> = {}
  for (const [staff, value] of Object.entries(objectAt(stored.users, 'deals.users'))) {
    checkStaffId(staff)
    if (present(`deals.users.${staff}`, value)) users[staff] = positiveId(value, `deals.users.${staff}`)
  }
  const pipelineId = id('pipeline_id')
  const claimRaw = stored.claim
  return {
    ...settings,
    pipelineId,
    stages,
    protectedStages: list('protected_stages') ?? [],
    claim: present('deals.claim', claimRaw) ? booleanValue(claimRaw, 'deals.claim') : true,
    claimPipelines: list('claim_pipelines') ?? (pipelineId === undefined ? [] : [pipelineId]),
    responsibleUserId: id('responsible_user_id'),
    users,
    keysInFile,
  }
}

/** `fields.deal` of the config file: deal field key → its id, or `false`. */
export function readDealFields(raw: unknown): Partial<Record<DealFieldKey, DealFieldSetting>> {
  const out: Partial<Record<DealFieldKey, DealFieldSetting>> = {}
  for (const [key, value] of Object.entries(objectAt(raw, 'fields.deal'))) {
    if (!isDealFieldKey(key)) throw new ConfigError(`fields.deal.${key} is not a deal field`, `use one of ${DEAL_FIELD_KEYS.join(', ')}`)
    if (value === false) out[key] = false
    else if (value === true || value === null || value === undefined) out[key] = {}
    else if (!isObject(value)) throw new ConfigError(`fields.deal.${key} must be false or {"id": N}, got '${JSON.stringify(value)}'`)
    else {
      const fieldId = (value as {id?: unknown}).id
      out[key] = fieldId === undefined || fieldId === null ? {} : {id: positiveId(fieldId, `fields.deal.${key}.id`)}
    }
  }
  return out
}

/**
 * What `config set KEY VALUE` writes for a deals key: the config-file path and the value (undefined:
 * remove the key, for an empty VALUE); undefined when KEY is not a deals key. Throws a ConfigError
 * naming the key for a bad key or value. `deals.enabled` is the DEALS setting (see `settingByKey`).
 */
export function dealConfigEntry(key: string, raw: string): {path: string; value: unknown} | undefined {
  const value = raw.trim()
  const remove = value === ''
  const entry = (path: string, parse: () => unknown) => ({path, value: remove ? undefined : parse()})
  const field = /^fields\.deal\.([a-z_]+)(\.id)?$/.exec(key)
  if (field) {
    if (!isDealFieldKey(field[1]!))
      throw new ConfigError(`fields.deal.${field[1]} is not a deal field`, `use one of ${DEAL_FIELD_KEYS.join(', ')}`)
    if (field[2]) return entry(key, () => positiveId(value, key))
    return {path: key, value: remove ? {} : booleanValue(value, key) ? {} : false}
  }
  if (!key.startsWith('deals.')) return undefined
  const name = key.slice('deals.'.length)
  if ((ID_KEYS as readonly string[]).includes(name)) return entry(key, () => positiveId(value, key))
  if ((LIST_KEYS as readonly string[]).includes(name)) return entry(key, () => idList(value, key))
  if (name === 'claim') return entry(key, () => booleanValue(value, key))
  const stage = /^stages\.(.+)$/.exec(name)
  if (stage) {
    if (!isDealStageKey(stage[1]!))
      throw new ConfigError(`${key}: '${stage[1]}' is not a stage key`, `use one of ${DEAL_STAGE_KEYS.join(', ')}`)
    return entry(key, () => positiveId(value, key))
  }
  const user = /^users\.(.+)$/.exec(name)
  if (user) {
    checkStaffId(user[1]!)
    return entry(key, () => positiveId(value, key))
  }
  throw unknownKey(key)
}

/** `config show`: every deals key with its value and where it comes from (file, default, unset). */
export function dealSettingRows(
  deals: DealsConfig,
  fields: Partial<Record<DealFieldKey, DealFieldSetting>>,
): Array<{key: string; value: string; source: string}> {
  const inFile = new Set(deals.keysInFile)
  const row = (key: string, value: unknown, byDefault: boolean) => ({
    key,
    value: value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value),
    source: inFile.has(key) ? 'file' : byDefault ? 'default' : 'unset',
  })
  return [
    row('deals.pipeline_id', deals.pipelineId, false),
    ...DEAL_STAGE_KEYS.map((k) => row(`deals.stages.${k}`, deals.stages[k], STAGE_DEFAULTS[k] !== undefined)),
    row('deals.protected_stages', deals.protectedStages, false),
    row('deals.claim', deals.claim, true),
    row('deals.claim_pipelines', deals.claimPipelines, deals.pipelineId !== undefined),
    row('deals.responsible_user_id', deals.responsibleUserId, false),
    ...Object.entries(deals.users).map(([staff, user]) => row(`deals.users.${staff}`, user, false)),
    ...Object.entries(fields).map(([key, setting]) => ({
      key: `fields.deal.${key}`,
      value: setting === false ? 'disabled' : setting.id === undefined ? '' : String(setting.id),
      source: 'file',
    })),
  ]
}

function unknownKey(key: string): ConfigError {
  return new ConfigError(
    `unknown configuration key '${key}'`,
    `the deals keys are ${DEAL_KEYS.map((k) => k.key).join(', ')} and deals.enabled`,
  )
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function objectAt(raw: unknown, key: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {}
  if (!isObject(raw)) throw new ConfigError(`${key} must be an object of keys and values, got '${JSON.stringify(raw)}'`)
  return raw
}

function positiveId(value: unknown, key: string): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n
  throw new ConfigError(`${key} must be an amoCRM id (a positive whole number), got '${String(value)}'`)
}

function idList(value: unknown, key: string): number[] {
  const parts = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [value]
  try {
    return [...new Set(parts.map((p) => positiveId(p, key)))]
  } catch {
    throw new ConfigError(
      `${key} must be amoCRM ids separated by commas (e.g. 142,143), got '${Array.isArray(value) ? value.join(',') : String(value)}'`,
    )
  }
}

function booleanValue(value: unknown, key: string): boolean {
  const parsed = typeof value === 'boolean' ? value : parseBoolean(String(value))
  if (parsed === undefined) throw new ConfigError(`${key} must be true or false, got '${String(value)}'`)
  return parsed
}

function checkStaffId(staff: string): void {
  if (!/^\d+$/.test(staff) || Number(staff) <= 0)
    throw new ConfigError(
      `deals.users.${staff}: '${staff}' is not an IDENT doctor id`,
      "use the doctor's Staffs.ID, e.g. `ident-amo config set deals.users.17 5000123`",
    )
}
