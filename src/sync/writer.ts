import {setImmediate, setTimeout as delay} from 'node:timers/promises'

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
/**
 * Unknown outcomes met by one batch's creates before they are left to the end-of-run search (and
 * then to the next run): at most this many sends of a create whose first answer was lost.
 */
const MAX_UNKNOWN_ROUNDS = 3
/** How far back a reconciliation looks for entities a lost create may have made (clock skew margin). */
const RECONCILE_WINDOW_S = 3600
const PRE_1970_DETAIL = 'amoCRM refused such a date earlier in this run'

/** The most batches kept in flight whatever the latency: amoCRM's 7 requests/s at about 2 s per answer. */
export const MAX_IN_FLIGHT = 16

/** How many writes the writer keeps in flight, and how long it parks a create whose outcome is unknown. */
export interface InFlightOptions {
  /** The most batches in flight at once (AMOCRM_CONCURRENCY); 1 sends one batch at a time. */
  concurrency: number
  /** Requests per second the rate limiter lets through (AMOCRM_RATE_LIMIT). */
  rate: number
  /**
   * How long the patients of a create whose outcome is unknown wait before they are reconciled (and,
   * if not found, sent again): longer than the request timeout, so that the original can no longer
   * land. Each further unknown outcome of the same batch waits once more this long (backoff).
   */
  parkMs: number
}

const ONE_AT_A_TIME: InFlightOptions = {concurrency: 1, rate: 7, parkMs: 45_000}

/** Creates whose outcome is unknown, waiting until the original request can no longer land. */
interface Parked<P extends EntityWrite, R extends KeptRecord> {
  ops: Array<WriteOp<P, R>>
  /** Unix seconds just before the request that was lost. */
  sentAt: number
  /** `performance.now()` after which they are reconciled. */
  readyAt: number
  unknownRounds: number
}

/**
 * Sends creates and updates in batches (≤ 250), and records each batch in the state, in one
 * transaction, once amoCRM has confirmed it. amoCRM rejects a whole batch for one bad element: the
 * named elements are repaired (the refused field is dropped and reported) or removed (reported as
 * failed) and the rest resent.
 *
 * Several batches are kept in flight: as many as keep amoCRM's rate busy at the latency measured
 * (Little's law: rate × answer time), within `concurrency` and `MAX_IN_FLIGHT`; every request still
 * goes through the one rate limiter. A batch is self-contained from its first send to its recorded
 * state, so batches finish in any order. When one fails the run (a fatal answer stops the client:
 * nothing more is sent), the others in flight are awaited and recorded before the error is thrown.
 *
 * A create whose outcome is unknown (timeout, 5xx after sending) may still be applied by amoCRM
 * seconds later, so it is never sent again at once: its patients are parked while the other batches
 * go on, then reconciled — the entities touched since just before the request are searched for
 * their keys — and only those not found are sent again. At the end of the run the keys of every such
 * create are searched once more: a late duplicate is reported, a create still unconfirmed is linked
 * if found, else recorded as `outcome_unknown` for the next run to reconcile first.
 */
export class BatchWriter<P extends EntityWrite, R extends KeptRecord> implements PlanExecutor<P, R> {
  private readonly queues: Record<WriteOp<P, R>['method'], Array<WriteOp<P, R>>> = {create: [], update: []}
  /**
   * Date fields for which amoCRM refused a pre-1970 value in this run: such values are then left out
   * before sending (and reported the same way) instead of costing every later batch a refused request.
   */
  private readonly refusesPre1970 = new Set<number | string>()
  /** Batches (and reconciliations of parked creates) in flight. */
  private readonly running = new Set<Promise<void>>()
  /** What ended a batch in flight: thrown to the caller once every other batch in flight has ended. */
  private stopped: {error: unknown} | undefined
  private readonly parked: Array<Parked<P, R>> = []
  /** Every create of the run whose outcome was unknown once, with the time before its first lost send: searched again at the end. */
  private readonly lostCreates = new Map<string, {op: WriteOp<P, R>; sentAt: number}>()
  /** Creates reconciled MAX_UNKNOWN_ROUNDS times without being found: neither confirmed nor sent again. */
  private readonly unresolved = new Map<string, WriteOp<P, R>>()
  private readonly reportedDuplicates = new Set<string>()
  /**
   * The first batch has ended, or amoCRM has answered it with what it refuses: what a first answer
   * teaches (the refused pre-1970 dates) is known, so the batches after it may go.
   */
  private firstBatchAnswered = false
  /** Wakes a sender waiting for a free slot when the in-flight limit rises without a batch ending. */
  private limitRose: (() => void) | undefined

  constructor(
    private readonly deps: {
      target: WriteTarget<P, R>
      batchSize: number
      events: WriterEvents<P, R>
      logger: Logger
      now?: () => Date
      /** One batch at a time, and a 45 s park (1.5 × the default timeout), unless given. */
      inFlight?: InFlightOptions
      /** amoCRM's recent answer time in ms (`ApiStats.answerMs`), if measured yet. */
      answerMs?: () => number | undefined
      /** Ctrl+C / SIGTERM: cuts a wait for parked creates short. */
      signal?: AbortSignal
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date()
  }

  private get inFlight(): InFlightOptions {
    return this.deps.inFlight ?? ONE_AT_A_TIME
  }

  /**
   * Batches to keep in flight now: rate × answer time (Little's law), at least 1, within the caps. The
   * first batch goes alone until its first answer: what amoCRM refuses in it (a date before 1970) is
   * then left out of the batches after it instead of costing each of them a refused request. The
   * first batch sent again without those values need not be waited for.
   */
  inFlightLimit(): number {
    if (!this.firstBatchAnswered) return 1
    const {concurrency, rate} = this.inFlight
    const answerMs = this.deps.answerMs?.()
    const wanted = answerMs === undefined ? 1 : Math.ceil((rate * answerMs) / 1000)
    return Math.max(1, Math.min(concurrency, MAX_IN_FLIGHT, wanted))
  }

  async execute(step: PlanStep<P, R>): Promise<void> {
    const {target, events, logger} = this.deps
    await this.throwIfStopped()
    // Planning runs on promises that never wait for I/O: with requests in flight, let the event loop send
    // and receive between entities, so that a send granted by the rate limiter leaves when it is counted.
    if (this.running.size > 0) await setImmediate()
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
    if (queue.length >= this.deps.batchSize) {
      await this.launchBatch(op.method, queue.splice(0, this.deps.batchSize))
      await this.resumeParked()
    }
  }

  async sendQueued(): Promise<void> {
    for (const method of ['update', 'create'] as const) {
      const queue = this.queues[method]
      while (queue.length > 0) await this.launchBatch(method, queue.splice(0, this.deps.batchSize))
    }
  }

  /**
   * Sends everything queued and waits for every batch in flight; then waits for the parked creates
   * (reconciled, sent again if not found) and searches once more for every create whose outcome was
   * unknown in this run.
   */
  async flush(): Promise<void> {
    await this.sendQueued()
    await this.drain()
    while (this.parked.length > 0) {
      const wait = Math.min(...this.parked.map((p) => p.readyAt)) - performance.now()
      if (wait > 0) {
        this.deps.logger.info(
          {patients: this.parked.reduce((n, p) => n + p.ops.length, 0), waitMs: Math.round(wait)},
          'waiting for parked creates',
        )
        await delay(wait, undefined, {signal: this.deps.signal})
      }
      await this.resumeParked()
      await this.drain()
    }
    await this.searchAgain()
  }

  /**
   * The run stops (Ctrl+C, a fatal error): nothing new is sent; the batches in flight end and are
   * recorded; parked and unresolved creates are recorded as `outcome_unknown` for the next run.
   */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running])
    const left = [...this.parked.splice(0).flatMap((p) => p.ops), ...this.unresolved.values()]
    this.unresolved.clear()
    await this.failUnknown(left)
  }

  /** Starts a batch, then waits until fewer than the in-flight limit are running (1: until it is done). */
  private async launchBatch(method: WriteOp<P, R>['method'], ops: Array<WriteOp<P, R>>): Promise<void> {
    await this.launch((fail) => (method === 'create' ? this.sendCreates(ops, fail, 0) : this.sendUpdates(ops, fail)))
  }

  private async launch(send: (fail: FailFn<P, R>) => Promise<void>): Promise<void> {
    await this.throwIfStopped()
    const run: Promise<void> = this.sendBatch(send)
      .catch((error: unknown) => {
        this.stopped ??= {error}
      })
      .finally(() => {
        this.running.delete(run)
        this.firstBatchAnswered = true
      })
    this.running.add(run)
    while (this.running.size >= this.inFlightLimit())
      await Promise.race([...this.running, new Promise<void>((resolve) => (this.limitRose = resolve))])
    this.limitRose = undefined
    await this.throwIfStopped()
  }

  /** Waits for every batch in flight. */
  private async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running)
    await this.throwIfStopped()
  }

  /** A batch failed the run: once the others in flight have ended (and are recorded), its error is thrown. */
  private async throwIfStopped(): Promise<void> {
    if (!this.stopped) return
    await Promise.allSettled([...this.running])
    throw this.stopped.error
  }

  /** Parked creates whose wait is over: reconciled, and sent again if amoCRM has not got them, as batches in flight. */
  private async resumeParked(): Promise<void> {
    const now = performance.now()
    for (let i = this.parked.findIndex((p) => p.readyAt <= now); i >= 0; i = this.parked.findIndex((p) => p.readyAt <= now)) {
      const [parked] = this.parked.splice(i, 1)
      await this.launch(async (fail) => {
        const rest = await this.reconcile(parked!.ops, parked!.sentAt)
        if (rest.length === 0) return
        if (parked!.unknownRounds >= MAX_UNKNOWN_ROUNDS) {
          for (const op of rest) this.unresolved.set(op.key, op)
          return
        }
        await this.sendCreates(rest, fail, parked!.unknownRounds)
      })
    }
  }

  /** One batch from its first send to its recorded state: repairs, reconciliation, confirmation, failures. */
  private async sendBatch(send: (fail: FailFn<P, R>) => Promise<void>): Promise<void> {
    const failures: FailureNote[] = []
    const fail: FailFn<P, R> = (op, reason, detail, shown) => {
      failures.push({key: op.key, reason, detail})
      this.deps.events.failed(op.key, reason, detail, shown)
    }
    try {
      await send(fail)
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

  private async sendCreates(batch: Array<WriteOp<P, R>>, fail: FailFn<P, R>, unknownRounds: number): Promise<void> {
    let ops = batch
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
        this.park(ops, sentAt, unknownRounds + 1, error)
        return
      }
    }
    for (const op of ops) fail(op, 'validation', `amoCRM kept refusing the ${this.deps.target.noun}`)
  }

  /** A create whose outcome is unknown waits — longer each time — until the original can no longer land. */
  private park(ops: Array<WriteOp<P, R>>, sentAt: number, unknownRounds: number, error: Error): void {
    const waitMs = this.inFlight.parkMs * unknownRounds
    this.deps.logger.warn(
      {patients: ops.length, err: error.message, waitMs},
      'create outcome unknown: parked, to be reconciled once the request can no longer be applied',
    )
    for (const op of ops) if (!this.lostCreates.has(op.key)) this.lostCreates.set(op.key, {op, sentAt})
    this.parked.push({ops, sentAt, readyAt: performance.now() + waitMs, unknownRounds})
  }

  /**
   * The end of the run: every create whose outcome was unknown is searched for once more. One found
   * more than once is reported as a duplicate; one never confirmed is linked if found, else recorded
   * as `outcome_unknown` (the next run reconciles it before creating anything).
   */
  private async searchAgain(): Promise<void> {
    if (this.lostCreates.size === 0) return
    const lost = [...this.lostCreates.values()]
    this.lostCreates.clear()
    const found = await this.findByKeys(new Set(lost.map((l) => l.op.key)), Math.min(...lost.map((l) => l.sentAt)))
    const confirmed: Array<readonly [WriteOp<P, R>, number]> = []
    for (const {op} of lost) {
      const entities = found.get(op.key) ?? []
      if (this.unresolved.delete(op.key)) {
        if (entities.length === 0) {
          this.unresolved.set(op.key, op)
          continue
        }
        confirmed.push([op, entities[0]!.id])
      }
      this.reportDuplicates(op.key, entities)
    }
    this.deps.logger.info(
      {searched: lost.length, confirmed: confirmed.length, unresolved: this.unresolved.size},
      'searched again for creates whose outcome was unknown',
    )
    await this.confirm(confirmed)
    const left = [...this.unresolved.values()]
    this.unresolved.clear()
    await this.failUnknown(left)
  }

  private async failUnknown(ops: Array<WriteOp<P, R>>): Promise<void> {
    if (ops.length === 0) return
    const detail = `amoCRM did not confirm the create; the next run reconciles it before creating anything`
    for (const op of ops) this.deps.events.failed(op.key, 'outcome_unknown', detail)
    await this.deps.target.recordFailures(
      ops.map((op) => ({key: op.key, reason: 'outcome_unknown', detail})),
      this.now(),
    )
  }

  /** The entities amoCRM changed since `sentAt` (less a margin) that carry one of `keys`, oldest first, each once. */
  private async findByKeys(keys: Set<string>, sentAt: number): Promise<Map<string, Array<{id: number; created_at: number}>>> {
    const found = new Map<string, Map<number, {id: number; created_at: number}>>()
    for await (const page of this.deps.target.touchedSince(sentAt - RECONCILE_WINDOW_S)) {
      // Pages may overlap while other batches write (an entity updated meanwhile enters the listing): each id counts once.
      for (const entity of page)
        if (entity.key !== null && keys.has(entity.key)) {
          const ofKey = found.get(entity.key) ?? new Map()
          ofKey.set(entity.id, {id: entity.id, created_at: entity.created_at})
          found.set(entity.key, ofKey)
        }
    }
    return new Map([...found].map(([key, byId]) => [key, [...byId.values()].sort((a, b) => a.created_at - b.created_at || a.id - b.id)]))
  }

  private reportDuplicates(key: string, entities: Array<{id: number}>): void {
    if (entities.length < 2 || this.reportedDuplicates.has(key)) return
    this.reportedDuplicates.add(key)
    this.deps.events.duplicates(
      key,
      entities.map((e) => e.id),
    )
  }

  /**
   * After a create with an unknown outcome: the entities amoCRM changed since shortly before the
   * request are read (a few requests, whatever the batch size) and searched for the batch's keys.
   * Found ones are linked (the create was applied); the rest are returned to be sent again.
   */
  private async reconcile(ops: Array<WriteOp<P, R>>, sentAt: number): Promise<Array<WriteOp<P, R>>> {
    const found = await this.findByKeys(new Set(ops.map((op) => op.key)), sentAt)
    const confirmed: Array<readonly [WriteOp<P, R>, number]> = []
    const rest: Array<WriteOp<P, R>> = []
    for (const op of ops) {
      const entities = found.get(op.key)
      if (!entities || entities.length === 0) {
        rest.push(op)
        continue
      }
      confirmed.push([op, entities[0]!.id])
      this.reportDuplicates(op.key, entities)
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
    if (!this.firstBatchAnswered) {
      // What amoCRM refuses is learnt below, before anything else is queued: the next batches may go.
      this.firstBatchAnswered = true
      queueMicrotask(() => this.limitRose?.())
    }
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
