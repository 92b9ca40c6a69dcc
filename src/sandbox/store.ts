import type {Contact, ContactWrite, CustomFieldCreate, CustomFieldDef, ValidationProblem} from '../amocrm/types.js'
import {type FieldDraft, PREDEFINED_FIELDS, renderField, type StoredField, validateFieldDraft} from './fields.js'
import {type ElementProblems, isInt, isPlainObject, problem, SandboxValidationError} from './problems.js'
import {type FieldValuesUpdate, readCustomFieldsValues, type StoredValue} from './values.js'

export interface SandboxUser {
  id: number
  name: string
}

export interface SandboxAccount {
  id: number
  name: string
  subdomain: string
  timezone: string
  /** The user the API acts as (who "authorized the integration"). */
  currentUserId: number
  /** The user `/_sandbox/` and `store.*` writes act as: a CRM manager working in the UI. */
  managerUserId: number
  users: SandboxUser[]
}

/** Ids in the ranges a real account uses, kept apart so that mixing them up fails loudly. */
export const SANDBOX_ACCOUNT_ID = 31_000_001
export const SANDBOX_ADMIN_ID = 5_000_001
export const SANDBOX_MANAGER_ID = 5_000_002
const FIRST_CONTACT_ID = 10_000_001
const FIRST_FIELD_ID = 800_001
const FIRST_ENUM_ID = 600_001
const FIRST_TAG_ID = 400_001
const NAME_MAX_LENGTH = 255

export interface StoredContact {
  id: number
  name: string
  first_name: string
  last_name: string
  responsible_user_id: number
  group_id: number
  created_by: number
  updated_by: number
  created_at: number
  updated_at: number
  closest_task_at: number | null
  is_deleted: boolean
  is_unsorted: boolean
  custom_fields: Array<{field_id: number; values: StoredValue[]}>
  tag_ids: number[]
}

interface StoredTag {
  id: number
  name: string
  color: string | null
}

export interface StoreSnapshot {
  version: 1
  next: {contact: number; field: number; enum: number; tag: number}
  fields: StoredField[]
  contacts: StoredContact[]
  tags: StoredTag[]
}

/** Who writes: the API (as the current user) or a manager in the CRM's UI. */
export type Actor = 'api' | 'manager'

export interface TimeRange {
  from?: number
  to?: number
  /** A single value: exact equality (§3.7). */
  eq?: number
}

export interface ContactQuery {
  query?: string
  ids?: number[]
  names?: string[]
  responsibleUserIds?: number[]
  createdBy?: number[]
  updatedBy?: number[]
  createdAt?: TimeRange
  updatedAt?: TimeRange
  order?: {field: 'id' | 'updated_at' | 'created_at'; direction: 'asc' | 'desc'}
  /** `with=only_deleted`: the trash instead of the live contacts. */
  onlyDeleted?: boolean
}

export interface WriteOutcome {
  contact: StoredContact
  requestId: string
}

/** Input for `store.createContacts` / `updateContacts`: the API's write form (`id` for updates). */
export type SandboxContactInput = ContactWrite & Record<string, unknown>

/**
 * Direct access to the sandbox's data, as a CRM manager in the UI would have it: no auth, no rate
 * limit, not recorded. Writes follow the API's value rules (so a field value the API would refuse is
 * refused here too, with `SandboxValidationError`), but phones and the like are stored as typed.
 * Reads return the API's read form.
 */
export interface SandboxStore {
  readonly account: SandboxAccount
  createContacts(items: SandboxContactInput[]): Contact[]
  /** Every element needs `id`; per-field replacement as on `PATCH`. */
  updateContacts(items: SandboxContactInput[]): Contact[]
  /** A deleted contact only with `includeDeleted`. */
  getContact(id: number, options?: {includeDeleted?: boolean}): Contact | undefined
  listContacts(options?: {includeDeleted?: boolean; onlyDeleted?: boolean}): Contact[]
  countContacts(options?: {includeDeleted?: boolean; onlyDeleted?: boolean}): number
  /** Moves a contact to the trash (what a CRM user deleting it does); false when unknown or already there. */
  deleteContact(id: number): boolean
  /** Takes a contact back out of the trash. */
  restoreContact(id: number): boolean
  listFields(): CustomFieldDef[]
  getField(idOrCode: number | string): CustomFieldDef | undefined
  createFields(defs: CustomFieldCreate[]): CustomFieldDef[]
}

interface TagRef {
  id?: number
  name?: string
}

interface ContactDraft {
  requestId: string
  id: number | undefined
  scalars: Partial<
    Pick<
      StoredContact,
      | 'name'
      | 'first_name'
      | 'last_name'
      | 'responsible_user_id'
      | 'created_by'
      | 'updated_by'
      | 'created_at'
      | 'updated_at'
      | 'closest_task_at'
    >
  >
  fields: FieldValuesUpdate[]
  tagsReplace: TagRef[] | undefined
  tagsAdd: TagRef[]
  tagsRemove: TagRef[]
}

export class ContactStore implements SandboxStore {
  private fields: StoredField[] = []
  private contacts = new Map<number, StoredContact>()
  private tags: StoredTag[] = []
  private next = {contact: FIRST_CONTACT_ID, field: FIRST_FIELD_ID, enum: FIRST_ENUM_ID, tag: FIRST_TAG_ID}
  /** Base URL for links in what the in-process face returns (HTTP answers use the request's host). */
  baseUrl = 'http://127.0.0.1'
  /** Called after every change (the server saves the data file there). */
  onChange: () => void = () => {}
  /** A name or text value the account refuses as such, with a text quoting it (the server's `refuseValues`). */
  refuses: (value: string) => boolean = () => false

  constructor(
    readonly account: SandboxAccount,
    private readonly nowSeconds: () => number,
    private readonly seedFields: boolean,
  ) {
    this.reset()
  }

  reset(): void {
    this.fields = []
    this.contacts = new Map()
    this.tags = []
    this.next = {contact: FIRST_CONTACT_ID, field: FIRST_FIELD_ID, enum: FIRST_ENUM_ID, tag: FIRST_TAG_ID}
    if (this.seedFields)
      for (const f of PREDEFINED_FIELDS)
        this.insertField(
          {
            name: f.name,
            type: f.type,
            code: f.code,
            sort: f.sort,
            is_api_only: false,
            enums: f.enums?.map((value, i) => ({value, sort: (i + 1) * 2})) ?? null,
            group_id: null,
            required_statuses: [],
            remind: null,
          },
          true,
        )
  }

  snapshot(): StoreSnapshot {
    return {
      version: 1,
      next: {...this.next},
      fields: structuredClone(this.fields),
      contacts: structuredClone([...this.contacts.values()]),
      tags: structuredClone(this.tags),
    }
  }

  restore(snapshot: StoreSnapshot): void {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.fields) || !Array.isArray(snapshot.contacts))
      throw new Error('not a sandbox data snapshot (version 1)')
    this.fields = structuredClone(snapshot.fields)
    this.contacts = new Map(snapshot.contacts.map((c) => [c.id, structuredClone(c)]))
    this.tags = structuredClone(snapshot.tags ?? [])
    this.next = {...snapshot.next}
  }

  // ---- fields -------------------------------------------------------------------------------------

  storedFields(): StoredField[] {
    return [...this.fields].sort((a, b) => a.sort - b.sort || a.id - b.id)
  }

  fieldById(id: number): StoredField | undefined {
    return this.fields.find((f) => f.id === id)
  }

  fieldByCode(code: string): StoredField | undefined {
    return this.fields.find((f) => f.code !== null && f.code === code)
  }

  /** `POST /api/v4/contacts/custom_fields`: all or nothing. */
  addFields(items: unknown[]): Array<{field: StoredField; requestId: string}> {
    const codes = new Set(this.fields.flatMap((f) => (f.code ? [f.code] : [])))
    const errors: ElementProblems[] = []
    const drafts: Array<{draft: FieldDraft; requestId: string}> = []
    items.forEach((item, i) => {
      const problems: ValidationProblem[] = []
      const requestId = readRequestId(item, i, problems)
      const draft = validateFieldDraft(item, codes, problems)
      if (problems.length > 0 || !draft) errors.push({request_id: requestId, errors: problems})
      else drafts.push({draft, requestId})
    })
    if (errors.length > 0) throw new SandboxValidationError(errors)
    const created = drafts.map(({draft, requestId}) => ({field: this.insertField(draft, false), requestId}))
    this.onChange()
    return created
  }

  private insertField(draft: FieldDraft, predefined: boolean): StoredField {
    const maxSort = Math.max(0, ...this.fields.map((f) => f.sort))
    const field: StoredField = {
      id: this.next.field++,
      name: draft.name,
      type: draft.type,
      code: draft.code,
      sort: draft.sort ?? maxSort + 1,
      is_api_only: draft.is_api_only,
      enums: draft.enums ? draft.enums.map((e, i) => ({id: this.next.enum++, value: e.value, sort: e.sort ?? (i + 1) * 10})) : null,
      group_id: draft.group_id,
      required_statuses: draft.required_statuses,
      is_deletable: !predefined,
      is_predefined: predefined,
      remind: draft.remind,
    }
    this.fields.push(field)
    return field
  }

  // ---- contacts: writes ---------------------------------------------------------------------------

  /** `POST /api/v4/contacts`: validates every element first; any problem → nothing applied. */
  addContacts(items: unknown[], actor: Actor): WriteOutcome[] {
    const drafts = this.validateAll(items, 'create')
    const now = this.nowSeconds()
    const userId = this.actorId(actor)
    const out = drafts.map((d) => {
      const s = d.scalars
      const first = s.first_name ?? ''
      const last = s.last_name ?? ''
      const contact: StoredContact = {
        id: this.next.contact++,
        name: s.name ?? composeName(first, last),
        first_name: first,
        last_name: last,
        responsible_user_id: s.responsible_user_id ?? userId,
        group_id: 0,
        created_by: s.created_by ?? userId,
        updated_by: s.updated_by ?? userId,
        created_at: s.created_at ?? now,
        updated_at: s.updated_at ?? now,
        closest_task_at: s.closest_task_at ?? null,
        is_deleted: false,
        is_unsorted: false,
        custom_fields: [],
        tag_ids: [],
      }
      applyFields(contact, d.fields)
      this.applyTags(contact, d)
      this.contacts.set(contact.id, contact)
      return {contact, requestId: d.requestId}
    })
    this.onChange()
    return out
  }

  /** `PATCH /api/v4/contacts` (each element with `id`) or `/contacts/{id}` (`forceId`). */
  patchContacts(items: unknown[], actor: Actor, forceId?: number): WriteOutcome[] {
    const drafts = this.validateAll(items, 'update', forceId)
    const now = this.nowSeconds()
    const userId = this.actorId(actor)
    const out = drafts.map((d) => {
      const contact = this.contacts.get(d.id!)!
      const s = d.scalars
      if (s.first_name !== undefined) contact.first_name = s.first_name
      if (s.last_name !== undefined) contact.last_name = s.last_name
      if (s.name !== undefined) contact.name = s.name
      else if (s.first_name !== undefined || s.last_name !== undefined) contact.name = composeName(contact.first_name, contact.last_name)
      if (s.responsible_user_id !== undefined) contact.responsible_user_id = s.responsible_user_id
      if (s.created_by !== undefined) contact.created_by = s.created_by
      if (s.created_at !== undefined) contact.created_at = s.created_at
      if (s.closest_task_at !== undefined) contact.closest_task_at = s.closest_task_at
      contact.updated_by = s.updated_by ?? userId
      contact.updated_at = s.updated_at ?? now
      applyFields(contact, d.fields)
      this.applyTags(contact, d)
      return {contact, requestId: d.requestId}
    })
    this.onChange()
    return out
  }

  deleteContact(id: number): boolean {
    const c = this.contacts.get(id)
    if (!c || c.is_deleted) return false
    c.is_deleted = true
    c.updated_at = this.nowSeconds()
    c.updated_by = this.account.managerUserId
    this.onChange()
    return true
  }

  restoreContact(id: number): boolean {
    const c = this.contacts.get(id)
    if (!c?.is_deleted) return false
    c.is_deleted = false
    c.updated_at = this.nowSeconds()
    c.updated_by = this.account.managerUserId
    this.onChange()
    return true
  }

  private actorId(actor: Actor): number {
    return actor === 'api' ? this.account.currentUserId : this.account.managerUserId
  }

  private validateAll(items: unknown[], mode: 'create' | 'update', forceId?: number): ContactDraft[] {
    const errors: ElementProblems[] = []
    const drafts: ContactDraft[] = []
    items.forEach((item, i) => {
      const problems: ValidationProblem[] = []
      const draft = this.validateContact(item, i, mode, forceId, problems)
      if (problems.length > 0) errors.push({request_id: draft.requestId, errors: problems})
      else drafts.push(draft)
    })
    if (errors.length > 0) throw new SandboxValidationError(errors)
    return drafts
  }

  private validateContact(
    input: unknown,
    index: number,
    mode: 'create' | 'update',
    forceId: number | undefined,
    problems: ValidationProblem[],
  ): ContactDraft {
    const requestId = readRequestId(input, index, problems)
    const draft: ContactDraft = {requestId, id: undefined, scalars: {}, fields: [], tagsReplace: undefined, tagsAdd: [], tagsRemove: []}
    if (!isPlainObject(input)) {
      problems.push(problem.invalidType('', 'array'))
      return draft
    }
    if (mode === 'update') {
      const id = forceId ?? input.id
      if (id === undefined || id === null) problems.push(problem.notBlank('id'))
      else if (!isInt(id)) problems.push(problem.invalidType('id', 'int'))
      else if (!this.contacts.get(id) || this.contacts.get(id)!.is_deleted) problems.push(problem.notSupportedChoice('id'))
      else draft.id = id
    }
    for (const key of ['name', 'first_name', 'last_name'] as const) {
      const v = input[key]
      if (v === undefined || v === null) continue
      if (typeof v !== 'string') problems.push(problem.invalidType(key, 'string'))
      else if ([...v].length > NAME_MAX_LENGTH) problems.push(problem.tooLong(key, NAME_MAX_LENGTH, v))
      else if (this.refuses(v)) problems.push(problem.invalidValue(key, v))
      else draft.scalars[key] = v
    }
    const userIds = new Set(this.account.users.map((u) => u.id))
    for (const key of ['responsible_user_id', 'created_by', 'updated_by'] as const) {
      const v = input[key]
      if (v === undefined || v === null) continue
      if (!isInt(v)) problems.push(problem.invalidType(key, 'int'))
      // 0 is "the system / a robot" for the authorship keys, never a responsible user (§3.5).
      else if (!userIds.has(v) && !(v === 0 && key !== 'responsible_user_id')) problems.push(problem.notSupportedChoice(key))
      else draft.scalars[key] = v
    }
    for (const key of ['created_at', 'updated_at', 'closest_task_at'] as const) {
      const v = input[key]
      if (v === undefined || v === null) {
        // null clears the closest task; elsewhere it means "not given", like an absent key.
        if (v === null && key === 'closest_task_at') draft.scalars.closest_task_at = null
        continue
      }
      if (!isInt(v)) problems.push(problem.invalidType(key, 'int'))
      else if (v < 0) problems.push(problem.notNegative(key))
      else draft.scalars[key] = v
    }
    draft.fields = readCustomFieldsValues(
      input.custom_fields_values,
      {byId: (id) => this.fieldById(id), byCode: (code) => this.fieldByCode(code), timezone: this.account.timezone, refuses: this.refuses},
      problems,
    )
    const embedded = input._embedded
    if (isPlainObject(embedded) && embedded.tags !== undefined && embedded.tags !== null)
      draft.tagsReplace = this.readTagRefs(embedded.tags, '_embedded.tags', problems)
    if (input.tags_to_add !== undefined && input.tags_to_add !== null)
      draft.tagsAdd = this.readTagRefs(input.tags_to_add, 'tags_to_add', problems)
    if (input.tags_to_delete !== undefined && input.tags_to_delete !== null)
      draft.tagsRemove = this.readTagRefs(input.tags_to_delete, 'tags_to_delete', problems)
    return draft
  }

  private readTagRefs(input: unknown, at: string, problems: ValidationProblem[]): TagRef[] {
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

  private tagIdOf(ref: TagRef, create: boolean): number | undefined {
    if (ref.id !== undefined) return ref.id
    const name = ref.name!
    const found = this.tags.find((t) => t.name.toLowerCase() === name.toLowerCase())
    if (found || !create) return found?.id
    const tag = {id: this.next.tag++, name, color: null}
    this.tags.push(tag)
    return tag.id
  }

  private applyTags(contact: StoredContact, d: ContactDraft): void {
    let ids = [...contact.tag_ids]
    if (d.tagsReplace) ids = d.tagsReplace.map((r) => this.tagIdOf(r, true)!)
    for (const r of d.tagsAdd) ids.push(this.tagIdOf(r, true)!)
    const remove = new Set(d.tagsRemove.map((r) => this.tagIdOf(r, false)))
    contact.tag_ids = [...new Set(ids)].filter((id) => !remove.has(id))
  }

  // ---- contacts: reads ----------------------------------------------------------------------------

  storedContact(id: number): StoredContact | undefined {
    return this.contacts.get(id)
  }

  queryContacts(q: ContactQuery): StoredContact[] {
    const ids = q.ids ? new Set(q.ids) : undefined
    const names = q.names ? new Set(q.names.map((n) => n.toLowerCase())) : undefined
    const search = q.query && q.query.trim() !== '' ? searchMatcher(q.query) : undefined
    const out: StoredContact[] = []
    for (const c of this.contacts.values()) {
      if (c.is_deleted !== Boolean(q.onlyDeleted)) continue
      if (ids && !ids.has(c.id)) continue
      if (names && !names.has(c.name.toLowerCase())) continue
      if (q.responsibleUserIds && !q.responsibleUserIds.includes(c.responsible_user_id)) continue
      if (q.createdBy && !q.createdBy.includes(c.created_by)) continue
      if (q.updatedBy && !q.updatedBy.includes(c.updated_by)) continue
      if (q.createdAt && !inRange(c.created_at, q.createdAt)) continue
      if (q.updatedAt && !inRange(c.updated_at, q.updatedAt)) continue
      if (search && !search(c)) continue
      out.push(c)
    }
    const {field, direction} = q.order ?? {field: 'id', direction: 'asc'}
    const sign = direction === 'desc' ? -1 : 1
    return out.sort((a, b) => sign * (a[field] - b[field] || a.id - b.id))
  }

  /** The API's read form of a contact (§3.1). */
  renderContact(c: StoredContact, base: string, withs: ReadonlySet<string> = new Set()): Contact {
    const values = c.custom_fields.flatMap((cf) => {
      const field = this.fieldById(cf.field_id)
      if (!field || cf.values.length === 0) return []
      return [
        {
          field_id: field.id,
          field_name: field.name,
          field_code: field.code,
          field_type: field.type,
          values: cf.values.map((v) => ({...v})),
        },
      ]
    })
    const embedded: Record<string, unknown> = {
      tags: c.tag_ids.flatMap((id) => this.tags.filter((t) => t.id === id).map((t) => ({id: t.id, name: t.name, color: t.color}))),
      companies: [],
    }
    for (const w of ['leads', 'customers', 'catalog_elements']) if (withs.has(w)) embedded[w] = []
    return {
      id: c.id,
      name: c.name,
      first_name: c.first_name,
      last_name: c.last_name,
      responsible_user_id: c.responsible_user_id,
      group_id: c.group_id,
      created_by: c.created_by,
      updated_by: c.updated_by,
      created_at: c.created_at,
      updated_at: c.updated_at,
      closest_task_at: c.closest_task_at,
      is_deleted: c.is_deleted,
      is_unsorted: c.is_unsorted,
      custom_fields_values: values.length > 0 ? values : null,
      account_id: this.account.id,
      _links: {self: {href: `${base}/api/v4/contacts/${c.id}`}},
      _embedded: embedded as NonNullable<Contact['_embedded']>,
    }
  }

  // ---- the in-process face (SandboxStore) ---------------------------------------------------------

  createContacts(items: SandboxContactInput[]): Contact[] {
    return this.addContacts(items, 'manager').map((o) => this.renderContact(o.contact, this.baseUrl))
  }

  updateContacts(items: SandboxContactInput[]): Contact[] {
    return this.patchContacts(items, 'manager').map((o) => this.renderContact(o.contact, this.baseUrl))
  }

  getContact(id: number, options: {includeDeleted?: boolean} = {}): Contact | undefined {
    const c = this.contacts.get(id)
    if (!c || (c.is_deleted && !options.includeDeleted)) return undefined
    return this.renderContact(c, this.baseUrl)
  }

  listContacts(options: {includeDeleted?: boolean; onlyDeleted?: boolean} = {}): Contact[] {
    return this.pick(options).map((c) => this.renderContact(c, this.baseUrl))
  }

  countContacts(options: {includeDeleted?: boolean; onlyDeleted?: boolean} = {}): number {
    return this.pick(options).length
  }

  private pick(options: {includeDeleted?: boolean; onlyDeleted?: boolean}): StoredContact[] {
    return [...this.contacts.values()]
      .filter((c) => (options.onlyDeleted ? c.is_deleted : options.includeDeleted || !c.is_deleted))
      .sort((a, b) => a.id - b.id)
  }

  listFields(): CustomFieldDef[] {
    return this.storedFields().map((f) => renderField(f, this.account.id, this.baseUrl))
  }

  getField(idOrCode: number | string): CustomFieldDef | undefined {
    const f = typeof idOrCode === 'number' ? this.fieldById(idOrCode) : this.fieldByCode(idOrCode)
    return f ? renderField(f, this.account.id, this.baseUrl) : undefined
  }

  createFields(defs: CustomFieldCreate[]): CustomFieldDef[] {
    return this.addFields(defs).map(({field}) => renderField(field, this.account.id, this.baseUrl))
  }
}

function composeName(first: string, last: string): string {
  return [first, last].filter((s) => s !== '').join(' ')
}

function readRequestId(input: unknown, index: number, problems: ValidationProblem[]): string {
  const raw = isPlainObject(input) ? input.request_id : undefined
  if (raw === undefined || raw === null) return String(index)
  if (typeof raw === 'string') return raw
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  problems.push(problem.invalidType('request_id', 'string'))
  return String(index)
}

/** Per-field replacement (§3.4): a listed field's values are replaced whole; an empty list clears it. */
function applyFields(contact: StoredContact, updates: FieldValuesUpdate[]): void {
  for (const u of updates) {
    const i = contact.custom_fields.findIndex((cf) => cf.field_id === u.fieldId)
    if (u.values.length === 0) {
      if (i >= 0) contact.custom_fields.splice(i, 1)
    } else if (i >= 0) contact.custom_fields[i] = {field_id: u.fieldId, values: u.values}
    else contact.custom_fields.push({field_id: u.fieldId, values: u.values})
  }
}

function inRange(v: number, r: TimeRange): boolean {
  if (r.eq !== undefined && v !== r.eq) return false
  if (r.from !== undefined && v < r.from) return false
  if (r.to !== undefined && v > r.to) return false
  return true
}

const PHONE_LIKE = /^[\d\s()+\-.]+$/
const MIN_PHONE_DIGITS = 5

/**
 * `query` as §3.6 suggests: case-insensitive substring over the names and every custom-field value;
 * a phone-like query also matches on digits only, by its last 10 digits (so `89251234567` finds
 * `+7 (925) 123-45-67`). Deliberately as fuzzy as the real search: callers must verify hits.
 */
function searchMatcher(query: string): (c: StoredContact) => boolean {
  const needle = query.trim().toLowerCase()
  const digits = needle.replace(/\D/g, '')
  const phoneNeedle = PHONE_LIKE.test(needle) && digits.length >= MIN_PHONE_DIGITS ? digits.slice(-10) : undefined
  return (c) => {
    for (const text of [c.name, c.first_name, c.last_name]) if (text.toLowerCase().includes(needle)) return true
    for (const cf of c.custom_fields)
      for (const v of cf.values) {
        if (typeof v.value === 'boolean') continue
        const text = String(v.value)
        if (text.toLowerCase().includes(needle)) return true
        if (phoneNeedle && text.replace(/\D/g, '').includes(phoneNeedle)) return true
      }
    return false
  }
}
