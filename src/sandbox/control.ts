import {isLoopbackHost} from '../config/index.js'
import {faultFromJson} from './faults.js'
import {json, type SandboxResponse} from './http.js'
import {SandboxRequestBodyError, SandboxValidationError} from './problems.js'
import type {SandboxServer} from './server.js'

/** What `GET /_sandbox/` lists: the in-process controls, over HTTP, for another process. */
const ROUTES: Array<[string, string]> = [
  ['GET /_sandbox/stats', 'request counts by route and status, the busiest 1-second window, block state, data counts, clock'],
  ['DELETE /_sandbox/stats', 'forget recorded requests'],
  ['GET /_sandbox/requests', 'every recorded request: method, path, status, at (real ms), clockAt'],
  ['GET /_sandbox/faults', 'queued faults'],
  [
    'POST /_sandbox/faults',
    'queue a fault or an array of them: {kind, method?, path? (prefix) | pathRegex?, times?, latencyMs?, applyAfterMs?}',
  ],
  ['DELETE /_sandbox/faults', 'drop every queued fault'],
  ['GET /_sandbox/clock', 'the sandbox clock'],
  ['POST /_sandbox/clock', '{set: unixMs} freezes the clock there; {advance: ms} moves it'],
  ['GET /_sandbox/contacts', 'every contact in the API read form (?deleted=include|only)'],
  ['POST /_sandbox/contacts', 'create contacts as a CRM manager would (a contact or an array, API write form)'],
  ['PATCH /_sandbox/contacts', 'edit contacts as a CRM manager would (array, each with id; per-field replacement)'],
  ['DELETE /_sandbox/contacts/:id', 'move a contact to the trash, as a CRM user deleting it'],
  ['POST /_sandbox/contacts/:id/restore', 'take a contact out of the trash'],
  ['POST /_sandbox/fields', 'create contact custom fields (array, API write form)'],
  ['GET /_sandbox/leads', 'every deal in the API read form with its contacts and loss reason (?deleted=include|only)'],
  ['POST /_sandbox/leads', 'create deals as a CRM manager would (a deal or an array, API write form, _embedded.contacts links)'],
  ['PATCH /_sandbox/leads', 'edit deals as a CRM manager would (array, each with id; per-field replacement)'],
  ['POST /_sandbox/leads/:id/move', '{status_id, pipeline_id?, loss_reason_id?}: a manager drags the deal to a stage'],
  ['DELETE /_sandbox/leads/:id', 'move a deal to the trash, as a CRM user deleting it'],
  ['POST /_sandbox/leads/:id/restore', 'take a deal out of the trash'],
  ['GET /_sandbox/leads/pipelines', 'every pipeline with its stages'],
  ['POST /_sandbox/leads/pipelines', 'create pipelines with their stages (array, API write form)'],
  ['GET /_sandbox/leads/loss_reasons', 'every loss reason'],
  ['POST /_sandbox/leads/loss_reasons', 'create loss reasons (array, API write form)'],
  ['POST /_sandbox/leads/fields', 'create deal custom fields (array, API write form)'],
  ['PATCH /_sandbox/settings', '{rateLimit?, latencyMs?, html429?, blockAfter429s?, refuseValues? (names and values refused, quoted)}'],
  ['POST /_sandbox/oauth/consent', '{consent: "approve" | "decline"}: how the consent page answers'],
  ['POST /_sandbox/oauth/tokens', '{clientId?}: a fresh OAuth token pair, skipping the consent page'],
  ['POST /_sandbox/tokens', '{token}: accept one more long-lived token'],
  ['POST /_sandbox/revoke', 'uninstall the integration: every token stops working'],
  ['POST /_sandbox/unblock', 'lift a block caused by repeated 429s'],
  ['POST /_sandbox/reset', 'a fresh account: data, tokens, faults, stats, block and clock'],
]

/**
 * Why a control request is refused, if it is: the control API has no authentication, so it answers
 * only what cannot come from a web page. A page's request reaching 127.0.0.1 through DNS rebinding
 * carries its own host name in `Host` (only loopback names are accepted), and a page can send a POST
 * without asking first only as a form or `text/plain` (changes take `Content-Type: application/json`).
 */
export function refusedControlRequest(
  host: string | undefined,
  method: string,
  contentType: string | undefined,
): SandboxResponse | undefined {
  let hostname: string | undefined
  try {
    hostname = host ? new URL(`http://${host}`).hostname : undefined
  } catch {
    hostname = undefined
  }
  if (hostname === undefined || !isLoopbackHost(hostname))
    return fail(
      403,
      `the control API answers only requests addressed to this machine (Host localhost, 127.0.0.1 or [::1]), not Host ${host === undefined ? '(none)' : JSON.stringify(host)}`,
    )
  const json = /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType ?? '')
  if (method !== 'GET' && method !== 'HEAD' && !json)
    return fail(
      415,
      `control requests that change something take a JSON body with Content-Type: application/json, not ${contentType ?? 'none'}`,
    )
  return undefined
}

/** `/_sandbox/…`: no auth, not rate-limited, not recorded; see `refusedControlRequest` for what it refuses. */
export function handleControl(s: SandboxServer, method: string, url: URL, rawBody: string, base: string): SandboxResponse {
  let body: unknown
  try {
    body = rawBody.trim() === '' ? undefined : JSON.parse(rawBody)
  } catch {
    return fail(400, 'the body is not valid JSON')
  }
  const path = url.pathname.replace(/\/+$/, '') || '/'
  const route = `${method} ${path}`
  try {
    switch (route) {
      case 'GET /_sandbox':
        return ok({url: base, routes: ROUTES.map(([r, what]) => ({route: r, what}))})
      case 'GET /_sandbox/stats':
        return ok(s.stats())
      case 'DELETE /_sandbox/stats':
        s.resetStats()
        return ok({ok: true})
      case 'GET /_sandbox/requests':
        return ok(s.traffic.requests)
      case 'GET /_sandbox/faults':
        return ok(s.faults.pending())
      case 'POST /_sandbox/faults':
        for (const f of Array.isArray(body) ? body : [body]) s.faults.add(faultFromJson(f))
        return ok(s.faults.pending())
      case 'DELETE /_sandbox/faults':
        s.faults.clear()
        return ok({ok: true})
      case 'GET /_sandbox/clock':
        return ok({now: s.clock.now(), frozen: s.clock.frozen})
      case 'POST /_sandbox/clock': {
        const o = (body ?? {}) as {set?: unknown; advance?: unknown}
        if (o.set === undefined && o.advance === undefined) return fail(400, 'send {"set": unixMs} or {"advance": ms}')
        if (o.set !== undefined) s.clock.set(Number(o.set))
        if (o.advance !== undefined) s.clock.advance(Number(o.advance))
        return ok({now: s.clock.now(), frozen: s.clock.frozen})
      }
      case 'GET /_sandbox/contacts': {
        const deleted = url.searchParams.get('deleted')
        return ok(s.store.listContacts({includeDeleted: deleted === 'include', onlyDeleted: deleted === 'only'}))
      }
      case 'POST /_sandbox/contacts':
        return ok(s.store.createContacts((Array.isArray(body) ? body : [body]) as never[]))
      case 'PATCH /_sandbox/contacts':
        return ok(s.store.updateContacts((Array.isArray(body) ? body : [body]) as never[]))
      case 'POST /_sandbox/fields':
        return ok(s.store.createFields((Array.isArray(body) ? body : [body]) as never[]))
      case 'GET /_sandbox/leads': {
        const deleted = url.searchParams.get('deleted')
        return ok(s.deals.listLeads({includeDeleted: deleted === 'include', onlyDeleted: deleted === 'only'}))
      }
      case 'POST /_sandbox/leads':
        return ok(s.deals.createLeads(list(body)))
      case 'PATCH /_sandbox/leads':
        return ok(s.deals.updateLeads(list(body)))
      case 'GET /_sandbox/leads/pipelines':
        return ok(s.deals.listPipelines())
      case 'POST /_sandbox/leads/pipelines':
        return ok(s.deals.createPipelines(list(body)))
      case 'GET /_sandbox/leads/loss_reasons':
        return ok(s.deals.listLossReasons())
      case 'POST /_sandbox/leads/loss_reasons':
        return ok(s.deals.createLossReasons(list(body)))
      case 'POST /_sandbox/leads/fields':
        return ok(s.deals.createFields(list(body)))
      case 'PATCH /_sandbox/settings': {
        const o = (body ?? {}) as Record<string, unknown>
        const num = (k: string) => (typeof o[k] === 'number' && (o[k] as number) >= 0 ? (o[k] as number) : undefined)
        if (num('rateLimit') !== undefined) s.settings.rateLimit = num('rateLimit')!
        if (num('latencyMs') !== undefined) s.settings.latencyMs = num('latencyMs')!
        if (num('blockAfter429s') !== undefined) s.settings.blockAfter429s = num('blockAfter429s')!
        if (typeof o.html429 === 'boolean') s.settings.html429 = o.html429
        if (Array.isArray(o.refuseValues)) s.settings.refuseValues = o.refuseValues.filter((v): v is string => typeof v === 'string')
        return ok(s.settings)
      }
      case 'POST /_sandbox/oauth/consent': {
        const consent = (body as {consent?: unknown} | undefined)?.consent
        if (consent !== 'approve' && consent !== 'decline') return fail(400, 'send {"consent": "approve"} or {"consent": "decline"}')
        s.oauth.consent = consent
        return ok({consent})
      }
      case 'POST /_sandbox/oauth/tokens': {
        const pair = s.oauth.issueTokens((body as {clientId?: string} | undefined)?.clientId)
        s.save()
        return ok(pair)
      }
      case 'POST /_sandbox/tokens': {
        const token = (body as {token?: unknown} | undefined)?.token
        if (typeof token !== 'string' || token.trim() === '') return fail(400, 'send {"token": "..."}')
        s.oauth.addLongLivedToken(token.trim())
        return ok({ok: true})
      }
      case 'POST /_sandbox/revoke':
        s.revokeAll()
        return ok({ok: true})
      case 'POST /_sandbox/unblock':
        s.blocked = false
        s.consecutive429s = 0
        return ok({ok: true})
      case 'POST /_sandbox/reset':
        s.reset()
        return ok({ok: true})
    }
    const one = /^\/_sandbox\/contacts\/(\d+)(\/restore)?$/.exec(path)
    if (one && method === 'DELETE' && !one[2])
      return s.store.deleteContact(Number(one[1])) ? ok({ok: true}) : fail(404, `no live contact ${one[1]}`)
    if (one && method === 'POST' && one[2])
      return s.store.restoreContact(Number(one[1])) ? ok({ok: true}) : fail(404, `no deleted contact ${one[1]}`)
    const lead = /^\/_sandbox\/leads\/(\d+)(\/restore|\/move)?$/.exec(path)
    if (lead && method === 'DELETE' && !lead[2])
      return s.deals.deleteLead(Number(lead[1])) ? ok({ok: true}) : fail(404, `no live deal ${lead[1]}`)
    if (lead && method === 'POST' && lead[2] === '/restore')
      return s.deals.restoreLead(Number(lead[1])) ? ok({ok: true}) : fail(404, `no deleted deal ${lead[1]}`)
    if (lead && method === 'POST' && lead[2] === '/move') {
      const to = (body ?? {}) as Record<string, unknown>
      if (typeof to.status_id !== 'number') return fail(400, 'send {"status_id": N} (and "pipeline_id", "loss_reason_id" when needed)')
      if (!s.deals.getLead(Number(lead[1]))) return fail(404, `no live deal ${lead[1]}`)
      return ok(s.deals.moveLead(Number(lead[1]), to as never))
    }
    return fail(404, `no control route ${route}; GET /_sandbox lists them`)
  } catch (error) {
    if (error instanceof SandboxValidationError)
      return json(400, {error: 'validation failed', 'validation-errors': error.errors}, 'application/json')
    if (error instanceof SandboxRequestBodyError)
      return json(400, {error: 'invalid request body', errors: error.errors}, 'application/json')
    return fail(400, (error as Error).message)
  }
}

/** A body that is one element or an array of them. */
function list(body: unknown): never[] {
  return (Array.isArray(body) ? body : [body]) as never[]
}

function ok(body: unknown): SandboxResponse {
  return json(200, body, 'application/json')
}

function fail(status: number, error: string): SandboxResponse {
  return json(status, {error}, 'application/json')
}
