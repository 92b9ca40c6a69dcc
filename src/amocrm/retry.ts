export interface RetryOptions {
  /** Attempts in all for one request that keeps failing transiently (the first send included). */
  maxAttempts: number
  /** Delay before the first retry; amoCRM asks for at least 1 s. */
  baseDelayMs: number
  /** Cap of the exponential delay, and of any Retry-After / `retry_after` the server asks for. */
  maxDelayMs: number
}

/** 1 s, 2 s, 4 s, 8 s, 16 s between six attempts (~31 s before giving up), each plus up to 25 % jitter. */
export const DEFAULT_RETRY: RetryOptions = {maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000}

export function retryOptions(given: Partial<RetryOptions> = {}): RetryOptions {
  const options = {...DEFAULT_RETRY, ...stripUndefined(given)}
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    throw new RangeError(`retry.maxAttempts must be a whole number ≥ 1, got ${options.maxAttempts}`)
  if (!(options.baseDelayMs >= 1000))
    throw new RangeError(`retry.baseDelayMs must be at least 1000 (amoCRM asks for ≥ 1 s between retries), got ${options.baseDelayMs}`)
  if (!(options.maxDelayMs >= options.baseDelayMs))
    throw new RangeError(`retry.maxDelayMs must be at least retry.baseDelayMs, got ${options.maxDelayMs}`)
  return options
}

/**
 * The wait before retry number `retry` (1 for the first): `min(max, base·2^(retry−1))` plus up to
 * 25 % jitter so that concurrent requests throttled together do not come back together. A delay the
 * server asked for (`retryAfterMs`) is honoured when longer, but never beyond `maxDelayMs`.
 */
export function retryDelayMs(retry: number, options: RetryOptions, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1))
  const backoff = Math.round(exponential * (1 + 0.25 * random()))
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return backoff
  return Math.max(backoff, Math.min(retryAfterMs, options.maxDelayMs))
}

/**
 * What a 429 asks for, in ms: a `Retry-After` header (seconds or an HTTP date) or the `retry_after`
 * (seconds) of Kommo's JSON body. amoCRM's HTML 429 carries neither.
 */
export function requestedRetryDelayMs(headers: Headers, body: unknown, nowMs: number = Date.now()): number | undefined {
  const header = headers.get('retry-after')?.trim()
  if (header) {
    if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000
    const date = Date.parse(header)
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs)
  }
  if (body && typeof body === 'object' && 'retry_after' in body) {
    const seconds = Number((body as {retry_after: unknown}).retry_after)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  }
  return undefined
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
