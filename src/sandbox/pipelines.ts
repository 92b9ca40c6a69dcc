import {LOST_STATUS_ID, MAX_STATUSES_PER_PIPELINE, STATUS_COLORS, WON_STATUS_ID} from '../amocrm/leads.js'
import type {LossReason, Pipeline, PipelineStatus, ValidationProblem} from '../amocrm/types.js'
import {isInt, isPlainObject, problem} from './problems.js'

/**
 * Pipelines, their stages and loss reasons (`/api/v4/leads/pipelines`, `/api/v4/leads/loss_reasons`).
 * Every pipeline holds the "unsorted" incoming stage (type 1) and the closed stages 142 and 143, whose
 * ids are the same in every pipeline; stages of one's own get account-wide ids.
 */

export const UNSORTED_STATUS_TYPE = 1
const NAME_MAX_LENGTH = 255

export interface StoredStatus {
  id: number
  name: string
  sort: number
  is_editable: boolean
  color: string
  type: number
}

export interface StoredPipeline {
  id: number
  name: string
  sort: number
  is_main: boolean
  is_unsorted_on: boolean
  is_archive: boolean
  statuses: StoredStatus[]
}

export interface StoredLossReason {
  id: number
  name: string
  sort: number
  created_at: number
  updated_at: number
}

/** The system stages as amoCRM shows them (names, sorts and colours of captured answers). */
export const UNSORTED_STAGE = {name: 'Неразобранное', sort: 10, color: '#c1c1c1'} as const
export const WON_STAGE = {id: WON_STATUS_ID, name: 'Успешно реализовано', sort: 10000, color: '#CCFF66'} as const
export const LOST_STAGE = {id: LOST_STATUS_ID, name: 'Закрыто и не реализовано', sort: 11000, color: '#D5D8DB'} as const

/** The main pipeline of a fresh account and its stages of its own. */
export const DEFAULT_PIPELINE = {
  name: 'Воронка',
  statuses: [
    {name: 'Первичный контакт', color: '#98cbff'},
    {name: 'Переговоры', color: '#fffd7f'},
    {name: 'Принимают решение', color: '#ffdc7f'},
    {name: 'Согласование договора', color: '#ffc8c8'},
  ],
} as const

export interface StatusDraft {
  name: string
  sort: number | undefined
  color: string
}

export interface PipelineDraft {
  name: string
  sort: number | undefined
  is_main: boolean
  is_unsorted_on: boolean
  statuses: StatusDraft[]
}

/** Checks one stage to create (`at` is its path in the element, e.g. `_embedded.statuses.0`). */
export function validateStatusDraft(input: unknown, at: string, problems: ValidationProblem[]): StatusDraft | undefined {
  const path = (key: string) => (at === '' ? key : `${at}.${key}`)
  if (!isPlainObject(input)) return void problems.push(problem.invalidType(at, 'array'))
  const start = problems.length
  const {name, sort, color} = input
  readName(name, path('name'), problems)
  if (sort !== undefined && sort !== null && !isInt(sort)) problems.push(problem.invalidType(path('sort'), 'int'))
  if (color !== undefined && color !== null) {
    if (typeof color !== 'string') problems.push(problem.invalidType(path('color'), 'string'))
    else if (!(STATUS_COLORS as readonly string[]).includes(color)) problems.push(problem.notSupportedChoice(path('color')))
  }
  if (problems.length > start) return undefined
  return {name: (name as string).trim(), sort: isInt(sort) ? sort : undefined, color: typeof color === 'string' ? color : STATUS_COLORS[0]}
}

/** Checks one element of `POST /api/v4/leads/pipelines`: a name and at least one stage of its own. */
export function validatePipelineDraft(input: unknown, problems: ValidationProblem[]): PipelineDraft | undefined {
  if (!isPlainObject(input)) return void problems.push(problem.invalidType('', 'array'))
  const start = problems.length
  const {name, sort, is_main: isMain, is_unsorted_on: unsortedOn, _embedded: embedded} = input
  readName(name, 'name', problems)
  if (sort !== undefined && sort !== null && !isInt(sort)) problems.push(problem.invalidType('sort', 'int'))
  for (const [key, v] of [
    ['is_main', isMain],
    ['is_unsorted_on', unsortedOn],
  ] as const)
    if (v !== undefined && v !== null && typeof v !== 'boolean') problems.push(problem.invalidType(key, 'bool'))
  const raw = isPlainObject(embedded) ? embedded.statuses : undefined
  const statuses: StatusDraft[] = []
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) problems.push(problem.notBlank('_embedded.statuses'))
  else if (!Array.isArray(raw)) problems.push(problem.invalidType('_embedded.statuses', 'array'))
  else if (raw.length > MAX_STATUSES_PER_PIPELINE - 3) problems.push(problem.tooMany('_embedded.statuses', MAX_STATUSES_PER_PIPELINE - 3))
  else
    raw.forEach((s, i) => {
      const draft = validateStatusDraft(s, `_embedded.statuses.${i}`, problems)
      if (draft) statuses.push(draft)
    })
  if (problems.length > start) return undefined
  return {
    name: (name as string).trim(),
    sort: isInt(sort) ? sort : undefined,
    is_main: isMain === true,
    is_unsorted_on: unsortedOn !== false,
    statuses,
  }
}

/** Checks one element of `POST /api/v4/leads/loss_reasons`; `namesInUse` (lower case) grows as the batch is read. */
export function validateLossReasonDraft(
  input: unknown,
  namesInUse: Set<string>,
  problems: ValidationProblem[],
): {name: string; sort: number | undefined} | undefined {
  if (!isPlainObject(input)) return void problems.push(problem.invalidType('', 'array'))
  const start = problems.length
  const {name, sort} = input
  if (readName(name, 'name', problems) && namesInUse.has((name as string).trim().toLowerCase())) problems.push(problem.notUnique('name'))
  if (sort !== undefined && sort !== null && !isInt(sort)) problems.push(problem.invalidType('sort', 'int'))
  if (problems.length > start) return undefined
  namesInUse.add((name as string).trim().toLowerCase())
  return {name: (name as string).trim(), sort: isInt(sort) ? sort : undefined}
}

function readName(name: unknown, path: string, problems: ValidationProblem[]): boolean {
  if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) problems.push(problem.notBlank(path))
  else if (typeof name !== 'string') problems.push(problem.invalidType(path, 'string'))
  else if ([...name].length > NAME_MAX_LENGTH) problems.push(problem.tooLong(path, NAME_MAX_LENGTH))
  else return true
  return false
}

/** The stage a deal lands in when none is given: the first of the pipeline's own (not "unsorted", not closed). */
export function firstOpenStatus(p: StoredPipeline): StoredStatus | undefined {
  return sortedStatuses(p).find((s) => s.type !== UNSORTED_STATUS_TYPE && s.id !== WON_STATUS_ID && s.id !== LOST_STATUS_ID)
}

export function sortedStatuses(p: StoredPipeline): StoredStatus[] {
  return [...p.statuses].sort((a, b) => a.sort - b.sort || a.id - b.id)
}

export function renderStatus(
  s: StoredStatus,
  pipelineId: number,
  accountId: number,
  base: string,
): PipelineStatus & Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    sort: s.sort,
    is_editable: s.is_editable,
    pipeline_id: pipelineId,
    color: s.color,
    type: s.type,
    account_id: accountId,
    _links: {self: {href: `${base}/api/v4/leads/pipelines/${pipelineId}/statuses/${s.id}`}},
  }
}

export function renderPipeline(p: StoredPipeline, accountId: number, base: string): Pipeline & Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    sort: p.sort,
    is_main: p.is_main,
    is_unsorted_on: p.is_unsorted_on,
    is_archive: p.is_archive,
    account_id: accountId,
    _links: {self: {href: `${base}/api/v4/leads/pipelines/${p.id}`}},
    _embedded: {statuses: sortedStatuses(p).map((s) => renderStatus(s, p.id, accountId, base))},
  }
}

export function renderLossReason(r: StoredLossReason, base: string): LossReason & Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    sort: r.sort,
    created_at: r.created_at,
    updated_at: r.updated_at,
    _links: {self: {href: `${base}/api/v4/leads/loss_reasons/${r.id}`}},
  }
}
