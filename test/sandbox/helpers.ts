import {type Sandbox, SANDBOX_TOKEN, type SandboxOptions, startSandbox} from '../../src/sandbox/index.js'

export interface ApiAnswer<T = unknown> {
  status: number
  headers: Headers
  text: string
  /** The parsed body, or undefined when it is empty or not JSON. */
  body: T
}

/** A request to the sandbox with the long-lived token (unless `token` says otherwise). */
export async function call<T = unknown>(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: {body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string>; url?: string} = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {...options.headers}
  const token = options.token === undefined ? SANDBOX_TOKEN : options.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  let body: string | undefined = options.rawBody
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['Content-Type'] ??= 'application/json'
  }
  const res = await fetch(`${options.url ?? sandbox.url}${path}`, {method, headers, body, redirect: 'manual'})
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return {status: res.status, headers: res.headers, text, body: parsed as T}
}

/** A sandbox without a rate limit (unless asked), closed by `after`. */
export function useSandbox(options: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox | undefined
  beforeEach(async () => {
    sandbox = await startSandbox({rateLimit: 0, ...options})
  })
  afterEach(async () => {
    await sandbox?.close()
    sandbox = undefined
  })
  return () => sandbox!
}

export interface ContactBody {
  id: number
  name: string
  first_name: string
  last_name: string
  created_at: number
  updated_at: number
  is_deleted: boolean
  custom_fields_values: Array<{
    field_id: number
    field_code: string | null
    field_type: string
    field_name: string
    values: Array<{value: unknown; enum_id?: number; enum_code?: string | null}>
  }> | null
  _links: {self: {href: string}}
  _embedded: {tags: unknown[]; companies: unknown[]}
}

export interface ListBody {
  _page: number
  _links: {self: {href: string}; next?: {href: string}; prev?: {href: string}}
  _embedded: {contacts: ContactBody[]}
}

export interface ValidationBody {
  title: string
  status: number
  detail: string
  'validation-errors': Array<{request_id: string; errors: Array<{code: string; path: string; detail: string}>}>
}

/** The id of a seeded field by its code (PHONE, EMAIL, POSITION) or name. */
export function fieldId(sandbox: Sandbox, codeOrName: string): number {
  const f = sandbox.store.listFields().find((x) => x.code === codeOrName || x.name === codeOrName)
  if (!f) throw new Error(`no field ${codeOrName}`)
  return f.id
}

export interface LeadBody {
  id: number
  name: string
  price: number
  status_id: number
  pipeline_id: number
  loss_reason_id: number | null
  responsible_user_id: number
  created_by: number
  updated_by: number
  created_at: number
  updated_at: number
  closed_at: number | null
  is_deleted: boolean
  custom_fields_values: ContactBody['custom_fields_values']
  _links: {self: {href: string}}
  _embedded: {
    tags: Array<{id: number; name: string}>
    companies: unknown[]
    contacts?: Array<{id: number; is_main: boolean; _links: {self: {href: string}}}>
    loss_reason?: Array<{id: number; name: string}>
  }
}

export interface LeadListBody {
  _page: number
  _links: {self: {href: string}; next?: {href: string}; prev?: {href: string}}
  _embedded: {leads: LeadBody[]}
}

export interface StatusBody {
  id: number
  name: string
  sort: number
  type: number
  color: string
  is_editable: boolean
  pipeline_id: number
}

export interface PipelineBody {
  id: number
  name: string
  sort: number
  is_main: boolean
  is_unsorted_on: boolean
  request_id?: string
  _embedded: {statuses: StatusBody[]}
}

/** A pipeline with the given stages of its own, made through the API; its stage ids by name. */
export async function makePipeline(
  sandbox: Sandbox,
  name: string,
  stages: string[],
): Promise<{id: number; stage: Record<string, number>; unsorted: number}> {
  const res = await call<{_embedded: {pipelines: PipelineBody[]}}>(sandbox, 'POST', '/api/v4/leads/pipelines', {
    body: [{name, _embedded: {statuses: stages.map((s) => ({name: s}))}}],
  })
  if (res.status !== 200) throw new Error(`pipeline not created: ${res.text}`)
  const p = res.body._embedded.pipelines[0]!
  return {
    id: p.id,
    stage: Object.fromEntries(p._embedded.statuses.map((s) => [s.name, s.id])),
    unsorted: p._embedded.statuses.find((s) => s.type === 1)!.id,
  }
}
