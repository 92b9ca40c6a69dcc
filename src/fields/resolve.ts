import type {CustomFieldDef} from '../amocrm/types.js'
import type {FieldSetting} from '../config/index.js'
import {FIELD_CATALOGUE, type FieldSpec} from './catalogue.js'
import {foldText} from './normalize.js'
import type {FieldKey, ResolvedField, ResolvedFields} from './types.js'

export type FieldProblemKind = 'not_found' | 'configured_id_not_found' | 'wrong_type' | 'missing_options'

/** One mapped field's state in the account, as `fields check` shows it. */
export interface FieldStatus {
  key: FieldKey
  /** The field's name in the account, else the default name. */
  name: string
  id: number | null
  type: string | null
  /** False when `fields.<key>` is `false` in the config (never sent, never checked). */
  enabled: boolean
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

export interface FieldResolution {
  fields: FieldStatus[]
  /** Key → the account's field, for every enabled field that can be written. */
  resolved: ResolvedFields
  /** Ids found by code or name that the config does not hold yet (what `--fix` saves). */
  idsToSave: Partial<Record<FieldKey, number>>
  /** Every enabled field is usable. */
  ok: boolean
}

const FIX_COMMAND = 'ident-amo fields check --fix'
const CREATE_COMMAND = 'ident-amo fields create'

function enumsOf(def: CustomFieldDef): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of def.enums ?? []) if (!(e.value in out)) out[e.value] = e.id
  return out
}

function findByName(defs: CustomFieldDef[], name: string, spec: FieldSpec): CustomFieldDef | undefined {
  const exact = defs.filter((d) => d.name === name)
  const folded = exact.length > 0 ? exact : defs.filter((d) => foldText(d.name) === foldText(name))
  // Several fields with the name: prefer one we can write to, then the oldest.
  return [...folded].sort((a, b) => Number(spec.types.includes(b.type)) - Number(spec.types.includes(a.type)) || a.id - b.id)[0]
}

function missingOptions(spec: FieldSpec, def: CustomFieldDef): string[] {
  if (!spec.options) return []
  const have = new Set((def.enums ?? []).map((e) => foldText(e.value)))
  return spec.options.filter((o) => !have.has(foldText(o)))
}

function typeList(spec: FieldSpec): string {
  return spec.types.map((t) => `'${t}'`).join(' or ')
}

/**
 * Finds each enabled mapped field in the account: by the configured id, else by code (PHONE, EMAIL),
 * else by default name (exact, then case-/ё-insensitive). Reports what is wrong and how to fix it.
 */
export function resolveFields(defs: CustomFieldDef[], config: Record<string, FieldSetting>): FieldResolution {
  const fields: FieldStatus[] = []
  const resolved: ResolvedFields = {}
  const idsToSave: Partial<Record<FieldKey, number>> = {}

  for (const spec of FIELD_CATALOGUE) {
    const setting = config[spec.key]
    const base = {key: spec.key, name: spec.name, id: null, type: null, foundBy: null, problem: null, message: null, fix: null}
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
        message: `fields.${spec.key}.id is ${configuredId}, but the account has no contact field with that id`,
        fix: alt
          ? `run \`${FIX_COMMAND}\` to use ${what} (id ${alt.id})`
          : spec.createType
            ? `run \`${CREATE_COMMAND}\` to create ${what}, or set the right id with \`ident-amo config set fields.${spec.key}.id ID\``
            : `set the right id with \`ident-amo config set fields.${spec.key}.id ID\``,
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
          ? `the account has no contact field with code ${spec.code}`
          : `the account has no contact field named '${spec.name}'`,
        fix: spec.createType
          ? `run \`${CREATE_COMMAND}\`, or set the id of an existing field with \`ident-amo config set fields.${spec.key}.id ID\``
          : `the built-in ${spec.code} field cannot be created by the API; set its id with \`ident-amo config set fields.${spec.key}.id ID\` or disable it with \`ident-amo config set fields.${spec.key} false\``,
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
            ? `set fields.${spec.key}.id to a field of type ${typeList(spec)} (\`ident-amo config set fields.${spec.key}.id ID\`), or remove the id and run \`${CREATE_COMMAND}\``
            : `rename or delete the field '${def.name}' in amoCRM and run \`${CREATE_COMMAND}\`, or set fields.${spec.key}.id to a field of type ${typeList(spec)}`,
      })
      continue
    }

    const field: ResolvedField = {key: spec.key, id: def.id, name: def.name, type: def.type, code: def.code, enums: enumsOf(def)}
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
        fix: `add the option ${missing.map((o) => `'${o}'`).join(' and ')} to the field '${def.name}' in amoCRM, or fix fields.${spec.key}.id`,
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
export function withFieldIds(config: Record<string, FieldSetting>, ids: Partial<Record<FieldKey, number>>): Record<string, FieldSetting> {
  const out: Record<string, FieldSetting> = {...config}
  for (const [key, id] of Object.entries(ids)) if (id !== undefined) out[key] = {id}
  return out
}
