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
}

/**
 * A sliding window of send times: at most `rate` sends start in any window of `windowMs`. Waiters are
 * served first come, first served; a waiting caller costs one timer, never a busy loop.
 */
export class RateLimiter {
  readonly windowMs: number
  #rate: number
  /** Sends allowed per window, and that window, derived from the rate. */
  #permits = 1
  #windowMs = RATE_WINDOW_MS
  readonly #now: () => number
  readonly #schedule: (wake: () => void, ms: number) => void
  /** Start times of the sends still inside the window, oldest first. */
  readonly #sent: number[] = []
  readonly #waiting: Array<() => void> = []
  /** The pending wake-up, if any; a stale one (superseded by a rate change) finds another here and does nothing. */
  #wake: (() => void) | undefined

  constructor(options: RateLimiterOptions) {
    this.windowMs = options.windowMs ?? RATE_WINDOW_MS
    this.#rate = this.#setRate(options.rate)
    this.#now = options.now ?? (() => performance.now())
    this.#schedule = options.schedule ?? ((wake, ms) => void setTimeout(wake, ms))
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

  /** Resolves when the caller may send one request; the send is counted from that moment. */
  acquire(): Promise<void> {
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
    if (this.#wake) return
    while (this.#waiting.length > 0) {
      const now = this.#now()
      while (this.#sent.length > 0 && this.#sent[0]! <= now - this.#windowMs) this.#sent.shift()
      if (this.#sent.length < this.#permits) {
        this.#sent.push(now)
        this.#waiting.shift()!()
        continue
      }
      const wait = Math.max(1, Math.ceil(this.#sent[0]! + this.#windowMs - now))
      const wake = () => {
        if (this.#wake !== wake) return
        this.#wake = undefined
        this.#serve()
      }
      this.#wake = wake
      this.#schedule(wake, wait)
      return
    }
  }
}

let shared: RateLimiter | undefined

/**
 * The process-wide limiter every amoCRM request goes through (API calls, retries, token endpoint).
 * Created on first use with `rate` (default 7); a later call with another rate changes it for everyone.
 */
export function getSharedRateLimiter(rate?: number): RateLimiter {
  if (!shared) shared = new RateLimiter({rate: rate ?? DEFAULT_RATE_LIMIT})
  else if (rate !== undefined && rate !== shared.rate) shared.rate = rate
  return shared
}
