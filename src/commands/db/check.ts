import {BaseCommand} from '../../base-command.js'
import {type AppConfig, identConfigured} from '../../config/index.js'
import {ConfigError} from '../../errors.js'
import {DEAL_FIELD_CATALOGUE, FIELD_SPEC, fieldsUnavailableWith} from '../../fields/index.js'
import {
  checkIdentDatabase,
  type DbCheckReport,
  DEAL_VALUE_SOURCES,
  type DealValueKey,
  describeIdentTarget,
  type DoctorsReport,
  IdentError,
  missingCoreError,
  PATIENT_VALUE_SOURCES,
  type ReceptionSchemaReport,
  type SchemaTableReport,
} from '../../ident/index.js'
import {openSecretStore, SECRET_KEYS} from '../../secrets/index.js'
import {chalk, mark, renderPairs, renderTable, startSpinner} from '../../ui/index.js'

export default class DbCheck extends BaseCommand<typeof DbCheck> {
  static override summary = 'Check the IDENT database: connection, tables and columns, what is unavailable.'
  static override description = `Connects to IDENT read-only (SQL Server, or a SQLite file with DB_CLIENT=sqlite) and checks every table and column ident-amo reads: present or missing, and under which name when the config renames it (ident.tables.<Table>, ident.columns.<Table>.<Column>). Lists the patient values — hence the amoCRM fields — that are unavailable because a column is missing, says where the doctors' names come from (Persons through Staffs.ID_Persons, or Staffs' own name columns), reads every patient's birthday to count how many parse (naming a few patient ids whose birthday does not, never the values) and patient ids returned more than once, shows the row counts of the main tables and the database clock (the incremental watermark), and warns when the login could write. A second section, shown whether deals are on or not, lists what the reception reader reads for appointments → deals (DEALS) and which deal fields a missing column takes away. Exits 1 when the server cannot be reached, the login fails, the database or file does not exist, or a core (★) column is missing — of the reception tables only when deals are on; unparseable birthdays and repeated rows are warnings (exit 0).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'DB_CLIENT=sqlite DB_FILE=clinic.sqlite <%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {}

  async run(): Promise<DbCheckReport & {unavailableFields: Array<{key: string; name: string}>}> {
    const config = this.loadAppConfig()
    if (!identConfigured(config))
      throw new ConfigError(
        'the IDENT database is not configured yet',
        'run `ident-amo config init` (or `ident-amo config set DB_HOST …`); to try the tool on a sample clinic: `ident-amo demo`',
      )
    const password = await this.dbPassword(config)
    // Connecting can take the whole connect timeout: say where to, rather than leave the terminal blank.
    const spinner =
      Boolean(process.stderr.isTTY) && !this.jsonEnabled() ? startSpinner(`connecting to ${describeIdentTarget(config)}…`) : undefined
    let report: DbCheckReport
    try {
      report = await checkIdentDatabase(config, {password})
    } catch (error) {
      throw withoutDbCheckHint(error)
    } finally {
      spinner?.stop()
    }
    const unavailableFields = fieldsUnavailableWith(report.unavailable.map((u) => u.value)).map((key) => ({
      key,
      name: FIELD_SPEC[key].name,
    }))
    if (!this.jsonEnabled()) this.render(report, unavailableFields)
    if (!report.ok) throw report.coreMissing.length > 0 ? missingCoreError(report) : missingCoreError(report.receptions, 'deals')
    return {...report, unavailableFields}
  }

  /** DB_PASSWORD from the environment wins; otherwise the one `config set DB_PASSWORD` kept in the keychain. */
  private async dbPassword(config: AppConfig): Promise<string | undefined> {
    if (config.db.client !== 'mssql' || config.db.password !== undefined || !config.db.user) return config.db.password
    try {
      const store = await openSecretStore({configDir: this.config.configDir, dataDir: this.config.dataDir})
      return await store.get(SECRET_KEYS.dbPassword)
    } catch {
      // No keychain here: try without a password; a failed login then says to set DB_PASSWORD.
      return undefined
    }
  }

  private render(report: DbCheckReport, unavailableFields: Array<{key: string; name: string}>): void {
    this.log(
      renderPairs([
        ['IDENT', `${report.database.client === 'sqlite' ? 'SQLite file' : 'SQL Server'} ${report.database.target}`],
        ['database clock', report.clock],
      ]),
    )
    this.log('')
    this.log(renderTable(['', 'column', 'status', 'in this database'], columnRows(report.tables, report.doctors)))

    if (report.unavailable.length > 0 || report.partial.length > 0) {
      this.log('')
      this.log(chalk.bold('Patient values affected (their amoCRM fields are not sent):'))
      this.log(
        renderTable(
          ['value', 'effect', 'missing'],
          [
            ...report.unavailable.map((u) => [u.value, 'unavailable', u.missing.join(', ')]),
            ...report.partial.map((p) => [p.value, 'read without', p.missing.join(', ')]),
          ],
        ),
      )
      if (unavailableFields.length > 0)
        this.log(`${mark.warn()} amoCRM fields that will not be sent: ${unavailableFields.map((f) => `${f.name} (${f.key})`).join(', ')}`)
    } else {
      this.log(`${mark.ok()} every patient value (${Object.keys(PATIENT_VALUE_SOURCES).length}) can be read`)
    }

    this.log('')
    for (const [ok, line] of describeRows(report)) this.log(`${ok ? mark.ok() : mark.warn()} ${line}`)

    for (const line of dealsSection(report)) this.log(line)

    this.log('')
    const present = new Map([...report.tables, ...report.receptions.tables].filter((t) => t.present).map((t) => [t.table, t.name]))
    this.log(
      renderTable(
        ['table', 'rows'],
        [...present].map(([table, name]) => [name, report.counts[table] ?? '']),
      ),
    )
    // Missing columns are in the table above, the doctors' source in the lines before it.
    const warnings = report.warnings.filter((w) => !/^(column|table) .* does not exist$/.test(w) && w !== report.doctors.description)
    if (warnings.length > 0) {
      this.log('')
      for (const w of warnings) this.log(`${mark.warn()} ${w}`)
    }
    if (report.ok) {
      this.log('')
      this.log(`${mark.ok()} ready to read ${report.scan?.patients ?? report.counts.Patients ?? 0} patients`)
    }
  }
}

/**
 * The reception reader's section (appointments → deals), shown whether deals are on or not so that a
 * clinic sees what deals would be made of before turning them on.
 */
function dealsSection(report: DbCheckReport): string[] {
  const receptions = report.receptions
  const lines = ['', chalk.bold(`Appointments → deals (DEALS ${report.dealsEnabled ? 'on' : 'off'}): what the reception reader reads`)]
  lines.push(
    renderTable(
      ['', 'column', 'status', 'in this database'],
      columnRows(receptions.tables, report.doctors, {core: 'core ★ (deals)', coreFatal: report.dealsEnabled}),
    ),
  )
  const fields = dealFieldLines(receptions)
  if (fields.length > 0) for (const line of fields) lines.push(`${mark.warn()} ${line}`)
  else lines.push(`${mark.ok()} every deal field (${Object.keys(DEAL_VALUE_SOURCES).length} with the price) can be filled`)
  // Values read without the same columns (the stage and its IDENT status) on one line.
  const partial = new Map<string, string[]>()
  for (const p of receptions.partial) partial.set(p.missing.join(', '), [...(partial.get(p.missing.join(', ')) ?? []), p.value])
  for (const [missing, values] of partial)
    lines.push(`${mark.warn()} ${values.join(', ')} ${values.length > 1 ? 'are' : 'is'} read without ${missing}`)
  for (const table of receptions.undetectedChanges)
    lines.push(
      `${mark.warn()} changes of a reception made only in ${table} are not seen by the incremental pass (the deep pass still sees them)`,
    )
  if (receptions.coreMissing.length > 0)
    lines.push(
      report.dealsEnabled
        ? `${mark.fail()} deals cannot work: ${receptions.coreMissing.join(', ')} missing`
        : `${mark.warn()} deals cannot be turned on until ${receptions.coreMissing.join(', ')} can be read`,
    )
  return lines
}

/** Each deal field (and the price) that cannot be filled here, by its name, with the columns that are missing. */
function dealFieldLines(receptions: ReceptionSchemaReport): string[] {
  const names: Record<DealValueKey, string> = {
    ...(Object.fromEntries(DEAL_FIELD_CATALOGUE.map((f) => [f.key, `${f.name} (${f.key})`])) as Record<DealValueKey, string>),
    price: "the deal's price (price)",
  }
  return receptions.unavailableFields.map((key) => {
    const missing = receptions.unavailable.filter((u) => DEAL_VALUE_SOURCES[key].includes(u.value)).flatMap((u) => u.missing)
    return `deal field ${names[key]} is never sent: no ${[...new Set(missing)].join(', ')}`
  })
}

/**
 * One row per column a reader reads: present or not, its status, under which name in this database. A
 * missing core column is a failure where it stops the tool (`coreFatal`: the reception reader's only
 * with deals on), a warning otherwise.
 */
function columnRows(
  tables: readonly SchemaTableReport[],
  doctors: DoctorsReport,
  {core, coreFatal}: {core: string; coreFatal: boolean} = {core: 'core ★', coreFatal: true},
): string[][] {
  const rows: string[][] = []
  for (const table of tables) {
    for (const column of table.columns) {
      const name = `${table.name}.${column.name}`
      const ours = `${table.table}.${column.column}`
      const where = column.present
        ? name === ours
          ? ''
          : name
        : table.present
          ? `missing${column.renamed ? ` (looked for ${name})` : ''}`
          : `table ${table.name} missing`
      const fail = column.status === 'core' && coreFatal
      rows.push([
        column.present ? mark.ok() : !column.needed ? chalk.dim('·') : fail ? mark.fail() : mark.warn(),
        ours,
        column.status === 'core' ? core : column.status,
        // The other doctor source's columns: their absence is no problem.
        column.needed ? where : `${where ? `${where}, ` : ''}not needed (doctors from ${doctors.from})`,
      ])
    }
  }
  return rows
}

/** An error whose hint says to run `db check` is no help from `db check` itself: point at the database instead. */
function withoutDbCheckHint(error: unknown): unknown {
  if (!(error instanceof IdentError) || !error.hint?.includes('db check')) return error
  const hint =
    error.code === 'E_IDENT_QUERY'
      ? 'the database answered with an error: check that DB_FILE (or DB_NAME) is an IDENT database and the login may read it (db_datareader)'
      : 'check the DB_ settings (`ident-amo config show`)'
  return new IdentError(error.code, error.message, hint, error)
}

/** What reading the rows found: where doctors' names come from, birthdays that parse, repeated ids (patient ids only). */
function describeRows(report: DbCheckReport): Array<[boolean, string]> {
  const lines: Array<[boolean, string]> = [[report.doctors.from !== null, report.doctors.description]]
  const count = (n: number) => n.toLocaleString('en-US')
  const patients = (ids: string[]) => `e.g. patient${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`
  const birthday = report.scan?.birthday
  if (birthday) {
    const label = `Birthday${birthday.type ? ` ${birthday.type}` : ''}`
    if (birthday.values === 0) lines.push([true, `${label}: no values`])
    else if (birthday.unparseable === 0) lines.push([true, `${label}: ${count(birthday.parsed)} of ${count(birthday.values)} parse`])
    else
      lines.push([
        false,
        `${label}: ${count(birthday.parsed)} of ${count(birthday.values)} parse (${count(birthday.unparseable)} unparseable, ${patients(birthday.examples)}); amoCRM's birthday and age of those are left as they are`,
      ])
  }
  const repeated = report.scan?.repeated
  if (repeated && repeated.count > 0)
    lines.push([
      false,
      `${count(repeated.count)} patient id${repeated.count > 1 ? 's are' : ' is'} returned more than once (${patients(repeated.examples)}): the first row is read; check renamed tables and views`,
    ])
  return lines
}
