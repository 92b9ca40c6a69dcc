/**
 * Calendar arithmetic in named timezones through `Intl` (the tz database shipped with Node's ICU):
 * no hand-written offset tables, so historical offsets (Moscow +02:00 in winter 1991/92) come out right.
 */

const partsFormatters = new Map<string, Intl.DateTimeFormat>()

/** The one formatter per zone that every question here goes through (exported for the tests' reference). */
export function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    })
    partsFormatters.set(timeZone, f)
  }
  return f
}

export interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** `08/16/1906 AD, 22:56:57`: what `formatterFor` prints, read back without `formatToParts`' objects. */
const FORMATTED = /^(\d{2})\/(\d{2})\/(\d+) ([A-Z]+), (\d{2}):(\d{2}):(\d{2})$/

/** The calendar date and clock time an instant has in `timeZone`. */
export function wallTime(epochMs: number, timeZone: string): WallTime {
  const formatter = formatterFor(timeZone)
  const date = new Date(epochMs)
  // `format` is a third of the cost of `formatToParts`; the parts remain for a layout other than expected.
  const m = FORMATTED.exec(formatter.format(date))
  if (m) {
    const era = m[4]
    const known = era === 'AD' || era === 'A' || era === 'BC' || era === 'B'
    if (known) {
      const year = Number(m[3])
      return {
        year: era === 'BC' || era === 'B' ? 1 - year : year,
        month: Number(m[1]),
        day: Number(m[2]),
        hour: Number(m[5]),
        minute: Number(m[6]),
        second: Number(m[7]),
      }
    }
  }
  return wallTimeOfParts(formatter.formatToParts(date))
}

/** The wall time `formatToParts` describes: the way for a layout other than expected (and the tests' reference). */
export function wallTimeOfParts(formatted: Intl.DateTimeFormatPart[]): WallTime {
  const parts: Record<string, string> = {}
  for (const p of formatted) parts[p.type] = p.value
  let year = Number(parts.year)
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year
  return {
    year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  }
}

/** The wall time of an instant and the zone's offset then (seconds, east positive): one `Intl` call. */
interface Zoned {
  wall: WallTime
  offsetSeconds: number
}

function zoned(epochMs: number, timeZone: string): Zoned {
  const wall = wallTime(epochMs, timeZone)
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second)
  return {wall, offsetSeconds: Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 1000)}
}

/** The zone's offset from UTC at an instant, in seconds (east positive). */
export function offsetSecondsAt(epochMs: number, timeZone: string): number {
  return zoned(epochMs, timeZone).offsetSeconds
}

/** `YYYY-MM-DD` → [y, m, d], or null when it is not a real calendar date. */
export function parseIsoDate(date: string): [number, number, number] | null {
  // Read digit by digit (`DDDD-DD-DD` at the start, after trimming): called for every visit of every patient.
  const text = date.trim()
  if (text.length < 10 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return null
  const y = digitsAt(text, 0, 4)
  const mo = digitsAt(text, 5, 2)
  const d = digitsAt(text, 8, 2)
  // What a round trip through `Date.UTC` accepts, which reads years 0–99 as 1900–1999: not those.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null
  return [y, mo, d]
}

const DASH = 45
const ZERO = 48

/** The number the ASCII digits at `start` make, or -1 when one is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let n = 0
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (digit < 0 || digit > 9) return -1
    n = n * 10 + digit
  }
  return n
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * Memoised per (timezone, date): `Intl` formatting is the slowest step of mapping a patient, and a
 * clinic's birthdays repeat. Bounded, so a long watch never grows it without limit.
 */
function memo<T>(
  compute: (date: string, timeZone: string) => T,
): ((date: string, timeZone: string) => T) & {remember: (date: string, timeZone: string, value: T) => void} {
  // By zone, then by date: no key string to build per call.
  const byZone = new Map<string, Map<string, T>>()
  let size = 0
  const remember = (date: string, timeZone: string, value: T) => {
    if (size >= 50_000) {
      byZone.clear()
      size = 0
    }
    let cache = byZone.get(timeZone)
    if (!cache) byZone.set(timeZone, (cache = new Map()))
    if (!cache.has(date)) size++
    cache.set(date, value)
  }
  const memoised = (date: string, timeZone: string) => {
    let value = byZone.get(timeZone)?.get(date)
    if (value === undefined) remember(date, timeZone, (value = compute(date, timeZone)))
    return value
  }
  /** Keeps an answer worked out on the way to another (it must be what `compute` gives). */
  return Object.assign(memoised, {remember})
}

/** The instant (ms) of local midnight starting `date` in `timeZone`. */
export const localMidnightEpochMs = memo((date: string, timeZone: string) => localMidnight(date, timeZone).epochMs)

/**
 * Local midnight of `date` and its wall time and offset. Each instant it looks at is formatted once
 * (the same instant comes back as the candidate, the day check and the answer).
 */
function localMidnight(date: string, timeZone: string): Zoned & {epochMs: number} {
  const ymd = parseIsoDate(date)
  if (!ymd) throw new RangeError(`not a date: ${date}`)
  const guess = Date.UTC(ymd[0], ymd[1] - 1, ymd[2])
  const first = guess - zoned(guess, timeZone).offsetSeconds * 1000
  const atFirst = zoned(first, timeZone)
  // A second pass settles dates whose offset differs from the one at UTC midnight (DST, zone changes).
  const second = guess - atFirst.offsetSeconds * 1000
  const atSecond = second === first ? atFirst : zoned(second, timeZone)
  // amoCRM gives the date back as this instant (in deep, compared right after): its date is known.
  dateInZoneMemo.remember(String(second), timeZone, isoDateOf(atSecond.wall))
  // Where midnight does not exist (a jump at 00:00), take the first instant of that day.
  const day = date.trim().slice(0, 10)
  const onTheDay = [
    {epochMs: second, ...atSecond},
    {epochMs: first, ...atFirst},
  ].filter((c) => isoDateOf(c.wall) === day)
  if (onTheDay.length === 0) return {epochMs: second, ...atSecond}
  return onTheDay.reduce((a, b) => (b.epochMs < a.epochMs ? b : a))
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0')
}

/** `+03:00`: an offset in whole minutes (see `midnightRfc3339` for the seconds). */
function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+'
  return `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`
}

function isoDateOf(w: WallTime): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`
}

/** `1961-04-12` → `1961-04-12T00:00:00+03:00`: midnight in `timeZone` with that day's real offset. */
export const midnightRfc3339 = memo(computeMidnightRfc3339)

function computeMidnightRfc3339(date: string, timeZone: string): string {
  const ymd = parseIsoDate(date)
  if (!ymd) throw new RangeError(`not a date: ${date}`)
  const {wall: w, offsetSeconds} = localMidnight(date, timeZone)
  // Local mean time offsets (before ~1920) have seconds, which RFC 3339 cannot carry: rounding down
  // keeps the instant a few seconds after midnight, on the right day.
  const offsetMinutes = Math.floor(offsetSeconds / 60)
  // Where midnight itself does not exist (a DST jump at 00:00) the wall clock shows 01:00: say so.
  return `${pad(ymd[0], 4)}-${pad(ymd[1])}-${pad(ymd[2])}T${pad(w.hour)}:${pad(w.minute)}:00${offsetText(offsetMinutes)}`
}

/** The calendar date (`YYYY-MM-DD`) of an instant in `timeZone`. */
export const dateInZone = (epochMs: number, timeZone: string): string => dateInZoneMemo(String(epochMs), timeZone)

const dateInZoneMemo = memo((epoch: string, timeZone: string) => computeDateInZone(Number(epoch), timeZone))

function computeDateInZone(epochMs: number, timeZone: string): string {
  return isoDateOf(wallTime(epochMs, timeZone))
}

/** The wall-clock time (`YYYY-MM-DD HH:MM:SS`) of an instant in `timeZone`: the naive local time IDENT would store. */
export function localDateTime(epochMs: number, timeZone: string): string {
  const w = wallTime(epochMs, timeZone)
  return `${isoDateOf(w)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

/** Whole years between `birthday` and `today` (both `YYYY-MM-DD`); null when the birthday is after today. */
export function wholeYears(birthday: string, today: string): number | null {
  const b = parseIsoDate(birthday)
  const t = parseIsoDate(today)
  if (!b || !t) return null
  let years = t[0] - b[0]
  if (t[1] < b[1] || (t[1] === b[1] && t[2] < b[2])) years -= 1
  return years < 0 ? null : years
}

/**
 * amoCRM keeps a date as unix seconds and refuses a negative one: a date before 1970 (the birthday of
 * an older patient) cannot be stored, so a contact is written without it.
 */
export function amoRefusesDate(date: string): boolean {
  const ymd = parseIsoDate(date)
  return ymd !== null && ymd[0] < 1970
}

/** `YYYY-MM-DD` → `ДД.ММ.ГГГГ`. */
export function russianDate(date: string): string {
  const ymd = parseIsoDate(date)
  if (!ymd) return date
  return `${pad(ymd[2])}.${pad(ymd[1])}.${pad(ymd[0], 4)}`
}

/**
 * A date value as amoCRM returns it (unix seconds at account midnight, sometimes an RFC 3339 string)
 * → its calendar date in the account timezone, or null when unreadable.
 */
export function amoDateToIso(value: unknown, accountTimezone: string): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return dateInZone(value * 1000, accountTimezone)
  if (typeof value === 'string' && value.trim() !== '') {
    const s = value.trim()
    if (/^-?\d+$/.test(s)) return dateInZone(Number(s) * 1000, accountTimezone)
    const ms = Date.parse(s)
    if (Number.isFinite(ms)) return dateInZone(ms, accountTimezone)
  }
  return null
}

/**
 * A naive local time (`YYYY-MM-DD HH:MM:SS`, IDENT's wall clock in `timeZone`) → RFC 3339 with the
 * offset that zone had then: `2026-03-15 09:30:00` → `2026-03-15T09:30:00+03:00`. A wall time that
 * does not exist (skipped by a DST jump) comes out as the instant the clock showed after the jump.
 */
export function localRfc3339(naive: string, timeZone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(naive.trim())
  if (!m) throw new RangeError(`not a date and time: ${naive}`)
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
  const first = asUtc - offsetSecondsAt(asUtc, timeZone) * 1000
  const atFirst = zoned(first, timeZone)
  const epoch = asUtc - atFirst.offsetSeconds * 1000
  const {wall: w, offsetSeconds} = epoch === first ? atFirst : zoned(epoch, timeZone)
  return `${isoDateOf(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${offsetText(Math.floor(offsetSeconds / 60))}`
}
