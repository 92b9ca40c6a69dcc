import type {RunMode} from './state.js'

/** A patient that was not written (retried by the next run), or a note about one (see `reason`). */
export interface SyncFailure {
  patientId: string
  /** `validation`, `api`, `outcome_unknown` (failed); `field_refused`, `missing_in_ident` (notes). */
  reason: string
  detail: string
  /** `field_refused`: the field key amoCRM refused a value of. */
  field?: string
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
  duplicates: Array<{patientId: string; contactIds: number[]}>
  watermark: string | null
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

/** Exit code of a finished run: 0 all good, 3 completed with failed patients. */
export function reportExitCode(report: SyncReport): 0 | 3 {
  return report.counts.failed > 0 ? 3 : 0
}
