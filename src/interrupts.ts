/**
 * Ctrl+C / SIGTERM for long commands (`sync *`, `sync watch`): the first signal asks the work to stop
 * after the batch in flight (state stays consistent); a second one, pressed by a person, quits at once.
 *
 * Libraries we load re-raise a signal they saw (conf → atomically → when-exit does
 * `process.kill(process.pid, signal)`), so a repeat within a moment is the echo of the first, not a
 * second press. The handlers stay installed until the process ends: a re-raised signal arriving after
 * they were removed would kill the process before it saved its state.
 */
export interface InterruptTrap {
  readonly signal: AbortSignal
  /** 130 after SIGINT, 143 after SIGTERM. */
  readonly exitCode: number
  readonly by: 'SIGINT' | 'SIGTERM' | undefined
}

const ECHO_MS = 1000

export function trapInterrupts(onFirst: (signal: 'SIGINT' | 'SIGTERM') => void): InterruptTrap {
  const abort = new AbortController()
  let by: 'SIGINT' | 'SIGTERM' | undefined
  let firstAt = 0
  const handler = (signal: NodeJS.Signals) => {
    const s = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'
    if (!abort.signal.aborted) {
      by = s
      firstAt = Date.now()
      onFirst(s)
      abort.abort()
      return
    }
    if (Date.now() - firstAt > ECHO_MS) process.exit(s === 'SIGTERM' ? 143 : 130)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    signal: abort.signal,
    get exitCode() {
      return by === 'SIGTERM' ? 143 : 130
    },
    get by() {
      return by
    },
  }
}
