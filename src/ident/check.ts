import type {AppConfig} from '../config/index.js'
import {inspectIdent, type PatientScan, readerFor, type WritePermission} from './reader.js'
import type {IdentSchemaReport, IdentTable} from './schema.js'

/** What `db check` reports (also its `--json`). */
export interface DbCheckReport extends IdentSchemaReport {
  /** True when the reader can work: no core column missing (of receptions too when deals are on). */
  ok: boolean
  /** DEALS: whether the reception columns are needed (their core missing is then fatal). */
  dealsEnabled: boolean
  database: {client: 'mssql' | 'sqlite'; target: string}
  /** The database's clock, naive local `YYYY-MM-DD HH:MM:SS`. */
  clock: string
  counts: Partial<Record<IdentTable, number>>
  write: WritePermission
  /** Every patient's id and birthday read once: birthdays that parse, ids that repeat. Null without the core columns. */
  scan: PatientScan | null
}

/**
 * Connects read-only, resolves the schema and gathers what `db check` shows. Connection problems throw
 * (`IdentError`, exit 1); missing core columns do not — the report says so (`ok: false`; for the
 * reception columns only when deals are on) so that the command can show the tables before failing.
 */
export async function checkIdentDatabase(config: AppConfig, options: {password?: string} = {}): Promise<DbCheckReport> {
  const {connection, resolved} = await inspectIdent(config, options)
  const reader = readerFor(connection, resolved)
  try {
    const clock = await reader.readDatabaseClock()
    const counts = await reader.tableCounts()
    const write = await reader.checkWritePermission()
    const report = resolved.report
    const scan = report.coreMissing.length === 0 ? await reader.scanPatients() : null
    const warnings = [...report.warnings]
    // A SQLite sample file is the user's own: only a SQL Server login that can write is worth a warning.
    if (write.canWrite && reader.dialect === 'mssql')
      warnings.push(
        `the login can write to the IDENT database (${write.granted.join(', ')}); ident-amo only reads: give it a read-only login (db_datareader)`,
      )
    const dealsBlocked = config.deals.enabled && report.receptions.coreMissing.length > 0
    return {
      ok: report.coreMissing.length === 0 && !dealsBlocked,
      dealsEnabled: config.deals.enabled,
      database: {client: reader.dialect, target: reader.target},
      clock,
      counts,
      write,
      scan,
      ...report,
      warnings,
    }
  } finally {
    await reader.close()
  }
}
