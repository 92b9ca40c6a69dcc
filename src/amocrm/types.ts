/**
 * amoCRM API v4 shapes used by ident-amo (docs/amocrm.md).
 * Read forms are what the API returns; write forms are what we send.
 */

/** One value of a custom field as amoCRM returns it (numbers come back as strings, dates as ints). */
export interface CustomFieldValueRead {
  value?: string | number | boolean
  enum_id?: number
  enum_code?: string | null
}

export interface ContactCustomFieldRead {
  field_id: number
  field_name?: string
  field_code?: string | null
  field_type?: string
  values: CustomFieldValueRead[]
}

export interface Contact {
  id: number
  name: string
  first_name: string
  last_name: string
  responsible_user_id?: number
  group_id?: number
  created_by?: number
  updated_by?: number
  /** Unix seconds, UTC. */
  created_at: number
  updated_at: number
  closest_task_at?: number | null
  is_deleted?: boolean
  is_unsorted?: boolean
  custom_fields_values: ContactCustomFieldRead[] | null
  account_id?: number
  _links?: {self: {href: string}}
  _embedded?: {tags: Array<{id: number; name: string; color?: string | null}>; companies: Array<{id: number}>}
}

/** One value we send. */
export interface CustomFieldValueWrite {
  value?: string | number | boolean
  enum_id?: number
  enum_code?: string
}

export interface ContactCustomFieldWrite {
  field_id?: number
  field_code?: string
  /** `null` clears the field. */
  values: CustomFieldValueWrite[] | null
}

/** An element of a batch create (no `id`) or batch update (`id` required). */
export interface ContactWrite {
  id?: number
  request_id?: string
  name?: string
  first_name?: string
  last_name?: string
  custom_fields_values?: ContactCustomFieldWrite[]
}

export interface CustomFieldEnum {
  id: number
  value: string
  sort: number
  code?: string | null
}

/** A contact custom field definition (`GET /api/v4/contacts/custom_fields`). */
export interface CustomFieldDef {
  id: number
  name: string
  type: string
  code: string | null
  sort: number
  is_api_only?: boolean
  enums: CustomFieldEnum[] | null
  group_id?: string | null
  is_deletable?: boolean
  is_predefined?: boolean
  entity_type?: string
  account_id?: number
}

/** What we send to create a custom field. */
export interface CustomFieldCreate {
  name: string
  type: string
  code?: string
  sort?: number
  enums?: Array<{value: string; sort: number}>
  request_id?: string
}

export interface DatetimeSettings {
  timezone: string
  timezone_offset?: string
  date_pattern?: string
  short_date_pattern?: string
  short_time_pattern?: string
  date_format?: string
  time_format?: string
}

export interface Account {
  id: number
  name: string
  subdomain: string
  current_user_id?: number
  country?: string
  _embedded?: {datetime_settings?: DatetimeSettings}
}

/** Result of a batch create or update, one per element, in request order. */
export interface ContactWriteResult {
  id: number
  request_id: string
  updated_at?: number
}

/** A validation problem on one element of a batch (`validation-errors`). */
export interface ValidationProblem {
  code: string
  path: string
  detail: string
}

// ---- deals, pipelines, loss reasons (/api/v4/leads…) ------------------------------------------------

/** A deal as `GET /api/v4/leads` returns it. */
export interface Lead {
  id: number
  name: string
  /** Whole rubles on amocrm.ru. */
  price: number
  responsible_user_id?: number
  group_id?: number
  status_id: number
  pipeline_id: number
  /** Set only while the deal is lost (143). */
  loss_reason_id?: number | null
  created_by?: number
  updated_by?: number
  /** Unix seconds, UTC. */
  created_at: number
  updated_at: number
  /** When it entered 142/143; null while open. */
  closed_at?: number | null
  closest_task_at?: number | null
  is_deleted?: boolean
  custom_fields_values: ContactCustomFieldRead[] | null
  account_id?: number
  _links?: {self: {href: string}}
  _embedded?: {
    tags: Array<{id: number; name: string; color?: string | null}>
    companies: Array<{id: number}>
    /** With `with=contacts`. */
    contacts?: Array<{id: number; is_main: boolean}>
    /** With `with=loss_reason`, when the deal has one. */
    loss_reason?: LossReason[]
  }
}

export interface TagWrite {
  id?: number
  name?: string
}

/** An element of a deals batch create (no `id`) or update (`id` required). */
export interface LeadWrite {
  id?: number
  request_id?: string
  name?: string
  /** A whole number ≥ 0. */
  price?: number
  pipeline_id?: number
  status_id?: number
  /** Only together with `status_id: 143`; null clears it. */
  loss_reason_id?: number | null
  responsible_user_id?: number
  custom_fields_values?: ContactCustomFieldWrite[]
  _embedded?: {
    /** Creates only: the contacts the new deal is linked to. */
    contacts?: Array<{id: number; is_main?: boolean}>
    /** Replaces the deal's tags. */
    tags?: TagWrite[]
  }
  tags_to_add?: TagWrite[]
  tags_to_delete?: TagWrite[]
}

/** Result of a deals batch create or update, one per element, in request order. */
export interface LeadWriteResult {
  id: number
  request_id: string
  updated_at?: number
}

/** A stage of a pipeline. `type` 1 is the "unsorted" incoming stage; 142/143 are in every pipeline. */
export interface PipelineStatus {
  id: number
  name: string
  sort: number
  is_editable: boolean
  pipeline_id: number
  color: string
  type: number
  account_id?: number
}

export interface Pipeline {
  id: number
  name: string
  sort: number
  is_main: boolean
  is_unsorted_on: boolean
  is_archive: boolean
  account_id?: number
  _embedded: {statuses: PipelineStatus[]}
}

/** A stage to create: in a new pipeline, or added to one (`/pipelines/{id}/statuses`). */
export interface StatusCreate {
  name: string
  sort?: number
  /** One of `STATUS_COLORS`. */
  color?: string
  request_id?: string
}

export interface PipelineCreate {
  name: string
  sort?: number
  is_main?: boolean
  is_unsorted_on?: boolean
  request_id?: string
  /** Stages can be given only here, when the pipeline is created (or added later, one request per pipeline). */
  _embedded: {statuses: StatusCreate[]}
}

export interface LossReason {
  id: number
  name: string
  sort: number
  created_at?: number
  updated_at?: number
}

export interface LossReasonCreate {
  name: string
  sort?: number
  request_id?: string
}
