import type {ContactCustomFieldRead, ValidationProblem} from '../amocrm/types.js'
import type {StoredField} from './fields.js'
import {type ElementProblems, isInt, isPlainObject, problem, SandboxValidationError} from './problems.js'
import type {FieldValuesUpdate, StoredValue} from './values.js'

/**
 * What contacts and deals share in the sandbox: request ids, per-field replacement of custom-field
 * values, time-range filters, the fuzzy `query` and tags (each entity has its own set of tags, as in
 * amoCRM: `/api/v4/contacts/tags`, `/api/v4/leads/tags`).
 */

/** Who writes: the API (as the current user) or a manager in the CRM's UI. */
export type Actor = 'api' | 'manager'

export function actorId(account: {currentUserId: number; managerUserId: number}, actor: Actor): number {
  return actor === 'api' ? account.currentUserId : account.managerUserId
}

/** The custom-field values of one stored entity. */
export type StoredFieldValues = Array<{field_id: number; values: StoredValue[]}>

export interface TimeRange {
  from?: number
  to?: number
  /** A single value: exact equality. */
  eq?: number
}

export function inRange(v: number, r: TimeRange): boolean {
  if (r.eq !== undefined && v !== r.eq) return false
  if (r.from !== undefined && v < r.from) return false
  if (r.to !== undefined && v > r.to) return false
  return true
}

/** `request_id` as sent (a number is taken as its text), else the element's index. */
export function readRequestId(input: unknown, index: number, problems: ValidationProblem[]): string {
  const raw = isPlainObject(input) ? input.request_id : undefined
  if (raw === undefined || raw === null) return String(index)
  if (typeof raw === 'string') return raw
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  problems.push(problem.invalidType('request_id', 'string'))
  return String(index)
}

/** Checks every element of a batch (with its request_id); any problem → `SandboxValidationError`, nothing applied. */
export function validateBatch<D>(
  items: unknown[],
  check: (item: unknown, problems: ValidationProblem[], index: number, requestId: string) => D | undefined,
): Array<{draft: D; requestId: string}> {
  const errors: ElementProblems[] = []
  const drafts: Array<{draft: D; requestId: string}> = []
  items.forEach((item, i) => {
    const problems: ValidationProblem[] = []
    const requestId = readRequestId(item, i, problems)
    const draft = check(item, problems, i, requestId)
    if (problems.length > 0 || draft === undefined) errors.push({request_id: requestId, errors: problems})
    else drafts.push({draft, requestId})
  })
  if (errors.length > 0) throw new SandboxValidationError(errors)
  return drafts
}

/** The read form of stored custom-field values: `null`, not `[]`, when there are none. */
export function renderFieldValues(
  stored: StoredFieldValues,
  fieldById: (id: number) => StoredField | undefined,
): ContactCustomFieldRead[] | null {
  const values = stored.flatMap((cf) => {
    const field = fieldById(cf.field_id)
    if (!field || cf.values.length === 0) return []
    return [
      {field_id: field.id, field_name: field.name, field_code: field.code, field_type: field.type, values: cf.values.map((v) => ({...v}))},
    ]
  })
  return values.length > 0 ? values : null
}

/** Per-field replacement: a listed field's values are replaced whole; an empty list clears it. */
export function applyFields(stored: StoredFieldValues, updates: FieldValuesUpdate[]): void {
  for (const u of updates) {
    const i = stored.findIndex((cf) => cf.field_id === u.fieldId)
    if (u.values.length === 0) {
      if (i >= 0) stored.splice(i, 1)
    } else if (i >= 0) stored[i] = {field_id: u.fieldId, values: u.values}
    else stored.push({field_id: u.fieldId, values: u.values})
  }
}

const PHONE_LIKE = /^[\d\s()+\-.]+$/
const MIN_PHONE_DIGITS = 5

/**
 * `query` as amoCRM documents it: case-insensitive substring over the names and every custom-field value;
 * a phone-like query also matches on digits only, by its last 10 digits (so `89251234567` finds
 * `+7 (925) 123-45-67`). Deliberately as fuzzy as the real search: callers must verify hits.
 */
export function searchMatcher(query: string): (names: readonly string[], fields: StoredFieldValues) => boolean {
  const needle = query.trim().toLowerCase()
  const digits = needle.replace(/\D/g, '')
  const phoneNeedle = PHONE_LIKE.test(needle) && digits.length >= MIN_PHONE_DIGITS ? digits.slice(-10) : undefined
  return (names, fields) => {
    for (const text of names) if (text.toLowerCase().includes(needle)) return true
    for (const cf of fields)
      for (const v of cf.values) {
        if (typeof v.value === 'boolean') continue
        const text = String(v.value)
        if (text.toLowerCase().includes(needle)) return true
        if (phoneNeedle && text.replace(/\D/g, '').includes(phoneNeedle)) return true
      }
    return false
  }
}

export interface StoredTag {
  id: number
  name: string
  color: string | null
}

interface TagRef {
  id?: number
  name?: string
}

/** The tag changes one write element asks for: `_embedded.tags` (replace), `tags_to_add`, `tags_to_delete`. */
export interface TagChanges {
  replace: TagRef[] | undefined
  add: TagRef[]
  remove: TagRef[]
}

/** One entity's tags: a tag named on a write that does not exist yet is created. */
export class TagSet {
  constructor(
    public tags: StoredTag[],
    public nextId: number,
  ) {}

  /** Reads the tag keys of a write element (problems pushed with paths relative to it). */
  readChanges(input: Record<string, unknown>, problems: ValidationProblem[]): TagChanges {
    const changes: TagChanges = {replace: undefined, add: [], remove: []}
    const embedded = input._embedded
    if (isPlainObject(embedded) && embedded.tags !== undefined && embedded.tags !== null)
      changes.replace = this.readRefs(embedded.tags, '_embedded.tags', problems)
    if (input.tags_to_add !== undefined && input.tags_to_add !== null)
      changes.add = this.readRefs(input.tags_to_add, 'tags_to_add', problems)
    if (input.tags_to_delete !== undefined && input.tags_to_delete !== null)
      changes.remove = this.readRefs(input.tags_to_delete, 'tags_to_delete', problems)
    return changes
  }

  /** The tag ids after `changes` (new tags created). */
  apply(current: number[], changes: TagChanges): number[] {
    let ids = [...current]
    if (changes.replace) ids = changes.replace.map((r) => this.idOf(r, true)!)
    for (const r of changes.add) ids.push(this.idOf(r, true)!)
    const remove = new Set(changes.remove.map((r) => this.idOf(r, false)))
    return [...new Set(ids)].filter((id) => !remove.has(id))
  }

  render(ids: number[]): Array<{id: number; name: string; color: string | null}> {
    return ids.flatMap((id) => this.tags.filter((t) => t.id === id).map((t) => ({id: t.id, name: t.name, color: t.color})))
  }

  private readRefs(input: unknown, at: string, problems: ValidationProblem[]): TagRef[] {
    if (!Array.isArray(input)) {
      problems.push(problem.invalidType(at, 'array'))
      return []
    }
    const refs: TagRef[] = []
    input.forEach((t, i) => {
      if (!isPlainObject(t)) return void problems.push(problem.invalidType(`${at}.${i}`, 'array'))
      if (t.id !== undefined && t.id !== null) {
        if (!isInt(t.id)) return void problems.push(problem.invalidType(`${at}.${i}.id`, 'int'))
        if (!this.tags.some((x) => x.id === t.id)) return void problems.push(problem.notSupportedChoice(`${at}.${i}.id`))
        return void refs.push({id: t.id})
      }
      if (typeof t.name === 'string' && t.name.trim() !== '') return void refs.push({name: t.name.trim()})
      problems.push(problem.notBlank(`${at}.${i}.name`))
    })
    return refs
  }

  private idOf(ref: TagRef, create: boolean): number | undefined {
    if (ref.id !== undefined) return ref.id
    const name = ref.name!
    const found = this.tags.find((t) => t.name.toLowerCase() === name.toLowerCase())
    if (found || !create) return found?.id
    const tag = {id: this.nextId++, name, color: null}
    this.tags.push(tag)
    return tag.id
  }
}

/** What list filters look at on a stored contact or deal. */
export interface ListedEntity {
  id: number
  name: string
  responsible_user_id: number
  created_by: number
  updated_by: number
  created_at: number
  updated_at: number
  is_deleted: boolean
  custom_fields: StoredFieldValues
}

/** The filters contacts and deals lists share. */
export interface ListQuery {
  query?: string
  ids?: number[]
  names?: string[]
  responsibleUserIds?: number[]
  createdBy?: number[]
  updatedBy?: number[]
  createdAt?: TimeRange
  updatedAt?: TimeRange
  order?: {field: 'id' | 'updated_at' | 'created_at'; direction: 'asc' | 'desc'}
  /** `with=only_deleted`: the trash instead of the live entities. */
  onlyDeleted?: boolean
}

/** Whether `q` lists every live entity in id order: nothing to filter or sort. */
export function filtersNothing(q: ListQuery): boolean {
  const {query, order, onlyDeleted, ...filters} = q
  return (
    (query === undefined || query.trim() === '') &&
    (order === undefined || (order.field === 'id' && order.direction === 'asc')) &&
    !onlyDeleted &&
    Object.values(filters).every((v) => v === undefined)
  )
}

/**
 * The entities that pass `q`'s shared filters (plus `more`), in its order (default: `id` ascending).
 * `searchNames` gives the texts the fuzzy `query` looks at besides the custom-field values.
 */
export function queryEntities<T extends ListedEntity>(
  all: Iterable<T>,
  q: ListQuery,
  searchNames: (entity: T) => readonly string[],
  more: (entity: T) => boolean = () => true,
): T[] {
  const ids = q.ids ? new Set(q.ids) : undefined
  const names = q.names ? new Set(q.names.map((n) => n.toLowerCase())) : undefined
  const search = q.query && q.query.trim() !== '' ? searchMatcher(q.query) : undefined
  const out: T[] = []
  let ascendingIds = true
  for (const e of all) {
    if (e.is_deleted !== Boolean(q.onlyDeleted)) continue
    if (ids && !ids.has(e.id)) continue
    if (names && !names.has(e.name.toLowerCase())) continue
    if (q.responsibleUserIds && !q.responsibleUserIds.includes(e.responsible_user_id)) continue
    if (q.createdBy && !q.createdBy.includes(e.created_by)) continue
    if (q.updatedBy && !q.updatedBy.includes(e.updated_by)) continue
    if (q.createdAt && !inRange(e.created_at, q.createdAt)) continue
    if (q.updatedAt && !inRange(e.updated_at, q.updatedAt)) continue
    if (search && !search(searchNames(e), e.custom_fields)) continue
    if (!more(e)) continue
    if (out.length > 0 && out[out.length - 1]!.id > e.id) ascendingIds = false
    out.push(e)
  }
  const {field, direction} = q.order ?? {field: 'id', direction: 'asc'}
  // Stored in the order they were made, so by id already: a listing of the whole account, page after
  // page, is not sorted again for every page.
  if (field === 'id' && direction === 'asc' && ascendingIds) return out
  const sign = direction === 'desc' ? -1 : 1
  return out.sort((a, b) => sign * (a[field] - b[field] || a.id - b.id))
}

// ---- what a write element of a contact or a deal shares ---------------------------------------------

const NAME_MAX_LENGTH = 255

/** The stored entity an update element names: given, a whole number, live (else `NotSupportedChoice` on `id`). */
export function readUpdateTarget<T extends {is_deleted: boolean}>(
  id: unknown,
  find: (id: number) => T | undefined,
  problems: ValidationProblem[],
): T | undefined {
  const found = isInt(id) ? find(id) : undefined
  if (id === undefined || id === null) problems.push(problem.notBlank('id'))
  else if (!isInt(id)) problems.push(problem.invalidType('id', 'int'))
  else if (!found || found.is_deleted) problems.push(problem.notSupportedChoice('id'))
  else return found
  return undefined
}

/** Text keys (`name`, `first_name`, …) of at most 255 characters and not refused (`refuses`), copied into `out`. */
export function readNames<K extends string>(
  input: Record<string, unknown>,
  keys: readonly K[],
  out: Partial<Record<K, string>>,
  problems: ValidationProblem[],
  refuses: (value: string) => boolean = () => false,
): void {
  for (const key of keys) {
    const v = input[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') problems.push(problem.invalidType(key, 'string'))
    else if ([...v].length > NAME_MAX_LENGTH) problems.push(problem.tooLong(key, NAME_MAX_LENGTH, v))
    else if (refuses(v)) problems.push(problem.invalidValue(key, v))
    else out[key] = v
  }
}

const USER_KEYS = ['responsible_user_id', 'created_by', 'updated_by'] as const

/** `responsible_user_id`, `created_by`, `updated_by`: users of the account, copied into `out`. */
export function readUserIds(
  input: Record<string, unknown>,
  userIds: ReadonlySet<number>,
  out: Partial<Record<(typeof USER_KEYS)[number], number>>,
  problems: ValidationProblem[],
): void {
  for (const key of USER_KEYS) {
    const v = input[key]
    if (v === undefined || v === null) continue
    if (!isInt(v)) problems.push(problem.invalidType(key, 'int'))
    // 0 is "the system / a robot" for the authorship keys, never a responsible user.
    else if (!userIds.has(v) && !(v === 0 && key !== 'responsible_user_id')) problems.push(problem.notSupportedChoice(key))
    else out[key] = v
  }
}

/** Unix-seconds keys: whole numbers ≥ 0, copied into `out`; null clears a `nullable` key and means "not given" elsewhere. */
export function readTimes<K extends string>(
  input: Record<string, unknown>,
  keys: readonly K[],
  out: Partial<Record<K, number | null>>,
  problems: ValidationProblem[],
  nullable: readonly K[] = [],
): void {
  for (const key of keys) {
    const v = input[key]
    if (v === undefined || v === null) {
      if (v === null && nullable.includes(key)) out[key] = null
      continue
    }
    if (!isInt(v)) problems.push(problem.invalidType(key, 'int'))
    else if (v < 0) problems.push(problem.notNegative(key))
    else out[key] = v
  }
}

/** Moves an entity to the trash or out of it, as the manager; false when it is unknown or already there. */
export function setTrashed(
  entity: {is_deleted: boolean; updated_at: number; updated_by: number} | undefined,
  deleted: boolean,
  now: number,
  managerId: number,
): boolean {
  if (!entity || entity.is_deleted === deleted) return false
  entity.is_deleted = deleted
  entity.updated_at = now
  entity.updated_by = managerId
  return true
}

/** The live entities, the trash, or both, by id. */
export function pickEntities<T extends {id: number; is_deleted: boolean}>(
  all: Iterable<T>,
  options: {includeDeleted?: boolean; onlyDeleted?: boolean},
): T[] {
  return [...all].filter((e) => (options.onlyDeleted ? e.is_deleted : options.includeDeleted || !e.is_deleted)).sort((a, b) => a.id - b.id)
}
