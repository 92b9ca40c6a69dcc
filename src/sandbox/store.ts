import type {Contact, ContactWrite, CustomFieldCreate, CustomFieldDef, ValidationProblem} from '../amocrm/types.js'
import {
  type Actor,
  actorId,
  applyFields,
  type ListQuery,
  queryEntities,
  renderFieldValues,
  type StoredFieldValues,
  type StoredTag,
  type TagChanges,
  filtersNothing,
  pickEntities,
  readNames,
  readTimes,
  readUpdateTarget,
  readUserIds,
  setTrashed,
  TagSet,
  validateBatch,
} from './entities.js'
import {type FieldDraft, type FieldEntity, PREDEFINED_FIELDS, renderField, type StoredField, validateFieldDraft} from './fields.js'
import {isPlainObject, problem} from './problems.js'
import {type FieldValuesUpdate, readCustomFieldsValues} from './values.js'

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
  custom_fields: StoredFieldValues
  tag_ids: number[]
}

export interface StoreSnapshot {
  version: 1
  next: {contact: number; field: number; enum: number; tag: number}
  fields: StoredField[]
  contacts: StoredContact[]
  tags: StoredTag[]
}

export type {Actor, ListQuery, TimeRange} from './entities.js'

/** `GET /api/v4/contacts` filters: the shared ones. */
export type ContactQuery = ListQuery

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
  tags: TagChanges
}

export class ContactStore implements SandboxStore {
  private fields: StoredField[] = []
  private contacts = new Map<number, StoredContact>()
  /**
   * The live contacts in id order, made again only after a contact is added, trashed or restored. A
   * listing of the whole account filters nothing, page after page: built for every page, it cost a
   * third of the sandbox's time per page at 100,000 contacts, and left 800 KB of garbage each time.
   */
  private liveContacts: StoredContact[] | undefined
  private tags = new TagSet([], FIRST_TAG_ID)
  private next = {contact: FIRST_CONTACT_ID, field: FIRST_FIELD_ID, enum: FIRST_ENUM_ID}
  /** Base URL for links in what the in-process face returns (HTTP answers use the request's host). */
  baseUrl = 'http://127.0.0.1'
  /** Called after every change (the server saves the data file there). */
  onChange: () => void = () => {}
  /** A name or text value the account refuses as such, with a text quoting it (the server's `refuseValues`). */
  refuses: (value: string) => boolean = () => false
  /** The live deals linked to a contact, for `with=leads` (the server wires the deal store in). */
  leadIdsOfContact: (contactId: number) => number[] = () => []

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
    this.liveContacts = undefined
    this.tags = new TagSet([], FIRST_TAG_ID)
    this.next = {contact: FIRST_CONTACT_ID, field: FIRST_FIELD_ID, enum: FIRST_ENUM_ID}
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
          'contacts',
          true,
        )
  }

  snapshot(): StoreSnapshot {
    return {
      version: 1,
      next: {...this.next, tag: this.tags.nextId},
      fields: structuredClone(this.fields),
      contacts: structuredClone([...this.contacts.values()]),
      tags: structuredClone(this.tags.tags),
    }
  }

  restore(snapshot: StoreSnapshot): void {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.fields) || !Array.isArray(snapshot.contacts))
      throw new Error('not a sandbox data snapshot (version 1)')
    // data files written before deals knew only contact fields
    this.fields = structuredClone(snapshot.fields).map((f) => ({...f, entity_type: f.entity_type ?? 'contacts'}))
    this.contacts = new Map(snapshot.contacts.map((c) => [c.id, structuredClone(c)]))
    this.liveContacts = undefined
    const {tag, ...next} = snapshot.next
    this.tags = new TagSet(structuredClone(snapshot.tags ?? []), tag)
    this.next = next
  }

  // ---- fields -------------------------------------------------------------------------------------

  /** One entity's fields (contacts unless told): ids are unique across entities, as in amoCRM. */
  storedFields(entity: FieldEntity = 'contacts'): StoredField[] {
    return this.fields.filter((f) => f.entity_type === entity).sort((a, b) => a.sort - b.sort || a.id - b.id)
  }

  fieldById(id: number, entity: FieldEntity = 'contacts'): StoredField | undefined {
    return this.fields.find((f) => f.id === id && f.entity_type === entity)
  }

  fieldByCode(code: string, entity: FieldEntity = 'contacts'): StoredField | undefined {
    return this.fields.find((f) => f.code !== null && f.code === code && f.entity_type === entity)
  }

  /** `POST /api/v4/{contacts|leads}/custom_fields`: all or nothing. */
  addFields(items: unknown[], entity: FieldEntity = 'contacts'): Array<{field: StoredField; requestId: string}> {
    const codes = new Set(this.storedFields(entity).flatMap((f) => (f.code ? [f.code] : [])))
    const drafts = validateBatch(items, (item, problems) => validateFieldDraft(item, entity, codes, problems))
    const created = drafts.map(({draft, requestId}) => ({field: this.insertField(draft, entity, false), requestId}))
    this.onChange()
    return created
  }

  private insertField(draft: FieldDraft, entity: FieldEntity, predefined: boolean): StoredField {
    const maxSort = Math.max(0, ...this.storedFields(entity).map((f) => f.sort))
    const field: StoredField = {
      id: this.next.field++,
      entity_type: entity,
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
      applyFields(contact.custom_fields, d.fields)
      contact.tag_ids = this.tags.apply(contact.tag_ids, d.tags)
      this.contacts.set(contact.id, contact)
      return {contact, requestId: d.requestId}
    })
    this.liveContacts = undefined
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
      applyFields(contact.custom_fields, d.fields)
      contact.tag_ids = this.tags.apply(contact.tag_ids, d.tags)
      return {contact, requestId: d.requestId}
    })
    this.onChange()
    return out
  }

  deleteContact(id: number): boolean {
    return this.trash(id, true)
  }

  restoreContact(id: number): boolean {
    return this.trash(id, false)
  }

  private trash(id: number, deleted: boolean): boolean {
    const changed = setTrashed(this.contacts.get(id), deleted, this.nowSeconds(), this.account.managerUserId)
    if (changed) {
      this.liveContacts = undefined
      this.onChange()
    }
    return changed
  }

  private actorId(actor: Actor): number {
    return actorId(this.account, actor)
  }

  private validateAll(items: unknown[], mode: 'create' | 'update', forceId?: number): ContactDraft[] {
    return validateBatch(items, (item, problems, _index, requestId) => this.validateContact(item, requestId, mode, forceId, problems)).map(
      (d) => d.draft,
    )
  }

  private validateContact(
    input: unknown,
    requestId: string,
    mode: 'create' | 'update',
    forceId: number | undefined,
    problems: ValidationProblem[],
  ): ContactDraft {
    const draft: ContactDraft = {requestId, id: undefined, scalars: {}, fields: [], tags: {replace: undefined, add: [], remove: []}}
    if (!isPlainObject(input)) {
      problems.push(problem.invalidType('', 'array'))
      return draft
    }
    if (mode === 'update') draft.id = readUpdateTarget(forceId ?? input.id, (id) => this.contacts.get(id), problems)?.id
    readNames(input, ['name', 'first_name', 'last_name'], draft.scalars, problems, this.refuses)
    readUserIds(input, new Set(this.account.users.map((u) => u.id)), draft.scalars, problems)
    readTimes(input, ['created_at', 'updated_at', 'closest_task_at'], draft.scalars, problems, ['closest_task_at'])
    draft.fields = readCustomFieldsValues(
      input.custom_fields_values,
      {byId: (id) => this.fieldById(id), byCode: (code) => this.fieldByCode(code), timezone: this.account.timezone, refuses: this.refuses},
      problems,
    )
    draft.tags = this.tags.readChanges(input, problems)
    return draft
  }

  // ---- contacts: reads ----------------------------------------------------------------------------

  storedContact(id: number): StoredContact | undefined {
    return this.contacts.get(id)
  }

  queryContacts(q: ContactQuery): StoredContact[] {
    if (filtersNothing(q)) return (this.liveContacts ??= queryEntities(this.contacts.values(), {}, () => []))
    return queryEntities(this.contacts.values(), q, (c) => [c.name, c.first_name, c.last_name])
  }

  /** The API's read form of a contact. */
  renderContact(c: StoredContact, base: string, withs: ReadonlySet<string> = new Set()): Contact {
    const embedded: Record<string, unknown> = {
      tags: this.tags.render(c.tag_ids),
      companies: [],
    }
    for (const w of ['customers', 'catalog_elements']) if (withs.has(w)) embedded[w] = []
    if (withs.has('leads'))
      embedded.leads = this.leadIdsOfContact(c.id).map((id) => ({id, _links: {self: {href: `${base}/api/v4/leads/${id}`}}}))
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
      custom_fields_values: renderFieldValues(c.custom_fields, (id) => this.fieldById(id)),
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
    return pickEntities(this.contacts.values(), options)
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
