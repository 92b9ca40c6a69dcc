import ky, {isNetworkError, isTimeoutError, type KyInstance} from 'ky'
import type {Logger} from 'pino'

import type {ApiStats} from './api.js'
import {
  AmoAddressError,
  AmoAuthError,
  AmoBlockedError,
  AmoOutcomeUnknownError,
  AmoPaymentRequiredError,
  AmoUnavailableError,
  type AmoFatalError,
} from './errors.js'
import {whileSending} from './departures.js'
import type {RateLimiter} from './rate-limiter.js'
import {requestedRetryDelayMs, retryDelayMs, type RetryOptions} from './retry.js'
import type {TokenProvider} from './tokens.js'

export type HttpMethod = 'GET' | 'POST' | 'PATCH'

export interface HttpResponse {
  status: number
  headers: Headers
  /** Parsed JSON, the text when it is not JSON (HTML error pages), undefined when empty. */
  body: unknown
}

export interface AmoHttpOptions {
  limiter: RateLimiter
  /** Absent for the token endpoint, which takes no Bearer token. */
  tokens?: TokenProvider
  timeoutMs: number
  retry: RetryOptions
  userAgent: string
  logger?: Logger
  sleep: (ms: number) => Promise<void>
  stats: ApiStats
  random?: () => number
}

export interface SendOptions {
  method: HttpMethod
  /** Absolute URL. */
  url: string
  json?: unknown
  /**
   * Whether a request that may have reached amoCRM can be sent again: true for GET and for PATCH
   * batch updates (per-field replacement), false for POST creates, whose unknown outcome the caller
   * must reconcile instead.
   */
  repeatable: boolean
}

/**
 * 5xx answers worth another try: the gateway's 502–504, and amoCRM's own 500, which it gives for
 * passing faults too. Only a repeatable request is tried again; for a create they are an unknown outcome.
 */
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504])

/** Error codes meaning the connection was never opened, so nothing reached amoCRM. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

type Attempt =
  | ({kind: 'response'; durationMs: number} & HttpResponse)
  | {kind: 'timeout'; error: unknown}
  | {kind: 'network'; error: unknown; notSent: boolean}

class BodyTimeoutError extends Error {}

/**
 * One amoCRM endpoint conversation: every send waits for the rate limiter, transient failures (429,
 * 500, 502–504, timeouts, dropped connections) are retried with backoff as far as it is safe, 401
 * refreshes the token once, 402/403 stop this instance for good. Answers it does not handle (2xx,
 * other 4xx and 5xx) are returned as is.
 */
export class AmoHttp {
  readonly #options: AmoHttpOptions
  readonly #ky: KyInstance
  #fatal: AmoFatalError | undefined

  constructor(options: AmoHttpOptions) {
    this.#options = options
    this.#ky = ky.create({
      retry: 0,
      throwHttpErrors: false,
      timeout: options.timeoutMs,
      headers: {accept: 'application/json', 'user-agent': options.userAgent},
    })
  }

  /** The 401/402/403 error that stopped this instance, if any. */
  get fatalError(): AmoFatalError | undefined {
    return this.#fatal
  }

  async send(request: SendOptions): Promise<HttpResponse> {
    const {stats, retry, tokens} = this.#options
    this.#throwIfStopped()
    let token = tokens ? await tokens.getAccessToken(stats) : undefined
    let refreshed = false
    let failures = 0
    // Serialised before the limiter grants a send, so that the request leaves as soon as it is counted.
    const body = request.json === undefined ? undefined : JSON.stringify(request.json)
    for (;;) {
      const send = await this.#options.limiter.acquire()
      this.#throwIfStopped()
      stats.requests++
      const attempt = await whileSending(send, () => this.#attempt(request, body, token))
      const where = `${request.method} ${redactedPath(request.url)}`
      let reason: string
      let status: number | undefined
      let retryAfterMs: number | undefined
      if (attempt.kind === 'response') {
        status = attempt.status
        // a throttled answer comes at once and says nothing of how long amoCRM takes
        if (status !== 429) stats.answerMs = movingAverage(stats.answerMs, attempt.durationMs)
        if (status === 401 && tokens && token !== undefined) {
          if (refreshed) throw this.#stop(new AmoAuthError('amoCRM refused the access token again after it was refreshed'))
          refreshed = true
          const next = await tokens.refreshAfterUnauthorized(token, stats)
          if (!next) throw this.#stop(new AmoAuthError('amoCRM refused the access token (401) and it cannot be refreshed'))
          token = next
          stats.retries++
          continue
        }
        if (status === 402) throw this.#stop(new AmoPaymentRequiredError())
        if (status === 403) throw this.#stop(new AmoBlockedError(blockAnswer(attempt.body)))
        if (status === 429) {
          // amoCRM refuses a throttled request before processing it, so even a create may go again.
          stats.throttled++
          retryAfterMs = requestedRetryDelayMs(attempt.headers, attempt.body)
          reason = 'throttled (429)'
        } else if (status >= 500 && !request.repeatable) {
          throw new AmoOutcomeUnknownError(`${where} answered ${status} after the request was sent; it may have been applied`, {status})
        } else if (TRANSIENT_STATUSES.has(status)) {
          reason = `answered ${status}`
        } else {
          return attempt
        }
      } else if (attempt.kind === 'timeout') {
        if (!request.repeatable)
          throw new AmoOutcomeUnknownError(`${where} got no answer within ${this.#options.timeoutMs} ms; it may have been applied`, {
            cause: attempt.error,
          })
        reason = `no answer within ${this.#options.timeoutMs} ms`
      } else {
        if (errorCodes(attempt.error).includes('ENOTFOUND')) throw new AmoAddressError(new URL(request.url).host, attempt.error)
        if (!request.repeatable && !attempt.notSent)
          throw new AmoOutcomeUnknownError(
            `${where}: the connection failed after the request was sent (${networkReason(attempt.error)}); it may have been applied`,
            {cause: attempt.error},
          )
        reason = `network error (${networkReason(attempt.error)})`
      }
      failures++
      if (failures >= retry.maxAttempts)
        throw new AmoUnavailableError(`amoCRM ${where}: ${reason}; gave up after ${failures} attempt(s)`, {status})
      const delay = retryDelayMs(failures, retry, retryAfterMs, this.#options.random)
      this.#options.logger?.debug(
        {method: request.method, path: redactedPath(request.url), reason, retryInMs: delay},
        'amoCRM request will be retried',
      )
      stats.retries++
      await this.#options.sleep(delay)
    }
  }

  async #attempt(request: SendOptions, body: string | undefined, token: string | undefined): Promise<Attempt> {
    const started = performance.now()
    const deadline = started + this.#options.timeoutMs
    const abort = new AbortController()
    const log = (fields: Record<string, unknown>) =>
      this.#options.logger?.debug(
        {method: request.method, path: redactedPath(request.url), durationMs: Math.round(performance.now() - started), ...fields},
        'amoCRM request',
      )
    try {
      const response = await this.#ky(request.url, {
        method: request.method,
        body,
        signal: abort.signal,
        headers: {
          ...(body === undefined ? {} : {'content-type': 'application/json'}),
          ...(token === undefined ? {} : {authorization: `Bearer ${token}`}),
        },
      })
      const text = await textWithin(response, deadline - performance.now(), abort)
      const durationMs = performance.now() - started
      log({status: response.status})
      return {
        kind: 'response',
        durationMs,
        status: response.status,
        headers: response.headers,
        body: parseBody(text, response.headers.get('content-type')),
      }
    } catch (error) {
      if (isTimeoutError(error) || error instanceof BodyTimeoutError) {
        log({error: 'timeout'})
        return {kind: 'timeout', error}
      }
      if (isNetworkFailure(error)) {
        log({error: networkReason(error)})
        return {kind: 'network', error, notSent: connectionNeverOpened(error)}
      }
      throw error
    }
  }

  #stop(error: AmoFatalError): AmoFatalError {
    this.#fatal ??= error
    return error
  }

  #throwIfStopped(): void {
    if (this.#fatal) throw this.#fatal
  }
}

/** Weight of the newest answer time in `ApiStats.answerMs`: a few answers make the average follow a change. */
const ANSWER_TIME_WEIGHT = 0.3

function movingAverage(average: number | undefined, sample: number): number {
  return Math.round(average === undefined ? sample : average + ANSWER_TIME_WEIGHT * (sample - average))
}

/** The body, read within what is left of the attempt's time (a server may send headers and stall). */
async function textWithin(response: Response, ms: number, abort: AbortController): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const text = response.text()
  text.catch(() => {})
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        abort.abort()
        reject(new BodyTimeoutError('the response body did not arrive in time'))
      },
      Math.max(1, ms),
    )
  })
  try {
    return await Promise.race([text, expired])
  } finally {
    clearTimeout(timer)
  }
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return undefined
  if (/json/i.test(contentType ?? '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

function isNetworkFailure(error: unknown): boolean {
  if (isNetworkError(error)) return true
  // a connection dropped while the body streams surfaces from undici as a bare TypeError
  return error instanceof TypeError && /^(terminated|fetch failed)$/.test(error.message)
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = []
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as {cause?: unknown}).cause, depth++) {
    const code = (e as {code?: unknown}).code
    if (typeof code === 'string') codes.push(code)
  }
  return codes
}

function connectionNeverOpened(error: unknown): boolean {
  return errorCodes(error).some((code) => NOT_SENT_CODES.has(code))
}

function networkReason(error: unknown): string {
  const codes = errorCodes(error)
  if (codes.length > 0) return codes[codes.length - 1]!
  let e: unknown = error
  while (e && typeof e === 'object' && (e as {cause?: unknown}).cause) e = (e as {cause: unknown}).cause
  return e instanceof Error ? e.message : String(e)
}

function blockAnswer(body: unknown): {htmlPage?: boolean; serverText?: string} {
  if (typeof body === 'string') return /<html|<!doctype/i.test(body) ? {htmlPage: true} : {serverText: body.slice(0, 200)}
  if (body && typeof body === 'object') {
    const {detail, title} = body as {detail?: unknown; title?: unknown}
    if (typeof detail === 'string' && detail) return {serverText: detail}
    if (typeof title === 'string' && title) return {serverText: title}
  }
  return {}
}

/** Path and query for logs; a `query=` search carries a phone or a patient id, so its value is hidden. */
export function redactedPath(url: string): string {
  const parsed = new URL(url)
  const parts: string[] = []
  for (const [key, value] of parsed.searchParams) parts.push(`${key}=${key === 'query' ? '<redacted>' : value}`)
  return parts.length > 0 ? `${parsed.pathname}?${parts.join('&')}` : parsed.pathname
}
