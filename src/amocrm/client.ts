import type {Logger} from 'pino'

import type {AmoApi, ApiStats, ListContactsParams} from './api.js'
import {AmoHttpError, AmoInvalidRequestError, AmoOutcomeUnknownError, AmoValidationError} from './errors.js'
import {AmoHttp, redactedPath, type HttpMethod, type HttpResponse} from './http.js'
import {
  checkLeadWrites,
  checkPipelineCreates,
  checkStatusCreates,
  leadSearchParams,
  type ListLeadsParams,
  requestBodyProblems,
} from './leads.js'
import {DEFAULT_RATE_LIMIT, getSharedRateLimiter, type RateLimiter} from './rate-limiter.js'
import {retryOptions, type RetryOptions} from './retry.js'
import type {TokenProvider} from './tokens.js'
import type {
  Account,
  Contact,
  ContactWrite,
  ContactWriteResult,
  CustomFieldCreate,
  CustomFieldDef,
  Lead,
  LeadWrite,
  LeadWriteResult,
  LossReason,
  LossReasonCreate,
  Pipeline,
  PipelineCreate,
  PipelineStatus,
  StatusCreate,
  ValidationProblem,
} from './types.js'

/** amoCRM's limit for list pages and write batches. */
export const MAX_BATCH = 250

export const DEFAULT_TIMEOUT_MS = 30_000

export const DEFAULT_USER_AGENT = 'ident-amo (IDENT to amoCRM sync)'

/**
 * Pages of one listing kept in flight at most. How many are actually in flight follows Little's law —
 * the rate limit × the answer time measured so far, plus one — so that reads keep up with the limiter
 * at any latency without sending more than the limiter lets through anyway.
 */
export const MAX_PAGES_IN_FLIGHT = 16

export interface AmoClientOptions {
  /** `https://SUB.amocrm.ru`, or AMOCRM_BASE_URL (see the config's `amoBaseUrl()`). */
  baseUrl: string
  tokens: TokenProvider
  /** Requests per second for the shared limiter (AMOCRM_RATE_LIMIT), default 7. Ignored when `limiter` is given. */
  rateLimit?: number
  /** A limiter of one's own (tests); by default the process-wide one. */
  limiter?: RateLimiter
  /** Per attempt, for the answer and its body together; default 30 s. */
  timeoutMs?: number
  retry?: Partial<RetryOptions>
  userAgent?: string
  logger?: Logger
  /** How backoff waits (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>
  /** Jitter source (tests). */
  random?: () => number
  /** The most pages of a listing kept in flight (default MAX_PAGES_IN_FLIGHT; 1 = one after another). */
  concurrency?: number
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Page<K extends string, T> {
  _page?: number
  _page_count?: number
  _links?: {next?: {href?: string}}
  _embedded?: Partial<Record<K, T[]>>
}

/**
 * The amoCRM API v4 over HTTP. Every request goes through the rate limiter (the shared one unless
 * given), retries are as safe as the method allows (see `AmoHttp`), and after a 401 that a refresh did
 * not cure, a 402 or a 403 the client sends nothing more: every call throws that error at once.
 */
export class AmoClient implements AmoApi {
  readonly stats: ApiStats = {requests: 0, retries: 0, throttled: 0}
  readonly baseUrl: string
  readonly #http: AmoHttp
  readonly #limiter: RateLimiter
  readonly #maxPagesInFlight: number

  constructor(options: AmoClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    if (!/^https?:\/\//i.test(this.baseUrl))
      throw new AmoInvalidRequestError(
        `the amoCRM base URL must start with https:// (or http:// for a local sandbox), got '${options.baseUrl}'`,
      )
    const limiter = options.limiter ?? getSharedRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT)
    this.#limiter = limiter
    this.#maxPagesInFlight = Math.max(1, Math.floor(options.concurrency ?? MAX_PAGES_IN_FLIGHT))
    this.#http = new AmoHttp({
      limiter,
      tokens: options.tokens,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: retryOptions(options.retry),
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      logger: options.logger,
      sleep: options.sleep ?? realSleep,
      stats: this.stats,
      random: options.random,
    })
  }

  /** The 401/402/403 error that stopped this client, if any. */
  get fatalError() {
    return this.#http.fatalError
  }

  async getAccount(): Promise<Account> {
    const response = await this.#call('GET', this.#url('/api/v4/account', new URLSearchParams({with: 'datetime_settings'})))
    return objectBody<Account>(response, 'GET /api/v4/account')
  }

  async *listContacts(params: ListContactsParams = {}): AsyncGenerator<Contact[]> {
    yield* this.#pages<'contacts', Contact>(this.#url('/api/v4/contacts', contactSearchParams(params)), 'contacts')
  }

  /**
   * Every live contact, by id ascending, several pages in flight (`page=N`, `order[id]=asc`). Exact
   * while managers create contacts meanwhile: a new contact gets an id above every existing one, so it
   * can only add to the end of the list and never moves an existing contact to another page — every
   * contact that existed when the listing began is read exactly once. The list ends at the first page,
   * in page order, that has no next page (or is a 204); pages asked for beyond it are dropped.
   */
  async *listEveryContact(options: {expected?: number} = {}): AsyncGenerator<Contact[]> {
    const url = (page: number) =>
      this.#url('/api/v4/contacts', new URLSearchParams({limit: String(MAX_BATCH), page: String(page), 'order[id]': 'asc'}))
    const expectedPages = options.expected === undefined ? undefined : Math.ceil(options.expected / MAX_BATCH)
    yield* this.#pagesInFlight<'contacts', Contact>(url, 'contacts', expectedPages)
  }

  async getContact(id: number): Promise<Contact | null> {
    if (!Number.isInteger(id) || id <= 0) throw new AmoInvalidRequestError(`a contact id must be a positive whole number, got ${id}`)
    const response = await this.#call('GET', this.#url(`/api/v4/contacts/${id}`), {absentStatuses: [404]})
    if (response.status === 204 || response.status === 404) return null
    return objectBody<Contact>(response, 'GET /api/v4/contacts/{id}')
  }

  async createContacts(items: ContactWrite[]): Promise<ContactWriteResult[]> {
    for (const [index, item] of items.entries())
      if (item.id !== undefined)
        throw new AmoInvalidRequestError(
          `element ${index} of a contact create carries an id (${item.id}); updates go through updateContacts`,
        )
    return this.#writeBatch<'contacts', ContactWriteResult>('POST', '/api/v4/contacts', 'contacts', items)
  }

  async updateContacts(items: ContactWrite[]): Promise<ContactWriteResult[]> {
    for (const [index, item] of items.entries())
      if (!Number.isInteger(item.id) || item.id! <= 0)
        throw new AmoInvalidRequestError(`element ${index} of a contact update has no valid id`)
    return this.#writeBatch<'contacts', ContactWriteResult>('PATCH', '/api/v4/contacts', 'contacts', items)
  }

  async listCustomFields(): Promise<CustomFieldDef[]> {
    return this.#all<'custom_fields', CustomFieldDef>('/api/v4/contacts/custom_fields', 'custom_fields')
  }

  async createCustomFields(defs: CustomFieldCreate[]): Promise<CustomFieldDef[]> {
    return this.#writeBatch<'custom_fields', CustomFieldDef & {request_id?: string}>(
      'POST',
      '/api/v4/contacts/custom_fields',
      'custom_fields',
      defs,
    )
  }

  // ---- deals, pipelines, loss reasons, deal fields ------------------------------------------------

  async *listLeads(params: ListLeadsParams = {}): AsyncGenerator<Lead[]> {
    yield* this.#pages<'leads', Lead>(this.#url('/api/v4/leads', leadSearchParams(params, MAX_BATCH)), 'leads')
  }

  async createLeads(items: LeadWrite[]): Promise<LeadWriteResult[]> {
    checkLeadWrites(items, 'create')
    return this.#writeBatch<'leads', LeadWriteResult>('POST', '/api/v4/leads', 'leads', items)
  }

  async updateLeads(items: LeadWrite[]): Promise<LeadWriteResult[]> {
    checkLeadWrites(items, 'update')
    return this.#writeBatch<'leads', LeadWriteResult>('PATCH', '/api/v4/leads', 'leads', items)
  }

  async listPipelines(): Promise<Pipeline[]> {
    return this.#all<'pipelines', Pipeline>('/api/v4/leads/pipelines', 'pipelines', false)
  }

  async createPipelines(items: PipelineCreate[]): Promise<Pipeline[]> {
    checkPipelineCreates(items)
    return this.#writeBatch<'pipelines', Pipeline & {request_id?: string}>('POST', '/api/v4/leads/pipelines', 'pipelines', items)
  }

  async createPipelineStatuses(pipelineId: number, items: StatusCreate[]): Promise<PipelineStatus[]> {
    if (!Number.isInteger(pipelineId) || pipelineId <= 0)
      throw new AmoInvalidRequestError(`a pipeline id must be a positive whole number, got ${pipelineId}`)
    checkStatusCreates(items, `new stages of pipeline ${pipelineId}`)
    return this.#writeBatch<'statuses', PipelineStatus & {request_id?: string}>(
      'POST',
      `/api/v4/leads/pipelines/${pipelineId}/statuses`,
      'statuses',
      items,
    )
  }

  async listLossReasons(): Promise<LossReason[]> {
    return this.#all<'loss_reasons', LossReason>('/api/v4/leads/loss_reasons', 'loss_reasons')
  }

  async createLossReasons(items: LossReasonCreate[]): Promise<LossReason[]> {
    for (const [index, item] of items.entries())
      if (typeof item.name !== 'string' || item.name.trim() === '') throw new AmoInvalidRequestError(`loss reason ${index} has no name`)
    return this.#writeBatch<'loss_reasons', LossReason & {request_id?: string}>('POST', '/api/v4/leads/loss_reasons', 'loss_reasons', items)
  }

  async listLeadCustomFields(): Promise<CustomFieldDef[]> {
    return this.#all<'custom_fields', CustomFieldDef>('/api/v4/leads/custom_fields', 'custom_fields')
  }

  async createLeadCustomFields(defs: CustomFieldCreate[]): Promise<CustomFieldDef[]> {
    return this.#writeBatch<'custom_fields', CustomFieldDef & {request_id?: string}>(
      'POST',
      '/api/v4/leads/custom_fields',
      'custom_fields',
      defs,
    )
  }

  /** Every page of a settings list (fields, loss reasons; pipelines are not paged). */
  async #all<K extends string, T>(path: string, key: K, paged = true): Promise<T[]> {
    const items: T[] = []
    const url = this.#url(path, paged ? new URLSearchParams({limit: String(MAX_BATCH)}) : undefined)
    for await (const page of this.#pages<K, T>(url, key)) items.push(...page)
    return items
  }

  #url(path: string, searchParams?: URLSearchParams): string {
    const query = searchParams?.toString()
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`
  }

  /**
   * Sends one request and turns an error answer into a typed error: 400 with `validation-errors` →
   * `AmoValidationError`, any other ≥ 400 → `AmoHttpError` (the transport already dealt with 401, 402,
   * 403, 429 and the retriable 5xx).
   */
  async #call(method: HttpMethod, url: string, options: {json?: unknown; absentStatuses?: number[]} = {}): Promise<HttpResponse> {
    const response = await this.#http.send({method, url, json: options.json, repeatable: method !== 'POST'})
    if (response.status < 400 || options.absentStatuses?.includes(response.status)) return response
    const where = `${method} ${redactedPath(url)}`
    const problems = validationProblems(response.body)
    // amoCRM's texts may quote what was sent (a phone, a name): the errors keep them apart from their message.
    if (response.status === 400 && problems) throw new AmoValidationError(problems, problemText(response.body))
    throw new AmoHttpError(response.status, where, response.body, problemText(response.body))
  }

  /** Follows `_links.next` (an absolute URL) until it is missing or a 204 ends the list. */
  async *#pages<K extends string, T>(firstUrl: string, key: K): AsyncGenerator<T[]> {
    const seen = new Set<string>()
    let url: string | undefined = firstUrl
    while (url) {
      if (seen.has(url)) throw new AmoHttpError(200, `amoCRM sent ${redactedPath(url)} as the next page twice; stopping instead of looping`)
      seen.add(url)
      const response = await this.#call('GET', url)
      if (response.status === 204) return
      const page = objectBody<Page<K, T>>(response, `GET ${redactedPath(url)}`)
      const items = page._embedded?.[key] ?? []
      if (items.length > 0) yield items
      url = this.#nextPageUrl(page, url)
    }
  }

  /**
   * The pages `urlOf(1)`, `urlOf(2)`, … yielded in page order, with more than one in flight: as many
   * as the rate limit × the quickest answer so far (plus one) asks for, at most `#maxPagesInFlight`.
   * A page is asked for as soon as one is answered, not when the caller has used it, so that a slow
   * caller does not slow the reading down; at most twice as many as may be in flight wait to be used.
   * Past the end a few pages may be asked for and dropped (at most the number in flight, less one).
   * With `expectedPages` (how many the caller expects), pages beyond it are asked for slowly — two more
   * for each one that came back — so that an exact guess wastes at most one request.
   */
  async *#pagesInFlight<K extends string, T>(urlOf: (page: number) => string, key: K, expectedPages?: number): AsyncGenerator<T[]> {
    type Answer = {items: T[]; last: boolean}
    const asked = new Map<number, Promise<Answer>>()
    let nextPage = 1
    /** The page the caller is waiting for (or using). */
    let current = 1
    let unanswered = 0
    let quickest = Infinity
    let wanted = 1
    /** The first page known to end the list. */
    let endPage = Infinity
    /** Pages read past the expected ones: each lets two more be asked for. */
    let readBeyond = 0
    const mayAsk = (page: number) =>
      page <= endPage && page < current + 2 * wanted && (expectedPages === undefined || page <= expectedPages + 1 + 2 * readBeyond)
    const pump = () => {
      while (unanswered < wanted && mayAsk(nextPage)) ask(nextPage++)
    }
    const ask = (page: number) => {
      const started = performance.now()
      unanswered++
      const answer = this.#call('GET', urlOf(page))
        .then((response): Answer => {
          // Little's law: in flight = rate × time per answer. The quickest answer is the one least
          // delayed by the limiter's own queue, which more pages in flight would only lengthen.
          quickest = Math.min(quickest, (performance.now() - started) / 1000)
          wanted = Math.min(this.#maxPagesInFlight, Math.ceil(this.#limiter.rate * quickest) + 1)
          if (response.status === 204) return {items: [], last: true}
          const body = objectBody<Page<K, T>>(response, `GET ${redactedPath(urlOf(page))}`)
          return {items: body._embedded?.[key] ?? [], last: !body._links?.next?.href}
        })
        .then(
          (answered) => {
            unanswered--
            if (answered.last) endPage = Math.min(endPage, page)
            pump()
            return answered
          },
          (error: unknown) => {
            unanswered--
            // Nothing more is asked for: the caller meets this error when it reaches this page.
            endPage = Math.min(endPage, page)
            throw error
          },
        )
      // A page asked for and then not awaited (the list ended, or an earlier page failed) must not
      // surface as an unhandled rejection.
      answer.catch(() => undefined)
      asked.set(page, answer)
    }
    for (; ; current++) {
      pump()
      const {items, last} = await asked.get(current)!
      asked.delete(current)
      if (expectedPages !== undefined && current > expectedPages) readBeyond++
      if (items.length > 0) yield items
      if (last) return
    }
  }

  #nextPageUrl(page: Page<string, unknown>, current: string): string | undefined {
    const href = page._links?.next?.href
    if (href) {
      const next = new URL(href, current)
      const base = new URL(this.baseUrl)
      // the Bearer token goes to the account host only: a next link naming another host (a proxy in
      // AMOCRM_BASE_URL, a renamed account) is followed on our base URL
      if (next.origin === base.origin) return next.href
      return `${this.baseUrl}${next.pathname}${next.search}`
    }
    // custom-field lists may give page counts instead of a next link
    if (page._page !== undefined && page._page_count !== undefined && page._page < page._page_count) {
      const next = new URL(current)
      next.searchParams.set('page', String(page._page + 1))
      return next.href
    }
    return undefined
  }

  async #writeBatch<K extends string, R extends {request_id?: string}>(
    method: 'POST' | 'PATCH',
    path: string,
    key: K,
    items: Array<{request_id?: string}>,
  ): Promise<R[]> {
    if (items.length === 0) return []
    if (items.length > MAX_BATCH)
      throw new AmoInvalidRequestError(`a batch holds at most ${MAX_BATCH} elements, got ${items.length}: split it`)
    const body = items.map((item, index) => ({...item, request_id: item.request_id ?? String(index)}))
    const requestIds = body.map((item) => item.request_id)
    const duplicate = requestIds.find((id, index) => requestIds.indexOf(id) !== index)
    if (duplicate !== undefined) throw new AmoInvalidRequestError(`request_id '${duplicate}' appears twice in one batch`)
    const where = `${method} ${path}`
    const response = await this.#call(method, this.#url(path), {json: body}).catch((error: unknown) => {
      // amoCRM's other refusal of a whole batch (PHP #88): by deal id or request_id, nothing applied
      const problems = error instanceof AmoHttpError && error.status === 400 ? requestBodyProblems(error.body, body) : undefined
      throw problems ? new AmoValidationError(problems, problemText(error instanceof AmoHttpError ? error.body : undefined)) : error
    })
    const returned = (response.body as Page<K, R> | undefined)?._embedded?.[key]
    if (!Array.isArray(returned)) return this.#unreadable(method, `${where} answered ${response.status} without _embedded.${key}`)
    const byRequestId = new Map(returned.filter((r) => r && typeof r.request_id === 'string').map((r) => [r.request_id!, r]))
    if (byRequestId.size === 0 && returned.length === body.length) return returned.map((r, i) => ({...r, request_id: requestIds[i]!}))
    const results: R[] = []
    for (const requestId of requestIds) {
      const result = byRequestId.get(requestId)
      if (!result) return this.#unreadable(method, `${where}: the answer does not mention request_id '${requestId}'`)
      results.push(result)
    }
    return results
  }

  /** A 2xx whose body cannot be mapped: for a create, what was made is unknown and must be reconciled. */
  #unreadable(method: 'POST' | 'PATCH', message: string): never {
    if (method === 'POST') throw new AmoOutcomeUnknownError(message)
    throw new AmoHttpError(200, message)
  }
}

function contactSearchParams(params: ListContactsParams): URLSearchParams {
  const limit = params.limit ?? MAX_BATCH
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BATCH)
    throw new AmoInvalidRequestError(`a page holds 1 to ${MAX_BATCH} contacts, got limit ${params.limit}`)
  const search = new URLSearchParams({limit: String(limit)})
  if (params.query !== undefined && params.query !== '') search.set('query', params.query)
  for (const id of params.ids ?? []) search.append('filter[id][]', String(id))
  if (params.updatedFrom !== undefined) search.set('filter[updated_at][from]', String(params.updatedFrom))
  if (params.updatedTo !== undefined) search.set('filter[updated_at][to]', String(params.updatedTo))
  if (params.order) search.set(`order[${params.order.field}]`, params.order.direction)
  return search
}

function objectBody<T>(response: HttpResponse, where: string): T {
  if (response.body && typeof response.body === 'object') return response.body as T
  throw new AmoHttpError(response.status, `${where} answered ${response.status} without a JSON body`, response.body)
}

function validationProblems(body: unknown): Map<string, ValidationProblem[]> | undefined {
  if (!body || typeof body !== 'object') return undefined
  const list = (body as {'validation-errors'?: unknown})['validation-errors']
  if (!Array.isArray(list)) return undefined
  const problems = new Map<string, ValidationProblem[]>()
  for (const entry of list as Array<{request_id?: unknown; errors?: unknown}>) {
    const requestId = entry?.request_id === undefined || entry.request_id === null ? '' : String(entry.request_id)
    const errors = Array.isArray(entry?.errors) ? (entry.errors as Array<Record<string, unknown>>) : []
    const mapped = errors.map((e) => ({code: String(e?.code ?? ''), path: String(e?.path ?? ''), detail: String(e?.detail ?? '')}))
    problems.set(requestId, [...(problems.get(requestId) ?? []), ...mapped])
  }
  return problems
}

function problemText(body: unknown): string | undefined {
  if (typeof body === 'string') return /<html|<!doctype/i.test(body) ? 'an HTML page' : body.slice(0, 200)
  if (!body || typeof body !== 'object') return undefined
  const {title, detail} = body as {title?: unknown; detail?: unknown}
  const parts = [title, detail].filter((p): p is string => typeof p === 'string' && p !== '')
  return parts.length > 0 ? parts.join(': ') : undefined
}
