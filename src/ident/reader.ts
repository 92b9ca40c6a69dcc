import type {AppConfig} from '../config/index.js'
import {UsageError} from '../errors.js'
import {connectIdent, type IdentConnection, type IdentDialect, type Row} from './connection.js'
import {identErrorFrom} from './errors.js'
import {
  IdentQueries,
  introspectionQuery,
  type PatientRow,
  type PatientScanRow,
  type PatientSelection,
  type VisitRow,
  wantedTableNames,
} from './queries.js'
import {parseBirthday, patientFromRow, visitFromRow} from './rows.js'
import {
  type ExistingTables,
  type IdentSchemaReport,
  type IdentTable,
  missingCoreError,
  resolveSchema,
  type ResolvedSchema,
} from './schema.js'
import type {Patient, Visit} from './types.js'

/** Which patients to read: all (default), some ids, those changed since a watermark; `limit` first N. */
export interface ReadPatientsOptions {
  /** Patient ids (`Patients.ID_Persons`, decimal strings). */
  ids?: readonly string[]
  /** Naive local `YYYY-MM-DD HH:MM:SS` (e.g. from `readDatabaseClock()`): changed at or after it. */
  since?: string
  limit?: number
}

export interface WritePermission {
  /** The login could change the IDENT database (the reader never does; a read-only login is safer). */
  canWrite: boolean
  /** What it may do, e.g. `INSERT`, `UPDATE Patients`, or `write the file` for SQLite. */
  granted: string[]
}

/** Something odd about one patient's rows, said once per reader (a reader serves one run or pass). */
export interface IdentWarning {
  code: 'duplicate_patient_row'
  patientId: string
  /** For the log: the patient id only, never a value. */
  message: string
}

/** What `db check` finds by reading every patient's id and birthday (ids only, never the values). */
export interface PatientScan {
  patients: number
  /** Patient ids the database returns more than once (a view that repeats rows): the first row is read. */
  repeated: {count: number; examples: string[]}
  /** Null when there is no Birthday column. */
  birthday: {type: string | null; values: number; parsed: number; unparseable: number; examples: string[]} | null
}

/** How many example patient ids a scan keeps. */
const SCAN_EXAMPLES = 3

/** Ids per statement when reading by id: SQL Server accepts at most 2,100 parameters. */
const IDS_PER_QUERY = 1000

/**
 * Read-only access to one IDENT database. Reading all patients costs two statements (patients, visit
 * history) streamed in patient id order and merged here, whatever the number of patients.
 */
export class IdentReader {
  readonly schema: IdentSchemaReport
  readonly dialect: IdentDialect
  private readonly queries: IdentQueries
  private readonly warningListeners = new Set<(warning: IdentWarning) => void>()
  /** `code:patient` of the warnings already given: a run that reads the patients twice says each once. */
  private readonly warned = new Set<string>()

  constructor(
    private readonly connection: IdentConnection,
    private readonly resolved: ResolvedSchema,
  ) {
    this.schema = resolved.report
    this.dialect = connection.dialect
    this.queries = new IdentQueries(connection.knex, resolved, connection.dialect)
  }

  /** Where the reader is connected, for messages (`host\instance` or the SQLite file). */
  get target(): string {
    return this.connection.target.client === 'sqlite'
      ? this.connection.target.file!
      : `${this.connection.target.server}, database ${this.connection.target.database}`
  }

  async *readPatients(options: ReadPatientsOptions = {}): AsyncGenerator<Patient> {
    const selection = toSelection(options)
    if (selection.ids && selection.ids.length > IDS_PER_QUERY) {
      let left = selection.limit ?? Number.POSITIVE_INFINITY
      for (let i = 0; i < selection.ids.length && left > 0; i += IDS_PER_QUERY) {
        const chunk = {...selection, ids: selection.ids.slice(i, i + IDS_PER_QUERY), limit: Number.isFinite(left) ? left : undefined}
        for await (const patient of this.readSelection(chunk)) {
          left--
          yield patient
        }
      }
      return
    }
    yield* this.readSelection(selection)
  }

  async readPatient(id: string): Promise<Patient | null> {
    for await (const patient of this.readPatients({ids: [id]})) return patient
    return null
  }

  async countPatients(options: ReadPatientsOptions = {}): Promise<number> {
    const selection = toSelection(options)
    if (selection.ids && selection.ids.length > IDS_PER_QUERY) {
      let total = 0
      for (let i = 0; i < selection.ids.length; i += IDS_PER_QUERY)
        total += await this.countPatients({...options, ids: options.ids!.slice(i, i + IDS_PER_QUERY), limit: undefined})
      return selection.limit === undefined ? total : Math.min(total, selection.limit)
    }
    const row = await this.connection.first<{n: unknown}>(this.queries.countPatients(selection))
    return Number(row?.n ?? 0)
  }

  /** The database's own clock, naive local `YYYY-MM-DD HH:MM:SS`: the incremental watermark. */
  async readDatabaseClock(): Promise<string> {
    const row = await this.connection.first<{now: unknown}>(this.queries.clock())
    return String(row?.now)
  }

  async checkWritePermission(): Promise<WritePermission> {
    if (this.dialect === 'sqlite') {
      const writable = this.connection.sqliteFileWritable()
      return {canWrite: writable, granted: writable ? ['write the file'] : []}
    }
    const row = (await this.connection.first(this.queries.writePermissions())) ?? {}
    const granted = Object.entries(row)
      .filter(([, v]) => v === 1 || v === true)
      .map(([k]) => k)
    return {canWrite: granted.length > 0, granted}
  }

  /** Row counts of the tables this tool reads (those that exist). */
  async tableCounts(): Promise<Partial<Record<IdentTable, number>>> {
    const query = this.queries.tableCounts()
    if (!query) return {}
    const row = (await this.connection.first(query)) ?? {}
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]))
  }

  /** Every SQL statement this reader sends, as it is sent; returns a function that stops listening. */
  onQuery(listener: (sql: string, bindings: readonly unknown[]) => void): () => void {
    return this.connection.onQuery(listener)
  }

  /** Per-patient problems found while reading (patient ids only); returns a function that stops listening. */
  onWarning(listener: (warning: IdentWarning) => void): () => void {
    this.warningListeners.add(listener)
    return () => {
      this.warningListeners.delete(listener)
    }
  }

  /** Reads every patient's id and birthday once (one statement) and counts what parses and what repeats. */
  async scanPatients(): Promise<PatientScan> {
    const column = this.schema.tables.find((t) => t.table === 'Persons')?.columns.find((c) => c.column === 'Birthday')
    const birthday = column?.present ? {type: column.type, values: 0, parsed: 0, unparseable: 0, examples: [] as string[]} : null
    const repeated = {count: 0, examples: [] as string[]}
    let patients = 0
    let previous: string | undefined
    let lastRepeated: string | undefined
    for await (const row of this.connection.rows<PatientScanRow & Row>(this.queries.patientScan())) {
      const id = String(row.id)
      if (id === previous) {
        if (lastRepeated !== id) {
          lastRepeated = id
          repeated.count++
          if (repeated.examples.length < SCAN_EXAMPLES) repeated.examples.push(id)
        }
        continue
      }
      previous = id
      patients++
      if (!birthday) continue
      const parsed = parseBirthday(row.birthday)
      if (parsed === null) continue
      birthday.values++
      if (typeof parsed === 'string') birthday.parsed++
      else {
        birthday.unparseable++
        if (birthday.examples.length < SCAN_EXAMPLES) birthday.examples.push(id)
      }
    }
    return {patients, repeated, birthday}
  }

  async close(): Promise<void> {
    await this.connection.close()
  }

  private warn(code: IdentWarning['code'], patientId: string, message: string): void {
    const key = `${code}:${patientId}`
    if (this.warned.has(key)) return
    this.warned.add(key)
    for (const listener of this.warningListeners) listener({code, patientId, message})
  }

  private async *readSelection(selection: PatientSelection): AsyncGenerator<Patient> {
    const {patients, visits} = this.queries.patientQueries(selection)
    const patientRows = this.connection.rows<PatientRow & Row>(patients)
    const visitRows = visits ? this.connection.rows<VisitRow & Row>(visits) : undefined
    try {
      // Both statements start at once (two pooled connections) and are merged on the patient id.
      const [firstPatient, firstVisit] = await Promise.all([patientRows.next(), visitRows?.next()])
      let nextPatient = firstPatient
      let pendingVisit = firstVisit
      let previousId: number | undefined
      while (!nextPatient.done) {
        const row = nextPatient.value
        const id = Number(row.id)
        // Rows come in id order, so a repeated row (e.g. a view that repeats rows) follows the first:
        // the first wins, the repeat is said and skipped — never two contacts, never a batch with one id twice.
        if (id === previousId) {
          this.warn(
            'duplicate_patient_row',
            String(row.id),
            `IDENT returned patient ${row.id} more than once (a table or view that repeats rows?); the first row is used`,
          )
          nextPatient = await patientRows.next()
          continue
        }
        previousId = id
        let history: Visit[] | undefined
        if (visitRows) {
          history = []
          while (pendingVisit && !pendingVisit.done && Number(pendingVisit.value.pid) <= id) {
            if (Number(pendingVisit.value.pid) === id) {
              const visit = visitFromRow(pendingVisit.value)
              if (visit.at !== '') history.push(visit)
            }
            pendingVisit = await visitRows.next()
          }
        }
        yield patientFromRow(row, history, this.resolved)
        nextPatient = await patientRows.next()
      }
    } finally {
      await Promise.all([patientRows.return(undefined), visitRows?.return(undefined)])
    }
  }
}

/**
 * Connects read-only to the configured IDENT (SQL Server, or SQLite with DB_CLIENT=sqlite), looks at
 * what exists and resolves the config's renames. Throws an `AppError` (exit 1) with a hint when the
 * server is unreachable, the login fails, the database or file does not exist, or a core column is
 * missing. The password is `config.db.password` unless given (the caller may take it from the keychain).
 */
export async function openIdent(config: AppConfig, options: {password?: string} = {}): Promise<IdentReader> {
  const {connection, resolved} = await inspectIdent(config, options)
  if (resolved.report.coreMissing.length > 0) {
    await connection.close()
    throw missingCoreError(resolved.report)
  }
  return new IdentReader(connection, resolved)
}

/** Connects and resolves the schema without judging it (for `db check`, which reports first). */
export async function inspectIdent(
  config: AppConfig,
  options: {password?: string} = {},
): Promise<{connection: IdentConnection; resolved: ResolvedSchema}> {
  const connection = connectIdent(config, options)
  try {
    const rows = await connection.all<{tableSchema?: string; tableName: string; columnName: string; dataType?: string | null}>(
      introspectionQuery(connection.knex, connection.dialect, wantedTableNames(config.ident)),
    )
    const existing: ExistingTables = new Map()
    const schemaOf = new Map<string, string | undefined>()
    for (const row of rows) {
      const key = row.tableName.toLowerCase()
      // A table found in the default schema wins over the same name in dbo (rows come in that order).
      if (schemaOf.has(key) && schemaOf.get(key) !== row.tableSchema) continue
      schemaOf.set(key, row.tableSchema)
      const table = existing.get(key) ?? {name: row.tableName, columns: [], types: {}}
      table.columns.push(row.columnName)
      if (row.dataType) table.types![row.columnName] = row.dataType
      existing.set(key, table)
    }
    return {connection, resolved: resolveSchema(existing, config.ident)}
  } catch (error) {
    await connection.close().catch(() => {})
    throw identErrorFrom(error, connection.target)
  }
}

/** Wraps an already-inspected connection (after `inspectIdent`) into a reader, core columns or not. */
export function readerFor(connection: IdentConnection, resolved: ResolvedSchema): IdentReader {
  return new IdentReader(connection, resolved)
}

function toSelection(options: ReadPatientsOptions): PatientSelection {
  const selection: PatientSelection = {}
  if (options.ids) {
    const ids = options.ids.map((raw) => {
      const s = String(raw).trim()
      if (!/^\d{1,10}$/.test(s) || Number(s) > 2_147_483_647)
        throw new UsageError(
          `'${raw}' is not an IDENT patient id`,
          "a patient id is the whole number IDENT shows as the patient's ID (Patients.ID_Persons)",
        )
      return Number(s)
    })
    selection.ids = [...new Set(ids)].sort((a, b) => a - b)
  }
  if (options.since !== undefined) selection.since = normalizeWatermark(options.since)
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw new UsageError(`limit must be a whole number, got ${options.limit}`)
    selection.limit = options.limit
  }
  return selection
}

/** A watermark as `YYYY-MM-DD HH:MM:SS` (a `T` or fractional seconds are accepted and dropped). */
export function normalizeWatermark(since: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(since.trim())
  if (!m) throw new UsageError(`'${since}' is not a naive local time YYYY-MM-DD HH:MM:SS`)
  return `${m[1]} ${m[2]}`
}
