/**
 * Times as people read them. Stored times are ISO instants (UTC); on screen they are shown in a named
 * zone — the clinic's for schedules, this computer's for logs of runs — and labelled with it whenever
 * the two may differ.
 */

/** `2026-11-30 17:00` in `timeZone` (this computer's when omitted). */
export function formatDateTime(when: Date | string, timeZone?: string): string {
  const date = typeof when === 'string' ? new Date(when) : when
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

/** `17:00:05` in `timeZone`. */
export function formatTime(when: Date, timeZone?: string): string {
  return formatDateTime(when, timeZone).slice(11)
}

/** This computer's IANA zone (`Europe/Moscow`), the label of local times. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}
