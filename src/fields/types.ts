import type {CustomFieldValueWrite} from '../amocrm/types.js'

/** The mapped fields, in the order of docs/field-mapping.md. */
export const FIELD_KEYS = [
  'phone',
  'email',
  'age',
  'gender',
  'visits',
  'total_visits',
  'card_number',
  'birthday',
  'comment',
  'discount',
  'sms_opt_out',
  'archive_reason',
  'status',
  'snils',
  'inn',
  'branch',
  'patient_number',
  'advance',
  'debt',
  'ident_id',
] as const

export type FieldKey = (typeof FIELD_KEYS)[number]

/** How a value is written and compared. */
export type ValueKind = 'multitext' | 'text' | 'numeric' | 'checkbox' | 'select' | 'date'

/** The account's field a key is written to (`resolveFields`; `resolveDealFields` for the deal fields). */
export interface ResolvedField<K extends string = FieldKey> {
  key: K
  id: number
  /** The name in the account (may differ from the default name when found by id). */
  name: string
  /** The account's type, one of the catalogue's accepted types. */
  type: string
  code: string | null
  /** Option text (as in the account) → enum id; empty for non-select fields. */
  enums: Record<string, number>
}

export type ResolvedFields = Partial<Record<FieldKey, ResolvedField>>

export type WarningCode =
  | 'phone_unparseable'
  | 'email_invalid'
  | 'text_truncated'
  | 'birthday_invalid'
  | 'value_out_of_range'
  | 'option_missing'
  /** A value the mapping could not format at all (not sent). */
  | 'value_invalid'

/** A per-patient problem with the data. `detail` never carries personal data (no digits, no names). */
export interface MappingWarning {
  patientId: string
  /** The mapped field, or `name` for the contact's name parts. */
  field: FieldKey | 'name'
  code: WarningCode
  detail: string
}

/** A scalar as compared and shown: text, number, boolean, `YYYY-MM-DD`, option text, or a list of normalized values. */
export type DesiredScalar = string | number | boolean | string[]

/** What a catalogue entry makes of one patient for one field. */
export type Formatted =
  /** The IDENT source is missing in this database: never sent. */
  | {state: 'unavailable'}
  /** Bad data for this patient (a warning says why): not sent this time. */
  | {state: 'skip'}
  /** Empty in IDENT: the field is cleared (`values: null`). */
  | {state: 'clear'}
  /** For multitext, `values` is IDENT's own list (possibly empty), merged with the contact's when written. */
  | {state: 'set'; values: CustomFieldValueWrite[]; value: DesiredScalar}
