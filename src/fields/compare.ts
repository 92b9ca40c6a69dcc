import type {
  Contact,
  ContactCustomFieldRead,
  ContactCustomFieldWrite,
  ContactWrite,
  CustomFieldValueRead,
  CustomFieldValueWrite,
} from '../amocrm/types.js'
import {amoDateToIso, amoRefusesDate, russianDate} from './dates.js'
import type {DesiredContact, DesiredField} from './map.js'
import {foldText, normalizeEmail, normalizePhone} from './normalize.js'
import type {FieldKey, ResolvedFields} from './types.js'

/**
 * The phones and e-mails this tool wrote to the contact last time; the sync state keeps them. Each is
 * the normalized value, or `writtenKey` of it when one is given (the state keeps keyed hashes only).
 */
export interface WrittenMultiValues {
  phone?: string[]
  email?: string[]
}

/** What a written value is remembered as: a keyed hash of its normalized form (the sync state's). */
export type WrittenKey = (kind: 'phone' | 'email', normalized: string) => string

export interface CompareOptions {
  /** amoCRM's timezone: date values come back as unix seconds at midnight there. */
  accountTimezone: string
  /** What this tool wrote last time, so that a value IDENT dropped is removed (and only such a value). */
  previous?: WrittenMultiValues
  /** How `previous` holds its values; without it they are the values themselves. */
  writtenKey?: WrittenKey
}

export type DiffKey = FieldKey | 'name' | 'first_name' | 'last_name'

/** One row of a side-by-side comparison. */
export interface FieldDiff {
  key: DiffKey
  /** The field's name in the account (or a label for the name parts). */
  name: string
  /** What the contact should hold, for people. */
  desired: string
  /** What it holds now, for people. */
  actual: string
  /** Equal means no write. */
  equal: boolean
  /** amoCRM cannot hold the desired value (a date before 1970): the contact is without it, and stays so. */
  refused?: 'before_1970'
}

interface Comparison extends FieldDiff {
  /** What to send when not equal. */
  write?: ContactCustomFieldWrite
}

const NAME_LABELS = {name: 'ФИО', first_name: 'Имя', last_name: 'Фамилия'} as const

/** A contact's fields by id and by code (the first of each, as a scan in order finds it). */
interface ContactFields {
  byId: Map<number, ContactCustomFieldRead>
  byCode: Map<string, ContactCustomFieldRead>
}

function contactFields(contact: Contact | null): ContactFields {
  const fields: ContactFields = {byId: new Map(), byCode: new Map()}
  for (const cf of contact?.custom_fields_values ?? []) {
    if (!fields.byId.has(cf.field_id)) fields.byId.set(cf.field_id, cf)
    if (cf.field_code && !fields.byCode.has(cf.field_code)) fields.byCode.set(cf.field_code, cf)
  }
  return fields
}

function contactValues(fields: ContactFields, field: DesiredField): ContactCustomFieldRead | undefined {
  return fields.byId.get(field.fieldId) ?? (field.fieldCode ? fields.byCode.get(field.fieldCode) : undefined)
}

function firstValue(cf: ContactCustomFieldRead | undefined): CustomFieldValueRead | undefined {
  return cf?.values?.[0]
}

function plainText(value: unknown): string {
  if (value === undefined || value === null) return ''
  return String(value).replaceAll('\r\n', '\n').trim()
}

function multiKey(key: FieldKey, value: unknown): string | null {
  const text = plainText(value)
  if (text === '') return null
  if (key === 'phone') return normalizePhone(text)?.e164 ?? null
  return normalizeEmail(text) ?? text.toLowerCase()
}

function readToWrite(v: CustomFieldValueRead): CustomFieldValueWrite {
  const out: CustomFieldValueWrite = {value: plainText(v.value)}
  if (v.enum_code) out.enum_code = v.enum_code
  else if (v.enum_id !== undefined) out.enum_id = v.enum_id
  return out
}

/**
 * The contact's new list for a multi-value field (phone, email): values CRM users added stay, a value
 * this tool wrote before that IDENT no longer has goes, IDENT's new values are added. Equality ignores
 * formatting (phones through libphonenumber, e-mails case-insensitive). `changed` false means: do not send.
 * `previous` holds what was written as `writtenKey` makes it (the values themselves without one).
 */
export function mergeMultiValues(
  key: 'phone' | 'email',
  existing: CustomFieldValueRead[],
  desired: CustomFieldValueWrite[],
  previous: string[] = [],
  writtenKey?: WrittenKey,
): {values: CustomFieldValueWrite[]; changed: boolean} {
  const wanted = new Map<string, CustomFieldValueWrite>()
  for (const d of desired) {
    const k = multiKey(key, d.value)
    if (k !== null && !wanted.has(k)) wanted.set(k, d)
  }
  const dropped = writtenKey ? new Set(previous) : new Set(previous.map((p) => multiKey(key, p)).filter((k): k is string => k !== null))
  const asWritten = (k: string) => (writtenKey ? writtenKey(key, k) : k)
  const present = new Set<string>()
  const values: CustomFieldValueWrite[] = []
  let changed = false
  for (const e of existing) {
    const k = multiKey(key, e.value)
    if (k !== null && wanted.has(k)) {
      present.add(k)
      values.push(readToWrite(e))
    } else if (k !== null && dropped.has(asWritten(k))) {
      changed = true
    } else {
      values.push(readToWrite(e))
    }
  }
  for (const [k, d] of wanted) {
    if (present.has(k)) continue
    values.push(d)
    changed = true
  }
  return {values, changed}
}

function showNumber(n: number): string {
  return String(n)
}

function asNumber(value: unknown): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  const text = String(value).trim().replace(',', '.')
  if (text === '') return null
  const n = Number(text)
  return Number.isFinite(n) ? n : null
}

function asBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true'
}

function compareField(
  field: DesiredField,
  contact: ContactFields,
  resolved: ResolvedFields | undefined,
  options: CompareOptions,
  display: boolean,
): Comparison {
  const cf = contactValues(contact, field)
  const base = {key: field.key, name: field.fieldName}
  const clear = {field_id: field.fieldId, values: null}
  const set = {field_id: field.fieldId, values: field.values}
  const v = firstValue(cf)

  switch (field.kind) {
    case 'multitext': {
      const key = field.key === 'email' ? 'email' : 'phone'
      const existing = cf?.values ?? []
      const merged = mergeMultiValues(key, existing, field.values ?? [], options.previous?.[key], options.writtenKey)
      const show = (vals: Array<{value?: unknown}>) => (display ? vals.map((x) => plainText(x.value)).join(', ') : '')
      return {
        ...base,
        desired: show(merged.values),
        actual: show(existing),
        equal: !merged.changed,
        ...(merged.changed ? {write: {field_id: field.fieldId, values: merged.values}} : {}),
      }
    }
    case 'numeric': {
      const actual = asNumber(v?.value)
      const desired = typeof field.value === 'number' ? field.value : null
      const equal = actual === null || desired === null ? actual === desired : Math.abs(actual - desired) < 0.005
      return {
        ...base,
        desired: desired === null ? '' : showNumber(desired),
        actual: actual === null ? plainText(v?.value) : showNumber(actual),
        equal,
        write: desired === null ? clear : set,
      }
    }
    case 'checkbox': {
      const actual = asBoolean(v?.value)
      const desired = field.value === true
      const show = (b: boolean) => (b ? 'да' : 'нет')
      return {
        ...base,
        desired: field.value === null ? '' : show(desired),
        actual: cf ? show(actual) : '',
        equal: actual === desired,
        write: field.value === null ? clear : set,
      }
    }
    case 'select': {
      const desiredId = field.values?.[0]?.enum_id
      const desiredText = typeof field.value === 'string' ? field.value : ''
      let actualText = plainText(v?.value)
      if (actualText === '' && v?.enum_id !== undefined) {
        const enums = resolved?.[field.key]?.enums ?? {}
        actualText = Object.entries(enums).find(([, id]) => id === v.enum_id)?.[0] ?? `#${v.enum_id}`
      }
      let equal: boolean
      if (field.values === null) equal = v === undefined
      else if (v === undefined) equal = false
      else if (v.enum_id !== undefined && desiredId !== undefined) equal = v.enum_id === desiredId
      else equal = foldText(actualText) === foldText(desiredText)
      return {...base, desired: desiredText, actual: actualText, equal, write: field.values === null ? clear : set}
    }
    case 'date': {
      const actual = v === undefined ? null : amoDateToIso(v.value, options.accountTimezone)
      const desired = typeof field.value === 'string' ? field.value : null
      const empty = v === undefined || plainText(v.value) === ''
      return {
        ...base,
        desired: desired === null || !display ? '' : russianDate(desired),
        actual: !display ? '' : actual === null ? plainText(v?.value) : russianDate(actual),
        equal: actual === desired && !(actual === null && !empty),
        ...(desired !== null && empty && amoRefusesDate(desired) ? {refused: 'before_1970' as const} : {}),
        write: desired === null ? clear : set,
      }
    }
    default: {
      const actual = plainText(v?.value)
      const desired = typeof field.value === 'string' ? plainText(field.value) : ''
      return {...base, desired, actual, equal: actual === desired, write: field.values === null ? clear : set}
    }
  }
}

function nameText(s: string | null | undefined): string {
  return (s ?? '').replaceAll(/\s+/g, ' ').trim()
}

function compareAll(
  desired: DesiredContact,
  contact: Contact | null,
  resolved: ResolvedFields | undefined,
  options: CompareOptions,
  /** Whether the rows carry the texts people see (`desired`, `actual`); empty when only `equal` and `write` are read. */
  display: boolean,
): Comparison[] {
  const rows: Comparison[] = []
  for (const key of ['name', 'first_name', 'last_name'] as const) {
    const want = nameText(desired[key])
    const have = nameText(contact?.[key])
    rows.push({key, name: NAME_LABELS[key], desired: want, actual: have, equal: want === have})
  }
  const fields = contactFields(contact)
  for (const field of desired.fields) rows.push(compareField(field, fields, resolved, options, display))
  return rows
}

/**
 * Side-by-side comparison of the desired contact with the contact as amoCRM returns it (numbers as
 * strings, dates as ints at account midnight, enums by id, extra phones, `custom_fields_values: null`).
 * `contact` null means there is no contact yet. Equal means no write.
 */
export function diffContact(
  desired: DesiredContact,
  contact: Contact | null,
  resolved: ResolvedFields | undefined,
  options: CompareOptions,
): FieldDiff[] {
  return compareAll(desired, contact, resolved, options, true).map(({write: _write, ...diff}) => diff)
}

/** The create payload: every field with a value (nothing to clear on a new contact). */
export function buildCreate(desired: DesiredContact): ContactWrite {
  const custom_fields_values: ContactCustomFieldWrite[] = []
  for (const field of desired.fields) {
    if (field.values === null || field.values.length === 0) continue
    custom_fields_values.push({field_id: field.fieldId, values: field.values})
  }
  return {
    name: desired.name,
    first_name: desired.first_name,
    last_name: desired.last_name,
    ...(custom_fields_values.length > 0 ? {custom_fields_values} : {}),
  }
}

/**
 * The update payload for `contact`: only what differs (a name part, a field; `values: null` clears),
 * phones and e-mails merged with the contact's own. Null when nothing differs.
 */
export function buildUpdate(
  desired: DesiredContact,
  contact: Contact,
  resolved: ResolvedFields | undefined,
  options: CompareOptions,
): ContactWrite | null {
  // Only what differs and what to send: the texts shown side by side are not needed.
  const rows = compareAll(desired, contact, resolved, options, false)
  const update: ContactWrite = {id: contact.id}
  const custom_fields_values: ContactCustomFieldWrite[] = []
  for (const row of rows) {
    if (row.equal) continue
    if (row.key === 'name' || row.key === 'first_name' || row.key === 'last_name') update[row.key] = desired[row.key]
    else if (row.write) custom_fields_values.push(row.write)
  }
  if (custom_fields_values.length > 0) update.custom_fields_values = custom_fields_values
  return Object.keys(update).length > 1 ? update : null
}

/**
 * The normalized phones and e-mails the desired contact asserts, as `writtenKey` makes them (the
 * values themselves without one); the state remembers them after a write.
 */
export function writtenMultiValues(desired: DesiredContact, writtenKey?: WrittenKey): WrittenMultiValues {
  const out: WrittenMultiValues = {}
  for (const field of desired.fields) {
    if (field.key !== 'phone' && field.key !== 'email') continue
    const kind = field.key
    out[kind] = (field.values ?? [])
      .map((v) => multiKey(kind, v.value))
      .filter((k): k is string => k !== null)
      .map((k) => (writtenKey ? writtenKey(kind, k) : k))
  }
  return out
}
