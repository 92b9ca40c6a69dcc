import {Cron} from 'croner'

import {AmoFatalError} from '../amocrm/errors.js'
import {AppError, errorMessage} from '../errors.js'
import {SyncAbortedError, SyncInterruptedError} from './engine.js'
import {emptyReport, type SyncReport} from './report.js'

export type PassMode = 'incremental' | 'deep' | 'full'

export interface WatchOptions {
  intervalMs: number
  /** `HH:MM` in `timezone`. */
  deepTimes: string[]
  timezone: string
  now?: () => Date
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** One pass; must throw `SyncInterruptedError` when `signal` aborted it. */
  runPass: (mode: PassMode, signal: AbortSignal) => Promise<SyncReport>
  onEvent?: (event: WatchEvent) => void
}

export type WatchEvent =
  | {type: 'pass_start'; mode: PassMode; at: Date}
  | {type: 'pass_end'; mode: PassMode; at: Date; report: SyncReport}
  | {type: 'pass_error'; mode: PassMode; at: Date; error: unknown; fatal: boolean; retryInMs: number}
  | {type: 'waiting'; nextIncremental: Date; nextDeep: Date | null}

/**
 * The `sync watch` loop (docs/sync.md "Watch"): an incremental pass every interval, a deep pass at
 * each deep time in the clinic's timezone (croner: daylight saving and midnight handled), never two
 * passes at once — an overrunning pass delays the next, a deep pass that fell due during another
 * runs right after it. Transient failures back off and the loop goes on; a fatal one (authorization,
 * 402, 403) is retried at a slow pace, so the watcher recovers once the operator fixes it.
 */
export class Watcher {
  private readonly crons: Cron[]
  private transientFailures = 0
  lastReport: SyncReport | undefined
  lastPassAt: Date | undefined
  nextIncremental: Date
  nextDeep: Date | null

  constructor(private readonly options: WatchOptions) {
    this.crons = options.deepTimes.map((t) => {
      const [h, m] = t.split(':').map(Number)
      return new Cron(`0 ${m} ${h} * * *`, {timezone: options.timezone, paused: true})
    })
    const now = this.now()
    this.nextIncremental = now
    this.nextDeep = this.deepAfter(now)
  }

  private now(): Date {
    return this.options.now?.() ?? new Date()
  }

  private deepAfter(from: Date): Date | null {
    let next: Date | null = null
    for (const cron of this.crons) {
      const run = cron.nextRun(from)
      if (run && (!next || run < next)) next = run
    }
    return next
  }

  /** A fatal failure is retried at this pace: slow enough not to hammer, quick enough to recover. */
  get fatalRetryMs(): number {
    return Math.min(Math.max(this.options.intervalMs * 10, 10_000), 15 * 60_000)
  }

  private transientRetryMs(): number {
    const cap = Math.max(this.options.intervalMs, 5 * 60_000)
    return Math.min(this.options.intervalMs * 2 ** Math.max(this.transientFailures - 1, 0), cap)
  }

  /** Runs until `signal` aborts; a pass in flight finishes its batch and saves state first. */
  async run(signal: AbortSignal): Promise<void> {
    const sleep = this.options.sleep ?? abortableSleep
    while (!signal.aborted) {
      const now = this.now()
      const deepDue = this.nextDeep !== null && now >= this.nextDeep
      const incrementalDue = now >= this.nextIncremental
      if (!deepDue && !incrementalDue) {
        this.options.onEvent?.({type: 'waiting', nextIncremental: this.nextIncremental, nextDeep: this.nextDeep})
        const until = this.nextDeep && this.nextDeep < this.nextIncremental ? this.nextDeep : this.nextIncremental
        await sleep(Math.max(until.getTime() - now.getTime(), 0), signal)
        continue
      }
      const mode: PassMode = deepDue ? 'deep' : 'incremental'
      const startedAt = now
      this.options.onEvent?.({type: 'pass_start', mode, at: startedAt})
      try {
        const report = await this.options.runPass(mode, signal)
        this.transientFailures = 0
        this.lastReport = report
        this.lastPassAt = this.now()
        this.options.onEvent?.({type: 'pass_end', mode, at: this.lastPassAt, report})
        this.schedule(mode, startedAt, 0)
      } catch (error) {
        if (error instanceof SyncInterruptedError || signal.aborted)
          throw error instanceof SyncInterruptedError ? error : new SyncInterruptedError(emptyReport(mode))
        const fatal = isFatalForWatch(error)
        if (!fatal) this.transientFailures++
        const retryInMs = fatal ? this.fatalRetryMs : this.transientRetryMs()
        this.options.onEvent?.({type: 'pass_error', mode, at: this.now(), error, fatal, retryInMs})
        this.schedule(mode, startedAt, retryInMs)
      }
    }
  }

  /** After a pass: the next incremental an interval after this one started (or after it ended, if it overran). */
  private schedule(mode: PassMode, startedAt: Date, retryInMs: number): void {
    const end = this.now()
    if (retryInMs > 0) {
      // The same pass again after the back-off; a deep pass stays due until it succeeds.
      const retryAt = new Date(end.getTime() + retryInMs)
      this.nextIncremental = retryAt
      if (mode === 'deep' && this.nextDeep) this.nextDeep = retryAt
      return
    }
    if (mode === 'deep') this.nextDeep = this.deepAfter(end)
    const next = startedAt.getTime() + this.options.intervalMs
    this.nextIncremental = new Date(Math.max(next, end.getTime()))
  }
}

const NEEDS_A_PERSON = new Set([
  'E_CONFIG',
  'E_FIELDS',
  'E_NO_KEYCHAIN',
  'E_IDENT_SCHEMA',
  'E_IDENT_LOGIN',
  'E_IDENT_NO_DATABASE',
  'E_IDENT_NOT_SQLITE',
  'E_IDENT_TLS',
])

/** Authorization lost, unpaid or blocked account, bad configuration or login: a person must act. */
export function isFatalForWatch(error: unknown): boolean {
  const cause = error instanceof SyncAbortedError ? error.cause : error
  if (cause instanceof AmoFatalError) return true
  return cause instanceof AppError && NEEDS_A_PERSON.has(cause.code)
}

/** The error and its hint; `text` = `terminalMessage` adds amoCRM's own words (for the screen, never the log). */
export function describeWatchError(error: unknown, text: (error: unknown) => string = errorMessage): string {
  const cause = error instanceof SyncAbortedError ? error.cause : error
  const hint = cause instanceof AppError && cause.hint ? ` — ${cause.hint}` : ''
  return `${text(cause)}${hint}`
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, {once: true})
  })
}
