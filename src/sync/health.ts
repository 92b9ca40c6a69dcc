/** A watcher that has neither finished nor started a pass for this many sync intervals is stuck. */
export const STALE_INTERVALS = 3

/** Is `sync watch` keeping amoCRM in step? What `sync status --check` (a container HEALTHCHECK) decides on. */
export interface WatchHealth {
  healthy: boolean
  /** When the newest full, incremental or deep pass finished (`ok` or `partial`), if any has. */
  lastPassAt: string | null
  /** When the pass running now started, if one is. */
  passRunningSince: string | null
  intervalMinutes: number
  /** STALE_INTERVALS intervals: no pass finished or started within this long means unhealthy. */
  staleAfterMinutes: number
}

/**
 * Healthy while the newest finished pass, or the start of the pass running now, is less than three
 * intervals old. Failed passes (IDENT or amoCRM unreachable, authorization lost) do not count: a
 * watcher that keeps failing turns unhealthy after three intervals, as does one that hangs in a pass.
 */
export function watchHealth(input: {
  lastPassAt: string | undefined
  passRunningSince: string | undefined
  intervalMinutes: number
  now: Date
}): WatchHealth {
  const staleAfterMinutes = STALE_INTERVALS * input.intervalMinutes
  const latest = Math.max(...[input.lastPassAt, input.passRunningSince].map((at) => (at ? Date.parse(at) : Number.NEGATIVE_INFINITY)))
  return {
    healthy: input.now.getTime() - latest < staleAfterMinutes * 60_000,
    lastPassAt: input.lastPassAt ?? null,
    passRunningSince: input.passRunningSince ?? null,
    intervalMinutes: input.intervalMinutes,
    staleAfterMinutes,
  }
}
