import type {CustomFieldDef, ValidationProblem} from '../amocrm/types.js'
import {isInt, isPlainObject, problem} from './problems.js'

/**
 * Custom-field definitions of contacts and deals (docs/amocrm.md "Values"; deal fields have the same
 * shapes and types). Types the sandbox can hold values of; the exotic ones (smart_address,
 * legal_entity, file, …) are refused at creation, and so is `multitext` on deals (contacts and
 * companies only).
 */
export const FIELD_TYPES = [
  'text',
  'numeric',
  'checkbox',
  'select',
  'multiselect',
  'multitext',
  'date',
  'date_time',
  'birthday',
  'url',
  'textarea',
  'radiobutton',
  'streetaddress',
] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/** Whose fields: `/api/v4/contacts/custom_fields` or `/api/v4/leads/custom_fields`. */
export type FieldEntity = 'contacts' | 'leads'

/** Types whose values pick from `enums`. */
export const ENUM_TYPES: ReadonlySet<string> = new Set(['select', 'multiselect', 'radiobutton', 'multitext'])

export interface StoredEnum {
  id: number
  value: string
  sort: number
}

export interface StoredField {
  id: number
  entity_type: FieldEntity
  name: string
  type: FieldType
  code: string | null
  sort: number
  is_api_only: boolean
  enums: StoredEnum[] | null
  group_id: string | null
  required_statuses: Array<{pipeline_id: number; status_id: number}>
  is_deletable: boolean
  is_predefined: boolean
  remind: string | null
}

/** What a fresh amoCRM (amocrm.ru) account has on contacts. */
export const PREDEFINED_FIELDS: ReadonlyArray<{name: string; type: FieldType; code: string; sort: number; enums?: string[]}> = [
  {name: 'Должность', type: 'text', code: 'POSITION', sort: 2},
  {name: 'Телефон', type: 'multitext', code: 'PHONE', sort: 4, enums: ['WORK', 'WORKDD', 'MOB', 'FAX', 'HOME', 'OTHER']},
  {name: 'Email', type: 'multitext', code: 'EMAIL', sort: 6, enums: ['WORK', 'PRIV', 'OTHER']},
]

export function renderField(field: StoredField, accountId: number, base: string): CustomFieldDef & Record<string, unknown> {
  return {
    id: field.id,
    name: field.name,
    type: field.type,
    account_id: accountId,
    code: field.code,
    sort: field.sort,
    is_api_only: field.is_api_only,
    enums: field.enums ? field.enums.map((e) => ({id: e.id, value: e.value, sort: e.sort})) : null,
    group_id: field.group_id,
    required_statuses: field.required_statuses.map((s) => ({...s})),
    is_deletable: field.is_deletable,
    is_predefined: field.is_predefined,
    entity_type: field.entity_type,
    remind: field.remind,
    triggers: [],
    currency: null,
    hidden_statuses: [],
    _links: {self: {href: `${base}/api/v4/${field.entity_type}/custom_fields/${field.id}`}},
  }
}

export interface FieldDraft {
  name: string
  type: FieldType
  code: string | null
  sort: number | undefined
  is_api_only: boolean
  enums: Array<{value: string; sort: number | undefined}> | null
  group_id: string | null
  required_statuses: Array<{pipeline_id: number; status_id: number}>
  remind: string | null
}

const REMIND = new Set(['never', 'day', 'week', 'month'])

/** Checks one element of `POST /api/v4/{entity}/custom_fields`; `codesInUse` grows as the batch is read. */
export function validateFieldDraft(
  input: unknown,
  entity: FieldEntity,
  codesInUse: Set<string>,
  problems: ValidationProblem[],
): FieldDraft | undefined {
  if (!isPlainObject(input)) {
    problems.push(problem.invalidType('', 'array'))
    return undefined
  }
  const start = problems.length
  const {type, name, code, sort, is_api_only: apiOnly, enums, group_id: groupId, required_statuses: requiredStatuses, remind} = input
  if (type === undefined || type === null || type === '') problems.push(problem.notBlank('type'))
  else if (typeof type !== 'string') problems.push(problem.invalidType('type', 'string'))
  else if (!(FIELD_TYPES as readonly string[]).includes(type) || (type === 'multitext' && entity === 'leads'))
    problems.push(problem.notSupportedChoice('type'))
  if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) problems.push(problem.notBlank('name'))
  else if (typeof name !== 'string') problems.push(problem.invalidType('name', 'string'))
  else if (name.length > 255) problems.push(problem.tooLong('name', 255))
  if (code !== undefined && code !== null) {
    if (typeof code !== 'string') problems.push(problem.invalidType('code', 'string'))
    else if (!/^[A-Za-z0-9_]{1,64}$/.test(code)) problems.push(problem.notSupportedChoice('code'))
    else if (codesInUse.has(code)) problems.push(problem.notUnique('code'))
  }
  if (sort !== undefined && sort !== null && !isInt(sort)) problems.push(problem.invalidType('sort', 'int'))
  if (apiOnly !== undefined && apiOnly !== null && typeof apiOnly !== 'boolean') problems.push(problem.invalidType('is_api_only', 'bool'))
  if (groupId !== undefined && groupId !== null && typeof groupId !== 'string') problems.push(problem.invalidType('group_id', 'string'))
  if (remind !== undefined && remind !== null) {
    if (type !== 'birthday') problems.push(problem.notExpected('remind'))
    else if (typeof remind !== 'string' || !REMIND.has(remind)) problems.push(problem.notSupportedChoice('remind'))
  }
  const statuses: Array<{pipeline_id: number; status_id: number}> = []
  if (requiredStatuses !== undefined && requiredStatuses !== null) {
    if (!Array.isArray(requiredStatuses)) problems.push(problem.invalidType('required_statuses', 'array'))
    else
      requiredStatuses.forEach((s, i) => {
        if (isPlainObject(s) && isInt(s.pipeline_id) && isInt(s.status_id))
          statuses.push({pipeline_id: s.pipeline_id, status_id: s.status_id})
        else problems.push(problem.invalidType(`required_statuses.${i}`, 'array'))
      })
  }
  const drafts: Array<{value: string; sort: number | undefined}> = []
  const wantsEnums = typeof type === 'string' && ENUM_TYPES.has(type)
  if (enums !== undefined && enums !== null) {
    if (!Array.isArray(enums)) problems.push(problem.invalidType('enums', 'array'))
    else if (!wantsEnums && enums.length > 0) problems.push(problem.notExpected('enums'))
    else {
      const seen = new Set<string>()
      enums.forEach((e, i) => {
        if (!isPlainObject(e)) return void problems.push(problem.invalidType(`enums.${i}`, 'array'))
        if (typeof e.value !== 'string' || e.value.trim() === '') return void problems.push(problem.notBlank(`enums.${i}.value`))
        if (seen.has(e.value)) return void problems.push(problem.notUnique(`enums.${i}.value`))
        if (e.sort !== undefined && e.sort !== null && !isInt(e.sort))
          return void problems.push(problem.invalidType(`enums.${i}.sort`, 'int'))
        seen.add(e.value)
        drafts.push({value: e.value, sort: isInt(e.sort) ? e.sort : undefined})
      })
    }
  }
  if (wantsEnums && drafts.length === 0 && problems.length === start) problems.push(problem.notBlank('enums'))
  if (problems.length > start) return undefined
  const fieldCode = typeof code === 'string' ? code : null
  if (fieldCode) codesInUse.add(fieldCode)
  return {
    name: name as string,
    type: type as FieldType,
    code: fieldCode,
    sort: isInt(sort) ? sort : undefined,
    is_api_only: apiOnly === true,
    enums: wantsEnums ? drafts : null,
    group_id: (groupId as string | null | undefined) ?? null,
    required_statuses: statuses,
    remind: type === 'birthday' ? ((remind as string | null | undefined) ?? 'never') : null,
  }
}
