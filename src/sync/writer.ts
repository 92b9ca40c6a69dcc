import {AmoOutcomeUnknownError, AmoValidationError, describeProblems} from '../amocrm/errors.js'
import type {ValidationProblem} from '../amocrm/types.js'
import {terminalMessage} from '../errors.js'
import type {Logger} from '../log/index.js'
import type {ExecutorEvents, PlanExecutor} from './executor.js'
import {type ConfirmedWrite, type EntityWrite, type KeptRecord, type Outcome, OUTCOME_OF, type PlanStep} from './plan.js'

/** One element of a batch, with what the state records once amoCRM has confirmed it. */
export interface WriteOp<P extends EntityWrite, R extends KeptRecord> {
  key: string
  method: 'create' | 'update'
  payload: P
  record: R
  outcome: Outcome
}

/** A note that the state keeps to retry the entity in the next run. */
export interface FailureNote {
  key: string
  reason: string
  detail: string
}

/**
 * One entity kind's side of the writer: its amoCRM endpoints and its records in the state. Contacts
 * bring `POST`/`PATCH /api/v4/contacts` and the links table; deals will bring leads and theirs.
 */
export interface WriteTarget<P extends EntityWrite, R extends KeptRecord> {
  /** What the entities are called in messages: `contact`. */
  noun: string
  create(items: P[]): Promise<Array<{id: number; request_id: string}>>
  update(items: P[]): Promise<Array<{id: number; request_id: string}>>
  /** Entities amoCRM changed since `unixSeconds` (pages), each with the source key it carries, if any. */
  touchedSince(unixSeconds: number): AsyncIterable<Array<{id: number; created_at: number; key: string | null}>>
  /** The field key of a custom field id or code: a refused value is remembered under it. */
  keyOfField(fieldId: number | string | undefined): string | undefined
  /** Records confirmed writes in one transaction (and clears their failures). */
  recordWritten(confirmed: Array<ConfirmedWrite<R>>, now?: Date): Promise<void>
  recordFailures(failures: FailureNote[], now?: Date): Promise<void>
  /** The entity a link pointed at is gone: the link is forgotten before the step is planned again. */
  forgetLink(key: string): Promise<void>
}

/**
 * `detail` is safe to log and keep (amoCRM's error codes and fields); `shown`, when given, adds
 * amoCRM's own text, which may quote the refused value: for the report of the run at hand only.
 */
export interface WriterEvents<P extends EntityWrite, R extends KeptRecord> extends ExecutorEvents {
  /** Not written; the state keeps it (with `detail`) for the next run. */
  failed(key: string, reason: string, detail: string, shown?: string): void
  /** A field value amoCRM refused; the entity went without it. */
  refused(key: string, field: string, detail: string, shown?: string): void
  /** An update named an entity that no longer exists (deleted in the CRM): the caller plans it again. */
  deadLink(op: WriteOp<P, R>): void
  /** A create whose outcome was unknown turned out to have been applied, more than once. */
  duplicates(key: string, remoteIds: number[]): void
}

const MAX_ROUNDS = 8
/** Unknown outcomes met by one batch before its creates are left to the next run. */
const MAX_UNKNOWN_ROUNDS = 5
/** How far back a reconciliation looks for entities a lost create may have made (clock skew margin). */
const RECONCILE_WINDOW_S = 3600
const PRE_1970_DETAIL = 'amoCRM refused such a date earlier in this run'

/**
 * Sends creates and updates in batches (≤ 250), and records each batch in the state, in one
 * transaction, once amoCRM has confirmed it. amoCRM rejects a whole batch for one bad element: the
 * named elements are repaired (the refused field is dropped and reported) or removed (reported as
 * failed) and the rest resent. A create whose outcome is unknown is reconciled — the entities
 * touched since just before it are searched for the batch's keys — before anything is sent again, so
 * it never makes a duplicate.
 *
 * A batch is self-contained from its first send to its recorded state (`sendBatch`): nothing in it
 * depends on another batch having finished, so several may be kept in flight and complete in any order.
 */
export class BatchWriter<P extends EntityWrite, R extends KeptRecord> implements PlanExecutor<P, R> {
  private readonly queues: Record<WriteOp<P, R>['method'], Array<WriteOp<P, R>>> = {create: [], update: []}
  /**
   * Date fields for which amoCRM refused a pre-1970 value in this run: such values are then left out
   * before sending (and reported the same way) instead of costing every later batch a refused request.
   */
  private readonly refusesPre1970 = new Set<number | string>()

  constructor(
    private readonly deps: {
      target: WriteTarget<P, R>
      batchSize: number
      events: WriterEvents<P, R>
      logger: Logger
      now?: () => Date
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date()
  }

  async execute(step: PlanStep<P, R>): Promise<void> {
    const {target, events, logger} = this.deps
    if (step.write === null) {
      // Nothing differs in amoCRM: only the link (or the hashes) may need recording.
      if (step.record && step.remoteId !== null)
        await target.recordWritten([{key: step.key, record: step.record, remoteId: step.remoteId}], this.now())
      events.settled(step.key, OUTCOME_OF[step.action], false)
      return
    }
    if (step.deadLink && step.write.method === 'create')
      logger.info({patientId: step.key}, `linked ${target.noun} is gone: creating a new one`)
    let op: WriteOp<P, R> = {
      key: step.key,
      method: step.write.method,
      payload: step.write.payload,
      record: step.record,
      outcome: OUTCOME_OF[step.action],
    }
    if (this.refusesPre1970.size > 0) op = this.withoutKnownRefusals(op)
    const queue = this.queues[op.method]
    queue.push(op)
    if (queue.length >= this.deps.batchSize) await this.dispatch(op.method)
  }

  async flush(): Promise<void> {
    await this.dispatch('update')
    await this.dispatch('create')
  }

  /** Sends the queued batches of one method, one after another. */
  private async dispatch(method: WriteOp<P, R>['method']): Promise<void> {
    const queue = this.queues[method]
    while (queue.length > 0) await this.sendBatch(method, queue.splice(0, this.deps.batchSize))
  }

  /** One batch from its first send to its recorded state: repairs, reconciliation, confirmation, failures. */
  private async sendBatch(method: WriteOp<P, R>['method'], ops: Array<WriteOp<P, R>>): Promise<void> {
    const failures: FailureNote[] = []
    const fail: FailFn<P, R> = (op, reason, detail, shown) => {
      failures.push({key: op.key, reason, detail})
      this.deps.events.failed(op.key, reason, detail, shown)
    }
    try {
      await (method === 'create' ? this.sendCreates(ops, fail) : this.sendUpdates(ops, fail))
    } finally {
      await this.deps.target.recordFailures(failures, this.now())
    }
  }

  private async sendUpdates(batch: Array<WriteOp<P, R>>, fail: FailFn<P, R>): Promise<void> {
    let ops = batch
    for (let round = 0; round < MAX_ROUNDS && ops.length > 0; round++) {
      // An update whose every value was refused has nothing left to send: only the state records it.
      const empty = ops.filter((op) => isEmptyUpdate(op.payload))
      if (empty.length > 0) {
        await this.confirm(empty.map((op) => [op, op.payload.id!] as const))
        ops = ops.filter((op) => !empty.includes(op))
        if (ops.length === 0) return
      }
      try {
        const results = await this.deps.target.update(ops.map((op) => ({...op.payload, request_id: op.key})))
        const ids = new Map(results.map((r) => [r.request_id, r.id]))
        await this.confirm(ops.map((op) => [op, ids.get(op.key) ?? op.payload.id!] as const))
        return
      } catch (error) {
        if (!(error instanceof AmoValidationError)) throw error
        const repaired = this.repair(ops, error, fail)
        for (const op of repaired.dead) {
          await this.deps.target.forgetLink(op.key)
          this.deps.events.deadLink(op)
        }
        ops = repaired.keep
      }
    }
    for (const op of ops) fail(op, 'validation', 'amoCRM kept refusing the update')
  }

  private async sendCreates(batch: Array<WriteOp<P, R>>, fail: FailFn<P, R>): Promise<void> {
    let ops = batch
    let unknownRounds = 0
    for (let round = 0; round < MAX_ROUNDS && ops.length > 0; round++) {
      const sentAt = Math.floor(this.now().getTime() / 1000)
      try {
        const results = await this.deps.target.create(ops.map((op) => ({...op.payload, request_id: op.key})))
        const ids = new Map(results.map((r) => [r.request_id, r.id]))
        const confirmed: Array<readonly [WriteOp<P, R>, number]> = []
        for (const op of ops) {
          const id = ids.get(op.key)
          if (id === undefined) fail(op, 'api', `amoCRM did not return the created ${this.deps.target.noun}`)
          else confirmed.push([op, id])
        }
        await this.confirm(confirmed)
        return
      } catch (error) {
        if (error instanceof AmoValidationError) {
          ops = this.repair(ops, error, fail).keep
          continue
        }
        if (!(error instanceof AmoOutcomeUnknownError)) throw error
        unknownRounds++
        this.deps.logger.warn({patients: ops.length, err: error.message}, 'create outcome unknown: reconciling before retrying')
        ops = await this.reconcile(ops, sentAt)
        if (unknownRounds >= MAX_UNKNOWN_ROUNDS) {
          for (const op of ops) fail(op, 'outcome_unknown', `amoCRM did not confirm the create; the next run reconciles it`)
          return
        }
      }
    }
    for (const op of ops) fail(op, 'validation', `amoCRM kept refusing the ${this.deps.target.noun}`)
  }

  /**
   * After a create with an unknown outcome: the entities amoCRM changed since shortly before the
   * request are read (a few requests, whatever the batch size) and searched for the batch's keys.
   * Found ones are linked (the create was applied); the rest are returned to be sent again.
   */
  private async reconcile(ops: Array<WriteOp<P, R>>, sentAt: number): Promise<Array<WriteOp<P, R>>> {
    const wanted = new Set(ops.map((op) => op.key))
    const found = new Map<string, Array<{id: number; created_at: number}>>()
    for await (const page of this.deps.target.touchedSince(sentAt - RECONCILE_WINDOW_S)) {
      for (const entity of page)
        if (entity.key !== null && wanted.has(entity.key)) found.set(entity.key, [...(found.get(entity.key) ?? []), entity])
    }
    const confirmed: Array<readonly [WriteOp<P, R>, number]> = []
    const rest: Array<WriteOp<P, R>> = []
    for (const op of ops) {
      const entities = found.get(op.key)
      if (!entities || entities.length === 0) {
        rest.push(op)
        continue
      }
      entities.sort((a, b) => a.created_at - b.created_at || a.id - b.id)
      confirmed.push([op, entities[0]!.id])
      if (entities.length > 1)
        this.deps.events.duplicates(
          op.key,
          entities.map((e) => e.id),
        )
    }
    this.deps.logger.info({applied: confirmed.length, notApplied: rest.length}, 'reconciled creates')
    await this.confirm(confirmed)
    return rest
  }

  /**
   * Drops refused field values (reported) and unrepairable elements (failed); returns what to resend,
   * and the updates whose entity is gone.
   */
  private repair(
    ops: Array<WriteOp<P, R>>,
    error: AmoValidationError,
    fail: FailFn<P, R>,
  ): {keep: Array<WriteOp<P, R>>; dead: Array<WriteOp<P, R>>} {
    const keep: Array<WriteOp<P, R>> = []
    const dead: Array<WriteOp<P, R>> = []
    if (error.problems.size === 0) {
      for (const op of ops) fail(op, 'validation', error.message, terminalMessage(error))
      return {keep, dead}
    }
    for (const op of ops) {
      const problems = error.problems.get(op.key)
      if (!problems) {
        keep.push(op)
        continue
      }
      if (op.method === 'update' && problems.some(isMissingEntity)) {
        dead.push(op)
        continue
      }
      const repaired = dropRefusedFields(op, problems)
      if (!repaired) {
        fail(op, 'validation', describeProblems(problems), describeProblems(problems, {withText: true}))
        continue
      }
      for (const refusal of repaired.refusals) {
        if (refusal.fieldId !== undefined && isPre1970(refusal.value)) this.refusesPre1970.add(refusal.fieldId)
        this.noteRefusal(
          repaired.op,
          refusal.fieldId,
          describeProblems(refusal.problems),
          describeProblems(refusal.problems, {withText: true}),
        )
      }
      keep.push(repaired.op)
    }
    return {keep, dead}
  }

  private withoutKnownRefusals(op: WriteOp<P, R>): WriteOp<P, R> {
    const fields = op.payload.custom_fields_values
    if (!fields) return op
    const refused = fields.filter((cf) => this.refusesPre1970.has(cf.field_id ?? cf.field_code ?? '') && isPre1970(cf.values?.[0]?.value))
    if (refused.length === 0) return op
    for (const cf of refused) this.noteRefusal(op, cf.field_id ?? cf.field_code, `a date before 1970 (${PRE_1970_DETAIL})`)
    return {
      ...op,
      payload: withFields(
        op.payload,
        fields.filter((cf) => !refused.includes(cf)),
      ),
    }
  }

  /** Reports a refused value and remembers it in the record, so that it is not sent again while the source keeps it. */
  private noteRefusal(op: WriteOp<P, R>, fieldId: number | string | undefined, detail: string, shown?: string): void {
    const key = this.deps.target.keyOfField(fieldId)
    const hash = key === undefined ? undefined : op.record.fieldHashes[key]
    if (key !== undefined && hash !== undefined) op.record.refusedFields = {...op.record.refusedFields, [key]: hash}
    this.deps.events.refused(op.key, key ?? String(fieldId), detail, shown)
  }

  private async confirm(pairs: Array<readonly [WriteOp<P, R>, number]>): Promise<void> {
    if (pairs.length === 0) return
    await this.deps.target.recordWritten(
      pairs.map(([op, remoteId]) => ({key: op.key, record: op.record, remoteId})),
      this.now(),
    )
    for (const [op] of pairs) this.deps.events.settled(op.key, op.outcome, true)
  }
}

type FailFn<P extends EntityWrite, R extends KeptRecord> = (op: WriteOp<P, R>, reason: string, detail: string, shown?: string) => void

/** Nothing left but the id: every value of the update was refused. */
function isEmptyUpdate(payload: EntityWrite): boolean {
  return Object.entries(payload).every(
    ([key, value]) =>
      key === 'id' || key === 'request_id' || value === undefined || (key === 'custom_fields_values' && (value as unknown[]).length === 0),
  )
}

function withFields<P extends EntityWrite>(payload: P, fields: NonNullable<P['custom_fields_values']>): P {
  return {...payload, custom_fields_values: fields}
}

function isPre1970(value: unknown): boolean {
  if (typeof value === 'number') return value < 0
  const m = typeof value === 'string' ? /^(\d{4})-\d{2}-\d{2}/.exec(value) : null
  return m !== null && Number(m[1]) < 1970
}

function isMissingEntity(problem: ValidationProblem): boolean {
  return problem.path === 'id' || /not ?found|does not exist|deleted/i.test(problem.detail)
}

/**
 * Removes the custom-field values named by `custom_fields_values.N…` paths. Anything else (the name,
 * the id) cannot be repaired here.
 */
function dropRefusedFields<P extends EntityWrite, R extends KeptRecord>(
  op: WriteOp<P, R>,
  problems: ValidationProblem[],
): {op: WriteOp<P, R>; refusals: Array<{fieldId: number | string | undefined; value: unknown; problems: ValidationProblem[]}>} | null {
  const fields = op.payload.custom_fields_values ?? []
  const drop = new Set<number>()
  for (const problem of problems) {
    const m = /^custom_fields_values\.(\d+)(\.|$)/.exec(problem.path)
    if (!m || Number(m[1]) >= fields.length) return null
    drop.add(Number(m[1]))
  }
  const refusals = [...drop].map((i) => ({
    fieldId: fields[i]?.field_id ?? fields[i]?.field_code,
    value: fields[i]?.values?.[0]?.value,
    problems: problems.filter((p) => p.path.startsWith(`custom_fields_values.${i}.`) || p.path === `custom_fields_values.${i}`),
  }))
  return {
    op: {
      ...op,
      payload: withFields(
        op.payload,
        fields.filter((_, i) => !drop.has(i)),
      ),
    },
    refusals,
  }
}
