import {stripVTControlCharacters} from 'node:util'

import {findNumbers, parsePhoneNumberFromString, type PhoneNumber} from 'libphonenumber-js/max'

/** IDENT is a Russian product: a number without a country code is Russian. */
export const DEFAULT_PHONE_REGION = 'RU'

export interface NormalizedPhone {
  /** `+79251234567`. */
  e164: string
  type: 'mobile' | 'landline'
}

function describe(number: PhoneNumber): NormalizedPhone {
  const kind = number.getType()
  const mobile = kind === 'MOBILE' || kind === 'FIXED_LINE_OR_MOBILE' || kind === 'PAGER'
  return {e164: number.number, type: mobile ? 'mobile' : 'landline'}
}

/**
 * One phone as typed by a person (`8 (925) 123-45-67`, `+7 925 1234567`, `9251234567`) → E.164 and
 * whether it is a mobile, or null when it is not a valid number.
 */
export function normalizePhone(raw: string | null | undefined): NormalizedPhone | null {
  if (raw === null || raw === undefined) return null
  const text = printableText(String(raw)).trim()
  if (text === '') return null
  const russian = russianNumber(text)
  if (russian) return russian
  // Parsing is costly and the same numbers come back (a patient's own, a family's, the contact's).
  const known = phoneCache.get(text)
  if (known !== undefined) return known
  if (phoneCache.size >= 20_000) phoneCache.clear()
  const parsed = parsePhone(text)
  phoneCache.set(text, parsed)
  return parsed
}

const phoneCache = new Map<string, NormalizedPhone | null>()

/**
 * A Russian number as clinics type it — ten digits, optionally after `+7`, `7` or `8`, with spaces,
 * hyphens and brackets between — is answered without libphonenumber, which costs more than the rest of
 * mapping a patient. The answer is the same (a test compares the two over every code): the patterns are
 * libphonenumber's own for Russia, a mobile `9[0-24-9]…` (`93x` is only partly one, so it takes the slow
 * path) and a landline by its area code.
 */
const RUSSIAN_NUMBER =
  /^(?:\+7|[78])?((9[0-24-9]\d{8})|(?:3(?:0[12]|36|4[1-35-79]|5[1-3]|65|8[1-58]|9[0145])|4(?:01|1[1356]|2[13467]|7[1-5]|8[1-7]|9[1-689])|8(?:1[1-8]|2[01]|3[13-6]|4[0-8]|5[15-7]|6[0-35-79]|7[1-37-9]))\d{7})$/
const TYPED_PHONE = /^\+?[\d ()-]{10,40}$/

export function russianNumber(text: string): NormalizedPhone | null {
  if (!TYPED_PHONE.test(text)) return null
  const digits = text[0] === '+' ? `+${text.replaceAll(/\D/g, '')}` : text.replaceAll(/\D/g, '')
  const m = RUSSIAN_NUMBER.exec(digits)
  if (!m) return null
  return {e164: `+7${m[1]}`, type: m[2] === undefined ? 'landline' : 'mobile'}
}

function parsePhone(text: string): NormalizedPhone | null {
  try {
    const parsed = parsePhoneNumberFromString(text, DEFAULT_PHONE_REGION)
    if (parsed?.isValid()) return describe(parsed)
  } catch {
    // libphonenumber throws on some inputs (too long etc.): not a phone
  }
  return null
}

/**
 * Every phone in a cell: IDENT users sometimes type two numbers in one field
 * (`89251234567, 84951234567`). `unparseable` is true when the cell held text but no valid number.
 */
export function phonesInText(raw: string | null | undefined): {phones: NormalizedPhone[]; unparseable: boolean} {
  if (raw === null || raw === undefined || String(raw).trim() === '') return {phones: [], unparseable: false}
  const single = normalizePhone(raw)
  if (single) return {phones: [single], unparseable: false}
  let found: NormalizedPhone[]
  try {
    found = findNumbers(printableText(String(raw)), {defaultCountry: DEFAULT_PHONE_REGION, v2: true})
      .map((m) => m.number)
      .filter((n) => n.isValid())
      .map((n) => describe(n))
  } catch {
    found = []
  }
  return {phones: found, unparseable: found.length === 0}
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Lower-cased and trimmed, or null when it does not look like an address. */
export function normalizeEmail(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null
  const email = printableText(String(raw)).trim().toLowerCase()
  return EMAIL.test(email) ? email : null
}

/** Every address in a cell (`a@b.ru; c@d.ru`); `invalid` counts the parts that are not addresses. */
export function emailsInText(raw: string | null | undefined): {emails: string[]; invalid: number} {
  if (raw === null || raw === undefined) return {emails: [], invalid: 0}
  const parts = printableText(String(raw))
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean)
  const emails: string[] = []
  let invalid = 0
  for (const part of parts) {
    const email = normalizeEmail(part)
    if (email) emails.push(email)
    else invalid++
  }
  return {emails, invalid}
}

/** C0 and C1 control characters (NUL, ESC, DEL…) other than tab and line breaks. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g
/** Bidirectional embeddings, overrides, isolates and marks (U+202E shows text backwards), and a stray BOM. */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g
/**
 * Every character `printableText` removes or replaces: control characters (which include tab, line
 * breaks, NEL, and ESC and CSI that start every escape sequence), the bidirectional ones, U+2028/9.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SPECIAL = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2028\u2029\u2066-\u2069\uFEFF]/

/**
 * Text as a person means it: without terminal escape sequences, control characters (NUL, ESC…) and
 * bidirectional overrides that make text display other than it reads — none of which belongs in a
 * CRM. `keepLines` keeps line breaks and tabs, for notes; otherwise they become spaces.
 */
export function printableText(text: string, options: {keepLines?: boolean} = {}): string {
  // Most text has none of these characters: one scan instead of four rewrites.
  if (!SPECIAL.test(text)) return text
  const out = stripVTControlCharacters(text).replaceAll(BIDI, '')
  // NEL (U+0085) is a line break too, even if a C1 control
  if (options.keepLines) return out.replaceAll('\u0085', '\n').replaceAll(CONTROL, '')
  return out.replaceAll(/[\t\n\r\u0085\u2028\u2029]/g, ' ').replaceAll(CONTROL, '')
}

/** For comparing names and option texts: case-, ё- and whitespace-insensitive, control characters ignored. */
export function foldText(text: string | null | undefined): string {
  return printableText(text ?? '')
    .normalize('NFC')
    .toLocaleLowerCase('ru')
    .replaceAll('ё', 'е')
    .replaceAll(/\s+/g, ' ')
    .trim()
}

/** Trimmed printable text (see `printableText`), or null when nothing is left. */
export function nonEmpty(text: string | null | undefined, options: {keepLines?: boolean} = {}): string | null {
  if (text === null || text === undefined) return null
  const t = printableText(String(text), options).trim()
  return t === '' ? null : t
}

/** Length in characters (code points), as a person counts them. */
export function charLength(text: string): number {
  // A surrogate pair is one character; text without one (nearly all) is as long as it looks.
  if (!SURROGATE_PAIR.test(text)) return text.length
  let n = 0
  for (const _ of text) n++
  return n
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/

/** Cut to at most `max` characters, the last one `…`, when longer. */
export function cutText(text: string, max: number): {text: string; cut: boolean} {
  if (charLength(text) <= max) return {text, cut: false}
  return {
    text: `${[...text]
      .slice(0, max - 1)
      .join('')
      .trimEnd()}…`,
    cut: true,
  }
}
