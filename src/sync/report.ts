import type {RunMode} from './state.js'

/**
 * A patient (or, deals on, a reception) that was not written — retried by the next run — or a note
 * about one (see `reason`). Exactly one of `patientId` and `receptionId` is set.
 */
export interface SyncFailure {
  patientId?: string
  /** A reception whose deal was not written: its notes add `no_contact` (its patient has no contact yet) and `deal_deleted`. */
  receptionId?: string
  /** `validation`, `api`, `outcome_unknown` (failed); `field_refused`, `missing_in_ident` (notes). */
  reason: string
  detail: string
  /** `field_refused`: the field key amoCRM refused a value of. */
  field?: string
}

/** The `deals` block of a report (docs/sync.md "Deals"): present only when deals are on. */
export interface DealCounts {
  read: number
  created: number
  updated: number
  /** Deals whose stage the tool changed (each is also counted as created, updated or linked). */
  moved: number
  linked: number
  unchanged: number
  skipped: number
  failed: number
  duplicates: number
  /** `sync full`: receptions before the window (not imported, not listed). */
  outOfWindow: number
}

/** The `--json` report of a sync (docs/sync.md "Report"). */
export interface SyncReport {
  mode: RunMode
  dryRun: boolean
  startedAt: string
  finishedAt: string
  durationMs: number
  counts: SyncCounts
  api: {requests: number; retries: number; throttled: number}
  failures: SyncFailure[]
  duplicates: Array<{patientId: string; contactIds: number[]} | {receptionId: string; dealIds: number[]}>
  watermark: string | null
  /** What the deals part of the pass did (present only when deals are on). */
  deals?: DealCounts
}

export interface SyncCounts {
  read: number
  created: number
  updated: number
  linked: number
  unchanged: number
  skipped: number
  failed: number
  duplicates: number
}

export function emptyCounts(): SyncCounts {
  return {read: 0, created: 0, updated: 0, linked: 0, unchanged: 0, skipped: 0, failed: 0, duplicates: 0}
}

/** A report of a run that did nothing (yet): what a pass stopped before it started reports. */
export function emptyReport(mode: RunMode, at = new Date()): SyncReport {
  const iso = at.toISOString()
  return {
    mode,
    dryRun: false,
    startedAt: iso,
    finishedAt: iso,
    durationMs: 0,
    counts: emptyCounts(),
    api: {requests: 0, retries: 0, throttled: 0},
    failures: [],
    duplicates: [],
    watermark: null,
  }
}

/** Exit code of a finished run: 0 all good, 3 completed with failed patients (or receptions). */
export function reportExitCode(report: SyncReport): 0 | 3 {
  return report.counts.failed > 0 || (report.deals?.failed ?? 0) > 0 ? 3 : 0
}
