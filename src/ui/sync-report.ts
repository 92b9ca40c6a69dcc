import type {DealCounts, SyncReport} from '../sync/report.js'
import {chalk, formatDuration, renderTable, wrapText} from './index.js'

/** The summary table of docs/sync.md "Report", then the failures and duplicates with links to the contacts. */
export function renderSyncReport(report: SyncReport, contactUrl: (id: number) => string): string {
  const lines: string[] = []
  const title = `${report.dryRun ? 'dry run — nothing was written' : `sync ${report.mode}`}`
  lines.push(chalk.bold(title))
  lines.push(report.deals ? countsBeside(report, report.deals) : contactCounts(report))
  const refusals = report.failures.filter((f) => f.reason === 'field_refused')
  const problems = report.failures.filter((f) => f.reason !== 'field_refused')
  const patientProblems = problems.flatMap((f) => (f.patientId === undefined ? [] : [[f.patientId, f.reason, f.detail]]))
  const receptionProblems = problems.flatMap((f) => (f.receptionId === undefined ? [] : [[f.receptionId, f.reason, f.detail]]))
  if (patientProblems.length > 0) failureTable(lines, 'failures', 'patient', patientProblems)
  if (receptionProblems.length > 0) failureTable(lines, 'deal failures', 'reception', receptionProblems)
  if (refusals.length > 0) {
    // Refused values are many and alike (amoCRM takes no birthday before 1970): one line per field and reason.
    const byField = new Map<string, {why: string; ids: string[]}>()
    for (const r of refusals) {
      const field = r.field ?? 'field'
      const why = refusalReason(r.detail)
      const key = `${field}\u0000${why}`
      byField.set(key, {why, ids: [...(byField.get(key)?.ids ?? []), r.patientId ?? `reception ${r.receptionId}`]})
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
  const contactDuplicates = report.duplicates.flatMap((d) => ('patientId' in d ? [d] : []))
  const dealDuplicates = report.duplicates.flatMap((d) => ('receptionId' in d ? [d] : []))
  if (contactDuplicates.length > 0)
    duplicateTable(
      lines,
      'several contacts carry one patient id; the oldest is kept in sync, the others are left alone',
      ['patient', 'contacts'],
      contactDuplicates.map((d) => [d.patientId, d.contactIds.map((id) => contactUrl(id)).join('\n')]),
    )
  if (dealDuplicates.length > 0)
    duplicateTable(
      lines,
      'several deals carry one reception id; the oldest is kept in sync, the others are left alone',
      ['reception', 'deals'],
      dealDuplicates.map((d) => [d.receptionId, d.dealIds.join(', ')]),
    )
  if (report.watermark) lines.push('', `watermark: ${report.watermark}`)
  return lines.join('\n')
}

/** Contacts only: one row of counts, as it always was. */
function contactCounts(report: SyncReport): string {
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
function countsBeside(report: SyncReport, deals: DealCounts): string {
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

function duplicateTable(lines: string[], what: string, head: string[], rows: string[][]): void {
  lines.push('', chalk.bold(wrapText(`duplicates (${rows.length}) — ${what}`)))
  const shown = rows.slice(0, 50)
  lines.push(renderTable(head, shown))
  if (rows.length > shown.length) lines.push(`… and ${rows.length - shown.length} more (see --json)`)
}

/** Why amoCRM refused a value, in words: its validation details are codes and paths. */
function refusalReason(detail: string): string {
  if (/before 1970|GreaterThanOrEqual/i.test(detail))
    return 'amoCRM does not store dates before 1970, so the contact was written without it'
  return detail.replace(/^amoCRM refused the field '[^']+', the contact was written without it: /, '')
}
