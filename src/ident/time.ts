import {localDateTime} from '../fields/dates.js'

/**
 * Arithmetic on IDENT's naive local times (`YYYY-MM-DD HH:MM:SS`, the clinic's wall clock, no zone).
 * They are handled as if they were UTC milliseconds: no DST or zone can shift them.
 */

const HOUR = 3_600_000
const DAY = 24 * HOUR

export function naiveToMs(naive: string): number {
  return Date.parse(`${naive.replace(' ', 'T')}Z`)
}

export function msToNaive(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/** `naive` moved by `hours` (may be fractional or negative), to the whole second (floored). */
export function addHours(naive: string, hours: number): string {
  return msToNaive(Math.floor((naiveToMs(naive) + Math.round(hours * HOUR)) / 1000) * 1000)
}

/** Midnight starting the day `days` before the day of `naive`: `2026-03-15 12:00:00`, 30 → `2026-02-13 00:00:00`. */
export function startOfDayBefore(naive: string, days: number): string {
  return msToNaive(naiveToMs(`${naive.slice(0, 10)} 00:00:00`) - days * DAY)
}

/**
 * The clinic's present moment as IDENT would write it: the wall-clock time in the clinic's timezone
 * (`SYNC_TIMEZONE`), whatever zone this machine runs in.
 */
export function clinicNow(timeZone: string, at: Date = new Date()): string {
  return localDateTime(at.getTime(), timeZone)
}
