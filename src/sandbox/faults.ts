/**
 * What a fault does to a matching request:
 * - `429` JSON problem with `retry_after`; `429-html` the gateway's HTML page, no Retry-After;
 * - `500` (problem+json), `502` and `504` (HTML gateway pages), `503` (problem+json);
 * - `latency`: answer normally after `latencyMs`;
 * - `apply-then-500`: the request is applied, then answered 500 (a write whose outcome is unknown);
 * - `apply-then-drop`: applied, then the socket is destroyed without an answer;
 * - `drop`: the socket is destroyed before anything is applied;
 * - `504-then-apply`: a gateway that gives up at once (504) while amoCRM applies the write later:
 *   `applyAfterMs` (default a random 0.5–5 s);
 * - `hold-then-apply`: held `applyAfterMs` (default 35 s, past a client's 30 s timeout), then applied
 *   and answered — too late for a client that has given up;
 * - `403-html`: the nginx block page; `402`: Payment Required (problem+json); `401`: Unauthorized.
 */
export const FAULT_KINDS = [
  '429',
  '429-html',
  '500',
  '502',
  '503',
  '504',
  'latency',
  'apply-then-500',
  'apply-then-drop',
  'drop',
  '504-then-apply',
  'hold-then-apply',
  '403-html',
  '402',
  '401',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface FaultSpec {
  kind: FaultKind
  /** Only this method (any case); all when absent. */
  method?: string
  /** A prefix of the path+query (`/api/v4/contacts`) or a RegExp tested on it; all paths when absent. */
  path?: string | RegExp
  /** How many matching requests it hits (default 1). */
  times?: number
  /** For `latency`: the delay in ms. */
  latencyMs?: number
  /** For `504-then-apply` and `hold-then-apply`: when the write is applied, ms after it arrived. */
  applyAfterMs?: number
}

interface QueuedFault {
  spec: FaultSpec
  left: number
}

/**
 * A programmable queue: each request takes the first queued fault that matches it, which then has one
 * use less. Faults for the same requests run in the order they were added ("500, then 429, then fine").
 */
export class FaultQueue {
  private queue: QueuedFault[] = []

  add(spec: FaultSpec): void {
    if (!FAULT_KINDS.includes(spec.kind))
      throw new TypeError(`unknown fault kind '${String(spec.kind)}' (one of ${FAULT_KINDS.join(', ')})`)
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new TypeError(`fault times must be a positive whole number, got ${times}`)
    if (spec.kind === 'latency' && !(typeof spec.latencyMs === 'number' && spec.latencyMs >= 0))
      throw new TypeError('a latency fault needs latencyMs ≥ 0')
    if (spec.applyAfterMs !== undefined && !(typeof spec.applyAfterMs === 'number' && spec.applyAfterMs >= 0))
      throw new TypeError('applyAfterMs must be a number ≥ 0')
    this.queue.push({spec: {...spec}, left: times})
  }

  clear(): void {
    this.queue = []
  }

  /** The fault for this request, if any (consumed). */
  take(method: string, path: string): FaultSpec | undefined {
    const i = this.queue.findIndex(({spec}) => matches(spec, method, path))
    if (i < 0) return undefined
    const q = this.queue[i]!
    if (--q.left === 0) this.queue.splice(i, 1)
    return q.spec
  }

  /** What is still queued (for `/_sandbox/stats`). */
  pending(): Array<{kind: FaultKind; method?: string; path?: string; left: number}> {
    return this.queue.map(({spec, left}) => ({
      kind: spec.kind,
      ...(spec.method ? {method: spec.method.toUpperCase()} : {}),
      ...(spec.path ? {path: String(spec.path)} : {}),
      left,
    }))
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false
  if (spec.path === undefined) return true
  return typeof spec.path === 'string' ? path.startsWith(spec.path) : spec.path.test(path)
}

/** A fault as JSON (`POST /_sandbox/faults`): `path` is a prefix, `pathRegex` a RegExp source. */
export function faultFromJson(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new TypeError('a fault is an object like {"kind":"500","path":"/api/v4/contacts","times":1}')
  const o = input as Record<string, unknown>
  const spec: FaultSpec = {kind: o.kind as FaultKind}
  if (typeof o.method === 'string') spec.method = o.method
  if (typeof o.pathRegex === 'string') spec.path = new RegExp(o.pathRegex)
  else if (typeof o.path === 'string') spec.path = o.path
  if (o.times !== undefined) spec.times = o.times as number
  if (o.latencyMs !== undefined) spec.latencyMs = o.latencyMs as number
  if (o.applyAfterMs !== undefined) spec.applyAfterMs = o.applyAfterMs as number
  return spec
}

/** When a late-applying fault applies its write, ms after the request arrived. */
export function applyAfterMs(spec: FaultSpec, random: () => number = Math.random): number {
  if (spec.applyAfterMs !== undefined) return spec.applyAfterMs
  return spec.kind === 'hold-then-apply' ? 35_000 : Math.round(500 + 4500 * random())
}
