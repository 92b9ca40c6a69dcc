import type {CustomFieldValueWrite} from '../amocrm/types.js'
import type {Patient} from '../ident/types.js'
import {FIELD_CATALOGUE} from './catalogue.js'
import {dateInZone} from './dates.js'
import {charLength, cutText, nonEmpty} from './normalize.js'
import type {DesiredScalar, FieldKey, MappingWarning, ResolvedFields, ValueKind} from './types.js'

/** One field as IDENT wants it. */
export interface DesiredField {
  key: FieldKey
  fieldId: number
  fieldName: string
  /** The account field's type. */
  fieldType: string
  fieldCode: string | null
  kind: ValueKind
  /**
   * What is sent; null clears the field. For multitext (phone, email) IDENT's own list — possibly
   * empty — which is merged with the contact's values when written, never sent as is on update.
   */
  values: CustomFieldValueWrite[] | null
  /** The value as compared and shown (null when cleared): see `DesiredScalar`. */
  value: DesiredScalar | null
}

export type SkipReason = 'disabled_or_missing' | 'source_missing' | 'bad_data'

/** A patient as the contact should look: the name parts and every mapped field this tool sends. */
export interface DesiredContact {
  patientId: string
  name: string
  first_name: string
  last_name: string
  /** In catalogue order. */
  fields: DesiredField[]
  /** Fields not sent for this patient, and why (disabled or unusable, IDENT source missing, bad data). */
  skipped: Array<{key: FieldKey; reason: SkipReason}>
  warnings: MappingWarning[]
}

export interface MapOptions {
  /** amoCRM's timezone (`account.datetime_settings.timezone`): dates are midnight there. */
  accountTimezone: string
  /** The clinic's timezone (SYNC_TIMEZONE, else the account's, else the system's): ages are counted there. */
  clinicTimezone: string
  /** The moment of the sync. */
  now: Date
}

/** amoCRM's limit for a contact's `name`, `first_name` and `last_name`. */
export const NAME_MAX_LENGTH = 255

/**
 * `SurName Name Patronymic` with empty parts dropped; `Пациент <id>` when all are empty. Control
 * characters are left out (see `printableText`) and each part is cut to amoCRM's 255 characters.
 */
export function contactNames(patient: Pick<Patient, 'id' | 'surname' | 'name' | 'patronymic'>): {
  name: string
  first_name: string
  last_name: string
} {
  return namesWithCuts(patient).names
}

function namesWithCuts(patient: Pick<Patient, 'id' | 'surname' | 'name' | 'patronymic'>): {
  names: {name: string; first_name: string; last_name: string}
  /** The parts cut to fit, with their length before. */
  cuts: Array<{part: 'name' | 'first_name' | 'last_name'; length: number}>
} {
  const surname = nonEmpty(patient.surname)
  const first = [nonEmpty(patient.name), nonEmpty(patient.patronymic)].filter((p): p is string => p !== null).join(' ')
  const full = [surname, first].filter((p) => p !== null && p !== '').join(' ')
  const whole = {name: full === '' ? `Пациент ${patient.id}` : full, first_name: first, last_name: surname ?? ''}
  const names = {...whole}
  const cuts: Array<{part: 'name' | 'first_name' | 'last_name'; length: number}> = []
  for (const part of ['name', 'first_name', 'last_name'] as const) {
    const {text, cut} = cutText(whole[part], NAME_MAX_LENGTH)
    names[part] = text
    if (cut) cuts.push({part, length: charLength(whole[part])})
  }
  return {names, cuts}
}

/** The last sync day asked for: every patient of a run asks for the same one. */
let lastDay: {epochMs: number; timeZone: string; day: string} | undefined

function dayOfRun(epochMs: number, timeZone: string): string {
  if (lastDay?.epochMs !== epochMs || lastDay.timeZone !== timeZone) lastDay = {epochMs, timeZone, day: dateInZone(epochMs, timeZone)}
  return lastDay.day
}

/**
 * Patient → desired contact, for the fields of `resolved` (enabled and usable in this account).
 * Pure: no I/O, never throws on bad data (bad values become warnings and are not sent).
 */
export function mapPatient(patient: Patient, resolved: ResolvedFields, options: MapOptions): DesiredContact {
  const warnings: MappingWarning[] = []
  const fields: DesiredField[] = []
  const skipped: DesiredContact['skipped'] = []
  const today = dayOfRun(options.now.getTime(), options.clinicTimezone)

  // The field being formatted: one `warn` for the patient rather than one per field.
  let current: FieldKey = FIELD_CATALOGUE[0]!.key
  // Fields that share a source (age and birthday) would say the same thing twice: once is enough.
  const warn = (code: MappingWarning['code'], detail: string) => {
    if (!warnings.some((w) => w.code === code && w.detail === detail)) warnings.push({patientId: patient.id, field: current, code, detail})
  }
  for (const spec of FIELD_CATALOGUE) {
    const field = resolved[spec.key]
    if (!field) {
      skipped.push({key: spec.key, reason: 'disabled_or_missing'})
      continue
    }
    current = spec.key
    let formatted
    try {
      formatted = spec.format({patient, field, accountTimezone: options.accountTimezone, today, warn})
    } catch (error) {
      // A value the formatter could not handle must not stop the run: skip it and say so (no personal data).
      warn('value_invalid', `the value could not be formatted (${(error as Error).name})`)
      formatted = {state: 'skip' as const}
    }
    if (formatted.state === 'unavailable') {
      skipped.push({key: spec.key, reason: 'source_missing'})
      continue
    }
    if (formatted.state === 'skip') {
      skipped.push({key: spec.key, reason: 'bad_data'})
      continue
    }
    const multitext = spec.kind === 'multitext'
    fields.push({
      key: spec.key,
      fieldId: field.id,
      fieldName: field.name,
      fieldType: field.type,
      fieldCode: field.code,
      kind: spec.kind,
      values: formatted.state === 'clear' ? (multitext ? [] : null) : formatted.values,
      value: formatted.state === 'clear' ? (multitext ? [] : null) : formatted.value,
    })
  }
  const {names, cuts} = namesWithCuts(patient)
  for (const {part, length} of cuts)
    warnings.push({
      patientId: patient.id,
      field: 'name',
      code: 'text_truncated',
      detail: `${part}: ${length} characters cut to ${NAME_MAX_LENGTH} (amoCRM's limit for a contact's name)`,
    })
  return {patientId: patient.id, ...names, fields, skipped, warnings}
}
