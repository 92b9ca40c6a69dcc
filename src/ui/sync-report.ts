import type {SyncReport} from '../sync/report.js'
import {chalk, formatDuration, renderTable} from './index.js'

/** The `deals` block of a report (present only when deals are on). */
export interface DealCounts {
  read: number
  created: number
  updated: number
  moved: number
  linked: number
  unchanged: number
  skipped: number
  failed: number
  duplicates: number
  outOfWindow: number
}

/** A report as the summary reads it: deal failures carry `receptionId` instead of `patientId`. */
export type SummaryReport = Omit<SyncReport, 'failures'> & {
  deals?: DealCounts
  failures: Array<{reason: string; detail: string; field?: string} & ({patientId: string} | {receptionId: string})>
}

/** The summary table of docs/sync.md "Report", then the failures and duplicates with links to the contacts. */
export function renderSyncReport(report: SummaryReport, contactUrl: (id: number) => string): string {
  const lines: string[] = []
  const title = `${report.dryRun ? 'dry run — nothing was written' : `sync ${report.mode}`}`
  lines.push(chalk.bold(title))
  lines.push(report.deals ? countsBeside(report, report.deals) : contactCounts(report))
  const contactFailures = report.failures.flatMap((f) => ('patientId' in f ? [f] : []))
  const dealFailures = report.failures.flatMap((f) => ('receptionId' in f ? [f] : []))
  const refusals = contactFailures.filter((f) => f.reason === 'field_refused')
  const problems = contactFailures.filter((f) => f.reason !== 'field_refused')
  if (problems.length > 0)
    failureTable(
      lines,
      'failures',
      'patient',
      problems.map((f) => [f.patientId, f.reason, f.detail]),
    )
  if (dealFailures.length > 0)
    failureTable(
      lines,
      'deal failures',
      'reception',
      dealFailures.map((f) => [f.receptionId, f.reason, f.detail]),
    )
  if (refusals.length > 0) {
    // Refused values are many and alike (amoCRM takes no birthday before 1970): one line per field and reason.
    const byField = new Map<string, {why: string; ids: string[]}>()
    for (const r of refusals) {
      const field = r.field ?? 'field'
      const why = refusalReason(r.detail)
      const key = `${field}\u0000${why}`
      byField.set(key, {why, ids: [...(byField.get(key)?.ids ?? []), r.patientId]})
    }
    lines.push('', chalk.bold('values amoCRM refused'))
    lines.push(
      renderTable(
        ['field', 'patients', 'why', 'e.g.'],
        [...byField].map(([key, {why, ids}]) => [
          key.split('\u0000')[0],
          ids.length,
          why,
          ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', …' : ''),
        ]),
      ),
    )
  }
  if (report.duplicates.length > 0) {
    lines.push(
      '',
      chalk.bold(
        `duplicates (${report.duplicates.length}) — several contacts carry one patient id; the oldest is kept in sync, the others are left alone`,
      ),
    )
    const shown = report.duplicates.slice(0, 50)
    lines.push(
      renderTable(
        ['patient', 'contacts'],
        shown.map((d) => [d.patientId, d.contactIds.map((id) => contactUrl(id)).join('\n')]),
      ),
    )
    if (report.duplicates.length > shown.length) lines.push(`… and ${report.duplicates.length - shown.length} more (see --json)`)
  }
  if (report.watermark) lines.push('', `watermark: ${report.watermark}`)
  return lines.join('\n')
}

/** Contacts only: one row of counts, as it always was. */
function contactCounts(report: SummaryReport): string {
  const c = report.counts
  return renderTable(
    ['read', 'created', 'updated', 'linked', 'unchanged', 'skipped', 'failed', 'duplicates', 'API requests', 'duration'],
    [
      [
        c.read,
        c.created,
        c.updated,
        c.linked,
        c.unchanged,
        c.skipped,
        failedCell(c.failed),
        duplicatesCell(c.duplicates),
        report.api.requests,
        formatDuration(report.durationMs),
      ],
    ],
  )
}

/**
 * With deals: a column of contacts beside a column of deals, a count per row (ten counts side by side
 * twice would not fit 80 columns), then the requests and the time of the whole run.
 */
function countsBeside(report: SummaryReport, deals: DealCounts): string {
  const c = report.counts
  // A contact is never moved nor out of the window: those rows say so with a dash.
  const rows: Array<[string, number | string, number | string]> = [
    ['read', c.read, deals.read],
    ['created', c.created, deals.created],
    ['updated', c.updated, deals.updated],
    ['moved', '–', deals.moved],
    ['linked', c.linked, deals.linked],
    ['unchanged', c.unchanged, deals.unchanged],
    ['skipped', c.skipped, deals.skipped],
    ['failed', failedCell(c.failed), failedCell(deals.failed)],
    ['duplicates', duplicatesCell(c.duplicates), duplicatesCell(deals.duplicates)],
    ['out of window', '–', deals.outOfWindow],
  ]
  return [renderTable(['', 'contacts', 'deals'], rows), `${report.api.requests} API requests, ${formatDuration(report.durationMs)}`].join(
    '\n',
  )
}

function failedCell(n: number): number | string {
  return n ? chalk.red(String(n)) : 0
}

function duplicatesCell(n: number): number | string {
  return n ? chalk.yellow(String(n)) : 0
}

/** A table of what was not written, the first 50 of them. */
function failureTable(lines: string[], title: string, idHead: string, rows: string[][]): void {
  lines.push('', chalk.bold(`${title} (${rows.length})`))
  const shown = rows.slice(0, 50)
  lines.push(renderTable([idHead, 'reason', 'detail'], shown))
  if (rows.length > shown.length) lines.push(`… and ${rows.length - shown.length} more (see --json or the log)`)
}

/** Why amoCRM refused a value, in words: its validation details are codes and paths. */
function refusalReason(detail: string): string {
  if (/before 1970|GreaterThanOrEqual/i.test(detail))
    return 'amoCRM does not store dates before 1970, so the contact was written without it'
  return detail.replace(/^amoCRM refused the field '[^']+', the contact was written without it: /, '')
}
