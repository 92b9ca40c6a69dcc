import {type PatientRow, STATUS_CHANGED_KEYS, type VisitRow} from './queries.js'
import type {ResolvedSchema} from './schema.js'
import {type Patient, UNPARSEABLE, type Unparseable, type Visit} from './types.js'

/**
 * Row → Patient: the derived values of docs/ident-schema.md, with naive local times whichever driver
 * returned them (tedious: `Date` whose UTC fields hold the naive value; SQLite: text).
 */
export function patientFromRow(row: PatientRow, visits: Visit[] | undefined, schema: ResolvedSchema): Patient {
  const has = (key: keyof PatientRow) => key in row
  const archived = schema.available('archived') ? isSet(row.archivingReasonId) : undefined
  const balance = schema.available('balance')
    ? roundKopecks(toNumber(row.initialBalance) + toNumber(row.paid) - toNumber(row.billed))
    : undefined
  const changed = [
    row.patientChanged,
    row.personChanged,
    row.receptionsChanged,
    ...Object.values(STATUS_CHANGED_KEYS).map((key) => row[key]),
    row.paymentsChanged,
    row.ordersChanged,
  ]
    .map(naiveDateTime)
    .filter((x): x is string => x !== null)
    .sort()
  return {
    id: String(row.id),
    surname: text(row.surname),
    name: text(row.name),
    patronymic: has('patronymic') ? text(row.patronymic) : undefined,
    phone: has('phone') ? text(row.phone) : undefined,
    mobilePhone: has('mobilePhone') ? text(row.mobilePhone) : undefined,
    email: has('email') ? text(row.email) : undefined,
    sex: has('sex') ? integerOrNull(row.sex) : undefined,
    birthday: has('birthday') ? parseBirthday(row.birthday) : undefined,
    inn: has('inn') ? text(row.inn) : undefined,
    snils: has('snils') ? text(row.snils) : undefined,
    patientNumber: has('patientNumber') ? text(row.patientNumber) : undefined,
    cardNumber: has('cardNumber') ? text(row.cardNumber) : undefined,
    comment: has('comment') ? text(row.comment) : undefined,
    firstVisit: has('firstVisit') ? naiveDateTime(row.firstVisit) : undefined,
    smsRejection: has('smsRejection') ? isTrue(row.smsRejection) : undefined,
    archived,
    archiveReason: schema.available('archiveReason') ? (archived ? text(row.archiveReason) : null) : undefined,
    visits,
    totalVisits: schema.available('totalVisits') ? toNumber(row.visitCount) : undefined,
    branch: schema.available('branch') ? (text(row.orderBranch) ?? text(row.paymentBranch)) : undefined,
    balance,
    advance: balance === undefined ? undefined : Math.max(balance, 0),
    debt: balance === undefined ? undefined : Math.max(-balance, 0),
    discount: schema.available('discount') ? roundKopecks(toNumber(row.discount)) : undefined,
    changedAt: changed.at(-1) ?? null,
  }
}

export function visitFromRow(row: VisitRow): Visit {
  return {at: naiveDateTime(row.at) ?? '', doctor: formatDoctor(row.doctorSurname, row.doctorName, row.doctorPatronymic)}
}

/** `Фамилия И. О.`; the parts that are empty are left out; null when there is no name at all. */
export function formatDoctor(surname: unknown, name: unknown, patronymic: unknown): string | null {
  const initials = [text(name), text(patronymic)]
    .filter((x): x is string => x !== null)
    .map((x) => `${x.charAt(0).toLocaleUpperCase('ru-RU')}.`)
  const parts = [text(surname), ...initials].filter((x): x is string => x !== null)
  return parts.length > 0 ? parts.join(' ') : null
}

/** Trimmed text; empty → null. */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return naiveDateTime(value)
  const s = (typeof value === 'string' ? value : String(value)).trim()
  return s === '' ? null : s
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** Naive local `YYYY-MM-DD HH:MM:SS` from a tedious `Date` (UTC fields) or SQLite text. */
export function naiveDateTime(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null
    return `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())} ${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}`
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(String(value).trim())
  if (!m) return null
  return `${m[1]} ${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}`
}

/** `YYYY-MM-DD`. */
export function naiveDate(value: unknown): string | null {
  return naiveDateTime(value)?.slice(0, 10) ?? null
}

/**
 * `Persons.Birthday` as `YYYY-MM-DD` whatever IDENT keeps it as: a `date`/`datetime` column (a
 * tedious `Date`), ISO text (`1961-04-12`, with or without a time), or `ДД.ММ.ГГГГ` text as real
 * IDENT does; surrounding spaces are ignored. Empty → null; anything else, or a day that does not
 * exist (`31.02.1990`), → `UNPARSEABLE`. The rules live here, not in SQL (no TRY_CONVERT): one place,
 * the same for every database.
 */
export function parseBirthday(value: unknown): string | Unparseable | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return naiveDate(value) ?? UNPARSEABLE
  if (typeof value !== 'string') return UNPARSEABLE
  const s = value.trim()
  if (s === '') return null
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(s)
  if (iso) return calendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3])) ?? UNPARSEABLE
  const russian = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s)
  if (russian) return calendarDate(Number(russian[3]), Number(russian[2]), Number(russian[1])) ?? UNPARSEABLE
  return UNPARSEABLE
}

/** `YYYY-MM-DD` when the day exists in the calendar. */
function calendarDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day))
  d.setUTCFullYear(year)
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

/** Half away from zero, to the kopeck; never `-0`. */
export function roundKopecks(value: number): number {
  // The nudge absorbs binary noise such as 1.005 * 100 = 100.49999999999999.
  const cents = Math.round(Math.abs(value) * 100 + 1e-6)
  return cents === 0 ? 0 : (Math.sign(value) * cents) / 100
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined || value === '') return 0
  const n = typeof value === 'bigint' ? Number(value) : Number(value)
  return Number.isFinite(n) ? n : 0
}

function integerOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 1n
}

/** An FK is set when it is not NULL; a 0 references no row either (older IDENT data). */
function isSet(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '' && Number(value) !== 0
}
