import type {SyncReport} from '../sync/report.js'
import {chalk, formatDuration, renderTable} from './index.js'

/** The summary table of docs/sync.md "Report", then the failures and duplicates with links to the contacts. */
export function renderSyncReport(report: SyncReport, contactUrl: (id: number) => string): string {
  const c = report.counts
  const lines: string[] = []
  const title = `${report.dryRun ? 'dry run — nothing was written' : `sync ${report.mode}`}`
  lines.push(chalk.bold(title))
  lines.push(
    renderTable(
      ['read', 'created', 'updated', 'linked', 'unchanged', 'skipped', 'failed', 'duplicates', 'API requests', 'duration'],
      [
        [
          c.read,
          c.created,
          c.updated,
          c.linked,
          c.unchanged,
          c.skipped,
          c.failed ? chalk.red(String(c.failed)) : 0,
          c.duplicates ? chalk.yellow(String(c.duplicates)) : 0,
          report.api.requests,
          formatDuration(report.durationMs),
        ],
      ],
      {wordWrap: false},
    ),
  )
  const refusals = report.failures.filter((f) => f.reason === 'field_refused')
  const problems = report.failures.filter((f) => f.reason !== 'field_refused')
  if (problems.length > 0) {
    lines.push('', chalk.bold(`failures (${problems.length})`))
    const shown = problems.slice(0, 50)
    lines.push(
      renderTable(
        ['patient', 'reason', 'detail'],
        shown.map((f) => [f.patientId, f.reason, f.detail]),
        {colWidths: [12, 18, 80]},
      ),
    )
    if (problems.length > shown.length) lines.push(`… and ${problems.length - shown.length} more (see --json or the log)`)
  }
  if (refusals.length > 0) {
    // Refused values are many and alike (amoCRM takes no birthday before 1970): one line per field.
    const byField = new Map<string, string[]>()
    for (const r of refusals) {
      const field = r.field ?? 'field'
      byField.set(field, [...(byField.get(field) ?? []), r.patientId])
    }
    lines.push('', chalk.bold('values amoCRM refused (the contacts were written without them)'))
    lines.push(
      renderTable(
        ['field', 'patients', 'e.g.'],
        [...byField].map(([field, ids]) => [field, ids.length, ids.slice(0, 8).join(', ') + (ids.length > 8 ? ', …' : '')]),
        {wordWrap: false},
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
        {wordWrap: false},
      ),
    )
    if (report.duplicates.length > shown.length) lines.push(`… and ${report.duplicates.length - shown.length} more (see --json)`)
  }
  if (report.watermark) lines.push('', `watermark: ${report.watermark}`)
  return lines.join('\n')
}
