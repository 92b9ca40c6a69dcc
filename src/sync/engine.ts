import type {ApiStats} from '../amocrm/api.js'
import {AppError, errorMessage} from '../errors.js'
import type {Logger} from '../log/index.js'
import {type ContactsApi, type ContactTypes, contactKind, type PatientSource} from './contacts/kind.js'
import type {DealsApi} from './deals/deal-index.js'
import type {DealStep} from './deals/planner.js'
import {type DealPass, dealKind, type DealKindDeps, type DealTypes} from './deals/kind.js'
import type {ContactMapper} from './contacts/mapper.js'
import type {ContactStep} from './contacts/planner.js'
import {DryRunSink, type PlanExecutor} from './executor.js'
import {groupsAsReady} from './groups.js'
import {type KindStep, type KindTypes, LOOK_UP, type PreparedKind, type SyncKind} from './kind.js'
import {isSkip} from './plan.js'
import {type DealCounts, reportExitCode, type SyncFailure, type SyncReport} from './report.js'
import type {RunMode, SyncState} from './state.js'
import {RunTally} from './tally.js'
import {BatchWriter, type InFlightOptions, type WriteOp} from './writer.js'

export interface SyncProgress {
  phase: 'contacts' | 'family' | 'patients' | 'writing' | 'done'
  read: number
  written: number
  contacts?: number
  requests: number
  /** Which part of the pass: the contacts (absent) or the deals that follow them. */
  part?: 'deals'
}

export interface SyncOptions {
  mode: RunMode
  dryRun: boolean
  limit?: number
  batchSize: number
  /** `patient` mode: the patient ids to sync. */
  patientIds?: string[]
}

export interface SyncDeps {
  source: PatientSource
  /** amoCRM, created on first use: an incremental pass with nothing to do sends no request at all. */
  api: () => Promise<ContactsApi>
  /** The mapping for this account, resolved on first use (field ids, enums, timezones). */
  mapper: (api: () => Promise<ContactsApi>, fresh: boolean) => Promise<ContactMapper>
  state: SyncState
  logger: Logger
  onProgress?: (progress: SyncProgress) => void
  /** Every planned step, as it is handed to the executor (the dry-run plan lines). */
  onPlan?: (step: ContactStep) => void
  /** Every planned deal step (DEALS=on), likewise. */
  onDealPlan?: (step: DealStep) => void
  /** Aborted by Ctrl+C / SIGTERM: the engine finishes the batches in flight, saves state and stops. */
  signal?: AbortSignal
  now?: () => Date
  /** How many writes are kept in flight (AMOCRM_CONCURRENCY…); one at a time when absent. */
  inFlight?: InFlightOptions
  /** DEALS=on: the receptions' deals follow the contacts in the same pass. */
  deals?: Omit<DealKindDeps, 'state'>
}

/** Stopped by the user: state is consistent, the run is recorded as interrupted. */
export class SyncInterruptedError extends AppError {
  constructor(readonly report: SyncReport) {
    super('the sync was interrupted; state is saved and the next run continues where this one stopped', {
      exitCode: 130,
      code: 'E_INTERRUPTED',
    })
  }
}

/** The run stopped on a fatal condition; `report` says what had been done. */
export class SyncAbortedError extends AppError {
  constructor(
    override readonly cause: AppError,
    readonly report: SyncReport,
  ) {
    super(cause.message, {exitCode: cause.exitCode, code: cause.code, hint: cause.hint, cause, serverText: cause.serverText})
  }
}

/** Source entities whose links are read from the state with one query. */
const LINK_GROUP = 250
/**
 * An incremental pass plans and sends the entities that have come once the source has given nothing
 * more for this long: rows of one statement come far closer together, a statement still running
 * (a scan of a large table) keeps it waiting longer.
 */
const SOURCE_IDLE_MS = 10

/**
 * Source entities mapped while the remote index is still being read (`sync full` / `sync deep`) that
 * wait for it (those the pages read so far decide are planned at once and not kept). A mapped patient
 * with its link holds about 7 KB, so this costs some 7 MB at most, whatever the clinic's size. In a
 * re-run, mapping runs this far ahead of the pages: 1,000 patients are four pages, enough to keep the
 * main thread busy while they come; 3,000 measured no faster and 20–60 MB larger at the peak.
 */
const LOOKAHEAD = 1000

/** How long mapping ahead runs before it lets the index's answers in (ms). */
const LOOKAHEAD_SLICE_MS = 10

/** The watermark is the database's clock at the start of the pass minus this overlap (docs/sync.md "Incremental"). */
const WATERMARK_OVERLAP_MS = 5 * 60 * 1000

/**
 * One sync pass: IDENT patients → desired contacts → plan → batches → amoCRM, the state recorded
 * after each confirmed batch. See docs/sync.md for what each mode does.
 */
export async function runSync(options: SyncOptions, deps: SyncDeps): Promise<SyncReport> {
  // One client serves both kinds; its counters are the pass's, whichever kind made it first.
  let stats: ApiStats | undefined
  let api: ContactsApi | undefined
  const lazyApi = async () => {
    api ??= await deps.api()
    stats = api.stats
    return api
  }
  const kind = contactKind({source: deps.source, api: lazyApi, state: deps.state, mapper: (fresh) => deps.mapper(lazyApi, fresh)})
  const {onPlan: _, onDealPlan, ...common} = deps
  let deals: SyncRun<DealTypes> | undefined
  if (deps.deals) {
    const dealsDeps = deps.deals
    const lazyDealsApi = async (): Promise<DealsApi> => {
      const client = await dealsDeps.api()
      stats = client.stats
      return client
    }
    const pass = dealKind({...dealsDeps, api: lazyDealsApi, state: deps.state, dryRun: options.dryRun})
    deals = new SyncRun<DealTypes>(options, {...common, kind: pass, pass, part: 'deals', apiStats: () => stats, onPlan: onDealPlan})
  }
  return new SyncRun<ContactTypes>(options, {...deps, kind, apiStats: () => stats, follower: deals}).execute()
}

interface RunDeps<T extends KindTypes> {
  kind: SyncKind<T>
  source: Pick<PatientSource, 'readDatabaseClock'>
  state: SyncState
  logger: Logger
  apiStats: () => ApiStats | undefined
  onProgress?: (progress: SyncProgress) => void
  onPlan?: (step: KindStep<T>) => void
  signal?: AbortSignal
  now?: () => Date
  inFlight?: InFlightOptions
  /** A kind run after this one in the same pass, counted in the report's block of its own (the deals). */
  follower?: SyncRun<DealTypes>
  /** Set on a follower: its pass hooks, and the part its progress and report belong to. */
  pass?: DealPass
  part?: 'deals'
}

/** A run of the modes over one entity kind: plans each entity and hands the steps to the executor. */
class SyncRun<T extends KindTypes> {
  private readonly tally: RunTally
  private readonly startedAt: Date
  private executorInstance: PlanExecutor<T['payload'], T['record']> | undefined
  /** The state's record of the run; none for a dry run, which leaves no trace (no run, no watermark, no failure cleared). */
  private readonly journal: SyncState | undefined
  private preparedKind: Promise<PreparedKind<T>> | undefined
  /** Updates handed over and not yet confirmed: one may meet an entity deleted meanwhile and be planned again. */
  private readonly inFlight = new Map<string, {item: T['item']; desired: T['desired']}>()
  /** Updates whose entity turned out to be gone: planned again after the batch. */
  private deadOps: Array<WriteOp<T['payload'], T['record']>> = []
  private watermark: string | null = null
  /** Steps that move their entity to another stage, until they are settled. */
  private readonly moving = new Set<string>()
  /** A follower's full pass: receptions before the window. */
  private outOfWindow = 0

  constructor(
    private readonly options: SyncOptions,
    private readonly deps: RunDeps<T>,
  ) {
    this.startedAt = this.now()
    this.journal = options.dryRun ? undefined : deps.state
    this.tally = new RunTally(deps.part === 'deals' ? 'receptionId' : 'patientId')
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date()
  }

  private get kind(): SyncKind<T> {
    return this.deps.kind
  }

  /** The kind with its mapping, resolved once: fresh for full and deep, the cached definitions otherwise. */
  private prepared(fresh: boolean): Promise<PreparedKind<T>> {
    this.preparedKind ??= this.kind.prepare(fresh)
    return this.preparedKind
  }

  async execute(): Promise<SyncReport> {
    const {state, logger} = this.deps
    const {mode, dryRun} = this.options
    const journal = this.journal
    const runId = await journal?.startRun(mode, false, this.startedAt)
    logger.info({event: 'run_start', runId, mode, dryRun, limit: this.options.limit, batchSize: this.options.batchSize}, 'sync started')
    try {
      const dbClock = await this.deps.source.readDatabaseClock()
      await this.work(mode)
      await this.deps.follower?.follow()
      // The watermark moves only after everything up to it is in amoCRM (or recorded as a failure to retry).
      if (journal && !this.options.limit && mode !== 'patient') {
        this.watermark = minusOverlap(dbClock)
        await journal.setWatermark(this.watermark)
      } else {
        this.watermark = (await state.getWatermark()) ?? null
      }
      const report = this.report()
      const status = reportExitCode(report) > 0 ? 'partial' : 'ok'
      if (runId !== undefined) await journal!.finishRun(runId, {status, finishedAt: new Date(report.finishedAt), ...pick(report)})
      logger.info(
        {
          event: 'run_end',
          runId,
          mode,
          status,
          counts: report.counts,
          api: report.api,
          warnings: this.tally.warnings,
          durationMs: report.durationMs,
        },
        'sync finished',
      )
      this.deps.onProgress?.({phase: 'done', read: this.tally.read, written: this.tally.written, requests: report.api.requests})
      return report
    } catch (error) {
      // The writes in flight end and are recorded before the report is made; nothing new is sent.
      await this.settleWrites()
      this.watermark = (await state.getWatermark().catch(() => undefined)) ?? null
      const report = this.report()
      const interrupted = error instanceof SyncInterruptedError || this.deps.signal?.aborted
      const status = interrupted ? 'interrupted' : 'failed'
      if (runId !== undefined)
        await journal!.finishRun(runId, {status, finishedAt: new Date(report.finishedAt), ...pick(report), error: errorMessage(error)})
      logger.error(
        {event: 'run_end', runId, mode, status, counts: report.counts, api: report.api, err: errorMessage(error)},
        'sync stopped',
      )
      if (interrupted) throw new SyncInterruptedError(report)
      if (error instanceof AppError) throw new SyncAbortedError(error, report)
      throw error
    }
  }

  /** The writes in flight, this kind's and its follower's (the deals), end and are recorded; nothing new is sent. */
  private async settleWrites(): Promise<void> {
    await this.executorInstance
      ?.settle()
      .catch((error: unknown) => this.deps.logger.warn({err: errorMessage(error)}, 'writes in flight could not all be recorded'))
    await this.deps.follower?.settleWrites()
  }

  private report(): SyncReport {
    this.tally.closeCounts()
    const stats = this.deps.apiStats() ?? {requests: 0, retries: 0, throttled: 0}
    const report = this.tally.report({
      mode: this.options.mode,
      dryRun: this.options.dryRun,
      startedAt: this.startedAt,
      finishedAt: this.now(),
      api: {requests: stats.requests, retries: stats.retries, throttled: stats.throttled},
      watermark: this.watermark,
    })
    const follower = this.deps.follower?.part()
    if (!follower) return report
    return {
      ...report,
      failures: [...report.failures, ...follower.failures],
      duplicates: [...report.duplicates, ...follower.duplicates],
      deals: follower.counts,
    }
  }

  /** A follower's share of the report: its counts (the `deals` block), failures and duplicates. */
  private part(): {counts: DealCounts; failures: SyncFailure[]; duplicates: SyncReport['duplicates']} {
    this.tally.closeCounts()
    const {counts, failures, duplicates} = this.tally.share()
    return {counts: {...counts, moved: this.tally.moved, outOfWindow: this.outOfWindow}, failures, duplicates}
  }

  /** The modes, then everything queued sent. */
  private async work(mode: SyncOptions['mode']): Promise<void> {
    if (mode === 'incremental') await this.incremental()
    else if (mode === 'patient') await this.patients()
    else await this.fullOrDeep(mode === 'deep')
    await this.flush()
  }

  /**
   * A follower's part of a pass another kind leads (the deals after the contacts): the same modes, no
   * journal or watermark of its own. Its clock moves only when the pass went through whole.
   */
  private async follow(): Promise<void> {
    const pass = this.deps.pass!
    const mode = await pass.start(this.options.mode)
    await this.work(mode)
    if (mode === 'full' && !this.options.limit) this.outOfWindow = await pass.outOfWindow()
    if (this.journal && !this.options.limit && mode !== 'patient') await pass.finish()
  }

  // --- modes ---------------------------------------------------------------------------------------

  /** `sync full` and `sync deep`: every remote entity read once into an index, every source entity streamed. */
  private async fullOrDeep(deep: boolean): Promise<void> {
    const kind = await this.prepared(true)
    try {
      await this.matchAll(kind, deep)
    } finally {
      kind.releaseIndex?.()
    }
  }

  private async matchAll(kind: PreparedKind<T>, deep: boolean): Promise<void> {
    // Linked entities not met in the source are reported by deep (only the key → remote id is kept for the run).
    const unseen = deep && !this.options.limit ? await this.kind.linkTargets() : undefined
    const items = this.kind.read({limit: this.options.limit})[Symbol.asyncIterator]()
    const nextGroup = async (): Promise<Array<T['item']>> => {
      const group: Array<T['item']> = []
      while (group.length < LINK_GROUP) {
        const next = await items.next()
        if (next.done) break
        this.checkAbort()
        this.tally.noteRead()
        unseen?.delete(this.kind.keyOf(next.value))
        group.push(next.value)
      }
      return group
    }
    // The rest of a link (hashes, written phones) is read for each group as it streams by.
    const prepareGroup = async (group: Array<T['item']>, slices?: TimeSlices): Promise<Array<Prepared<T>>> => {
      const links = await this.kind.links(group.map((item) => this.kind.keyOf(item)))
      const prepared: Array<Prepared<T>> = []
      for (const item of group) {
        prepared.push({item, desired: this.desired(kind, item), link: links.get(this.kind.keyOf(item))})
        await slices?.pause()
      }
      return prepared
    }
    try {
      const {match, waiting} = await this.readIndexAhead(kind, nextGroup, prepareGroup, deep)
      for (const d of kind.earlyDuplicates?.() ?? []) this.tally.duplicate(d.key, d.remoteIds)
      const planGroup = async (prepared: Array<Prepared<T>>) => {
        for (const {item, desired, link} of prepared) {
          this.checkAbort()
          await this.planAndExecute(kind, item, desired, link, deep, match(item, desired, link))
          this.progress('patients')
        }
      }
      await planGroup(waiting.splice(0))
      for (let group = await nextGroup(); group.length > 0; group = await nextGroup()) await planGroup(await prepareGroup(group))
    } finally {
      await items.return?.(undefined)
    }
    // Nothing is deleted in amoCRM: a linked entity whose source is gone is only reported.
    for (const [key, remoteId] of unseen ?? [])
      this.tally.missing(
        key,
        `linked to ${kind.target.noun} ${remoteId}, but the ${this.kind.sourceNoun} is no longer in IDENT; nothing was deleted`,
      )
  }

  /**
   * Reads the remote index and, while its pages are in flight (the main thread would mostly wait on
   * the rate limiter), reads, maps and plans the source entities, in short slices that let the pages'
   * answers in. An entity whose match the pages read so far decide (a linked patient whose contact's
   * page came) is planned and its write queued at once; the others wait, up to `LOOKAHEAD` of them,
   * for more pages or for the whole index. So a re-run over a linked account keeps pace with its
   * pages instead of mapping every patient after the last one came.
   */
  private async readIndexAhead(
    kind: PreparedKind<T>,
    nextGroup: () => Promise<Array<T['item']>>,
    prepareGroup: (group: Array<T['item']>, slices: TimeSlices) => Promise<Array<Prepared<T>>>,
    deep: boolean,
  ): Promise<{match: IndexMatch<T>; waiting: Array<Prepared<T>>}> {
    /** Mapped, not yet planned, in the source's order: `later` may be decided by the next pages. */
    let waiting: Array<Prepared<T> & {later: boolean}> = []
    let indexRead = false
    let grown: (() => void) | undefined
    const growth = () => new Promise<void>((resolve) => (grown = resolve))
    const onGrowth = () => {
      grown?.()
      grown = undefined
    }
    // The source's first rows may take a while (the database groups them first, and SQLite does so in
    // this thread): they are read before the index asks for more pages (its first one may already be on
    // its way, asked for with the mapping). A request granted and then held behind a long stretch of
    // work would leave together with the next ones, over amoCRM's limit.
    const first = await nextGroup()
    const index = kind.readIndex((phase, n) => {
      this.progress(phase === 'index' ? 'contacts' : 'family', n)
      onGrowth()
    })
    const ahead = (async () => {
      const slices = new TimeSlices(LOOKAHEAD_SLICE_MS)
      /** Plans what is decided now; keeps the rest waiting. */
      const planOrWait = async (entry: Prepared<T>): Promise<Array<Prepared<T> & {later: boolean}>> => {
        const early = indexRead ? 'end' : (kind.matchEarly?.(entry.item, entry.link) ?? 'end')
        if (typeof early === 'string') return [{...entry, later: early === 'later'}]
        this.checkAbort()
        await this.planAndExecute(kind, entry.item, entry.desired, entry.link, deep, early.found)
        this.progress('patients')
        await slices.pause()
        return []
      }
      const retryLater = async () => {
        const still: Array<Prepared<T> & {later: boolean}> = []
        for (const entry of waiting) still.push(...(entry.later ? await planOrWait(entry) : [entry]))
        waiting = still
      }
      // Let the index's first requests leave before any mapping starts.
      await slices.pause(true)
      const full = () => waiting.length >= LOOKAHEAD
      for (let group = first; group.length > 0; group = !indexRead && !full() ? await nextGroup() : []) {
        for (const entry of await prepareGroup(group, slices)) waiting.push(...(await planOrWait(entry)))
        await retryLater()
        // Full of entities waiting for pages still to come: wait for them (not for the whole index).
        while (full() && !indexRead && waiting.some((entry) => entry.later)) {
          await growth()
          await retryLater()
        }
      }
    })()
    const [matched, mapped] = await Promise.allSettled([
      index.finally(() => {
        indexRead = true
        onGrowth()
      }),
      ahead,
    ])
    // A failure of either ends the pass (the index read is released by the caller).
    if (matched.status === 'rejected') throw matched.reason
    if (mapped.status === 'rejected') throw mapped.reason
    return {match: matched.value, waiting}
  }

  /** `sync incremental`: the entities changed since the watermark, plus the failures of earlier runs. */
  private async incremental(): Promise<void> {
    const since = await this.deps.state.getWatermark()
    if (!since)
      throw new AppError('there is no previous successful sync to continue from', {
        hint: 'run `ident-amo sync full` first',
        code: 'E_NO_WATERMARK',
      })
    const retry = await this.kind.failedKeys()
    const seen = new Set<string>()
    /** Plans a group of changed entities, their links read with one query. */
    const handle = async (group: Array<T['item']>) => {
      const fresh = group.filter((item) => !seen.has(this.kind.keyOf(item)))
      if (fresh.length === 0) return
      const links = await this.kind.links(fresh.map((item) => this.kind.keyOf(item)))
      const kind = await this.prepared(false)
      for (const item of fresh) {
        const key = this.kind.keyOf(item)
        if (seen.has(key)) continue
        this.checkAbort()
        seen.add(key)
        this.tally.noteRead()
        await this.planAndExecute(kind, item, this.desired(kind, item), links.get(key), false)
        this.progress('patients')
      }
    }
    const grouped = async (items: AsyncIterable<T['item']>, each: (item: T['item']) => void = () => undefined) => {
      for await (const group of groupsAsReady(items, LINK_GROUP, SOURCE_IDLE_MS)) {
        group.forEach(each)
        await handle(group)
        // A short group: the source is waiting on something slower (IDENT's scan of every reception's
        // status datetimes); what is planned is sent meanwhile instead of waiting to fill a batch.
        if (group.length < LINK_GROUP) await this.executorInstance?.sendQueued()
      }
    }
    await grouped(this.kind.read({since, limit: this.options.limit}))
    const missed = retry.filter((key) => !seen.has(key))
    if (missed.length > 0 && !this.options.limit) {
      const found = new Set<string>()
      await grouped(this.kind.read({ids: missed}), (item) => found.add(this.kind.keyOf(item)))
      // A failed entity that vanished from the source has nothing left to retry.
      const gone = missed.filter((key) => !found.has(key))
      if (gone.length > 0 && this.journal) await this.kind.forgetFailures(gone)
    }
  }

  /** `patient test` and single-patient syncs: compared with what amoCRM holds now, like deep. */
  private async patients(): Promise<void> {
    for await (const item of this.kind.read({ids: this.options.patientIds ?? []})) {
      this.tally.noteRead()
      await this.planOne(item, true)
    }
  }

  // --- planning ------------------------------------------------------------------------------------

  /** Without the index: a linked entity is planned from its stored hashes, looked up in amoCRM only when needed. */
  private async planOne(item: T['item'], compareWithAmo: boolean): Promise<void> {
    const key = this.kind.keyOf(item)
    const link = (await this.kind.links([key])).get(key)
    const kind = await this.prepared(false)
    await this.planAndExecute(kind, item, this.desired(kind, item), link, compareWithAmo)
  }

  private async planAndExecute(
    kind: PreparedKind<T>,
    item: T['item'],
    desired: T['desired'],
    link: T['link'] | undefined,
    compareWithAmo: boolean,
    found?: T['found'],
  ): Promise<void> {
    let step = kind.plan({desired, link, found, compareWithAmo})
    if (step === LOOK_UP) step = kind.plan({desired, link, found: await kind.lookUp(item, desired, link), compareWithAmo})
    if (step === LOOK_UP) throw new Error('the planner asked to look up an entity it was given')
    if (isSkip(step)) {
      this.tally.note(step.key, step.skip, step.detail)
      this.deps.logger.debug({[this.kind.keyName]: step.key, reason: step.skip}, `${this.kind.sourceNoun} skipped`)
      if (step.retry && this.journal)
        await kind.target.recordFailures([{key: step.key, reason: step.skip, detail: step.detail}], this.now())
      return
    }
    if (step.moved) this.moving.add(step.key)
    if (step.duplicates.length > 0 && step.remoteId !== null) this.tally.duplicate(step.key, [step.remoteId, ...step.duplicates])
    this.deps.onPlan?.(step)
    if (step.write?.method === 'update') this.inFlight.set(step.key, {item, desired})
    await this.executor(kind).execute(step)
  }

  private desired(kind: PreparedKind<T>, item: T['item']): T['desired'] {
    const desired = kind.desired(item)
    for (const w of kind.warnings(desired)) {
      this.deps.logger.debug({[this.kind.keyName]: this.kind.keyOf(item), field: w.field, code: w.code}, 'mapping warning')
      this.tally.warn(`${w.code}:${w.field}`)
    }
    return desired
  }

  // --- writing -------------------------------------------------------------------------------------

  private readonly events = {
    settled: (key: string, outcome: Parameters<RunTally['settled']>[0], wrote: boolean) => {
      this.tally.settled(outcome, wrote)
      if (this.moving.delete(key)) this.tally.moved++
      this.inFlight.delete(key)
      if (wrote) this.progress('writing')
    },
  }

  /** Where steps go: amoCRM and the state, or — in a dry run — nowhere. Made with the first step. */
  private executor(kind: PreparedKind<T>): PlanExecutor<T['payload'], T['record']> {
    this.executorInstance ??= this.options.dryRun ? new DryRunSink(this.events) : this.batchWriter(kind)
    return this.executorInstance
  }

  private batchWriter(kind: PreparedKind<T>): BatchWriter<T['payload'], T['record']> {
    const {logger} = this.deps
    const keyName = this.kind.keyName
    return new BatchWriter({
      target: kind.target,
      batchSize: this.options.batchSize,
      logger,
      now: () => this.now(),
      inFlight: this.deps.inFlight,
      answerMs: () => this.deps.apiStats()?.answerMs,
      signal: this.deps.signal,
      events: {
        ...this.events,
        failed: (key, reason, detail, shown) => {
          // amoCRM's own words (`shown`) are for this run's report only: the state and the log get codes and fields.
          this.tally.fail(key, reason, shown ?? detail)
          this.moving.delete(key)
          this.inFlight.delete(key)
          logger.warn({[keyName]: key, reason, detail}, `${this.kind.sourceNoun} failed`)
        },
        refused: (key, field, detail, shown) => {
          this.tally.refused(key, field, shown ?? detail)
          logger.debug({[keyName]: key, field}, 'field value refused by amoCRM; written without it')
        },
        deadLink: (op) => {
          this.deadOps.push(op)
        },
        duplicates: (key, remoteIds) => this.tally.duplicate(key, remoteIds),
      },
    })
  }

  /** Sends what is queued; entities deleted in the CRM under a link are looked up again, or created anew. */
  private async flush(): Promise<void> {
    const executor = this.executorInstance
    if (!executor) return
    await executor.flush()
    for (let round = 0; round < 2 && this.deadOps.length > 0; round++) {
      const kind = await this.prepared(false)
      for (const op of this.deadOps.splice(0)) {
        const entry = this.inFlight.get(op.key)
        if (!entry) continue
        this.inFlight.delete(op.key)
        this.deps.logger.info({[this.kind.keyName]: op.key}, `linked ${kind.target.noun} is gone: looking it up again`)
        await this.planAndExecute(kind, entry.item, entry.desired, undefined, true, await kind.lookUp(entry.item, entry.desired, undefined))
      }
      await executor.flush()
    }
  }

  // --- helpers -------------------------------------------------------------------------------------

  private checkAbort(): void {
    if (this.deps.signal?.aborted) throw new SyncInterruptedError(this.report())
  }

  private progress(phase: SyncProgress['phase'], contacts?: number): void {
    this.deps.onProgress?.({
      phase,
      read: this.tally.read,
      written: this.tally.written,
      contacts,
      requests: this.deps.apiStats()?.requests ?? 0,
      ...(this.deps.part ? {part: this.deps.part} : {}),
    })
  }
}

/** A source entity with what planning it needs that does not depend on the remote index. */
interface Prepared<T extends KindTypes> {
  item: T['item']
  desired: T['desired']
  link: T['link'] | undefined
}

type IndexMatch<T extends KindTypes> = Awaited<ReturnType<PreparedKind<T>['readIndex']>>

/**
 * Cuts a long synchronous stretch of work into slices: `pause()` gives the event loop a turn (pending
 * I/O: answers from amoCRM) once the current slice has run `ms` milliseconds.
 */
class TimeSlices {
  private started = performance.now()

  constructor(private readonly ms: number) {}

  async pause(now = false): Promise<void> {
    if (!now && performance.now() - this.started < this.ms) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.started = performance.now()
  }
}

function pick(report: SyncReport): {counts: object; api: object; watermark: string | null} {
  return {counts: report.counts, api: report.api, watermark: report.watermark}
}

function minusOverlap(naive: string): string {
  // Naive local time: do the arithmetic in UTC fields, which keeps it naive.
  const t = Date.parse(`${naive.replace(' ', 'T')}Z`) - WATERMARK_OVERLAP_MS
  return new Date(t).toISOString().replace('T', ' ').slice(0, 19)
}
