import {dealRouteOf} from './deals-api.js'
import {type FieldEntity, renderField} from './fields.js'
import {html, json, noContent, parseJsonOrForm, problemResponse, type SandboxResponse, unauthorized} from './http.js'
import {
  type ApiContext,
  type ApiRequest,
  type Handler,
  methodNotAllowed,
  pageAnswer,
  readBatch,
  readListQuery,
  readPaging,
  readSingle,
  type Route,
  withSet,
  withValidation,
} from './requests.js'
import {formatOffset} from './tz.js'

export {DEFAULT_PAGE_SIZE, MAX_BATCH, MAX_PAGE_SIZE} from './requests.js'

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
  const route = routeOf(path) ?? dealRouteOf(path)
  if (!route) return problemResponse(404, `Cannot ${req.method} ${req.base}${req.url.pathname}`)
  const handler = route.handlers[req.method]
  if (!handler) return methodNotAllowed(req)
  return handler(ctx, req, route.id)
}

function routeOf(path: string): Route | undefined {
  if (path === '/api/v4/account') return {handlers: {GET: getAccount}, id: undefined}
  if (path === '/api/v4/contacts') return {handlers: {GET: listContacts, POST: addContacts, PATCH: patchContacts}, id: undefined}
  const fields = fieldRouteOf(path, 'contacts') ?? fieldRouteOf(path, 'leads')
  if (fields) return fields
  const m = /^\/api\/v4\/contacts\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getContact, PATCH: patchContact}, id: Number(m[1])}
  return undefined
}

/** `/api/v4/{contacts|leads}/custom_fields` and `…/custom_fields/{id}`. */
export function fieldRouteOf(path: string, entity: FieldEntity): Route | undefined {
  const prefix = `/api/v4/${entity}/custom_fields`
  if (path === prefix) return {handlers: {GET: listFields(entity), POST: addFields(entity)}, id: undefined}
  const m = /^\/(\d+)$/.exec(path.slice(prefix.length))
  if (path.startsWith(prefix) && m) return {handlers: {GET: getField(entity)}, id: Number(m[1])}
  return undefined
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
  const query = readListQuery(params)
  if ('status' in query) return query
  const withs = withSet(params)
  return pageAnswer(req, paging, ctx.store.queryContacts(query), 'contacts', (c) => ctx.store.renderContact(c, req.base, withs))
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

/** `PATCH /contacts/{id}` takes one object. */
function patchContact(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const single = readSingle(req, 'contacts')
  if (!('value' in single)) return single
  return withValidation(() => {
    const {contact} = ctx.store.patchContacts([single.value], 'api', id)[0]!
    return json(200, {
      id: contact.id,
      name: contact.name,
      updated_at: contact.updated_at,
      _links: {self: {href: `${req.base}/api/v4/contacts/${contact.id}`}},
    })
  })
}

// ---- custom fields ----------------------------------------------------------------------------------

function listFields(entity: FieldEntity): Handler {
  return (ctx, req) => {
    const params = req.url.searchParams
    const paging = readPaging(params)
    if ('status' in paging) return paging
    const types = [...params.entries()].filter(([k]) => /^filter\[type\](\[\d*\])?$/.test(k)).flatMap(([, v]) => v.split(','))
    const all = ctx.store.storedFields(entity).filter((f) => types.length === 0 || types.includes(f.type))
    return pageAnswer(req, paging, all, 'custom_fields', (f) => renderField(f, ctx.account.id, req.base), true)
  }
}

function getField(entity: FieldEntity): Handler {
  return (ctx, req, id) => {
    const f = ctx.store.fieldById(id!, entity)
    return f ? json(200, renderField(f, ctx.account.id, req.base)) : noContent()
  }
}

function addFields(entity: FieldEntity): Handler {
  return (ctx, req) => {
    const items = readBatch(req)
    if (!Array.isArray(items)) return items
    return withValidation(() => {
      const out = ctx.store.addFields(items, entity)
      return json(200, {
        _total_items: out.length,
        _links: {self: {href: `${req.base}/api/v4/${entity}/custom_fields`}},
        _embedded: {
          custom_fields: out.map(({field, requestId}) => ({...renderField(field, ctx.account.id, req.base), request_id: requestId})),
        },
      })
    })
  }
}

// ---- helpers ----------------------------------------------------------------------------------------

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)
}
