import {randomBytes} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'

/** A response decided by a handler, sent (or replaced by a fault) by the server. */
export interface SandboxResponse {
  status: number
  headers?: Record<string, string>
  body?: string
}

export const HAL_JSON = 'application/hal+json'
export const PROBLEM_JSON = 'application/problem+json'

export function json(status: number, body: unknown, contentType = HAL_JSON): SandboxResponse {
  return {status, headers: {'Content-Type': `${contentType}; charset=utf-8`}, body: JSON.stringify(body)}
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** `{"title","type":"https://httpstatus.es/N","status","detail"}` as problem+json. */
export function problemResponse(status: number, detail: string, extra: Record<string, unknown> = {}): SandboxResponse {
  return json(status, {title: TITLES[status] ?? 'Error', type: `https://httpstatus.es/${status}`, status, detail, ...extra}, PROBLEM_JSON)
}

export function unauthorized(): SandboxResponse {
  return problemResponse(401, 'Invalid user name or password')
}

export function internalError(): SandboxResponse {
  return json(
    500,
    {
      title: 'ErrInternalServer',
      type: 'https://httpstatus.es/500',
      status: 500,
      detail: 'Internal Server Error',
      trace_id: randomBytes(8).toString('hex'),
    },
    PROBLEM_JSON,
  )
}

export function noContent(): SandboxResponse {
  return {status: 204}
}

export function html(status: number, body: string): SandboxResponse {
  return {status, headers: {'Content-Type': 'text/html; charset=utf-8'}, body}
}

/** The gateway's own pages (nginx style): what a blocked or overloaded amoCRM answers. */
export function gatewayPage(status: 403 | 429 | 502 | 504): SandboxResponse {
  const text = {403: '403 Forbidden', 429: '429 Too Many Requests', 502: '502 Bad Gateway', 504: '504 Gateway Time-out'}[status]
  return html(
    status,
    `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  )
}

/** Kommo's documented 429: JSON with `retry_after` (seconds). */
export function tooManyRequests(retryAfterS: number): SandboxResponse {
  const r = problemResponse(429, 'Too many requests', {retry_after: retryAfterS})
  r.headers = {...r.headers, 'Retry-After': String(retryAfterS)}
  return r
}

export function send(res: ServerResponse, r: SandboxResponse): void {
  if (res.headersSent || res.destroyed) return
  res.statusCode = r.status
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v)
  if (r.body === undefined || r.status === 204) {
    res.end()
    return
  }
  const buf = Buffer.from(r.body, 'utf8')
  res.setHeader('Content-Length', buf.length)
  res.end(buf)
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The JSON body, or undefined for an empty one; throws SyntaxError for malformed JSON. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  return JSON.parse(text)
}

/** The token endpoint takes JSON or a form. */
export function parseJsonOrForm(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  if (text.trim() === '') return {}
  const isForm =
    contentType?.includes('application/x-www-form-urlencoded') || (!contentType?.includes('json') && !text.trimStart().startsWith('{'))
  if (isForm) return Object.fromEntries(new URLSearchParams(text))
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** `http://<Host header>`: links are built from the host the client used. */
export function baseUrlOf(req: IncomingMessage, fallbackHost: string): string {
  const host = req.headers.host && /^[\w.\-:[\]]+$/.test(req.headers.host) ? req.headers.host : fallbackHost
  return `http://${host}`
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  return m?.[1]
}

export function newRequestId(): string {
  return randomBytes(12).toString('hex')
}
