/**
 * The plan as a value: what a sync decided for one source entity (a patient now, a reception when
 * deals come), before anything is sent. Planners make steps; an executor runs them.
 */

/** How the amoCRM entity of a step was found: the stored link, its id field, a phone, a claimed deal; `none` = created. */
export type MatchVia = 'link' | 'id_field' | 'phone' | 'claim' | 'none'

export type PlanAction = 'create' | 'update' | 'link' | 'unchanged'

/** What a step counts as in the report once it is done. */
export type Outcome = 'created' | 'updated' | 'linked' | 'unchanged'

export const OUTCOME_OF: Readonly<Record<PlanAction, Outcome>> = {
  create: 'created',
  update: 'updated',
  link: 'linked',
  unchanged: 'unchanged',
}

/**
 * What the state keeps for an entity once its write is confirmed: per-field hashes of what was sent,
 * and the fields amoCRM refused (so that a refused value is not sent again while the source keeps it).
 * A kind's record adds its own columns; the writer only touches these two.
 */
export interface KeptRecord {
  fieldHashes: Record<string, string>
  refusedFields: Record<string, string>
}

/** One element of a batch: amoCRM's shape for contacts and leads alike. */
export interface EntityWrite {
  id?: number
  request_id?: string
  custom_fields_values?: Array<{field_id?: number; field_code?: string; values: Array<{value?: unknown}> | null}>
}

interface StepBase {
  /** The source entity's id (the patient id): also the `request_id` of its write. */
  key: string
  action: PlanAction
  /** The amoCRM entity kept in step; null when one is to be created. */
  remoteId: number | null
  via: MatchVia
  /** Field keys the write touches (the dry-run plan lines). */
  fields: string[]
  /** Other amoCRM entities carrying this key: reported, left alone (the kept one is `remoteId`). */
  duplicates: number[]
  /** The stored link pointed at an entity that is gone (or now someone else's). */
  deadLink: boolean
  /** The write moves the entity to another stage (deals): counted as `moved` besides its action. */
  moved?: boolean
}

/**
 * One planned step. `write` is what to send, or null when amoCRM already holds it. `record` is what the
 * state keeps: after the write is confirmed, or at once when there is no write — null then when the
 * state already holds exactly this.
 */
export type PlanStep<P extends EntityWrite, R extends KeptRecord> = StepBase &
  ({write: {method: 'create' | 'update'; payload: P}; record: R} | {write: null; record: R | null})

/**
 * The planner's answer for an entity that is not written this run (a reception whose patient has no
 * contact yet): reported with its reason, counted as skipped; `retry` records it for the next run.
 */
export interface SkipStep {
  key: string
  skip: string
  detail: string
  retry: boolean
}

export function isSkip(step: object): step is SkipStep {
  return 'skip' in step
}

/** The state's side of a step's write, once amoCRM confirmed it. */
export interface ConfirmedWrite<R extends KeptRecord> {
  key: string
  record: R
  remoteId: number
}

/** Nothing to send and nothing new to record: the entity is linked and amoCRM holds what the source says. */
export function unchangedStep(key: string, remoteId: number, via: MatchVia, duplicates: number[]): PlanStep<never, never> {
  return {key, action: 'unchanged', remoteId, via, write: null, record: null, fields: [], duplicates, deadLink: false}
}
