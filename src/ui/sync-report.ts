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
        shown.map((f) => [f.patientId ?? `reception ${f.receptionId}`, f.reason, f.detail]),
      ),
    )
    if (problems.length > shown.length) lines.push(`… and ${problems.length - shown.length} more (see --json or the log)`)
  }
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
  const duplicates = report.duplicates.filter((d) => 'patientId' in d)
  if (duplicates.length > 0) {
    lines.push(
      '',
      chalk.bold(
        `duplicates (${duplicates.length}) — several contacts carry one patient id; the oldest is kept in sync, the others are left alone`,
      ),
    )
    const shown = duplicates.slice(0, 50)
    lines.push(
      renderTable(
        ['patient', 'contacts'],
        shown.map((d) => [d.patientId, d.contactIds.map((id) => contactUrl(id)).join('\n')]),
      ),
    )
    if (duplicates.length > shown.length) lines.push(`… and ${duplicates.length - shown.length} more (see --json)`)
  }
  if (report.watermark) lines.push('', `watermark: ${report.watermark}`)
  return lines.join('\n')
}

/** Why amoCRM refused a value, in words: its validation details are codes and paths. */
function refusalReason(detail: string): string {
  if (/before 1970|GreaterThanOrEqual/i.test(detail))
    return 'amoCRM does not store dates before 1970, so the contact was written without it'
  return detail.replace(/^amoCRM refused the field '[^']+', the contact was written without it: /, '')
}
