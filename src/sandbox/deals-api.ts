import type {LeadQuery} from './deals.js'
import {json, noContent, problemResponse, type SandboxResponse} from './http.js'
import {renderLossReason, renderPipeline, renderStatus} from './pipelines.js'
import {
  type ApiContext,
  type ApiRequest,
  pageAnswer,
  readBatch,
  readListQuery,
  readPaging,
  readSingle,
  type Route,
  wholeNumbers,
  withSet,
  withValidation,
} from './requests.js'

/**
 * `/api/v4/leads…`: deals, pipelines and their stages, loss reasons. Deal custom
 * fields are routed with the contact ones (`fieldRouteOf`).
 */
export function dealRouteOf(path: string): Route | undefined {
  const none = undefined
  if (path === '/api/v4/leads') return {handlers: {GET: listLeads, POST: addLeads, PATCH: patchLeads}, id: none}
  if (path === '/api/v4/leads/pipelines') return {handlers: {GET: listPipelines, POST: addPipelines}, id: none}
  if (path === '/api/v4/leads/loss_reasons') return {handlers: {GET: listLossReasons, POST: addLossReasons}, id: none}
  let m = /^\/api\/v4\/leads\/pipelines\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getPipeline}, id: Number(m[1])}
  m = /^\/api\/v4\/leads\/pipelines\/(\d+)\/statuses$/.exec(path)
  if (m) return {handlers: {GET: listStatuses, POST: addStatuses}, id: Number(m[1])}
  m = /^\/api\/v4\/leads\/loss_reasons\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getLossReason}, id: Number(m[1])}
  m = /^\/api\/v4\/leads\/(\d+)$/.exec(path)
  if (m) return {handlers: {GET: getLead, PATCH: patchLead}, id: Number(m[1])}
  return undefined
}

// ---- deals ------------------------------------------------------------------------------------------

const PIPELINE_FILTER = /^filter\[pipeline_id\](\[\d*\])?$/
const STATUSES_FILTER = /^filter\[statuses\]\[(\d+)\]\[(pipeline_id|status_id)\]$/

/** The shared list filters plus `filter[pipeline_id][]` and `filter[statuses][N][pipeline_id|status_id]`. */
function readLeadQuery(params: URLSearchParams): LeadQuery | SandboxResponse {
  const pipelineIds: number[] = []
  const statuses = new Map<string, {pipelineId?: number; statusId?: number}>()
  const q = readListQuery(params, (key, raw) => {
    const pipeline = PIPELINE_FILTER.exec(key)
    const status = STATUSES_FILTER.exec(key)
    if (!pipeline && !status) return undefined
    const values = wholeNumbers(raw)
    if (!values || (status && values.length !== 1))
      return problemResponse(400, `${key} must be ${status ? 'a whole number' : 'whole numbers'}`)
    if (pipeline) pipelineIds.push(...values)
    else {
      const pair = statuses.get(status![1]!) ?? {}
      if (status![2] === 'pipeline_id') pair.pipelineId = values[0]
      else pair.statusId = values[0]
      statuses.set(status![1]!, pair)
    }
    return undefined
  })
  if ('status' in q) return q
  return {...q, ...(pipelineIds.length > 0 ? {pipelineIds} : {}), ...(statuses.size > 0 ? {statuses: [...statuses.values()]} : {})}
}

function listLeads(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const params = req.url.searchParams
  const paging = readPaging(params)
  if ('status' in paging) return paging
  const query = readLeadQuery(params)
  if ('status' in query) return query
  const withs = withSet(params)
  return pageAnswer(req, paging, ctx.deals.queryLeads(query), 'leads', (l) => ctx.deals.renderLead(l, req.base, withs))
}

function getLead(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const l = ctx.deals.storedLead(id!)
  if (!l || l.is_deleted) return noContent()
  return json(200, ctx.deals.renderLead(l, req.base, withSet(req.url.searchParams)))
}

function addLeads(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.deals.addLeads(items, 'api')
    return json(200, {
      _links: {self: {href: `${req.base}/api/v4/leads`}},
      _embedded: {
        leads: out.map(({lead, requestId}) => ({
          id: lead.id,
          request_id: requestId,
          _links: {self: {href: `${req.base}/api/v4/leads/${lead.id}`}},
        })),
      },
    })
  })
}

function patchLeads(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.deals.patchLeads(items, 'api')
    return json(200, {
      _links: {self: {href: `${req.base}/api/v4/leads`}},
      _embedded: {
        leads: out.map(({lead, requestId}) => ({
          id: lead.id,
          updated_at: lead.updated_at,
          request_id: requestId,
          _links: {self: {href: `${req.base}/api/v4/leads/${lead.id}`}},
        })),
      },
    })
  })
}

function patchLead(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const single = readSingle(req, 'leads')
  if (!('value' in single)) return single
  return withValidation(() => {
    const {lead} = ctx.deals.patchLeads([single.value], 'api', id)[0]!
    return json(200, {id: lead.id, updated_at: lead.updated_at, _links: {self: {href: `${req.base}/api/v4/leads/${lead.id}`}}})
  })
}

// ---- pipelines and stages ---------------------------------------------------------------------------

/** Not paged: an account has at most 50 pipelines. */
function listPipelines(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const all = ctx.deals.storedPipelines()
  return json(200, {
    _total_items: all.length,
    _links: {self: {href: `${req.base}/api/v4/leads/pipelines`}},
    _embedded: {pipelines: all.map((p) => renderPipeline(p, ctx.account.id, req.base))},
  })
}

/** An unknown pipeline is a 404 "Pipeline not found" (PHP #92). */
function pipelineOr404(ctx: ApiContext, id: number) {
  return ctx.deals.pipelineById(id) ?? problemResponse(404, 'Pipeline not found')
}

function getPipeline(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const p = pipelineOr404(ctx, id!)
  return 'statuses' in p ? json(200, renderPipeline(p, ctx.account.id, req.base)) : p
}

function addPipelines(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.deals.addPipelines(items)
    return json(200, {
      _total_items: out.length,
      _links: {self: {href: `${req.base}/api/v4/leads/pipelines`}},
      _embedded: {
        pipelines: out.map(({pipeline, requestId}) => ({...renderPipeline(pipeline, ctx.account.id, req.base), request_id: requestId})),
      },
    })
  })
}

function listStatuses(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const p = pipelineOr404(ctx, id!)
  if (!('statuses' in p)) return p
  const statuses = renderPipeline(p, ctx.account.id, req.base)._embedded.statuses
  return json(200, {
    _total_items: statuses.length,
    _links: {self: {href: `${req.base}/api/v4/leads/pipelines/${p.id}/statuses`}},
    _embedded: {statuses},
  })
}

function addStatuses(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const p = pipelineOr404(ctx, id!)
  if (!('statuses' in p)) return p
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.deals.addStatuses(p, items)
    return json(200, {
      _total_items: out.length,
      _links: {self: {href: `${req.base}/api/v4/leads/pipelines/${p.id}/statuses`}},
      _embedded: {
        statuses: out.map(({status, requestId}) => ({...renderStatus(status, p.id, ctx.account.id, req.base), request_id: requestId})),
      },
    })
  })
}

// ---- loss reasons -----------------------------------------------------------------------------------

function listLossReasons(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const paging = readPaging(req.url.searchParams)
  if ('status' in paging) return paging
  return pageAnswer(req, paging, ctx.deals.storedLossReasons(), 'loss_reasons', (r) => renderLossReason(r, req.base), true)
}

function getLossReason(ctx: ApiContext, req: ApiRequest, id: number | undefined): SandboxResponse {
  const r = ctx.deals.storedLossReasons().find((x) => x.id === id)
  return r ? json(200, renderLossReason(r, req.base)) : noContent()
}

function addLossReasons(ctx: ApiContext, req: ApiRequest): SandboxResponse {
  const items = readBatch(req)
  if (!Array.isArray(items)) return items
  return withValidation(() => {
    const out = ctx.deals.addLossReasons(items)
    return json(200, {
      _total_items: out.length,
      _links: {self: {href: `${req.base}/api/v4/leads/loss_reasons`}},
      _embedded: {loss_reasons: out.map(({reason, requestId}) => ({...renderLossReason(reason, req.base), request_id: requestId}))},
    })
  })
}
