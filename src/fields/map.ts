import type {CustomFieldValueWrite} from '../amocrm/types.js'
import type {Patient} from '../ident/types.js'
import {FIELD_CATALOGUE} from './catalogue.js'
import {dateInZone} from './dates.js'
import {nonEmpty} from './normalize.js'
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

/** `SurName Name Patronymic` with empty parts dropped; `Пациент <id>` when all are empty. */
export function contactNames(patient: Pick<Patient, 'id' | 'surname' | 'name' | 'patronymic'>): {
  name: string
  first_name: string
  last_name: string
} {
  const surname = nonEmpty(patient.surname)
  const first = [nonEmpty(patient.name), nonEmpty(patient.patronymic)].filter((p): p is string => p !== null).join(' ')
  const full = [surname, first].filter((p) => p !== null && p !== '').join(' ')
  return {name: full === '' ? `Пациент ${patient.id}` : full, first_name: first, last_name: surname ?? ''}
}

/**
 * Patient → desired contact, for the fields of `resolved` (enabled and usable in this account).
 * Pure: no I/O, never throws on bad data (bad values become warnings and are not sent).
 */
export function mapPatient(patient: Patient, resolved: ResolvedFields, options: MapOptions): DesiredContact {
  const warnings: MappingWarning[] = []
  const fields: DesiredField[] = []
  const skipped: DesiredContact['skipped'] = []
  const today = dateInZone(options.now.getTime(), options.clinicTimezone)

  for (const spec of FIELD_CATALOGUE) {
    const field = resolved[spec.key]
    if (!field) {
      skipped.push({key: spec.key, reason: 'disabled_or_missing'})
      continue
    }
    // Fields that share a source (age and birthday) would say the same thing twice: once is enough.
    const warn = (code: MappingWarning['code'], detail: string) => {
      if (!warnings.some((w) => w.code === code && w.detail === detail))
        warnings.push({patientId: patient.id, field: spec.key, code, detail})
    }
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
    const base = {key: spec.key, fieldId: field.id, fieldName: field.name, fieldType: field.type, fieldCode: field.code, kind: spec.kind}
    if (formatted.state === 'clear') {
      fields.push({...base, values: spec.kind === 'multitext' ? [] : null, value: spec.kind === 'multitext' ? [] : null})
      continue
    }
    fields.push({...base, values: formatted.values, value: formatted.value})
  }
  return {patientId: patient.id, ...contactNames(patient), fields, skipped, warnings}
}
