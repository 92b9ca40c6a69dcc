import type {ValidationProblem} from '../amocrm/types.js'
import {ENUM_TYPES, type StoredEnum, type StoredField} from './fields.js'
import {isInt, isPlainObject, problem} from './problems.js'
import {calendarDayAt, type CalendarDay, midnightOf, parseRfc3339} from './tz.js'

/** amoCRM's limit for `text` (and other one-line) values. */
export const TEXT_MAX_LENGTH = 256
/**
 * amoCRM does not publish a limit for `textarea`; the sandbox takes 10,000 characters so that an
 * over-long visit history still fails loudly instead of passing silently.
 */
export const TEXTAREA_MAX_LENGTH = 10_000

/** A value as stored and returned: numerics as strings, dates as unix seconds, enums resolved. */
export interface StoredValue {
  value: string | number | boolean
  enum_id?: number
  enum_code?: string | null
}

export interface FieldValuesUpdate {
  fieldId: number
  /** Empty: clear the field. */
  values: StoredValue[]
}

export interface FieldLookup {
  byId(id: number): StoredField | undefined
  byCode(code: string): StoredField | undefined
  timezone: string
  /** A text value the account refuses as such (`SandboxSettings.refuseValues`). */
  refuses?: (value: string) => boolean
}

const ALLOWED_KEYS: Record<'plain' | 'enum', ReadonlySet<string>> = {
  plain: new Set(['value']),
  enum: new Set(['value', 'enum_id', 'enum_code']),
}

/**
 * Reads `custom_fields_values` of one contact element (docs/amocrm.md "Values").
 * `undefined` or `null` mean "no change". Problems are pushed with paths relative to the element.
 */
export function readCustomFieldsValues(input: unknown, lookup: FieldLookup, problems: ValidationProblem[]): FieldValuesUpdate[] {
  if (input === undefined || input === null) return []
  if (!Array.isArray(input)) {
    problems.push(problem.invalidType('custom_fields_values', 'array'))
    return []
  }
  const updates = new Map<number, FieldValuesUpdate>()
  input.forEach((item, i) => {
    const at = `custom_fields_values.${i}`
    if (!isPlainObject(item)) return void problems.push(problem.invalidType(at, 'array'))
    const field = resolveField(item, at, lookup, problems)
    if (!field) return
    const raw = item.values
    if (raw === undefined) return void problems.push(problem.notBlank(`${at}.values`))
    if (raw === null) return void updates.set(field.id, {fieldId: field.id, values: []})
    if (!Array.isArray(raw)) return void problems.push(problem.invalidType(`${at}.values`, 'array'))
    if ((field.type === 'select' || field.type === 'radiobutton') && raw.length > 1)
      return void problems.push(problem.tooMany(`${at}.values`, 1))
    const values: StoredValue[] = []
    const start = problems.length
    raw.forEach((v, j) => {
      const stored = readValue(v, field, `${at}.values.${j}`, lookup, problems)
      if (stored && !(field.type === 'multiselect' && values.some((x) => x.enum_id === stored.enum_id))) values.push(stored)
    })
    if (problems.length === start) updates.set(field.id, {fieldId: field.id, values})
  })
  return [...updates.values()]
}

function resolveField(
  item: Record<string, unknown>,
  at: string,
  lookup: FieldLookup,
  problems: ValidationProblem[],
): StoredField | undefined {
  const {field_id: id, field_code: code} = item
  if (id !== undefined && id !== null) {
    if (!isInt(id)) return void problems.push(problem.invalidType(`${at}.field_id`, 'int'))
    const field = lookup.byId(id)
    if (!field) return void problems.push(problem.notSupportedChoice(`${at}.field_id`))
    if (code !== undefined && code !== null && code !== field.code)
      return void problems.push(problem.notSupportedChoice(`${at}.field_code`))
    return field
  }
  if (code !== undefined && code !== null) {
    if (typeof code !== 'string') return void problems.push(problem.invalidType(`${at}.field_code`, 'string'))
    const field = lookup.byCode(code)
    if (!field) return void problems.push(problem.notSupportedChoice(`${at}.field_code`))
    return field
  }
  problems.push(problem.noFieldIdentity(at))
  return undefined
}

function readValue(
  input: unknown,
  field: StoredField,
  at: string,
  lookup: FieldLookup,
  problems: ValidationProblem[],
): StoredValue | undefined {
  if (!isPlainObject(input)) return void problems.push(problem.invalidType(at, 'array'))
  const allowed = ENUM_TYPES.has(field.type) ? ALLOWED_KEYS.enum : ALLOWED_KEYS.plain
  const unexpected = Object.keys(input).filter((k) => !allowed.has(k))
  if (unexpected.length > 0) {
    for (const k of unexpected) problems.push(problem.notExpected(`${at}.${k}`))
    return undefined
  }
  const {value} = input
  if (typeof value === 'string' && lookup.refuses?.(value)) return void problems.push(problem.invalidValue(`${at}.value`, value))
  switch (field.type) {
    case 'text':
    case 'url':
    case 'streetaddress':
    case 'textarea': {
      if (typeof value !== 'string') return void problems.push(problem.invalidType(`${at}.value`, 'string'))
      const max = field.type === 'textarea' ? TEXTAREA_MAX_LENGTH : TEXT_MAX_LENGTH
      if ([...value].length > max) return void problems.push(problem.tooLong(`${at}.value`, max, value))
      return value === '' ? undefined : {value}
    }
    case 'numeric': {
      if (typeof value === 'number' && Number.isFinite(value)) return {value: String(value)}
      if (typeof value === 'string' && value.trim() === '') return undefined
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return {value: value.trim()}
      return void problems.push(problem.invalidType(`${at}.value`, 'numeric'))
    }
    case 'checkbox': {
      if (typeof value !== 'boolean') return void problems.push(problem.invalidType(`${at}.value`, 'bool'))
      return {value}
    }
    case 'date':
    case 'birthday':
    case 'date_time':
      return readDate(value, field.type === 'date_time', at, lookup.timezone, problems)
    case 'multitext': {
      if (typeof value !== 'string') return void problems.push(problem.invalidType(`${at}.value`, 'string'))
      if ([...value].length > TEXT_MAX_LENGTH) return void problems.push(problem.tooLong(`${at}.value`, TEXT_MAX_LENGTH, value))
      const choice = pickEnum(input, field, at, problems, 'code')
      if (!choice) return undefined
      return value === '' ? undefined : {value, enum_id: choice.id, enum_code: choice.value}
    }
    case 'select':
    case 'radiobutton':
    case 'multiselect': {
      const choice = pickEnum(input, field, at, problems, 'value')
      return choice ? {value: choice.value, enum_id: choice.id, enum_code: null} : undefined
    }
  }
}

/**
 * The enum a value names. Multitext: `enum_id` or `enum_code` (the enum's value is its code), else the
 * first enum (WORK for PHONE/EMAIL). Select-like: `enum_id`, else `value` (the option's text); their
 * options carry no codes here, so an `enum_code` never matches.
 */
function pickEnum(
  input: Record<string, unknown>,
  field: StoredField,
  at: string,
  problems: ValidationProblem[],
  by: 'code' | 'value',
): StoredEnum | undefined {
  const enums = [...(field.enums ?? [])].sort((a, b) => a.sort - b.sort || a.id - b.id)
  const {enum_id: enumId, enum_code: enumCode, value} = input
  if (enumId !== undefined && enumId !== null) {
    if (!isInt(enumId)) return void problems.push(problem.invalidType(`${at}.enum_id`, 'int'))
    const found = enums.find((e) => e.id === enumId)
    if (!found) return void problems.push(problem.notSupportedChoice(`${at}.enum_id`))
    if (by === 'code' && enumCode !== undefined && enumCode !== null && enumCode !== found.value)
      return void problems.push(problem.notSupportedChoice(`${at}.enum_code`))
    return found
  }
  if (enumCode !== undefined && enumCode !== null) {
    if (typeof enumCode !== 'string') return void problems.push(problem.invalidType(`${at}.enum_code`, 'string'))
    const found = by === 'code' ? enums.find((e) => e.value === enumCode) : undefined
    if (!found) return void problems.push(problem.notSupportedChoice(`${at}.enum_code`))
    return found
  }
  if (by === 'code') return enums[0] ?? void problems.push(problem.notSupportedChoice(`${at}.enum_code`))
  if (value === undefined || value === null) return void problems.push(problem.notBlank(`${at}.value`))
  if (typeof value !== 'string') return void problems.push(problem.invalidType(`${at}.value`, 'string'))
  return enums.find((e) => e.value === value) ?? void problems.push(problem.notSupportedChoice(`${at}.value`))
}

/**
 * date / birthday: an int ≥ 0 (its calendar day in the account timezone) or an RFC 3339 string (its
 * date part as written), stored as 00:00 of that day in the account timezone (PHP #402). A result
 * before 1970 is refused (PHP #85/#219). date_time: the instant as sent.
 */
function readDate(value: unknown, keepTime: boolean, at: string, timezone: string, problems: ValidationProblem[]): StoredValue | undefined {
  let seconds: number
  if (isInt(value)) {
    if (value < 0) return void problems.push(problem.notNegative(`${at}.value`, value))
    seconds = keepTime ? value : midnightSeconds(calendarDayAt(value * 1000, timezone), timezone)
  } else if (typeof value === 'string') {
    const parsed = parseRfc3339(value.trim())
    if (!parsed) return void problems.push(problem.invalidType(`${at}.value`, 'int'))
    seconds = keepTime && parsed.instant !== undefined ? Math.floor(parsed.instant / 1000) : midnightSeconds(parsed.day, timezone)
  } else {
    return void problems.push(problem.invalidType(`${at}.value`, 'int'))
  }
  if (seconds < 0) return void problems.push(problem.notNegative(`${at}.value`, value))
  return {value: seconds}
}

function midnightSeconds(day: CalendarDay, timezone: string): number {
  return Math.floor(midnightOf(day, timezone) / 1000)
}
