import type {RunMode} from './state.js'

/** The `--json` report of a sync, exactly product.md §5. */
export interface SyncReport {
  mode: RunMode
  dryRun: boolean
  startedAt: string
  finishedAt: string
  durationMs: number
  counts: SyncCounts
  api: {requests: number; retries: number; throttled: number}
  failures: Array<{patientId: string; reason: string; detail: string}>
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

/** Exit code of a finished run (product.md §5): 0 all good, 3 completed with failed patients. */
export function reportExitCode(report: SyncReport): 0 | 3 {
  return report.counts.failed > 0 ? 3 : 0
}
