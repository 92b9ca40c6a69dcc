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
