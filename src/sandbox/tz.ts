/**
 * Calendar arithmetic in the account timezone, from the tz database Node ships (Intl), so that a
 * 1985 summer date in Moscow gets Moscow's 1985 summer offset (+04:00), not today's.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

export interface CalendarDay {
  year: number
  month: number
  day: number
}

/** UTC ms of a wall-clock time, years below 100 included (Date.UTC maps them to 19xx). */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, 0)
  return d.getTime()
}

function wallClock(ms: number, timeZone: string): CalendarDay & {hour: number; minute: number; second: number} {
  const parts: Record<string, string> = {}
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value
  const yearOfEra = Number(parts.year)
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - yearOfEra : yearOfEra
  return {
    year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  }
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (Moscow today: +3 h). */
export function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone)
  return utcMs(w.year, w.month, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000
}

/** The calendar day an instant falls on in `timeZone`. */
export function calendarDayAt(ms: number, timeZone: string): CalendarDay {
  const {year, month, day} = wallClock(ms, timeZone)
  return {year, month, day}
}

/** The instant (ms) of 00:00 of that calendar day in `timeZone`. */
export function midnightOf(day: CalendarDay, timeZone: string): number {
  const wall = utcMs(day.year, day.month, day.day)
  const first = wall - offsetAt(wall, timeZone)
  // The offset at the real instant may differ from the one at the naive guess (DST, historical changes).
  return wall - offsetAt(first, timeZone)
}

/** `+03:00` style offset of `timeZone` at instant `ms`. */
export function formatOffset(ms: number, timeZone: string): string {
  const minutes = Math.round(offsetAt(ms, timeZone) / 60_000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$/

export interface ParsedDateTime {
  /** The date as written (before any offset is applied). */
  day: CalendarDay
  /** The instant in ms, or undefined for a bare `YYYY-MM-DD`. */
  instant: number | undefined
}

/** RFC 3339 `date-time` or `full-date`; undefined when the string is not one or names an impossible date. */
export function parseRfc3339(text: string): ParsedDateTime | undefined {
  const m = RFC3339.exec(text)
  if (!m) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (month < 1 || month > 12 || day < 1) return undefined
  const check = new Date(utcMs(year, month, day))
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined
  if (m[4] === undefined) return {day: {year, month, day}, instant: undefined}
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])]
  if (hour > 23 || minute > 59 || second > 60) return undefined
  const zone = m[8]!
  let offsetMinutes = 0
  if (zone !== 'Z' && zone !== 'z') {
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number]
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om)
  }
  const fraction = m[7] ? Math.round(Number(m[7]) * 1000) : 0
  const instant = utcMs(year, month, day, hour, minute, Math.min(second, 59)) + fraction - offsetMinutes * 60_000
  return {day: {year, month, day}, instant}
}
