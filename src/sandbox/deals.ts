import {LOST_STATUS_ID, MAX_PIPELINES, MAX_STATUSES_PER_PIPELINE, WON_STATUS_ID} from '../amocrm/leads.js'
import type {
  CustomFieldCreate,
  CustomFieldDef,
  Lead,
  LeadWrite,
  LossReason,
  LossReasonCreate,
  Pipeline,
  PipelineCreate,
  PipelineStatus,
  StatusCreate,
  ValidationProblem,
} from '../amocrm/types.js'
import {
  type Actor,
  actorId,
  applyFields,
  validateBatch,
  type ListQuery,
  queryEntities,
  renderFieldValues,
  type StoredFieldValues,
  type StoredTag,
  type TagChanges,
  pickEntities,
  readNames,
  readTimes,
  readUpdateTarget,
  readUserIds,
  setTrashed,
  TagSet,
} from './entities.js'
import {renderField} from './fields.js'
import {
  DEFAULT_PIPELINE,
  firstOpenStatus,
  LOST_STAGE,
  type PipelineDraft,
  renderLossReason,
  renderPipeline,
  renderStatus,
  type StatusDraft,
  type StoredLossReason,
  type StoredPipeline,
  type StoredStatus,
  UNSORTED_STAGE,
  UNSORTED_STATUS_TYPE,
  validateLossReasonDraft,
  validatePipelineDraft,
  validateStatusDraft,
  WON_STAGE,
} from './pipelines.js'
import {isInt, isPlainObject, problem, SandboxRequestBodyError} from './problems.js'
import type {ContactStore} from './store.js'
import {type FieldValuesUpdate, readCustomFieldsValues} from './values.js'

const FIRST_LEAD_ID = 20_000_001
const FIRST_PIPELINE_ID = 7_000_001
const FIRST_STATUS_ID = 60_000_001
const FIRST_LOSS_REASON_ID = 9_000_001
const FIRST_LEAD_TAG_ID = 450_001
/** amoCRM's answer to a loss reason on a deal that does not end up lost (PHP #88). */
export const LOSS_REASON_NOT_LOST = 'Loss reason can be specified only for lost lead'

export interface StoredLead {
  id: number
  name: string
  price: number
  responsible_user_id: number
  group_id: number
  status_id: number
  pipeline_id: number
  loss_reason_id: number | null
  created_by: number
  updated_by: number
  created_at: number
  updated_at: number
  closed_at: number | null
  closest_task_at: number | null
  is_deleted: boolean
  custom_fields: StoredFieldValues
  tag_ids: number[]
  contacts: Array<{id: number; is_main: boolean}>
}

export interface DealSnapshot {
  version: 1
  next: {lead: number; pipeline: number; status: number; lossReason: number; tag: number}
  pipelines: StoredPipeline[]
  lossReasons: StoredLossReason[]
  leads: StoredLead[]
  tags: StoredTag[]
}

/** `GET /api/v4/leads` filters: the shared ones, pipelines and stages. */
export interface LeadQuery extends ListQuery {
  pipelineIds?: number[]
  /** Any of these; a pair without a pipeline matches the stage id in every pipeline. */
  statuses?: Array<{pipelineId?: number; statusId?: number}>
}

/** Input for `deals.createLeads` / `updateLeads`: the API's write form (`id` for updates). */
export type SandboxLeadInput = LeadWrite & Record<string, unknown>

/** Where a manager drags a deal: a stage, in another pipeline if given; a loss reason with 143. */
export interface LeadMove {
  status_id: number
  pipeline_id?: number
  loss_reason_id?: number | null
}

/**
 * Direct access to the sandbox's deals, as a CRM manager in the UI would have them: no auth, no rate
 * limit, not recorded. Writes follow the API's rules (a write the API would refuse is refused here too,
 * with `SandboxValidationError`); they are made by the manager user. Reads return the API's read form,
 * deals with their contacts and loss reason embedded.
 */
export interface SandboxDeals {
  createLeads(items: SandboxLeadInput[]): Lead[]
  /** Every element needs `id`; per-field replacement as on `PATCH`. */
  updateLeads(items: SandboxLeadInput[]): Lead[]
  /** A manager moves a deal to a stage. */
  moveLead(id: number, to: LeadMove): Lead
  /** A deleted deal only with `includeDeleted`. */
  getLead(id: number, options?: {includeDeleted?: boolean}): Lead | undefined
  listLeads(options?: {includeDeleted?: boolean; onlyDeleted?: boolean}): Lead[]
  countLeads(options?: {includeDeleted?: boolean; onlyDeleted?: boolean}): number
  /** Moves a deal to the trash; false when unknown or already there. */
  deleteLead(id: number): boolean
  restoreLead(id: number): boolean
  listPipelines(): Pipeline[]
  createPipelines(items: PipelineCreate[]): Pipeline[]
  /** Adds stages to a pipeline (`POST /api/v4/leads/pipelines/{id}/statuses`). */
  createStatuses(pipelineId: number, items: StatusCreate[]): PipelineStatus[]
  listLossReasons(): LossReason[]
  createLossReasons(items: LossReasonCreate[]): LossReason[]
  /** Deal custom fields. */
  listFields(): CustomFieldDef[]
  createFields(defs: CustomFieldCreate[]): CustomFieldDef[]
}

interface LeadDraft {
  requestId: string
  /** The stored deal an update applies to. */
  lead: StoredLead | undefined
  scalars: Partial<
    Pick<
      StoredLead,
      'name' | 'price' | 'responsible_user_id' | 'created_by' | 'updated_by' | 'created_at' | 'updated_at' | 'closed_at' | 'closest_task_at'
    >
  >
  /** Where the deal ends up (resolved from pipeline_id/status_id and what it had). */
  pipelineId: number
  statusId: number
  /** undefined: unchanged; null: cleared. */
  lossReasonId: number | null | undefined
  fields: FieldValuesUpdate[]
  tags: TagChanges
  contacts: Array<{id: number; is_main: boolean}>
}

export interface LeadOutcome {
  lead: StoredLead
  requestId: string
}

export class DealStore implements SandboxDeals {
  private pipelines: StoredPipeline[] = []
  private lossReasons: StoredLossReason[] = []
  private leads = new Map<number, StoredLead>()
  private tags = new TagSet([], FIRST_LEAD_TAG_ID)
  private next = {lead: FIRST_LEAD_ID, pipeline: FIRST_PIPELINE_ID, status: FIRST_STATUS_ID, lossReason: FIRST_LOSS_REASON_ID}
  /** Called after every change (the server saves the data file there). */
  onChange: () => void = () => {}

  constructor(
    private readonly store: ContactStore,
    private readonly nowSeconds: () => number,
  ) {
    this.reset()
  }

  private get account() {
    return this.store.account
  }

  /** A fresh account: its main pipeline "Воронка" and nothing else. */
  reset(): void {
    this.pipelines = []
    this.lossReasons = []
    this.leads = new Map()
    this.tags = new TagSet([], FIRST_LEAD_TAG_ID)
    this.next = {lead: FIRST_LEAD_ID, pipeline: FIRST_PIPELINE_ID, status: FIRST_STATUS_ID, lossReason: FIRST_LOSS_REASON_ID}
    this.insertPipeline({
      name: DEFAULT_PIPELINE.name,
      sort: 1,
      is_main: true,
      is_unsorted_on: true,
      statuses: DEFAULT_PIPELINE.statuses.map((s) => ({name: s.name, sort: undefined, color: s.color})),
    })
  }

  snapshot(): DealSnapshot {
    return {
      version: 1,
      next: {...this.next, tag: this.tags.nextId},
      pipelines: structuredClone(this.pipelines),
      lossReasons: structuredClone(this.lossReasons),
      leads: structuredClone([...this.leads.values()]),
      tags: structuredClone(this.tags.tags),
    }
  }

  restore(snapshot: DealSnapshot): void {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.pipelines) || !Array.isArray(snapshot.leads))
      throw new Error('not a sandbox deals snapshot (version 1)')
    const {tag, ...next} = snapshot.next
    this.pipelines = structuredClone(snapshot.pipelines)
    this.lossReasons = structuredClone(snapshot.lossReasons ?? [])
    this.leads = new Map(snapshot.leads.map((l) => [l.id, structuredClone(l)]))
    this.tags = new TagSet(structuredClone(snapshot.tags ?? []), tag)
    this.next = next
  }

  // ---- pipelines and stages -----------------------------------------------------------------------

  storedPipelines(): StoredPipeline[] {
    return [...this.pipelines].sort((a, b) => a.sort - b.sort || a.id - b.id)
  }

  pipelineById(id: number): StoredPipeline | undefined {
    return this.pipelines.find((p) => p.id === id)
  }

  private mainPipeline(): StoredPipeline {
    return this.pipelines.find((p) => p.is_main) ?? this.storedPipelines()[0]!
  }

  /** `POST /api/v4/leads/pipelines`: all or nothing; at most 50 pipelines in the account. */
  addPipelines(items: unknown[]): Array<{pipeline: StoredPipeline; requestId: string}> {
    const drafts = validateBatch(items, (item, problems, index) => {
      const draft = validatePipelineDraft(item, problems)
      if (this.pipelines.length + index >= MAX_PIPELINES) problems.push(problem.tooMany('', MAX_PIPELINES))
      return draft
    })
    const out = drafts.map(({draft, requestId}) => ({pipeline: this.insertPipeline(draft), requestId}))
    this.onChange()
    return out
  }

  private insertPipeline(draft: PipelineDraft): StoredPipeline {
    if (draft.is_main) for (const p of this.pipelines) p.is_main = false
    const pipeline: StoredPipeline = {
      id: this.next.pipeline++,
      name: draft.name,
      sort: draft.sort ?? Math.max(0, ...this.pipelines.map((p) => p.sort)) + 1,
      is_main: draft.is_main || this.pipelines.length === 0,
      is_unsorted_on: draft.is_unsorted_on,
      is_archive: false,
      statuses: [
        {id: this.next.status++, ...UNSORTED_STAGE, is_editable: false, type: UNSORTED_STATUS_TYPE},
        {...WON_STAGE, is_editable: false, type: 0},
        {...LOST_STAGE, is_editable: false, type: 0},
      ],
    }
    this.pipelines.push(pipeline)
    this.insertStatuses(pipeline, draft.statuses)
    return pipeline
  }

  /** `POST /api/v4/leads/pipelines/{id}/statuses`: all or nothing; at most 100 stages in a pipeline. */
  addStatuses(pipeline: StoredPipeline, items: unknown[]): Array<{status: StoredStatus; requestId: string}> {
    const drafts = validateBatch(items, (item, problems, index) => {
      const draft = validateStatusDraft(item, '', problems)
      if (pipeline.statuses.length + index >= MAX_STATUSES_PER_PIPELINE) problems.push(problem.tooMany('', MAX_STATUSES_PER_PIPELINE))
      return draft
    })
    const statuses = this.insertStatuses(
      pipeline,
      drafts.map((d) => d.draft),
    )
    this.onChange()
    return statuses.map((status, i) => ({status, requestId: drafts[i]!.requestId}))
  }

  /** Stages of one's own sort between "unsorted" (10) and the closed ones (10000): 20, 30, … unless given. */
  private insertStatuses(pipeline: StoredPipeline, drafts: StatusDraft[]): StoredStatus[] {
    return drafts.map((d) => {
      const own = pipeline.statuses.filter((s) => s.type !== UNSORTED_STATUS_TYPE && s.id !== WON_STATUS_ID && s.id !== LOST_STATUS_ID)
      const status: StoredStatus = {
        id: this.next.status++,
        name: d.name,
        sort: d.sort ?? Math.max(UNSORTED_STAGE.sort, ...own.map((s) => s.sort)) + 10,
        is_editable: true,
        color: d.color,
        type: 0,
      }
      pipeline.statuses.push(status)
      return status
    })
  }

  // ---- loss reasons -------------------------------------------------------------------------------

  storedLossReasons(): StoredLossReason[] {
    return [...this.lossReasons].sort((a, b) => a.sort - b.sort || a.id - b.id)
  }

  /** `POST /api/v4/leads/loss_reasons`: all or nothing; a name already in use is refused (the sandbox's choice). */
  addLossReasons(items: unknown[]): Array<{reason: StoredLossReason; requestId: string}> {
    const names = new Set(this.lossReasons.map((r) => r.name.toLowerCase()))
    const drafts = validateBatch(items, (item, problems) => validateLossReasonDraft(item, names, problems))
    const now = this.nowSeconds()
    const out = drafts.map(({draft, requestId}) => {
      const reason: StoredLossReason = {
        id: this.next.lossReason++,
        name: draft.name,
        sort: draft.sort ?? Math.max(0, ...this.lossReasons.map((r) => r.sort)) + 1,
        created_at: now,
        updated_at: now,
      }
      this.lossReasons.push(reason)
      return {reason, requestId}
    })
    this.onChange()
    return out
  }

  // ---- deals: writes ------------------------------------------------------------------------------

  /** `POST /api/v4/leads`: every element checked first; any problem → nothing applied. */
  addLeads(items: unknown[], actor: Actor): LeadOutcome[] {
    const drafts = this.validateAll(items, 'create')
    const now = this.nowSeconds()
    const userId = actorId(this.account, actor)
    const out = drafts.map((d) => {
      const s = d.scalars
      const id = this.next.lead++
      const lead: StoredLead = {
        id,
        // amoCRM names an unnamed deal after its number
        name: s.name ?? `Сделка #${id}`,
        price: s.price ?? 0,
        responsible_user_id: s.responsible_user_id ?? userId,
        group_id: 0,
        status_id: d.statusId,
        pipeline_id: d.pipelineId,
        loss_reason_id: null,
        created_by: s.created_by ?? userId,
        updated_by: s.updated_by ?? userId,
        created_at: s.created_at ?? now,
        updated_at: s.updated_at ?? now,
        closed_at: null,
        closest_task_at: s.closest_task_at ?? null,
        is_deleted: false,
        custom_fields: [],
        tag_ids: [],
        contacts: d.contacts,
      }
      this.applyStage(lead, d, now)
      applyFields(lead.custom_fields, d.fields)
      lead.tag_ids = this.tags.apply(lead.tag_ids, d.tags)
      this.leads.set(lead.id, lead)
      return {lead, requestId: d.requestId}
    })
    this.onChange()
    return out
  }

  /** `PATCH /api/v4/leads` (each element with `id`) or `/leads/{id}` (`forceId`). */
  patchLeads(items: unknown[], actor: Actor, forceId?: number): LeadOutcome[] {
    const drafts = this.validateAll(items, 'update', forceId)
    const now = this.nowSeconds()
    const userId = actorId(this.account, actor)
    const out = drafts.map((d) => {
      const lead = d.lead!
      const s = d.scalars
      for (const key of ['name', 'price', 'responsible_user_id', 'created_by', 'created_at', 'closest_task_at'] as const)
        if (s[key] !== undefined) (lead as unknown as Record<string, unknown>)[key] = s[key]
      this.applyStage(lead, d, now)
      lead.updated_by = s.updated_by ?? userId
      lead.updated_at = s.updated_at ?? now
      applyFields(lead.custom_fields, d.fields)
      lead.tag_ids = this.tags.apply(lead.tag_ids, d.tags)
      return {lead, requestId: d.requestId}
    })
    this.onChange()
    return out
  }

  /** The stage, `closed_at` (set on entering 142/143, cleared on leaving) and the loss reason (only while lost). */
  private applyStage(lead: StoredLead, d: LeadDraft, now: number): void {
    const closed = d.statusId === WON_STATUS_ID || d.statusId === LOST_STATUS_ID
    if (!closed) lead.closed_at = null
    else if (d.scalars.closed_at !== undefined) lead.closed_at = d.scalars.closed_at
    else if (lead.closed_at === null || lead.status_id !== d.statusId) lead.closed_at = now
    lead.pipeline_id = d.pipelineId
    lead.status_id = d.statusId
    if (d.lossReasonId !== undefined) lead.loss_reason_id = d.lossReasonId
    if (d.statusId !== LOST_STATUS_ID) lead.loss_reason_id = null
  }

  deleteLead(id: number): boolean {
    return this.trash(id, true)
  }

  restoreLead(id: number): boolean {
    return this.trash(id, false)
  }

  private trash(id: number, deleted: boolean): boolean {
    const changed = setTrashed(this.leads.get(id), deleted, this.nowSeconds(), this.account.managerUserId)
    if (changed) this.onChange()
    return changed
  }

  /**
   * Checks every element; schema problems → `validation-errors`; otherwise a loss reason on a
   * deal that does not end up lost → amoCRM's "Invalid request body" (PHP #88). Nothing is applied either way.
   */
  private validateAll(items: unknown[], mode: 'create' | 'update', forceId?: number): LeadDraft[] {
    const drafts = validateBatch(items, (item, problems, _index, requestId) =>
      this.validateLead(item, requestId, mode, forceId, problems),
    ).map((d) => d.draft)
    const bodyErrors: Record<string, string> = {}
    for (const d of drafts)
      if (typeof d.lossReasonId === 'number' && d.statusId !== LOST_STATUS_ID)
        bodyErrors[d.lead ? String(d.lead.id) : d.requestId] = LOSS_REASON_NOT_LOST
    if (Object.keys(bodyErrors).length > 0) throw new SandboxRequestBodyError(bodyErrors)
    return drafts
  }

  private validateLead(
    input: unknown,
    requestId: string,
    mode: 'create' | 'update',
    forceId: number | undefined,
    problems: ValidationProblem[],
  ): LeadDraft {
    const main = this.mainPipeline()
    const draft: LeadDraft = {
      requestId,
      lead: undefined,
      scalars: {},
      pipelineId: main.id,
      statusId: firstOpenStatus(main)!.id,
      lossReasonId: undefined,
      fields: [],
      tags: {replace: undefined, add: [], remove: []},
      contacts: [],
    }
    if (!isPlainObject(input)) {
      problems.push(problem.invalidType('', 'array'))
      return draft
    }
    if (mode === 'update') {
      const lead = readUpdateTarget(forceId ?? input.id, (id) => this.leads.get(id), problems)
      if (lead) [draft.lead, draft.pipelineId, draft.statusId] = [lead, lead.pipeline_id, lead.status_id]
    }
    this.readScalars(input, draft, problems)
    this.readStage(input, draft, problems)
    draft.fields = readCustomFieldsValues(
      input.custom_fields_values,
      {
        byId: (id) => this.store.fieldById(id, 'leads'),
        byCode: (code) => this.store.fieldByCode(code, 'leads'),
        timezone: this.account.timezone,
      },
      problems,
    )
    draft.tags = this.tags.readChanges(input, problems)
    const contacts = isPlainObject(input._embedded) ? input._embedded.contacts : undefined
    if (contacts !== undefined && contacts !== null) {
      // amoCRM links contacts on create only; the sandbox refuses them on an update rather than ignore them
      if (mode === 'update') problems.push(problem.notExpected('_embedded.contacts'))
      else draft.contacts = this.readContactLinks(contacts, problems)
    }
    return draft
  }

  private readScalars(input: Record<string, unknown>, draft: LeadDraft, problems: ValidationProblem[]): void {
    readNames(input, ['name'], draft.scalars, problems)
    const {price} = input
    if (price !== undefined && price !== null) {
      if (!isInt(price)) problems.push(problem.invalidType('price', 'int'))
      else if (price < 0) problems.push(problem.notNegative('price'))
      else draft.scalars.price = price
    }
    readUserIds(input, new Set(this.account.users.map((u) => u.id)), draft.scalars, problems)
    readTimes(input, ['created_at', 'updated_at', 'closed_at', 'closest_task_at'], draft.scalars, problems)
  }

  /**
   * `pipeline_id`, `status_id`, `loss_reason_id`. The stage must be one of the pipeline the deal ends
   * up in (given, else its own, else the main one: the sandbox does not guess a pipeline from a
   * stage id) and not "unsorted" (PHP #156). A new pipeline without a stage: its first stage.
   */
  private readStage(input: Record<string, unknown>, draft: LeadDraft, problems: ValidationProblem[]): void {
    const {pipeline_id: pipelineId, status_id: statusId, loss_reason_id: lossReasonId} = input
    let pipeline = this.pipelineById(draft.pipelineId)
    if (pipelineId !== undefined && pipelineId !== null) {
      const given = isInt(pipelineId) ? this.pipelineById(pipelineId) : undefined
      if (!isInt(pipelineId)) problems.push(problem.invalidType('pipeline_id', 'int'))
      else if (!given) problems.push(problem.notSupportedChoice('pipeline_id'))
      else {
        if (given.id !== draft.pipelineId) draft.statusId = firstOpenStatus(given)!.id
        draft.pipelineId = given.id
        pipeline = given
      }
    }
    if (statusId !== undefined && statusId !== null) {
      const status = isInt(statusId) ? pipeline?.statuses.find((s) => s.id === statusId) : undefined
      if (!isInt(statusId)) problems.push(problem.invalidType('status_id', 'int'))
      else if (!status || status.type === UNSORTED_STATUS_TYPE) problems.push(problem.notSupportedChoice('status_id'))
      else draft.statusId = status.id
    }
    if (lossReasonId === null) draft.lossReasonId = null
    else if (lossReasonId !== undefined) {
      if (!isInt(lossReasonId)) problems.push(problem.invalidType('loss_reason_id', 'int'))
      else if (!this.lossReasons.some((r) => r.id === lossReasonId)) problems.push(problem.notSupportedChoice('loss_reason_id'))
      else draft.lossReasonId = lossReasonId
    }
  }

  /** `_embedded.contacts` of a create: live contacts; the first is the main one unless another says so. */
  private readContactLinks(input: unknown, problems: ValidationProblem[]): Array<{id: number; is_main: boolean}> {
    const at = '_embedded.contacts'
    if (!Array.isArray(input)) {
      problems.push(problem.invalidType(at, 'array'))
      return []
    }
    const links: Array<{id: number; is_main: boolean}> = []
    input.forEach((c, i) => {
      if (!isPlainObject(c)) return void problems.push(problem.invalidType(`${at}.${i}`, 'array'))
      const contact = isInt(c.id) ? this.store.storedContact(c.id) : undefined
      if (c.id === undefined || c.id === null) return void problems.push(problem.notBlank(`${at}.${i}.id`))
      if (!isInt(c.id)) return void problems.push(problem.invalidType(`${at}.${i}.id`, 'int'))
      if (!contact || contact.is_deleted) return void problems.push(problem.notSupportedChoice(`${at}.${i}.id`))
      if (c.is_main !== undefined && c.is_main !== null && typeof c.is_main !== 'boolean')
        return void problems.push(problem.invalidType(`${at}.${i}.is_main`, 'bool'))
      if (!links.some((l) => l.id === c.id)) links.push({id: c.id, is_main: c.is_main === true})
    })
    const main = links.findIndex((l) => l.is_main)
    return links.map((l, i) => ({...l, is_main: main < 0 ? i === 0 : i === main}))
  }

  // ---- deals: reads -------------------------------------------------------------------------------

  storedLead(id: number): StoredLead | undefined {
    return this.leads.get(id)
  }

  queryLeads(q: LeadQuery): StoredLead[] {
    const pipelines = q.pipelineIds ? new Set(q.pipelineIds) : undefined
    return queryEntities(
      this.leads.values(),
      q,
      (l) => [l.name],
      (l) =>
        (!pipelines || pipelines.has(l.pipeline_id)) &&
        (!q.statuses ||
          q.statuses.some(
            (s) =>
              (s.pipelineId === undefined || s.pipelineId === l.pipeline_id) && (s.statusId === undefined || s.statusId === l.status_id),
          )),
    )
  }

  /** Live deals linked to a contact (its `_embedded.leads` with `with=leads`). */
  leadIdsOfContact(contactId: number): number[] {
    return [...this.leads.values()]
      .filter((l) => !l.is_deleted && l.contacts.some((c) => c.id === contactId))
      .map((l) => l.id)
      .sort((a, b) => a - b)
  }

  /** The API's read form of a deal (`GET /api/v4/leads`). */
  renderLead(l: StoredLead, base: string, withs: ReadonlySet<string> = new Set()): Lead & Record<string, unknown> {
    const embedded: NonNullable<Lead['_embedded']> = {tags: this.tags.render(l.tag_ids), companies: []}
    if (withs.has('contacts'))
      embedded.contacts = l.contacts
        .filter((c) => this.store.storedContact(c.id)?.is_deleted === false)
        .map((c) => ({...c, _links: {self: {href: `${base}/api/v4/contacts/${c.id}`}}}))
    const reason = l.loss_reason_id === null ? undefined : this.lossReasons.find((r) => r.id === l.loss_reason_id)
    if (withs.has('loss_reason') && reason) embedded.loss_reason = [renderLossReason(reason, base)]
    return {
      id: l.id,
      name: l.name,
      price: l.price,
      responsible_user_id: l.responsible_user_id,
      group_id: l.group_id,
      status_id: l.status_id,
      pipeline_id: l.pipeline_id,
      loss_reason_id: l.loss_reason_id,
      created_by: l.created_by,
      updated_by: l.updated_by,
      created_at: l.created_at,
      updated_at: l.updated_at,
      closed_at: l.closed_at,
      closest_task_at: l.closest_task_at,
      is_deleted: l.is_deleted,
      custom_fields_values: renderFieldValues(l.custom_fields, (id) => this.store.fieldById(id, 'leads')),
      score: null,
      account_id: this.account.id,
      _links: {self: {href: `${base}/api/v4/leads/${l.id}`}},
      _embedded: embedded,
    }
  }

  // ---- the in-process face (SandboxDeals) ---------------------------------------------------------

  private readonly managerView = new Set(['contacts', 'loss_reason'])

  private view(l: StoredLead): Lead {
    return this.renderLead(l, this.store.baseUrl, this.managerView)
  }

  createLeads(items: SandboxLeadInput[]): Lead[] {
    return this.addLeads(items, 'manager').map((o) => this.view(o.lead))
  }

  updateLeads(items: SandboxLeadInput[]): Lead[] {
    return this.patchLeads(items, 'manager').map((o) => this.view(o.lead))
  }

  moveLead(id: number, to: LeadMove): Lead {
    const move: Record<string, unknown> = {id, status_id: to.status_id}
    if (to.pipeline_id !== undefined) move.pipeline_id = to.pipeline_id
    if (to.loss_reason_id !== undefined) move.loss_reason_id = to.loss_reason_id
    return this.view(this.patchLeads([move], 'manager')[0]!.lead)
  }

  getLead(id: number, options: {includeDeleted?: boolean} = {}): Lead | undefined {
    const l = this.leads.get(id)
    if (!l || (l.is_deleted && !options.includeDeleted)) return undefined
    return this.view(l)
  }

  listLeads(options: {includeDeleted?: boolean; onlyDeleted?: boolean} = {}): Lead[] {
    return this.pick(options).map((l) => this.view(l))
  }

  countLeads(options: {includeDeleted?: boolean; onlyDeleted?: boolean} = {}): number {
    return this.pick(options).length
  }

  private pick(options: {includeDeleted?: boolean; onlyDeleted?: boolean}): StoredLead[] {
    return pickEntities(this.leads.values(), options)
  }

  listPipelines(): Pipeline[] {
    return this.storedPipelines().map((p) => renderPipeline(p, this.account.id, this.store.baseUrl))
  }

  createPipelines(items: PipelineCreate[]): Pipeline[] {
    return this.addPipelines(items).map(({pipeline}) => renderPipeline(pipeline, this.account.id, this.store.baseUrl))
  }

  createStatuses(pipelineId: number, items: StatusCreate[]): PipelineStatus[] {
    const pipeline = this.pipelineById(pipelineId)
    if (!pipeline) throw new Error(`no pipeline ${pipelineId}`)
    return this.addStatuses(pipeline, items).map(({status}) => renderStatus(status, pipeline.id, this.account.id, this.store.baseUrl))
  }

  listLossReasons(): LossReason[] {
    return this.storedLossReasons().map((r) => renderLossReason(r, this.store.baseUrl))
  }

  createLossReasons(items: LossReasonCreate[]): LossReason[] {
    return this.addLossReasons(items).map(({reason}) => renderLossReason(reason, this.store.baseUrl))
  }

  listFields(): CustomFieldDef[] {
    return this.store.storedFields('leads').map((f) => renderField(f, this.account.id, this.store.baseUrl))
  }

  createFields(defs: CustomFieldCreate[]): CustomFieldDef[] {
    return this.store.addFields(defs, 'leads').map(({field}) => renderField(field, this.account.id, this.store.baseUrl))
  }
}
