import type {Outcome} from './plan.js'
import {emptyCounts, type SyncCounts, type SyncFailure, type SyncReport} from './report.js'
import type {RunMode} from './state.js'

/**
 * What one run did, counted as it happens: the report is built from it, whether the run finished,
 * failed or was stopped. Keys are the source entities' ids (patient ids).
 */
export class RunTally {
  private readonly counts: SyncCounts = emptyCounts()
  /** Deals moved to another stage (each also counted by its action). */
  moved = 0
  private readonly failures: SyncFailure[] = []
  private readonly duplicates: SyncReport['duplicates'] = []
  /** Entities whose write amoCRM confirmed (progress). */
  written = 0
  /** Warnings and refusals per kind: one log line per run instead of one per patient (debug has those). */
  readonly warnings: Record<string, number> = {}
  /** One string per kind of refusal: thousands of patients refused alike share it instead of each holding a copy. */
  private readonly refusalTexts = new Map<string, string>()

  /** How failures and duplicates name their key: `patientId` (contacts) or `receptionId` (deals). */
  constructor(private readonly keyName: 'patientId' | 'receptionId' = 'patientId') {}

  get read(): number {
    return this.counts.read
  }

  get failed(): number {
    return this.counts.failed
  }

  noteRead(): void {
    this.counts.read++
  }

  /** A step is done: written and recorded, or nothing to write. */
  settled(outcome: Outcome, wrote: boolean): void {
    this.counts[outcome]++
    if (wrote) this.written++
  }

  /** The entity was not written: recorded to retry by the next run. */
  fail(key: string, reason: string, detail: string): void {
    this.counts.failed++
    this.failures.push({[this.keyName]: key, reason, detail})
  }

  /** A field value amoCRM refused: the entity went without it. Not a failure of the run. */
  refused(key: string, field: string, detail: string): void {
    const id = `${field}\u0000${detail}`
    let text = this.refusalTexts.get(id)
    const noun = this.keyName === 'receptionId' ? 'deal' : 'contact'
    if (text === undefined)
      this.refusalTexts.set(id, (text = `amoCRM refused the field '${field}', the ${noun} was written without it: ${detail}`))
    this.failures.push({[this.keyName]: key, reason: 'field_refused', field, detail: text})
    this.warn(`refused:${field}`)
  }

  /** A linked entity whose source is gone: reported, nothing is deleted in amoCRM. Not a failure of the run. */
  missing(key: string, detail: string): void {
    this.note(key, 'missing_in_ident', detail)
  }

  /** A note about an entity that is not a failure of the run (a skipped reception and why). */
  note(key: string, reason: string, detail: string): void {
    this.failures.push({[this.keyName]: key, reason, detail})
  }

  duplicate(key: string, remoteIds: number[]): void {
    this.duplicates.push(this.keyName === 'receptionId' ? {receptionId: key, dealIds: remoteIds} : {patientId: key, contactIds: remoteIds})
  }

  warn(kind: string): void {
    this.warnings[kind] = (this.warnings[kind] ?? 0) + 1
  }

  /**
   * What was read but neither written, found unchanged nor failed was not sent — the run stopped
   * (Ctrl+C, a fatal error) before it could: skipped. The next run takes it up (nothing recorded it).
   */
  closeCounts(): void {
    const c = this.counts
    c.skipped = Math.max(0, c.read - (c.created + c.updated + c.linked + c.unchanged + c.failed))
  }

  /** The counts, failures and duplicates so far: a following kind's share of the report (the deals). */
  share(): Pick<SyncReport, 'counts' | 'failures' | 'duplicates'> {
    return {counts: {...this.counts, duplicates: this.duplicates.length}, failures: [...this.failures], duplicates: [...this.duplicates]}
  }

  report(run: {
    mode: RunMode
    dryRun: boolean
    startedAt: Date
    finishedAt: Date
    api: SyncReport['api']
    watermark: string | null
  }): SyncReport {
    return {
      mode: run.mode,
      dryRun: run.dryRun,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt.toISOString(),
      durationMs: run.finishedAt.getTime() - run.startedAt.getTime(),
      ...this.share(),
      api: {...run.api},
      watermark: run.watermark,
    }
  }
}
