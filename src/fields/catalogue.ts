import type {Patient, Visit} from '../ident/types.js'
import {midnightRfc3339, parseIsoDate, russianDate, wholeYears} from './dates.js'
import {charLength, cutText, emailsInText, foldText, nonEmpty, phonesInText, type NormalizedPhone} from './normalize.js'
import type {FieldKey, Formatted, ResolvedField, ValueKind, WarningCode} from './types.js'

/** What a catalogue entry gets to format one patient's value. */
export interface FormatContext {
  patient: Patient
  /** The account's field the value goes to (its type decides length limits, its enums the option ids). */
  field: ResolvedField
  /** amoCRM normalizes dates to midnight in this zone. */
  accountTimezone: string
  /** The sync day in the clinic's timezone, `YYYY-MM-DD` (for ages). */
  today: string
  warn: (code: WarningCode, detail: string) => void
}

export interface FieldSpec {
  key: FieldKey
  /** Default name: `fields check` finds the field by it, `fields create` makes it with it. */
  name: string
  /** Built-in fields (PHONE, EMAIL) are found by their code and never created. */
  code: 'PHONE' | 'EMAIL' | null
  kind: ValueKind
  /** The type `fields create` makes; null for built-in fields. */
  createType: 'text' | 'textarea' | 'numeric' | 'checkbox' | 'select' | 'birthday' | null
  /** Account field types a value of this key can be written to. */
  types: readonly string[]
  /** Options a select must have (by text). */
  options: readonly string[] | null
  /** The value, for people (docs, `patient test`). */
  value: string
  /** Where it comes from in IDENT. */
  source: string
  format: (ctx: FormatContext) => Formatted
}

/** amoCRM's `text` fields hold 256 characters. */
export const TEXT_FIELD_LIMIT = 256
/**
 * amoCRM does not document a `textarea` limit; 10,000 characters is what the sandbox enforces, so a
 * longer text is cut (with a warning) rather than having amoCRM refuse the whole batch.
 */
export const TEXTAREA_FIELD_LIMIT = 10_000
/** What the visit history is cut to in a `textarea`. */
export const VISITS_TEXTAREA_LIMIT = 4000

export const GENDER_OPTIONS = {male: 'Мужской', female: 'Женский', unknown: 'Не указан'} as const
export const STATUS_OPTIONS = {active: 'Активный', archived: 'Архивный'} as const

const TEXT_TYPES = ['text', 'textarea'] as const
const LONG_TEXT_TYPES = ['textarea', 'text'] as const
const SELECT_TYPES = ['select', 'radiobutton'] as const
const DATE_TYPES = ['birthday', 'date'] as const

const UNAVAILABLE: Formatted = {state: 'unavailable'}
const CLEAR: Formatted = {state: 'clear'}
const SKIP: Formatted = {state: 'skip'}

/**
 * Text as is (without control characters, see `printableText`; line breaks only where `keepLines`),
 * cut with `…` and a warning when longer than the field takes (`text`: 256).
 */
function textValue(ctx: FormatContext, raw: string | null | undefined, label: string, options: {keepLines?: boolean} = {}): Formatted {
  if (raw === undefined) return UNAVAILABLE
  const text = nonEmpty(raw, options)
  if (text === null) return CLEAR
  const limit = ctx.field.type === 'text' ? TEXT_FIELD_LIMIT : TEXTAREA_FIELD_LIMIT
  const {text: out, cut} = cutText(text, limit)
  if (cut)
    ctx.warn('text_truncated', `${label}: ${charLength(text)} characters cut to ${limit} (the amoCRM field is of type ${ctx.field.type})`)
  return {state: 'set', values: [{value: out}], value: out}
}

function numberValue(n: number | null | undefined, decimals?: number): Formatted {
  if (n === undefined) return UNAVAILABLE
  if (n === null || !Number.isFinite(n)) return CLEAR
  const value = decimals === undefined ? n : roundTo(n, decimals)
  return {state: 'set', values: [{value}], value}
}

export function roundTo(n: number, decimals: number): number {
  const f = 10 ** decimals
  // Number.EPSILON keeps 1.005 from rounding down through its binary representation.
  return Math.round((n + Math.sign(n) * Number.EPSILON) * f) / f + 0
}

/**
 * A select's options by folded text (the first of equal ones, as a scan in order finds it): built once
 * per account field rather than folding every option for every patient.
 */
const optionsByFoldedText = new WeakMap<Record<string, number>, Map<string, [text: string, id: number]>>()

function optionsOf(enums: Record<string, number>): Map<string, [text: string, id: number]> {
  let options = optionsByFoldedText.get(enums)
  if (!options) {
    options = new Map()
    for (const [text, id] of Object.entries(enums)) {
      const folded = foldText(text)
      if (!options.has(folded)) options.set(folded, [text, id])
    }
    optionsByFoldedText.set(enums, options)
  }
  return options
}

/** The catalogue's own option texts, folded: a handful of constants. */
const foldedOptions = new Map<string, string>()

function optionValue(ctx: FormatContext, option: string): Formatted {
  let wanted = foldedOptions.get(option)
  if (wanted === undefined) foldedOptions.set(option, (wanted = foldText(option)))
  const found = optionsOf(ctx.field.enums).get(wanted)
  if (found) return {state: 'set', values: [{enum_id: found[1]}], value: found[0]}
  ctx.warn('option_missing', `the field '${ctx.field.name}' has no option '${option}'`)
  return SKIP
}

function phoneValues(ctx: FormatContext): Formatted {
  const {mobilePhone, phone} = ctx.patient
  if (mobilePhone === undefined && phone === undefined) return UNAVAILABLE
  const found: NormalizedPhone[] = []
  for (const [column, raw] of [
    ['Persons.MobilePhone', mobilePhone],
    ['Persons.Phone', phone],
  ] as const) {
    const {phones, unparseable} = phonesInText(raw)
    if (unparseable) ctx.warn('phone_unparseable', `${column} is not a valid phone number; it is not written and not used for matching`)
    for (const p of phones) if (!found.some((f) => f.e164 === p.e164)) found.push(p)
  }
  return {
    state: 'set',
    values: found.map((p) => ({value: p.e164, enum_code: p.type === 'mobile' ? 'MOB' : 'WORK'})),
    value: found.map((p) => p.e164),
  }
}

function emailValues(ctx: FormatContext): Formatted {
  const raw = ctx.patient.email
  if (raw === undefined) return UNAVAILABLE
  const {emails, invalid} = emailsInText(raw)
  if (invalid > 0) ctx.warn('email_invalid', `Persons.Email holds ${invalid} value(s) that are not e-mail addresses; they are not written`)
  const unique = [...new Set(emails)]
  return {state: 'set', values: unique.map((e) => ({value: e, enum_code: 'PRIV'})), value: unique}
}

/** `2024-03-05 14:30:00` → `05.03.2024 14:30`. */
function visitLine(visit: Visit): string {
  const date = russianDate(visit.at.slice(0, 10))
  const time = /\d{2}:\d{2}/.exec(visit.at.slice(10))?.[0] ?? ''
  const when = time ? `${date} ${time}` : date
  const doctor = nonEmpty(visit.doctor)
  return doctor ? `${when} — ${doctor}` : when
}

/**
 * Newest first, the most recent lines that fit `limit`, then `… и ещё N` counting every visit left
 * out (also those the reader did not bring, from `totalVisits`).
 */
export function formatVisitHistory(visits: Visit[], totalVisits: number | undefined, limit: number): string {
  const sorted = [...visits].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  const lines = sorted.map((v) => visitLine(v))
  const total = Math.max(totalVisits ?? lines.length, lines.length)
  // prefix[k]: the length of the first k lines joined by newlines.
  const prefix = [0]
  for (let i = 0; i < lines.length; i++) prefix.push(prefix[i]! + charLength(lines[i]!) + (i > 0 ? 1 : 0))
  let fits = 0
  for (let k = lines.length; k >= 0; k--) {
    const omitted = total - k
    const tail = omitted > 0 ? charLength(`… и ещё ${omitted}`) + (k > 0 ? 1 : 0) : 0
    if (prefix[k]! + tail <= limit) {
      fits = k
      break
    }
  }
  const omitted = total - fits
  const shown = lines.slice(0, fits)
  if (omitted > 0) shown.push(`… и ещё ${omitted}`)
  return shown.join('\n')
}

function formatSnils(raw: string): string {
  const digits = raw.replaceAll(/\D/g, '')
  if (digits.length !== 11) return raw.trim()
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 9)} ${digits.slice(9)}`
}

/**
 * The birthday both `age` and `birthday` come from. One that is not a date leaves both as amoCRM holds
 * them (never cleared), with one warning for the two (`mapPatient` drops the repeat).
 */
function birthdayOf(ctx: FormatContext): string | null | undefined | 'invalid' {
  const b = ctx.patient.birthday
  if (b === undefined || b === null) return b
  if (typeof b === 'string' && nonEmpty(b) === null) return null
  if (typeof b !== 'string' || !parseIsoDate(b)) {
    ctx.warn('birthday_invalid', 'Persons.Birthday is not a date; the birthday and age in amoCRM are left as they are')
    return 'invalid'
  }
  return b.trim().slice(0, 10)
}

/**
 * The one list of mapped fields (docs/field-mapping.md). The mapping, `fields check`, `fields create`,
 * `patient test` and the docs all read it.
 */
export const FIELD_CATALOGUE: readonly FieldSpec[] = [
  {
    key: 'phone',
    name: 'Телефон',
    code: 'PHONE',
    kind: 'multitext',
    createType: null,
    types: ['multitext'],
    options: null,
    value: 'E.164 (`+79251234567`), mobile with `enum_code` `MOB`, a landline with `WORK`; merged with the numbers CRM users added',
    source: 'Persons.MobilePhone, Persons.Phone',
    format: phoneValues,
  },
  {
    key: 'email',
    name: 'Email',
    code: 'EMAIL',
    kind: 'multitext',
    createType: null,
    types: ['multitext'],
    options: null,
    value: 'lower-cased, `enum_code` `PRIV`; merged with the addresses CRM users added',
    source: 'Persons.Email',
    format: emailValues,
  },
  {
    key: 'age',
    name: 'Возраст',
    code: null,
    kind: 'numeric',
    createType: 'numeric',
    types: ['numeric'],
    options: null,
    value: 'whole years on the day of the sync, clinic timezone',
    source: 'Persons.Birthday',
    format(ctx) {
      const b = birthdayOf(ctx)
      if (b === undefined) return UNAVAILABLE
      if (b === null) return CLEAR
      if (b === 'invalid') return SKIP
      const years = wholeYears(b, ctx.today)
      if (years === null) {
        ctx.warn('birthday_invalid', 'Persons.Birthday is after the sync day; the age is cleared')
        return CLEAR
      }
      return numberValue(years)
    },
  },
  {
    key: 'gender',
    name: 'Пол',
    code: null,
    kind: 'select',
    createType: 'select',
    types: SELECT_TYPES,
    options: [GENDER_OPTIONS.male, GENDER_OPTIONS.female, GENDER_OPTIONS.unknown],
    value: 'Мужской / Женский / Не указан, by option text → its `enum_id`',
    source: 'Persons.Sex',
    format(ctx) {
      const sex = ctx.patient.sex
      if (sex === undefined) return UNAVAILABLE
      const option = sex === 1 ? GENDER_OPTIONS.male : sex === 2 ? GENDER_OPTIONS.female : GENDER_OPTIONS.unknown
      return optionValue(ctx, option)
    },
  },
  {
    key: 'visits',
    name: 'Приемы',
    code: null,
    kind: 'text',
    createType: 'textarea',
    types: LONG_TEXT_TYPES,
    options: null,
    value: 'visit history `ДД.ММ.ГГГГ ЧЧ:ММ — Фамилия И. О.`, newest first, cut to fit (textarea 4,000 characters, text 256), `… и ещё N`',
    source: 'Receptions, Staffs',
    format(ctx) {
      const {visits, totalVisits} = ctx.patient
      if (visits === undefined) return UNAVAILABLE
      if (visits.length === 0 && !totalVisits) return CLEAR
      const limit = ctx.field.type === 'text' ? TEXT_FIELD_LIMIT : VISITS_TEXTAREA_LIMIT
      const text = formatVisitHistory(visits, totalVisits, limit)
      return {state: 'set', values: [{value: text}], value: text}
    },
  },
  {
    key: 'total_visits',
    name: 'Всего визитов',
    code: null,
    kind: 'numeric',
    createType: 'numeric',
    types: ['numeric'],
    options: null,
    value: 'count',
    source: 'Receptions',
    format: (ctx) => numberValue(ctx.patient.totalVisits),
  },
  {
    key: 'card_number',
    name: 'Номер карты',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'as is, trimmed',
    source: 'Patients.CardNumber',
    format: (ctx) => textValue(ctx, ctx.patient.cardNumber, 'Patients.CardNumber'),
  },
  {
    key: 'birthday',
    name: 'Дата рождения',
    code: null,
    kind: 'date',
    createType: 'birthday',
    types: DATE_TYPES,
    options: null,
    value: 'RFC 3339 midnight in the account timezone with that day’s real offset (`1961-04-12T00:00:00+03:00`)',
    source: 'Persons.Birthday',
    format(ctx) {
      const b = birthdayOf(ctx)
      if (b === undefined) return UNAVAILABLE
      if (b === null) return CLEAR
      if (b === 'invalid') return SKIP
      return {state: 'set', values: [{value: midnightRfc3339(b, ctx.accountTimezone)}], value: b}
    },
  },
  {
    key: 'comment',
    name: 'Комментарий',
    code: null,
    kind: 'text',
    createType: 'textarea',
    types: LONG_TEXT_TYPES,
    options: null,
    value: 'as is',
    source: 'Patients.Comment',
    format: (ctx) => textValue(ctx, ctx.patient.comment, 'Patients.Comment', {keepLines: true}),
  },
  {
    key: 'discount',
    name: 'Скидка',
    code: null,
    kind: 'numeric',
    createType: 'numeric',
    types: ['numeric'],
    options: null,
    value: 'percent, `0`–`100`',
    source: 'DiscountCards',
    format(ctx) {
      const d = ctx.patient.discount
      if (d === undefined) return UNAVAILABLE
      if (d === null || !Number.isFinite(d)) return CLEAR
      if (d < 0 || d > 100) {
        ctx.warn('value_out_of_range', 'DiscountCards.DiscountPercent is outside 0–100; it is capped')
        return numberValue(Math.min(100, Math.max(0, d)), 2)
      }
      return numberValue(d, 2)
    },
  },
  {
    key: 'sms_opt_out',
    name: 'Отказ от SMS',
    code: null,
    kind: 'checkbox',
    createType: 'checkbox',
    types: ['checkbox'],
    options: null,
    value: '`true` / `false`',
    source: 'Patients.SMSRejection',
    format(ctx) {
      const v = ctx.patient.smsRejection
      if (v === undefined) return UNAVAILABLE
      const value = v === true
      return {state: 'set', values: [{value}], value}
    },
  },
  {
    key: 'archive_reason',
    name: 'Причина архивации',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'reason name, empty when active',
    source: 'ArchivingReasons.Name',
    format(ctx) {
      const {archived, archiveReason: reason} = ctx.patient
      if (reason === undefined || archived === undefined) return UNAVAILABLE
      if (!archived) return CLEAR
      return textValue(ctx, reason, 'ArchivingReasons.Name')
    },
  },
  {
    key: 'status',
    name: 'Статус',
    code: null,
    kind: 'select',
    createType: 'select',
    types: SELECT_TYPES,
    options: [STATUS_OPTIONS.active, STATUS_OPTIONS.archived],
    value: 'Архивный when archived, else Активный',
    source: 'Patients.ID_ArchivingReasons',
    format(ctx) {
      const archived = ctx.patient.archived
      if (archived === undefined) return UNAVAILABLE
      return optionValue(ctx, archived ? STATUS_OPTIONS.archived : STATUS_OPTIONS.active)
    },
  },
  {
    key: 'snils',
    name: 'СНИЛС',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: '`XXX-XXX-XXX YY` when 11 digits, else as is',
    source: 'Persons.SNILS',
    format(ctx) {
      const s = ctx.patient.snils
      if (s === undefined) return UNAVAILABLE
      const text = nonEmpty(s)
      return textValue(ctx, text === null ? null : formatSnils(text), 'Persons.SNILS')
    },
  },
  {
    key: 'inn',
    name: 'ИНН',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'digits',
    source: 'Persons.INN',
    format(ctx) {
      const s = ctx.patient.inn
      if (s === undefined) return UNAVAILABLE
      return textValue(ctx, s === null ? null : s.replaceAll(/\D/g, ''), 'Persons.INN')
    },
  },
  {
    key: 'branch',
    name: 'Филиал',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'branch name',
    source: 'OwnCompanies.Name',
    format: (ctx) => textValue(ctx, ctx.patient.branch, 'OwnCompanies.Name'),
  },
  {
    key: 'patient_number',
    name: 'Номер пациента',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'as is',
    source: 'Patients.PatientNumber',
    format: (ctx) => textValue(ctx, ctx.patient.patientNumber, 'Patients.PatientNumber'),
  },
  {
    key: 'advance',
    name: 'Аванс',
    code: null,
    kind: 'numeric',
    createType: 'numeric',
    types: ['numeric'],
    options: null,
    value: 'rubles, 2 decimals',
    source: 'balance',
    format: (ctx) => numberValue(ctx.patient.advance, 2),
  },
  {
    key: 'debt',
    name: 'Долг',
    code: null,
    kind: 'numeric',
    createType: 'numeric',
    types: ['numeric'],
    options: null,
    value: 'rubles, 2 decimals',
    source: 'balance',
    format: (ctx) => numberValue(ctx.patient.debt, 2),
  },
  {
    key: 'ident_id',
    name: 'ID пациента IDENT',
    code: null,
    kind: 'text',
    createType: 'text',
    types: TEXT_TYPES,
    options: null,
    value: 'the patient id as a decimal string',
    source: 'Patients.ID_Persons',
    format: (ctx) => textValue(ctx, String(ctx.patient.id), 'Patients.ID_Persons'),
  },
]

export const FIELD_SPEC: Readonly<Record<FieldKey, FieldSpec>> = Object.fromEntries(FIELD_CATALOGUE.map((s) => [s.key, s])) as Record<
  FieldKey,
  FieldSpec
>

export function isFieldKey(key: string): key is FieldKey {
  return Object.hasOwn(FIELD_SPEC, key)
}
