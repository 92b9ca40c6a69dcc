import type {CustomFieldDef} from '../amocrm/types.js'
import type {FieldSetting} from '../config/index.js'
import {FIELD_CATALOGUE} from './catalogue.js'
import {DEAL_FIELD_CATALOGUE, type DealFieldKey} from './deal-catalogue.js'
import {foldText} from './normalize.js'
import type {FieldKey, ResolvedField} from './types.js'

export type FieldProblemKind = 'not_found' | 'configured_id_not_found' | 'wrong_type' | 'missing_options' | 'cannot_disable'

/** One mapped field's state in the account, as `fields check` shows it (a contact field unless `K` says). */
export interface FieldStatus<K extends string = FieldKey> {
  key: K
  /** The field's name in the account, else the default name. */
  name: string
  id: number | null
  type: string | null
  /** False when the field is `false` in the config (never sent, never checked). */
  enabled: boolean
  /** The field's entry in the config file: `fields.<key>`, `fields.deal.<key>` for a deal field. */
  setting: string
  /** How the field was found. */
  foundBy: 'id' | 'code' | 'name' | null
  /** The mapping can write this field. */
  ok: boolean
  problem: FieldProblemKind | null
  /** What is wrong, in words (null when ok). */
  message: string | null
  /** What to do about it (null when nothing is to be done). */
  fix: string | null
}

export interface FieldResolution<K extends string = FieldKey> {
  fields: Array<FieldStatus<K>>
  /** Key → the account's field, for every enabled field that can be written. */
  resolved: Partial<Record<K, ResolvedField<K>>>
  /** Ids found by code or name that the config does not hold yet (what `--fix` saves). */
  idsToSave: Partial<Record<K, number>>
  /** Every enabled field is usable. */
  ok: boolean
}

/** What resolving needs of a catalogue entry (contact or deal field). */
export interface ResolvableField<K extends string> {
  key: K
  name: string
  /** Built-in fields (PHONE, EMAIL) are found by their code and never created. */
  code?: 'PHONE' | 'EMAIL' | null
  /** The type `fields create` makes; null for built-in fields. */
  createType: string | null
  types: readonly string[]
  /** Options a select must have (by text). */
  options?: readonly string[] | null
  /** The field can never be switched off (the deal's identity). */
  required?: boolean
}

/** Which of the account's fields a catalogue lives in, for the words and config keys of the checks. */
export interface FieldEntity {
  /** `contact` or `deal`, as in "the account has no deal field named …". */
  noun: string
  /** The config file's key of a field, before its key: `fields.` or `fields.deal.`. */
  settingPrefix: string
}

export const CONTACT_FIELDS: FieldEntity = {noun: 'contact', settingPrefix: 'fields.'}
export const DEAL_FIELDS: FieldEntity = {noun: 'deal', settingPrefix: 'fields.deal.'}

const FIX_COMMAND = 'ident-amo fields check --fix'
const CREATE_COMMAND = 'ident-amo fields create'

function enumsOf(def: CustomFieldDef): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of def.enums ?? []) if (!(e.value in out)) out[e.value] = e.id
  return out
}

function findByName(defs: CustomFieldDef[], name: string, spec: Pick<ResolvableField<string>, 'types'>): CustomFieldDef | undefined {
  const exact = defs.filter((d) => d.name === name)
  const folded = exact.length > 0 ? exact : defs.filter((d) => foldText(d.name) === foldText(name))
  // Several fields with the name: prefer one we can write to, then the oldest.
  return [...folded].sort((a, b) => Number(spec.types.includes(b.type)) - Number(spec.types.includes(a.type)) || a.id - b.id)[0]
}

function missingOptions(spec: ResolvableField<string>, def: CustomFieldDef): string[] {
  if (!spec.options) return []
  const have = new Set((def.enums ?? []).map((e) => foldText(e.value)))
  return spec.options.filter((o) => !have.has(foldText(o)))
}

function typeList(spec: ResolvableField<string>): string {
  return spec.types.map((t) => `'${t}'`).join(' or ')
}

/**
 * Finds each enabled mapped contact field in the account: by the configured id, else by code (PHONE,
 * EMAIL), else by default name (exact, then case-/ё-insensitive). Reports what is wrong and how to fix it.
 */
export function resolveFields(defs: CustomFieldDef[], config: Record<string, FieldSetting>): FieldResolution {
  return resolveCatalogue(defs, FIELD_CATALOGUE, config, CONTACT_FIELDS)
}

/** The same for the deal fields (`fields.deal.<key>` of the config), among the account's deal fields. */
export function resolveDealFields(
  defs: CustomFieldDef[],
  config: Partial<Record<DealFieldKey, FieldSetting>>,
): FieldResolution<DealFieldKey> {
  return resolveCatalogue(defs, DEAL_FIELD_CATALOGUE, config, DEAL_FIELDS)
}

function resolveCatalogue<K extends string>(
  defs: CustomFieldDef[],
  catalogue: ReadonlyArray<ResolvableField<K>>,
  config: Partial<Record<string, FieldSetting>>,
  entity: FieldEntity,
): FieldResolution<K> {
  const fields: Array<FieldStatus<K>> = []
  const resolved: Partial<Record<K, ResolvedField<K>>> = {}
  const idsToSave: Partial<Record<K, number>> = {}
  const {noun} = entity

  for (const spec of catalogue) {
    const setting = config[spec.key]
    const key = `${entity.settingPrefix}${spec.key}`
    const base = {
      key: spec.key,
      name: spec.name,
      id: null,
      type: null,
      setting: key,
      foundBy: null,
      problem: null,
      message: null,
      fix: null,
    }
    if (setting === false && spec.required) {
      fields.push({
        ...base,
        enabled: false,
        ok: false,
        problem: 'cannot_disable',
        message: `${key} is switched off, but ${spec.key} cannot be: it is how the tool knows its ${noun}s`,
        fix: `switch it on with \`ident-amo config set ${key} true\``,
      })
      continue
    }
    if (setting === false) {
      fields.push({...base, enabled: false, ok: true})
      continue
    }
    const configuredId = setting?.id
    const byId = configuredId === undefined ? undefined : defs.find((d) => d.id === configuredId)
    const byCode = spec.code ? defs.find((d) => d.code === spec.code) : undefined
    const byName = byCode ?? (spec.code ? undefined : findByName(defs, spec.name, spec))
    const def = byId ?? (configuredId === undefined ? byName : undefined)
    const foundBy: FieldStatus['foundBy'] = byId ? 'id' : def ? (byCode ? 'code' : 'name') : null
    const what = spec.code ? `the built-in field ${spec.code}` : `the field '${spec.name}'`

    if (configuredId !== undefined && !byId) {
      const alt = byName && spec.types.includes(byName.type) ? byName : undefined
      fields.push({
        ...base,
        enabled: true,
        ok: false,
        problem: 'configured_id_not_found',
        message: `${key}.id is ${configuredId}, but the account has no ${noun} field with that id`,
        fix: alt
          ? `run \`${FIX_COMMAND}\` to use ${what} (id ${alt.id})`
          : spec.createType
            ? `run \`${CREATE_COMMAND}\` to create ${what}, or set the right id with \`ident-amo config set ${key}.id ID\``
            : `set the right id with \`ident-amo config set ${key}.id ID\``,
      })
      if (alt) idsToSave[spec.key] = alt.id
      continue
    }

    if (!def) {
      fields.push({
        ...base,
        enabled: true,
        ok: false,
        problem: 'not_found',
        message: spec.code
          ? `the account has no ${noun} field with code ${spec.code}`
          : `the account has no ${noun} field named '${spec.name}'`,
        fix: spec.createType
          ? `run \`${CREATE_COMMAND}\`, or set the id of an existing field with \`ident-amo config set ${key}.id ID\``
          : `the built-in ${spec.code} field cannot be created by the API; set its id with \`ident-amo config set ${key}.id ID\` or disable it with \`ident-amo config set ${key} false\``,
      })
      continue
    }

    const found = {...base, enabled: true, name: def.name, id: def.id, type: def.type, foundBy}
    if (!spec.types.includes(def.type)) {
      fields.push({
        ...found,
        ok: false,
        problem: 'wrong_type',
        message: `the field '${def.name}' (id ${def.id}) is of type '${def.type}', ${spec.key} needs ${typeList(spec)}`,
        fix:
          foundBy === 'id'
            ? `set ${key}.id to a field of type ${typeList(spec)} (\`ident-amo config set ${key}.id ID\`), or remove the id and run \`${CREATE_COMMAND}\``
            : `rename or delete the field '${def.name}' in amoCRM and run \`${CREATE_COMMAND}\`, or set ${key}.id to a field of type ${typeList(spec)}`,
      })
      continue
    }

    const field: ResolvedField<K> = {key: spec.key, id: def.id, name: def.name, type: def.type, code: def.code, enums: enumsOf(def)}
    // A select without some option still takes the others; the patients that need the missing one are warned about.
    resolved[spec.key] = field
    if (foundBy !== 'id') idsToSave[spec.key] = def.id

    const missing = missingOptions(spec, def)
    if (missing.length > 0) {
      fields.push({
        ...found,
        ok: false,
        problem: 'missing_options',
        message: `the field '${def.name}' has no option ${missing.map((o) => `'${o}'`).join(', ')}`,
        fix: `add the option ${missing.map((o) => `'${o}'`).join(' and ')} to the field '${def.name}' in amoCRM, or fix ${key}.id`,
      })
      continue
    }
    fields.push({
      ...found,
      ok: true,
      fix: foundBy === 'id' ? null : `run \`${FIX_COMMAND}\` to save its id in the config`,
    })
  }
  return {fields, resolved, idsToSave, ok: fields.every((f) => f.ok)}
}

/** The config with `ids` applied (what the config file holds after `saveFieldIds`). */
export function withFieldIds<C extends Partial<Record<string, FieldSetting>>>(config: C, ids: Partial<Record<string, number>>): C {
  const out: Partial<Record<string, FieldSetting>> = {...config}
  for (const [key, id] of Object.entries(ids)) if (id !== undefined) out[key] = {id}
  return out as C
}
