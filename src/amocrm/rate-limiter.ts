import {errorMessage} from '../errors.js'

/** How long a send stays counted: amoCRM allows 7 per second and counts on arrival, so a second plus a margin for jitter. */
export const RATE_WINDOW_MS = 1100

export const DEFAULT_RATE_LIMIT = 7

export interface RateLimiterOptions {
  /**
   * Requests per second (AMOCRM_RATE_LIMIT): `rate` sends in any window of `windowMs`. A fractional
   * rate above 1 rounds down (amoCRM counts whole requests); below 1 it is one send per `windowMs / rate`.
   */
  rate: number
  windowMs?: number
  /** A monotonic clock in ms (tests drive a fake one). */
  now?: () => number
  /** Schedules a wake-up (tests drive a fake one). */
  schedule?: (wake: () => void, ms: number) => void
  /** The window of the other processes of the account (see `SendLedger`). */
  shared?: SendLedger
  /** Where the one notice of a shared ledger that failed goes (stderr by default). */
  warn?: (text: string) => void
}

/**
 * Where the sends of other processes of the same account are counted (amoCRM's 7 requests per second
 * are per integration, not per process): `take` records a send now when fewer than `permits` were
 * recorded within `windowMs`, calls `grant` at once (still holding whatever keeps the others out, so
 * that the send starts when it was recorded) and resolves 0; else it resolves how long until one
 * leaves the window. `FileSendLedger` keeps them in a small file under a lock.
 */
export interface SendLedger {
  readonly describe: string
  take(permits: number, windowMs: number, grant: () => void): Promise<number>
}

/**
 * A send the limiter let go, counted from its grant. A caller that can see when the request really
 * leaves (its headers written to the socket: after a new connection is set up, or after this thread
 * was busy with something else) says `departing()` at once: the send then stays in the window until
 * `left()` stamps that moment, so that a late departure cannot meet the sends granted after it in one
 * second at amoCRM. `left()` counts once; later calls change nothing.
 */
export interface GrantedSend {
  departing(): void
  left(): void
}

/** A send in the window: when it started (its grant, then its departure), and whether it is still on its way. */
interface WindowEntry {
  at: number
  inTransit: boolean
}

/**
 * A sliding window of send times: at most `rate` sends start in any window of `windowMs`. Waiters are
 * served first come, first served; a waiting caller costs one timer, never a busy loop. With a
 * `shared` ledger the window also counts the other processes of the account; if that ledger fails
 * (a read-only config dir) the process goes on within its own window, and says so once.
 */
export class RateLimiter {
  readonly windowMs: number
  #rate: number
  /** Sends allowed per window, and that window, derived from the rate. */
  #permits = 1
  #windowMs = RATE_WINDOW_MS
  readonly #now: () => number
  readonly #schedule: (wake: () => void, ms: number) => void
  /** This process's sends still inside the window (or on their way), in grant order. */
  #sent: WindowEntry[] = []
  readonly #waiting: Array<(send: GrantedSend) => void> = []
  /** The pending wake-up, if any; a stale one (superseded by a rate change) finds another here and does nothing. */
  #wake: (() => void) | undefined
  #shared: SendLedger | undefined
  /** A shared ledger is being asked: nothing else is granted meanwhile (order is kept). */
  #asking = false
  #sharingFailed = false
  readonly #warn: (text: string) => void

  constructor(options: RateLimiterOptions) {
    this.windowMs = options.windowMs ?? RATE_WINDOW_MS
    this.#rate = this.#setRate(options.rate)
    this.#now = options.now ?? (() => performance.now())
    this.#schedule = options.schedule ?? ((wake, ms) => void setTimeout(wake, ms))
    this.#shared = options.shared
    this.#warn = options.warn ?? ((text) => void process.stderr.write(`${text}\n`))
  }

  get rate(): number {
    return this.#rate
  }

  set rate(rate: number) {
    this.#rate = this.#setRate(rate)
    this.#wake = undefined
    this.#serve()
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#waiting.length
  }

  /** The ledger shared with other processes, if any. */
  get shared(): SendLedger | undefined {
    return this.#shared
  }

  /**
   * Counts the other processes' sends too from now on: a no-op when a ledger is already shared, or
   * when sharing failed before (said once; a long-running watch does not say it again every pass).
   */
  shareWith(ledger: SendLedger): void {
    if (!this.#sharingFailed) this.#shared ??= ledger
  }

  /** Resolves when the caller may send one request; the send is counted from that moment (see `GrantedSend`). */
  acquire(): Promise<GrantedSend> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#serve()
    })
  }

  #setRate(rate: number): number {
    if (!(Number.isFinite(rate) && rate > 0))
      throw new RangeError(`the amoCRM rate limit must be a positive number of requests per second, got ${rate}`)
    this.#permits = Math.max(1, Math.floor(rate))
    this.#windowMs = rate >= 1 ? this.windowMs : this.windowMs / rate
    return rate
  }

  #serve(): void {
    if (this.#wake || this.#asking) return
    while (this.#waiting.length > 0) {
      const wait = this.#localWait()
      if (wait === Number.POSITIVE_INFINITY) return
      if (wait > 0) return this.#sleep(wait)
      if (this.#shared) return this.#askShared(this.#shared)
      this.#grant()
    }
  }

  /**
   * How long until this process's own window has room (0: now). A send still on its way never leaves
   * the window: with every counted send on its way there is no time to wait for, only a departure
   * (`Infinity`; `left()` serves the waiters again).
   */
  #localWait(): number {
    const now = this.#now()
    this.#sent = this.#sent.filter((s) => s.inTransit || s.at > now - this.#windowMs)
    if (this.#sent.length < this.#permits) return 0
    const leaving = this.#sent.filter((s) => !s.inTransit).map((s) => s.at)
    if (leaving.length === 0) return Number.POSITIVE_INFINITY
    return Math.max(1, Math.ceil(Math.min(...leaving) + this.#windowMs - now))
  }

  #grant(): void {
    const entry: WindowEntry = {at: this.#now(), inTransit: false}
    this.#sent.push(entry)
    let departed = false
    this.#waiting.shift()!({
      departing: () => {
        if (departed || entry.inTransit) return
        entry.inTransit = true
        if (!this.#sent.includes(entry)) this.#sent.push(entry)
      },
      left: () => {
        if (departed) return
        departed = true
        if (!entry.inTransit) return
        entry.at = Math.max(entry.at, this.#now())
        entry.inTransit = false
        this.#serve()
      },
    })
  }

  #askShared(ledger: SendLedger): void {
    this.#asking = true
    ledger
      .take(this.#permits, this.#windowMs, () => this.#grant())
      .then(
        (wait) => {
          this.#asking = false
          if (wait > 0) return this.#sleep(wait)
          this.#serve()
        },
        (error: unknown) => {
          this.#asking = false
          this.#shared = undefined
          this.#sharingFailed = true
          this.#warn(
            `Warning: cannot share the amoCRM rate limit with other ident-amo processes through ${ledger.describe} (${errorMessage(error)}); this process keeps to it on its own`,
          )
          this.#serve()
        },
      )
  }

  #sleep(ms: number): void {
    const wake = () => {
      if (this.#wake !== wake) return
      this.#wake = undefined
      this.#serve()
    }
    this.#wake = wake
    this.#schedule(wake, ms)
  }
}

let shared: RateLimiter | undefined

/**
 * The process-wide limiter every amoCRM request goes through (API calls, retries, token endpoint).
 * Created on first use with `rate` (default 7); a later call with another rate changes it for everyone.
 * `ledger` shares it with the other processes of the account (see `FileSendLedger`).
 */
export function getSharedRateLimiter(rate?: number, ledger?: SendLedger): RateLimiter {
  if (!shared) shared = new RateLimiter({rate: rate ?? DEFAULT_RATE_LIMIT})
  else if (rate !== undefined && rate !== shared.rate) shared.rate = rate
  if (ledger) shared.shareWith(ledger)
  return shared
}
