import type {DealStore} from './deals.js'
import type {ListQuery, TimeRange} from './entities.js'
import {json, noContent, parseJson, problemResponse, type SandboxResponse} from './http.js'
import type {OAuthServer} from './oauth.js'
import {SandboxRequestBodyError, SandboxValidationError} from './problems.js'
import type {ContactStore, SandboxAccount} from './store.js'

/** amoCRM's caps: 250 per page and per write; 50 by default. */
export const MAX_PAGE_SIZE = 250
export const DEFAULT_PAGE_SIZE = 50
export const MAX_BATCH = 250

export interface ApiContext {
  store: ContactStore
  deals: DealStore
  oauth: OAuthServer
  account: SandboxAccount
  nowMs: () => number
}

export interface ApiRequest {
  method: string
  url: URL
  /** `http://host:port` as the client addressed us. */
  base: string
  body: string
  contentType: string | undefined
  token: string | undefined
}

export type Handler = (ctx: ApiContext, req: ApiRequest, id: number | undefined) => SandboxResponse

export interface Route {
  handlers: Record<string, Handler>
  id: number | undefined
}

export function methodNotAllowed(req: ApiRequest): SandboxResponse {
  return problemResponse(405, `Method ${req.method} is not allowed for ${req.url.pathname}`)
}

/** A write body: a non-empty JSON array of at most 250 elements. */
export function readBatch(req: ApiRequest): unknown[] | SandboxResponse {
  let body: unknown
  try {
    body = parseJson(req.body)
  } catch {
    return problemResponse(400, 'Request body is not valid JSON')
  }
  if (body === undefined || body === null || (Array.isArray(body) && body.length === 0))
    return problemResponse(400, 'Request data can not be empty')
  if (!Array.isArray(body)) return problemResponse(400, 'Request data must be an array of entities')
  if (body.length > MAX_BATCH) return problemResponse(422, `Limit ${MAX_BATCH} per page`)
  return body
}

/** The body of `PATCH /{entity}/{id}`: one object; an array there is a 405 (PHP #329). */
export function readSingle(req: ApiRequest, entity: string): {value: object} | SandboxResponse {
  let body: unknown
  try {
    body = parseJson(req.body)
  } catch {
    return problemResponse(400, 'Request body is not valid JSON')
  }
  if (Array.isArray(body)) return problemResponse(405, `Method Not Allowed: send one object to /${entity}/{id}, or the array to /${entity}`)
  if (body === undefined || body === null || typeof body !== 'object' || Object.keys(body).length === 0)
    return problemResponse(400, 'Request data can not be empty')
  return {value: body}
}

/**
 * Runs a write; a refused batch becomes amoCRM's 400: `validation-errors` per request_id, or
 * the older `errors` map with "Invalid request body" that some deal rules answer with (PHP #88).
 */
export function withValidation(run: () => SandboxResponse): SandboxResponse {
  try {
    return run()
  } catch (error) {
    if (error instanceof SandboxValidationError)
      return problemResponse(400, 'Request validation failed', {'validation-errors': error.errors})
    if (error instanceof SandboxRequestBodyError) return problemResponse(400, 'Invalid request body', {errors: error.errors})
    throw error
  }
}

export interface Paging {
  page: number
  limit: number
}

/**
 * `page` 1-based, `limit` 1–250 (default 50). amoCRM's answer to a larger `limit` is not known;
 * the sandbox refuses it with a 400 rather than capping it, so that a client asking for more than
 * amoCRM documents finds out here and not in production.
 */
export function readPaging(params: URLSearchParams): Paging | SandboxResponse {
  const rawPage = params.get('page')
  const rawLimit = params.get('limit')
  const page = rawPage === null ? 1 : /^\d+$/.test(rawPage) ? Number(rawPage) : NaN
  const limit = rawLimit === null ? DEFAULT_PAGE_SIZE : /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN
  if (!(page >= 1)) return problemResponse(400, 'page must be a whole number from 1')
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) return problemResponse(400, `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  return {page, limit}
}

export function pageLinks(req: ApiRequest, paging: Paging, hasNext: boolean): Record<string, {href: string}> {
  const href = (page: number) => {
    const q = new URLSearchParams(req.url.searchParams)
    q.set('page', String(page))
    q.set('limit', String(paging.limit))
    return {href: `${req.base}${req.url.pathname}?${q.toString()}`}
  }
  return {
    self: href(paging.page),
    ...(hasNext ? {next: href(paging.page + 1)} : {}),
    ...(paging.page > 1 ? {prev: href(paging.page - 1)} : {}),
  }
}

/**
 * One page of a list under `_embedded[key]`, or 204 when it is empty. `totals` adds
 * `_total_items` and `_page_count`, which custom-field and loss-reason lists carry and entity lists do not.
 */
export function pageAnswer<T>(
  req: ApiRequest,
  paging: Paging,
  all: readonly T[],
  key: string,
  render: (item: T) => unknown,
  totals = false,
): SandboxResponse {
  const slice = all.slice((paging.page - 1) * paging.limit, paging.page * paging.limit)
  if (slice.length === 0) return noContent()
  return json(200, {
    ...(totals ? {_total_items: all.length} : {}),
    _page: paging.page,
    ...(totals ? {_page_count: Math.ceil(all.length / paging.limit)} : {}),
    _links: pageLinks(req, paging, all.length > paging.page * paging.limit),
    _embedded: {[key]: slice.map(render)},
  })
}

export function withSet(params: URLSearchParams): Set<string> {
  return new Set(
    (params.get('with') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
}

/** `1,2, 3` → [1, 2, 3]; undefined when any part is not a whole number. */
export function wholeNumbers(raw: string): number[] | undefined {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : undefined
}

const FILTER_KEY = /^filter\[(\w+)\](?:\[(\w*)\])?$/
const ORDER_KEY = /^order\[(\w+)\]$/

/**
 * `query`, the shared `filter[…]`, `order[…]` and `with=only_deleted` of a contacts or deals list.
 * A `filter[…]` key it does not know goes to `more` (which answers a 400 for a bad
 * value); without one, or when `more` passes, it is ignored: custom-field filters are silently
 * ignored, as API filtering is off in this account.
 */
export function readListQuery(
  params: URLSearchParams,
  more: (key: string, raw: string) => SandboxResponse | undefined = () => undefined,
): ListQuery | SandboxResponse {
  const q: ListQuery = {}
  const query = params.get('query')
  if (query !== null && query.trim() !== '') q.query = query
  if (withSet(params).has('only_deleted')) q.onlyDeleted = true
  for (const [key, raw] of params) {
    const f = FILTER_KEY.exec(key)
    if (f) {
      const [, name, sub] = f as unknown as [string, string, string | undefined]
      if (name === 'id' || name === 'responsible_user_id' || name === 'created_by' || name === 'updated_by') {
        const values = wholeNumbers(raw)
        if (!values) return problemResponse(400, `${key} must be whole numbers`)
        const prop = ({id: 'ids', responsible_user_id: 'responsibleUserIds', created_by: 'createdBy', updated_by: 'updatedBy'} as const)[
          name
        ]
        q[prop] = [...(q[prop] ?? []), ...values]
      } else if (name === 'created_at' || name === 'updated_at') {
        if (!/^\d+$/.test(raw)) return problemResponse(400, `${key} must be a unix timestamp`)
        const prop = name === 'created_at' ? 'createdAt' : 'updatedAt'
        const range: TimeRange = q[prop] ?? {}
        if (sub === 'from') range.from = Number(raw)
        else if (sub === 'to') range.to = Number(raw)
        else range.eq = Number(raw)
        q[prop] = range
      } else if (name === 'name') {
        q.names = [...(q.names ?? []), raw]
      } else {
        const refused = more(key, raw)
        if (refused) return refused
      }
      continue
    }
    if (key.startsWith('filter[')) {
      const refused = more(key, raw)
      if (refused) return refused
      continue
    }
    const o = ORDER_KEY.exec(key)
    if (o && (o[1] === 'id' || o[1] === 'updated_at' || o[1] === 'created_at')) {
      if (raw !== 'asc' && raw !== 'desc') return problemResponse(400, `${key} must be asc or desc`)
      q.order = {field: o[1], direction: raw}
    }
  }
  return q
}
