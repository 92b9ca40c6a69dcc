import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {AppError} from '../errors.js'
import {PRIVATE_DIR_MODE, PRIVATE_FILE_MODE} from '../local-files.js'
import {handleApi} from './api.js'
import {ControllableClock, type SandboxClock} from './clock.js'
import {handleControl, refusedControlRequest} from './control.js'
import {type DealSnapshot, DealStore, type SandboxDeals} from './deals.js'
import {applyAfterMs, FaultQueue, type FaultKind, type FaultSpec} from './faults.js'
import {
  BodyTooLargeError,
  baseUrlOf,
  bearerToken,
  gatewayPage,
  internalError,
  newRequestId,
  problemResponse,
  readBody,
  type SandboxResponse,
  send,
  tooManyRequests,
  unauthorized,
} from './http.js'
import {type OAuthClient, OAuthServer, type OAuthSnapshot, type TokenResponse} from './oauth.js'
import {ContactStore, SANDBOX_ACCOUNT_ID, SANDBOX_ADMIN_ID, SANDBOX_MANAGER_ID, type SandboxStore, type StoreSnapshot} from './store.js'
import {API_PREFIX, RateLimiter, type RecordedRequest, TrafficLog} from './traffic.js'
import {AnswerTurns} from './turns.js'
import {isValidTimeZone} from './tz.js'

/** The long-lived token every sandbox accepts unless told otherwise. */
export const SANDBOX_TOKEN = 'sandbox-long-lived-token'
/** The OAuth integration a sandbox has registered unless told otherwise; the redirect is the tool's default. */
export const SANDBOX_CLIENT_ID = 'sandbox-client-id'
export const SANDBOX_CLIENT_SECRET = 'sandbox-client-secret'
export const SANDBOX_REDIRECT_URI = 'http://localhost:8080/callback'

export interface SandboxOptions {
  /** 0 (default) picks a free port. The server binds 127.0.0.1 only. */
  port?: number
  /** Requests per second per token on `/api/v4/` (default 7; 0 = no limit). */
  rateLimit?: number
  /** Added to every response, ms (benchmarks). */
  latencyMs?: number
  /** Account timezone (default Europe/Moscow): dates are stored at its midnight. */
  timezone?: string
  subdomain?: string
  accountName?: string
  /** Bearer strings accepted without any OAuth (default [SANDBOX_TOKEN]). */
  longLivedTokens?: string[]
  /** Registered integrations (default one: SANDBOX_CLIENT_ID / SANDBOX_CLIENT_SECRET / SANDBOX_REDIRECT_URI). */
  oauthClients?: OAuthClient[]
  /** A used refresh token dies at once (amoCRM threads) instead of when the new pair is first used (Kommo). */
  strictRefresh?: boolean
  /** 429 as the gateway's HTML page without Retry-After, instead of JSON with retry_after. */
  html429?: boolean
  /** After this many 429s in a row, every request gets the 403 HTML block page until reset/unblock. */
  blockAfter429s?: number
  /** Names and field values the account refuses, with a validation text quoting them (as amoCRM's may). */
  refuseValues?: string[]
  /** Load from this JSON file if present; save to it (atomically) after every change. */
  dataFile?: string
  /** Create PHONE, EMAIL and POSITION in a fresh account (default true). */
  seedFields?: boolean
  /** Freeze the clock at this unix ms (default: real time). */
  now?: number
  /** Called once each recorded request is answered (or dropped: status 0). */
  onRequest?: (request: RecordedRequest) => void
}

/** Settings that may change while the sandbox runs (`sandbox.settings`, `PATCH /_sandbox/settings`). */
export interface SandboxSettings {
  rateLimit: number
  latencyMs: number
  html429: boolean
  /** 0 = never block. */
  blockAfter429s: number
  /** Names and text values refused with `InvalidValue`, `The value "…" is not valid.` */
  refuseValues: string[]
}

export interface SandboxStats {
  requests: number
  byRoute: Record<string, number>
  byStatus: Record<string, number>
  /** Most `/api/v4/` arrivals in any 1-second window. */
  maxRequestsPerSecond: number
  blocked: boolean
  consecutive429s: number
  contacts: number
  deletedContacts: number
  /** Contact custom fields. */
  fields: number
  leads: number
  deletedLeads: number
  pipelines: number
  lossReasons: number
  leadFields: number
  clock: number
  faults: ReturnType<FaultQueue['pending']>
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT`: the AMOCRM_BASE_URL to give the tool. */
  url: string
  port: number
  store: SandboxStore
  /** Deals, pipelines, loss reasons and deal fields. */
  deals: SandboxDeals
  clock: SandboxClock
  faults: {add(fault: FaultSpec): void; clear(): void}
  /** Every request except `/_sandbox/` control calls, in arrival order (answered 429s and faults included). */
  requests: RecordedRequest[]
  /** The most `/api/v4/` requests that arrived within any `windowMs` (default 1000). */
  maxRequestsInWindow(windowMs?: number): number
  /** The most `/api/v4/` requests the sandbox was handling at once (received, not yet answered). */
  maxRequestsInFlight(): number
  /** Recorded requests, optionally of one method and/or under a path prefix. */
  apiRequestCount(filter?: {method?: string; pathPrefix?: string}): number
  /** Forgets recorded requests (not data). */
  resetStats(): void
  /** Uninstalls the integration: every OAuth and long-lived token stops working until `reset`. */
  revokeAllTokens(): void
  close(): Promise<void>

  settings: SandboxSettings
  oauth: {
    /** A fresh token pair for a registered client, skipping the consent page. */
    issueTokens(clientId?: string): TokenResponse
    /** The consent page auto-approves; `decline` makes it answer `error=access_denied`. */
    setConsent(answer: 'approve' | 'decline'): void
    addLongLivedToken(token: string): void
    readonly clients: OAuthClient[]
  }
  readonly blocked: boolean
  /** Lifts a 429 block. */
  unblock(): void
  stats(): SandboxStats
  /** Back to a fresh account: data, tokens, faults, stats, block and clock (saved to `dataFile` too). */
  reset(): void
}

interface DataFile {
  version: 1
  store: StoreSnapshot
  /** Absent in files written before the sandbox had deals: a fresh main pipeline then. */
  deals?: DealSnapshot
  oauth: OAuthSnapshot
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const server = new SandboxServer(options)
  await server.listen(options.port ?? 0)
  return server.face()
}

class SandboxServer {
  readonly clock: ControllableClock
  readonly store: ContactStore
  readonly deals: DealStore
  readonly oauth: OAuthServer
  readonly faults = new FaultQueue()
  readonly traffic = new TrafficLog()
  readonly settings: SandboxSettings
  private readonly limiter = new RateLimiter()
  /** One answer worked out per turn of the loop, so that arrivals are stamped when they come (see AnswerTurns). */
  private readonly answerTurns = new AnswerTurns()
  private readonly http: Server
  private readonly dataFile: string | undefined
  private readonly onRequestDone: ((request: RecordedRequest) => void) | undefined
  blocked = false
  consecutive429s = 0
  port = 0

  constructor(options: SandboxOptions) {
    const timezone = options.timezone ?? 'Europe/Moscow'
    if (!isValidTimeZone(timezone))
      throw new AppError(`unknown timezone '${timezone}'`, {code: 'E_USAGE', exitCode: 2, hint: 'use an IANA name such as Europe/Moscow'})
    const rateLimit = options.rateLimit ?? 7
    if (!(rateLimit >= 0))
      throw new AppError(`rate limit must be 0 or more requests per second, got ${rateLimit}`, {code: 'E_USAGE', exitCode: 2})
    this.settings = {
      rateLimit,
      latencyMs: Math.max(0, options.latencyMs ?? 0),
      html429: options.html429 ?? false,
      blockAfter429s: options.blockAfter429s ?? 0,
      refuseValues: [...(options.refuseValues ?? [])],
    }
    this.clock = new ControllableClock(options.now)
    const account = {
      id: SANDBOX_ACCOUNT_ID,
      name: options.accountName ?? 'ident-amo sandbox',
      subdomain: options.subdomain ?? 'sandbox',
      timezone,
      currentUserId: SANDBOX_ADMIN_ID,
      managerUserId: SANDBOX_MANAGER_ID,
      users: [
        {id: SANDBOX_ADMIN_ID, name: 'Администратор'},
        {id: SANDBOX_MANAGER_ID, name: 'Менеджер'},
      ],
    }
    this.store = new ContactStore(account, () => this.clock.seconds(), options.seedFields ?? true)
    this.deals = new DealStore(this.store, () => this.clock.seconds())
    this.store.leadIdsOfContact = (contactId) => this.deals.leadIdsOfContact(contactId)
    const clients = options.oauthClients ?? [
      {clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET, redirectUri: SANDBOX_REDIRECT_URI},
    ]
    this.oauth = new OAuthServer(this.clock, clients, options.longLivedTokens ?? [SANDBOX_TOKEN], options.strictRefresh ?? false, account)
    this.dataFile = options.dataFile ? path.resolve(options.dataFile) : undefined
    this.onRequestDone = options.onRequest
    if (this.dataFile && existsSync(this.dataFile)) this.load(this.dataFile)
    this.store.onChange = () => this.save()
    this.store.refuses = (value) => this.settings.refuseValues.includes(value)
    this.deals.onChange = () => this.save()
    this.http = createServer((req, res) => {
      this.onRequest(req, res).catch(() => {
        if (!res.headersSent) send(res, internalError())
      })
    })
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(port, '127.0.0.1', () => {
        this.http.off('error', reject)
        resolve()
      })
    })
    this.port = (this.http.address() as AddressInfo).port
    this.store.baseUrl = this.url
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async close(): Promise<void> {
    if (!this.http.listening) return
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()))
    this.http.closeAllConnections()
    await closed
  }

  resetStats(): void {
    this.traffic.clear()
    this.limiter.clear()
    this.consecutive429s = 0
  }

  reset(): void {
    this.store.reset()
    this.deals.reset()
    this.oauth.reset()
    this.faults.clear()
    this.resetStats()
    this.blocked = false
    this.clock.reset()
    this.save()
  }

  revokeAll(): void {
    this.oauth.revokeAll()
    this.save()
  }

  stats(): SandboxStats {
    return {
      requests: this.traffic.requests.length,
      byRoute: this.traffic.countsByRoute(),
      byStatus: this.traffic.countsByStatus(),
      maxRequestsPerSecond: this.traffic.maxInWindow(1000),
      blocked: this.blocked,
      consecutive429s: this.consecutive429s,
      contacts: this.store.countContacts(),
      deletedContacts: this.store.countContacts({onlyDeleted: true}),
      fields: this.store.storedFields().length,
      leads: this.deals.countLeads(),
      deletedLeads: this.deals.countLeads({onlyDeleted: true}),
      pipelines: this.deals.storedPipelines().length,
      lossReasons: this.deals.storedLossReasons().length,
      leadFields: this.store.storedFields('leads').length,
      clock: this.clock.now(),
      faults: this.faults.pending(),
    }
  }

  face(): Sandbox {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this
    return {
      url: this.url,
      port: this.port,
      store: this.store,
      deals: this.deals,
      clock: this.clock,
      faults: {add: (f) => this.faults.add(f), clear: () => this.faults.clear()},
      requests: this.traffic.requests,
      maxRequestsInWindow: (windowMs) => this.traffic.maxInWindow(windowMs),
      maxRequestsInFlight: () => this.traffic.maxOpen,
      apiRequestCount: (filter) => this.traffic.count(filter),
      resetStats: () => this.resetStats(),
      revokeAllTokens: () => this.revokeAll(),
      close: () => this.close(),
      settings: this.settings,
      oauth: {
        issueTokens: (clientId) => {
          const pair = this.oauth.issueTokens(clientId)
          this.save()
          return pair
        },
        setConsent: (answer) => {
          this.oauth.consent = answer
        },
        addLongLivedToken: (token) => this.oauth.addLongLivedToken(token),
        clients: this.oauth.clients,
      },
      get blocked() {
        return self.blocked
      },
      unblock: () => {
        this.blocked = false
        this.consecutive429s = 0
      },
      stats: () => this.stats(),
      reset: () => this.reset(),
    }
  }

  // ---- persistence --------------------------------------------------------------------------------

  private load(file: string): void {
    let data: DataFile
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as DataFile
      if (data?.version !== 1) throw new Error('unknown format version')
      this.store.restore(data.store)
      if (data.deals) this.deals.restore(data.deals)
      this.oauth.restore(data.oauth ?? {access: [], refresh: [], revoked: []})
    } catch (error) {
      throw new AppError(`the sandbox data file ${file} cannot be read: ${(error as Error).message}`, {
        code: 'E_SANDBOX_DATA',
        hint: 'delete it (the sandbox starts a fresh account) or pass another data file',
        cause: error,
      })
    }
  }

  /**
   * Write to a temporary file, then rename: a crash never leaves half a file. It holds tokens: 0600,
   * in a directory made 0700 when the sandbox creates it.
   */
  save(): void {
    if (!this.dataFile) return
    const data: DataFile = {version: 1, store: this.store.snapshot(), deals: this.deals.snapshot(), oauth: this.oauth.snapshot()}
    mkdirSync(path.dirname(this.dataFile), {recursive: true, mode: PRIVATE_DIR_MODE})
    const tmp = `${this.dataFile}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(data), {mode: PRIVATE_FILE_MODE})
    renameSync(tmp, this.dataFile)
  }

  // ---- the request pipeline -----------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Request-Id', newRequestId())
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid')
    const method = (req.method ?? 'GET').toUpperCase()
    const base = baseUrlOf(req, `127.0.0.1:${this.port}`)

    if (url.pathname === '/_sandbox' || url.pathname.startsWith('/_sandbox/')) {
      const refused = refusedControlRequest(req.headers.host, method, req.headers['content-type'])
      if (refused) return send(res, refused)
      let body: string
      try {
        body = await readBody(req)
      } catch {
        return send(res, problemResponse(413, 'request body too large'))
      }
      return send(res, handleControl(this, method, url, body, base))
    }

    const rec = this.traffic.record(method, url.pathname + url.search, this.clock.now())
    const isApi = url.pathname.startsWith(API_PREFIX)
    if (isApi) res.once('close', this.traffic.opened())
    const finish = (r: SandboxResponse): void => {
      rec.status = r.status
      if (isApi) this.countThrottle(r.status)
      send(res, r)
      this.onRequestDone?.(rec)
    }
    const drop = (): void => {
      req.socket.destroy()
      this.onRequestDone?.(rec)
    }
    let body: string
    try {
      body = await readBody(req)
    } catch (error) {
      if (error instanceof BodyTooLargeError) return finish(problemResponse(413, error.message))
      return
    }
    if (this.blocked) return finish(gatewayPage(403))
    const token = bearerToken(req)
    if (isApi && this.settings.rateLimit > 0 && !this.limiter.admit(token ?? '', rec.at, this.settings.rateLimit))
      return finish(this.settings.html429 ? gatewayPage(429) : tooManyRequests(1))

    const fault = this.faults.take(method, rec.path)
    const delay = this.settings.latencyMs + (fault?.kind === 'latency' ? (fault.latencyMs ?? 0) : 0)
    if (delay > 0) await sleep(delay)
    await this.answerTurns.next()
    if (fault?.kind === 'drop') return drop()
    const apply = (): SandboxResponse => {
      try {
        const response = handleApi(
          {store: this.store, deals: this.deals, oauth: this.oauth, account: this.store.account, nowMs: () => this.clock.now()},
          {method, url, base, body, contentType: req.headers['content-type'], token},
        )
        if (url.pathname === '/oauth2/access_token' && response.status === 200) this.save()
        return response
      } catch {
        return internalError()
      }
    }
    if (fault?.kind === '504-then-apply') {
      // the gateway gave up; amoCRM behind it still applies the write
      setTimeout(apply, applyAfterMs(fault)).unref()
      return finish(gatewayPage(504))
    }
    if (fault?.kind === 'hold-then-apply') await sleep(applyAfterMs(fault))
    const early = fault ? faultAnswer(fault.kind) : undefined
    if (early) return finish(early)

    const response = apply()
    if (fault?.kind === 'apply-then-500') return finish(internalError())
    if (fault?.kind === 'apply-then-drop') return drop()
    finish(response)
  }

  private countThrottle(status: number): void {
    if (status !== 429) {
      this.consecutive429s = 0
      return
    }
    this.consecutive429s++
    if (this.settings.blockAfter429s > 0 && this.consecutive429s >= this.settings.blockAfter429s) this.blocked = true
  }
}

/** The canned answer of a fault that answers before anything is applied. */
function faultAnswer(kind: FaultKind): SandboxResponse | undefined {
  switch (kind) {
    case '429':
      return tooManyRequests(1)
    case '429-html':
      return gatewayPage(429)
    case '500':
      return internalError()
    case '502':
      return gatewayPage(502)
    case '503':
      return problemResponse(503, 'Service temporarily unavailable')
    case '504':
      return gatewayPage(504)
    case '403-html':
      return gatewayPage(403)
    case '402':
      return problemResponse(402, 'Payment Required: the account subscription has expired')
    case '401':
      return unauthorized()
    default:
      return undefined
  }
}

export type {SandboxServer}
