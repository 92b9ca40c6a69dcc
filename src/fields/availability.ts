import type {Patient} from '../ident/types.js'
import {FIELD_CATALOGUE} from './catalogue.js'
import {mapPatient} from './map.js'
import type {FieldKey, ResolvedFields} from './types.js'

/** A patient with every value present, so that only the values made unavailable are missing. */
const PROBE: Patient = {
  id: '1',
  surname: 'Проба',
  name: 'Проба',
  patronymic: 'Пробович',
  phone: '+74951234567',
  mobilePhone: '+79251234567',
  email: 'probe@example.com',
  sex: 1,
  birthday: '1990-01-01',
  inn: '7700000000',
  snils: '12345678901',
  patientNumber: '1',
  cardNumber: '1',
  comment: 'проба',
  firstVisit: '2020-01-01 10:00:00',
  smsRejection: false,
  archived: true,
  archiveReason: 'проба',
  visits: [{at: '2020-01-01 10:00:00', doctor: 'Проба П. П.'}],
  totalVisits: 1,
  branch: 'проба',
  balance: 1,
  advance: 1,
  debt: 0,
  discount: 5,
  changedAt: '2020-01-01 10:00:00',
}

/** Every field resolved to a field of its own type, with every option: nothing but the source can be missing. */
const ALL_RESOLVED: ResolvedFields = Object.fromEntries(
  FIELD_CATALOGUE.map((spec, i) => [
    spec.key,
    {
      key: spec.key,
      id: i + 1,
      name: spec.name,
      type: spec.types[0]!,
      code: spec.code,
      enums: Object.fromEntries((spec.options ?? []).map((o, j) => [o, j + 1])),
    },
  ]),
)

/**
 * The mapped fields that cannot be sent when these patient values are unavailable (their IDENT
 * columns are missing): asked of the mapping itself, so that `db check` cannot disagree with a sync.
 */
export function fieldsUnavailableWith(values: ReadonlyArray<keyof Patient>): FieldKey[] {
  if (values.length === 0) return []
  const patient: Patient = {...PROBE}
  for (const value of values) (patient as unknown as Record<string, unknown>)[value] = undefined
  const desired = mapPatient(patient, ALL_RESOLVED, {
    accountTimezone: 'Europe/Moscow',
    clinicTimezone: 'Europe/Moscow',
    now: new Date('2026-01-01T00:00:00Z'),
  })
  return desired.skipped.filter((s) => s.reason === 'source_missing').map((s) => s.key)
}
