import {renderField} from './fields.js'
import {html, json, noContent, parseJson, parseJsonOrForm, problemResponse, type SandboxResponse, unauthorized} from './http.js'
import type {OAuthServer} from './oauth.js'
import {SandboxValidationError} from './problems.js'
import type {ContactQuery, ContactStore, SandboxAccount, TimeRange} from './store.js'
import {formatOffset} from './tz.js'

/** amoCRM's caps (§2): 250 per page and per write; 50 by default. */
export const MAX_PAGE_SIZE = 250
export const DEFAULT_PAGE_SIZE = 50
export const MAX_BATCH = 250

export interface ApiContext {
  store: ContactStore
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

/** Routes everything that is not `/_sandbox/`: the consent page, the token endpoint and `/api/v4/…`. */
export function handleApi(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const path = req.url.pathname.length > 1 ? req.url.pathname.replace(/\/+$/, '') : req.url.pathname
  if (path === '/oauth') return req.method === 'GET' ? consentPage(ctx, req) : methodNotAllowed(req)
  if (path === '/oauth2/access_token') return req.method === 'POST' ? accessToken(ctx, req) : methodNotAllowed(req)
  const isApi = path.startsWith('/api/v4/')
  if (!isApi && path !== '/oauth2/account/subdomain') return problemResponse(404, `Cannot ${req.method} ${req.base}${req.url.pathname}`)
  if (!ctx.oauth.authenticate(req.token)) return unauthorized()
  if (path === '/oauth2/account/subdomain')
    return req.method === 'GET'
      ? json(
          200,
          {id: ctx.account.id, subdomain: ctx.account.subdomain, domain: `${ctx.account.subdomain}.amocrm.ru`, top_level_domain: 'ru'},
          'application/json',
        )
      : methodNotAllowed(req)
  const route = routeOf(path)
  if (!route) return problemResponse(404, `Cannot ${req.method} ${req.base}${req.url.pathname}`)
  const handler = route.handlers[req.method]
  if (!handler) return methodNotAllowed(req)
  return handler(ctx, req, route.id)
}

type Handler = (ctx: ApiContext, req: ApiRequest, id: number | undefined) => SandboxResponse

function routeOf(path: string): {handlers: Record<string, Handler>; id: number | undefined} | undefined {
  if (path === '/api/v4/account') return {handlers: {GET: getAccount}, id: undefined}
  if (path === '/api/v4/contacts') return {handlers: {GET: listContacts, POST: addContacts, PATCH: patchContacts}, id: undefined}
  if (path === '/api/v4/contacts/custom_fields') return {handlers: {GET: listFields, POST: addFields}, id: undefined}
  let m = /^\/api\/v4\/contacts\/custom_fields\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getField}, id: Number(m[1])}
  m = /^\/api\/v4\/contacts\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getContact, PATCH: patchContact}, id: Number(m[1])}
  return undefined
}

function methodNotAllowed(req: ApiRequest): SandboxResponse {
  return problemResponse(405, `Method ${req.method} is not allowed for ${req.url.pathname}`)
}

// ---- OAuth ------------------------------------------------------------------------------------------

function consentPage(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const outcome = ctx.oauth.authorize(req.url.searchParams)
  if ('error' in outcome)
    return html(
      400,
      `<!doctype html><html><head><title>amoCRM sandbox</title></head><body><h1>Integration not found</h1><p>${escapeHtml(outcome.error)}</p></body></html>`,
    )
  return {
    status: 302,
    headers: {Location: outcome.location, 'Content-Type': 'text/html; charset=utf-8'},
    body: `<a href="${escapeHtml(outcome.location)}">Redirecting</a>`,
  }
}

function accessToken(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const body = parseJsonOrForm(req.body, req.contentType)
  if (!body) return problemResponse(400, 'Request body is neither a JSON object nor a form')
  const outcome = ctx.oauth.exchange(body)
  return outcome.ok ? json(200, outcome.body, 'application/json') : json(outcome.status, outcome.body, 'application/problem+json')
}

// ---- account ----------------------------------------------------------------------------------------

function getAccount(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const withs = withSet(req.url.searchParams)
  const a = ctx.account
  const body: Record<string, unknown> = {
    id: a.id,
    name: a.name,
    subdomain: a.subdomain,
    created_at: 1_577_836_800,
    created_by: 0,
    updated_at: 1_577_836_800,
    updated_by: 0,
    current_user_id: a.currentUserId,
    country: 'RU',
    currency: 'RUB',
    currency_symbol: '₽',
    customers_mode: 'disabled',
    is_unsorted_on: true,
    is_loss_reason_enabled: true,
    is_helpbot_enabled: false,
    is_technical_account: false,
    contact_name_display_order: 1,
    mobile_feature_version: 0,
  }
  if (withs.has('is_api_filter_enabled')) body.is_api_filter_enabled = false
  body._links = {self: {href: `${req.base}/api/v4/account`}}
  if (withs.has('datetime_settings'))
    body._embedded = {
      datetime_settings: {
        date_pattern: 'd.m.Y H:i',
        short_date_pattern: 'd.m.Y',
        short_time_pattern: 'H:i',
        date_format: 'd.m.Y',
        time_format: 'H:i',
        timezone: a.timezone,
        timezone_offset: formatOffset(ctx.nowMs(), a.timezone),
      },
    }
  return json(200, body)
}

// ---- contacts ---------------------------------------------------------------------------------------

function listContacts(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const params = req.url.searchParams
  const paging = readPaging(params)
  if ('status' in paging) return paging
  const query = readContactQuery(params)
  if ('status' in query) return query
  const withs = withSet(params)
  const all = ctx.store.queryContacts(query)
  const slice = all.slice((paging.page - 1) * paging.limit, paging.page * paging.limit)
  if (slice.length === 0) return noContent()
  return json(200, {
    _page: paging.page,
    _links: pageLinks(req, paging, all.length > paging.page * paging.limit),
    _embedded: {contacts: slice.map((c) => ctx.store.renderContact(c, req.base, withs))},
  })
}

function getContact(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const c = ctx.store.storedContact(id!)
  if (!c || c.is_deleted) return noContent()
  return json(200, ctx.store.renderContact(c, req.base, withSet(req.url.searchParams)))
}

function addContacts(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.store.addContacts(items, 'api')
    return json(200, {
      _links: {self: {href: `${req.base}/api/v4/contacts`}},
      _embedded: {
        contacts: out.map(({contact, requestId}) => ({
          id: contact.id,
          request_id: requestId,
          _links: {self: {href: `${req.base}/api/v4/contacts/${contact.id}`}},
        })),
      },
    })
  })
}

function patchContacts(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.store.patchContacts(items, 'api')
    return json(200, {
      _links: {self: {href: `${req.base}/api/v4/contacts`}},
      _embedded: {
        contacts: out.map(({contact, requestId}) => ({
          id: contact.id,
          name: contact.name,
          updated_at: contact.updated_at,
          request_id: requestId,
          _links: {self: {href: `${req.base}/api/v4/contacts/${contact.id}`}},
        })),
      },
    })
  })
}

/** `PATCH /contacts/{id}` takes one object; an array there is a 405 (PHP #329). */
function patchContact(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  let body: unknown
  try {
    body = parseJson(req.body)
  } catch {
    return problemResponse(400, 'Request body is not valid JSON')
  }
  if (Array.isArray(body)) return problemResponse(405, 'Method Not Allowed: send one object to /contacts/{id}, or the array to /contacts')
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0))
    return problemResponse(400, 'Request data can not be empty')
  return withValidation(() => {
    const {contact} = ctx.store.patchContacts([body], 'api', id)[0]!
    return json(200, {
      id: contact.id,
      name: contact.name,
      updated_at: contact.updated_at,
      _links: {self: {href: `${req.base}/api/v4/contacts/${contact.id}`}},
    })
  })
}

// ---- custom fields ----------------------------------------------------------------------------------

function listFields(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const params = req.url.searchParams
  const paging = readPaging(params)
  if ('status' in paging) return paging
  const types = [...params.entries()].filter(([k]) => /^filter\[type\](\[\d*\])?$/.test(k)).flatMap(([, v]) => v.split(','))
  const all = ctx.store.storedFields().filter((f) => types.length === 0 || types.includes(f.type))
  const slice = all.slice((paging.page - 1) * paging.limit, paging.page * paging.limit)
  if (slice.length === 0) return noContent()
  return json(200, {
    _total_items: all.length,
    _page: paging.page,
    _page_count: Math.ceil(all.length / paging.limit),
    _links: pageLinks(req, paging, all.length > paging.page * paging.limit),
    _embedded: {custom_fields: slice.map((f) => renderField(f, ctx.account.id, req.base))},
  })
}

function getField(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const f = ctx.store.fieldById(id!)
  return f ? json(200, renderField(f, ctx.account.id, req.base)) : noContent()
}

function addFields(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.store.addFields(items)
    return json(200, {
      _total_items: out.length,
      _links: {self: {href: `${req.base}/api/v4/contacts/custom_fields`}},
      _embedded: {
        custom_fields: out.map(({field, requestId}) => ({...renderField(field, ctx.account.id, req.base), request_id: requestId})),
      },
    })
  })
}

// ---- helpers ----------------------------------------------------------------------------------------

/** A write body: a non-empty JSON array of at most 250 elements (§2, §5.1). */
function readBatch(req: ApiRequest): unknown[] | SandboxResponse {
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

function withValidation(run: () => SandboxResponse): SandboxResponse {
  try {
    return run()
  } catch (error) {
    if (error instanceof SandboxValidationError)
      return problemResponse(400, 'Request validation failed', {'validation-errors': error.errors})
    throw error
  }
}

interface Paging {
  page: number
  limit: number
}

/**
 * `page` 1-based, `limit` 1–250 (default 50). amoCRM's answer to a larger `limit` is not known (§9);
 * the sandbox refuses it with a 400 rather than capping it, so that a client asking for more than
 * amoCRM documents finds out here and not in production.
 */
function readPaging(params: URLSearchParams): Paging | SandboxResponse {
  const rawPage = params.get('page')
  const rawLimit = params.get('limit')
  const page = rawPage === null ? 1 : /^\d+$/.test(rawPage) ? Number(rawPage) : NaN
  const limit = rawLimit === null ? DEFAULT_PAGE_SIZE : /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN
  if (!(page >= 1)) return problemResponse(400, 'page must be a whole number from 1')
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) return problemResponse(400, `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  return {page, limit}
}

function pageLinks(req: ApiRequest, paging: Paging, hasNext: boolean): Record<string, {href: string}> {
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

function withSet(params: URLSearchParams): Set<string> {
  return new Set(
    (params.get('with') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
}

const FILTER_KEY = /^filter\[(\w+)\](?:\[(\w*)\])?$/
const ORDER_KEY = /^order\[(\w+)\]$/

/** `query`, `filter[…]`, `order[…]` and `with=only_deleted` of `GET /api/v4/contacts` (§3.1, §3.7). */
function readContactQuery(params: URLSearchParams): ContactQuery | SandboxResponse {
  const q: ContactQuery = {}
  const query = params.get('query')
  if (query !== null && query.trim() !== '') q.query = query
  if (withSet(params).has('only_deleted')) q.onlyDeleted = true
  const ints = (raw: string): number[] | undefined => {
    const parts = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    return parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : undefined
  }
  for (const [key, raw] of params) {
    const f = FILTER_KEY.exec(key)
    if (f) {
      const [, name, sub] = f as unknown as [string, string, string | undefined]
      if (name === 'id' || name === 'responsible_user_id' || name === 'created_by' || name === 'updated_by') {
        const values = ints(raw)
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
      }
      // Custom-field filters are silently ignored: API filtering is off in this account (§3.7).
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

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)
}
