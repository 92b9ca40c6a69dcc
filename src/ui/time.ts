import {wallTime} from '../fields/index.js'

/**
 * Times as people read them. Stored times are ISO instants (UTC); on screen they are shown in a named
 * zone — the clinic's for schedules, this computer's for logs of runs — and labelled with it whenever
 * the two may differ.
 */

/** `2026-11-30 17:00:05` in `timeZone` (this computer's when omitted). */
export function formatDateTime(when: Date | string, timeZone: string = localZone()): string {
  const w = wallTime(new Date(when).getTime(), timeZone)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

/** `17:00:05` in `timeZone`. */
export function formatTime(when: Date, timeZone?: string): string {
  return formatDateTime(when, timeZone).slice(11)
}

/** This computer's IANA zone (`Europe/Moscow`), the label of local times. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}
