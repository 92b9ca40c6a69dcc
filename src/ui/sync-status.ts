import type {DealFailureRecord} from '../sync/deals/state.js'
import type {FailureRecord, RunRecord} from '../sync/state.js'
import {chalk, formatDuration} from './index.js'
import {renderTable, tableWidth, terminalWidth} from './table.js'
import {formatDateTime} from './time.js'

const COUNTS = ['read', 'created', 'updated', 'linked', 'unchanged', 'failed'] as const

/**
 * `sync status`'s recent runs, one row each: every count in its own column where the terminal is wide
 * enough, else the counts in one wrapped cell. Times are this computer's.
 */
export function recentRunsTable(runs: RunRecord[], maxWidth = terminalWidth()): string {
  const head = ['#', 'mode', 'started', 'duration', 'status', ...COUNTS, 'requests']
  const rows = runs.map((r) => [
    String(r.id),
    mode(r),
    formatDateTime(r.startedAt),
    duration(r),
    colourStatus(r.status),
    ...COUNTS.map((c) => (r.counts?.[c] === undefined ? '' : String(r.counts[c]))),
    r.api?.requests === undefined ? '' : String(r.api.requests),
  ])
  if (maxWidth === undefined || tableWidth(head, rows) <= maxWidth) return renderTable(head, rows, {maxWidth})
  return renderTable(
    ['#', 'mode', 'started', 'status', 'counts'],
    runs.map((r) => [
      String(r.id),
      mode(r),
      formatDateTime(r.startedAt).slice(0, 16),
      colourStatus(r.status),
      [
        // the counts that say something: what was read, and whatever happened to it
        ...COUNTS.filter((c) => r.counts?.[c] !== undefined && (c === 'read' || r.counts[c] !== 0)).map((c) => `${c} ${r.counts![c]}`),
        ...(r.api?.requests === undefined ? [] : [`${r.api.requests} requests`]),
        ...(duration(r) ? [duration(r)] : []),
      ].join(', '),
    ]),
    {maxWidth},
  )
}

/** The patients (or, for deals, the receptions) the next run retries, with why they failed. */
export function pendingFailuresTable(failures: Array<FailureRecord | DealFailureRecord>, maxWidth = terminalWidth()): string {
  const deals = failures.some((f) => 'receptionId' in f)
  return renderTable(
    [deals ? 'reception' : 'patient', 'reason', 'attempts', 'last', 'detail'],
    failures.map((f) => ['receptionId' in f ? f.receptionId : f.patientId, f.reason, f.attempts, formatDateTime(f.lastFailedAt), f.detail]),
    {maxWidth},
  )
}

function mode(r: RunRecord): string {
  return r.mode + (r.dryRun ? ' (dry)' : '')
}

function duration(r: RunRecord): string {
  return r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : ''
}

function colourStatus(status: string): string {
  if (status === 'ok') return chalk.green(status)
  if (status === 'partial' || status === 'interrupted' || status === 'running') return chalk.yellow(status)
  return chalk.red(status)
}
