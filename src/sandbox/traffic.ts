import {performance} from 'node:perf_hooks'

/** One request the sandbox received (control requests under `/_sandbox/` excluded). */
export interface RecordedRequest {
  method: string
  /** Path and query as sent, e.g. `/api/v4/contacts?page=2&limit=250`. */
  path: string
  /** The status answered; 0 while in flight or when the connection was dropped without an answer. */
  status: number
  /** Arrival, real time in ms (fractional; `performance.timeOrigin + performance.now()`). */
  at: number
  /** Arrival on the sandbox clock, unix ms. */
  clockAt: number
}

export function realNow(): number {
  return performance.timeOrigin + performance.now()
}

/** Requests the rate limit and the window measure apply to. */
export const API_PREFIX = '/api/v4/'

export class TrafficLog {
  readonly requests: RecordedRequest[] = []
  /** API requests received and not yet answered (or dropped), and the most there ever were at once. */
  private open = 0
  maxOpen = 0

  /** An API request is being handled until its connection's response ends: how many a client keeps in flight. */
  opened(): () => void {
    this.maxOpen = Math.max(this.maxOpen, ++this.open)
    let closed = false
    return () => {
      if (!closed) this.open--
      closed = true
    }
  }

  record(method: string, path: string, clockAt: number): RecordedRequest {
    const r: RecordedRequest = {method, path, status: 0, at: realNow(), clockAt}
    this.requests.push(r)
    return r
  }

  /**
   * The most API requests (`/api/v4/…`, answered or not) that arrived within any window of `windowMs`:
   * what amoCRM's limit counts, since it counts arrivals.
   */
  maxInWindow(windowMs = 1000): number {
    const times = this.requests.filter((r) => r.path.startsWith(API_PREFIX)).map((r) => r.at)
    times.sort((a, b) => a - b)
    let best = 0
    let start = 0
    for (let end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++
      best = Math.max(best, end - start + 1)
    }
    return best
  }

  count(filter: {method?: string; pathPrefix?: string} = {}): number {
    const method = filter.method?.toUpperCase()
    return this.requests.filter((r) => (!method || r.method === method) && (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)))
      .length
  }

  /** `{"GET /api/v4/contacts": 3, …}` (paths without the query). */
  countsByRoute(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const r of this.requests) {
      const key = `${r.method} ${r.path.split('?')[0]}`
      out[key] = (out[key] ?? 0) + 1
    }
    return out
  }

  countsByStatus(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const r of this.requests) out[String(r.status)] = (out[String(r.status)] ?? 0) + 1
    return out
  }

  clear(): void {
    this.requests.length = 0
    this.maxOpen = this.open
  }
}

/**
 * A sliding window per token: a request is refused when `limit` requests with the same token
 * already arrived in the last `windowMs`. Refused requests count too: amoCRM counts arrivals, so a
 * client that keeps knocking stays locked out.
 */
export class RateLimiter {
  private arrivals = new Map<string, number[]>()

  constructor(private readonly windowMs = 1000) {}

  admit(key: string, at: number, limit: number): boolean {
    let list = this.arrivals.get(key)
    if (!list) this.arrivals.set(key, (list = []))
    while (list.length > 0 && at - list[0]! >= this.windowMs) list.shift()
    const ok = list.length < limit
    list.push(at)
    return ok
  }

  clear(): void {
    this.arrivals.clear()
  }
}
