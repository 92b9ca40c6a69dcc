import {AmoInvalidRequestError} from './errors.js'
import type {LeadWrite, PipelineCreate, StatusCreate, ValidationProblem} from './types.js'

/**
 * The deals side of amoCRM's API v4 (`/api/v4/leads…`): its constants and the rules the client checks
 * before sending, so that a write amoCRM would refuse for the whole batch never leaves the machine.
 */

/** The closed stages every pipeline has: won ("Успешно реализовано") and lost ("Закрыто и не реализовано"). */
export const WON_STATUS_ID = 142
export const LOST_STATUS_ID = 143

/** The colours a stage may have (`StatusModel::COLORS` of amoCRM's PHP library; Kommo's "stage colors"). */
export const STATUS_COLORS = [
  '#fffeb2',
  '#fffd7f',
  '#fff000',
  '#ffeab2',
  '#ffdc7f',
  '#ffce5a',
  '#ffdbdb',
  '#ffc8c8',
  '#ff8f92',
  '#d6eaff',
  '#c1e0ff',
  '#98cbff',
  '#ebffb1',
  '#deff81',
  '#87f2c0',
  '#f9deff',
  '#f3beff',
  '#ccc8f9',
  '#eb93ff',
  '#f2f3f4',
  '#e6e8ea',
] as const

/** Account limits (amoCRM's pipelines page): pipelines per account, stages per pipeline (system ones included). */
export const MAX_PIPELINES = 50
export const MAX_STATUSES_PER_PIPELINE = 100

export interface ListLeadsParams {
  /** `filter[id][]`. */
  ids?: number[]
  /** `filter[pipeline_id][]`. */
  pipelineIds?: number[]
  /** `filter[statuses][N][pipeline_id]` + `[status_id]`: deals in any of these stages. */
  statuses?: Array<{pipelineId: number; statusId: number}>
  /** Fuzzy full-text search over the filled fields: every hit must be verified by the caller. */
  query?: string
  /** `with=`: the linked contacts, the loss reason. */
  with?: Array<'contacts' | 'loss_reason'>
  /** `filter[updated_at][from]` / `[to]`, unix seconds. */
  updatedFrom?: number
  updatedTo?: number
  order?: {field: 'id' | 'updated_at' | 'created_at'; direction: 'asc' | 'desc'}
  /** Page size, ≤ 250 (default 250). */
  limit?: number
}

/** The query string of `GET /api/v4/leads`, spelled as amoCRM reads it. */
export function leadSearchParams(params: ListLeadsParams, maxPage: number): URLSearchParams {
  const limit = params.limit ?? maxPage
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPage)
    throw new AmoInvalidRequestError(`a page holds 1 to ${maxPage} deals, got limit ${params.limit}`)
  const search = new URLSearchParams({limit: String(limit)})
  if (params.with && params.with.length > 0) search.set('with', [...new Set(params.with)].join(','))
  if (params.query !== undefined && params.query !== '') search.set('query', params.query)
  for (const id of positiveIds(params.ids, 'a deal id')) search.append('filter[id][]', String(id))
  for (const id of positiveIds(params.pipelineIds, 'a pipeline id')) search.append('filter[pipeline_id][]', String(id))
  for (const [i, s] of (params.statuses ?? []).entries()) {
    positiveIds([s.pipelineId], 'a pipeline id')
    positiveIds([s.statusId], 'a stage id')
    search.set(`filter[statuses][${i}][pipeline_id]`, String(s.pipelineId))
    search.set(`filter[statuses][${i}][status_id]`, String(s.statusId))
  }
  if (params.updatedFrom !== undefined) search.set('filter[updated_at][from]', String(params.updatedFrom))
  if (params.updatedTo !== undefined) search.set('filter[updated_at][to]', String(params.updatedTo))
  if (params.order) search.set(`order[${params.order.field}]`, params.order.direction)
  return search
}

function positiveIds(ids: readonly number[] | undefined, what: string): readonly number[] {
  for (const id of ids ?? [])
    if (!Number.isInteger(id) || id <= 0) throw new AmoInvalidRequestError(`${what} must be a positive whole number, got ${id}`)
  return ids ?? []
}

/**
 * Refuses a deals batch amoCRM would refuse whole: an id on a create or none on an update, a price that
 * is not a whole number ≥ 0 (amocrm.ru keeps no kopecks), a loss reason without `status_id: 143`
 * (amoCRM answers "Loss reason can be specified only for lost lead", PHP #88), a contact link on an
 * update (links travel in the create only).
 */
export function checkLeadWrites(items: readonly LeadWrite[], mode: 'create' | 'update'): void {
  for (const [index, item] of items.entries()) {
    const element = `element ${index} of a deals ${mode}`
    if (mode === 'create' && item.id !== undefined)
      throw new AmoInvalidRequestError(`${element} carries an id (${item.id}); updates go through updateLeads`)
    if (mode === 'update' && (!Number.isInteger(item.id) || item.id! <= 0)) throw new AmoInvalidRequestError(`${element} has no valid id`)
    if (item.price !== undefined && (!Number.isInteger(item.price) || item.price < 0))
      throw new AmoInvalidRequestError(`${element} has price ${item.price}: amoCRM takes whole rubles from 0`)
    if (item.loss_reason_id !== undefined && item.loss_reason_id !== null && item.status_id !== LOST_STATUS_ID)
      throw new AmoInvalidRequestError(`${element} sets a loss reason without status_id ${LOST_STATUS_ID} (lost): amoCRM refuses it`)
    const contacts = item._embedded?.contacts
    if (contacts !== undefined && mode === 'update')
      throw new AmoInvalidRequestError(`${element} links contacts: amoCRM links them when the deal is created, not on an update`)
    for (const c of contacts ?? [])
      if (!Number.isInteger(c.id) || c.id <= 0) throw new AmoInvalidRequestError(`${element} links a contact without a valid id (${c.id})`)
  }
}

/** Refuses stages amoCRM would refuse: no name, or a colour outside its palette. */
export function checkStatusCreates(statuses: readonly StatusCreate[], where: string): void {
  for (const [index, status] of statuses.entries()) {
    if (typeof status.name !== 'string' || status.name.trim() === '')
      throw new AmoInvalidRequestError(`${where}: stage ${index} has no name`)
    if (status.color !== undefined && !(STATUS_COLORS as readonly string[]).includes(status.color))
      throw new AmoInvalidRequestError(
        `${where}: stage '${status.name}' has colour '${status.color}', not one of amoCRM's: ${STATUS_COLORS.join(', ')}`,
      )
  }
}

/** A pipeline is created with at least one stage of its own (142/143 and "unsorted" come by themselves). */
export function checkPipelineCreates(items: readonly PipelineCreate[]): void {
  for (const [index, item] of items.entries()) {
    const where = `pipeline ${index} ('${item.name}')`
    if (typeof item.name !== 'string' || item.name.trim() === '') throw new AmoInvalidRequestError(`pipeline ${index} has no name`)
    const statuses = item._embedded?.statuses ?? []
    if (statuses.length === 0) throw new AmoInvalidRequestError(`${where} has no stages: give them when it is created`)
    checkStatusCreates(statuses, where)
  }
}

/**
 * amoCRM's other 400 for deals, `{"errors": {"<deal id or request_id>": "<text>"}, "detail": "Invalid
 * request body"}` (PHP #88), as problems by request_id like `validation-errors`; undefined when the body
 * is not that. A key naming an element's `id` is mapped to that element's request_id.
 */
export function requestBodyProblems(
  body: unknown,
  elements: ReadonlyArray<{id?: number; request_id: string}>,
): Map<string, ValidationProblem[]> | undefined {
  if (!body || typeof body !== 'object') return undefined
  const errors = (body as {errors?: unknown}).errors
  if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return undefined
  const problems = new Map<string, ValidationProblem[]>()
  for (const [key, text] of Object.entries(errors as Record<string, unknown>)) {
    const element = elements.find((e) => e.request_id === key) ?? elements.find((e) => e.id !== undefined && String(e.id) === key)
    const requestId = element?.request_id ?? key
    const problem = {code: 'InvalidRequestBody', path: '', detail: typeof text === 'string' ? text : JSON.stringify(text)}
    problems.set(requestId, [...(problems.get(requestId) ?? []), problem])
  }
  return problems.size > 0 ? problems : undefined
}
