import type {ListLeadsParams} from './leads.js'
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
} from './types.js'

export type {ListLeadsParams} from './leads.js'

export interface ListContactsParams {
  /** Fuzzy full-text search (docs/amocrm.md "Answers"): every hit must be verified by the caller. */
  query?: string
  /** `filter[id][]`. */
  ids?: number[]
  /** `filter[updated_at][from]` / `[to]`, unix seconds. */
  updatedFrom?: number
  updatedTo?: number
  order?: {field: 'id' | 'updated_at' | 'created_at'; direction: 'asc' | 'desc'}
  /** Page size, ≤ 250 (default 250). */
  limit?: number
}

/** Counters for the sync report (docs/sync.md "Report", `api`). */
export interface ApiStats {
  requests: number
  retries: number
  throttled: number
  /**
   * amoCRM's recent answer time, ms (a moving average over the answers received; throttled ones
   * excepted): how many requests to keep in flight follows from it. Absent until the first answer.
   */
  answerMs?: number
}

/**
 * What the rest of the tool needs from amoCRM. `AmoClient` implements it over HTTP; every method
 * throws the typed errors of `errors.ts`.
 */
export interface AmoApi {
  /** `GET /api/v4/account?with=datetime_settings`. */
  getAccount(): Promise<Account>
  /** Pages of contacts, following `_links.next`; a 204 ends it (an empty search yields nothing). */
  listContacts(params?: ListContactsParams): AsyncGenerator<Contact[]>
  /** One contact, or null when amoCRM says it is gone (204/404). */
  getContact(id: number): Promise<Contact | null>
  /**
   * Batch create (≤ 250). Resolves one result per element. Rejects with `AmoValidationError` (nothing
   * applied) or `AmoOutcomeUnknownError` (the request may or may not have been applied: reconcile
   * before retrying — the client never retries it blindly).
   */
  createContacts(items: ContactWrite[]): Promise<ContactWriteResult[]>
  /** Batch update (≤ 250, every element with `id`); per-field replacement, so safe to retry. */
  updateContacts(items: ContactWrite[]): Promise<ContactWriteResult[]>
  /** All contact custom fields (every page). */
  listCustomFields(): Promise<CustomFieldDef[]>
  createCustomFields(defs: CustomFieldCreate[]): Promise<CustomFieldDef[]>
  /** Pages of deals (≤ 250 each), following `_links.next`; a 204 ends it. */
  listLeads(params?: ListLeadsParams): AsyncGenerator<Lead[]>
  /**
   * Batch create (≤ 250), contacts linked through `_embedded.contacts`. Rejects like `createContacts`:
   * `AmoValidationError` (nothing applied; also for amoCRM's "Invalid request body" answer) or
   * `AmoOutcomeUnknownError` (reconcile before retrying).
   */
  createLeads(items: LeadWrite[]): Promise<LeadWriteResult[]>
  /** Batch update (≤ 250, every element with `id`): stage, price, loss reason, fields; safe to retry. */
  updateLeads(items: LeadWrite[]): Promise<LeadWriteResult[]>
  /** Every pipeline with its stages (142/143 included). */
  listPipelines(): Promise<Pipeline[]>
  /** Creates pipelines with their stages; an unknown outcome must be reconciled (by name) before retrying. */
  createPipelines(items: PipelineCreate[]): Promise<Pipeline[]>
  /** Adds stages to an existing pipeline. */
  createPipelineStatuses(pipelineId: number, items: StatusCreate[]): Promise<PipelineStatus[]>
  listLossReasons(): Promise<LossReason[]>
  createLossReasons(items: LossReasonCreate[]): Promise<LossReason[]>
  /** All deal custom fields (every page). */
  listLeadCustomFields(): Promise<CustomFieldDef[]>
  createLeadCustomFields(defs: CustomFieldCreate[]): Promise<CustomFieldDef[]>
  readonly stats: ApiStats
}
