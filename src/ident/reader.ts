import type {AppConfig} from '../config/index.js'
import {UsageError} from '../errors.js'
import {connectIdent, type IdentConnection, type IdentDialect, type Row} from './connection.js'
import {identErrorFrom} from './errors.js'
import {
  type ChangePart,
  IdentQueries,
  introspectionQuery,
  type PatientRow,
  type PatientScanRow,
  type PatientSelection,
  type VisitRow,
  wantedTableNames,
} from './queries.js'
import {ReceptionQueries, type ReceptionRow, type ReceptionSelection, type ServiceRow} from './reception-queries.js'
import {receptionFromRow} from './receptions.js'
import {parseBirthday, patientFromRow, visitFromRow} from './rows.js'
import {
  type ExistingTables,
  type IdentSchemaReport,
  type IdentTable,
  missingCoreError,
  resolveSchema,
  type ResolvedSchema,
} from './schema.js'
import {addHours, startOfDayBefore} from './time.js'
import type {Patient, Reception} from './types.js'

/** Which patients to read: all (default), some ids, those changed since a watermark; `limit` first N. */
export interface ReadPatientsOptions {
  /** Patient ids (`Patients.ID_Persons`, decimal strings). */
  ids?: readonly string[]
  /** Naive local `YYYY-MM-DD HH:MM:SS` (e.g. from `readDatabaseClock()`): changed at or after it. */
  since?: string
  limit?: number
}

/**
 * The clinic's clock and the deals settings every reception read depends on: the window (`PlanStart`
 * from midnight `historyDays` days before `now`, all future ones included) and the no-show time.
 */
export interface ReceptionClock {
  /** The clinic's present moment, naive local `YYYY-MM-DD HH:MM:SS` (see `clinicNow`). */
  now: string
  /** DEALS_HISTORY_DAYS. */
  historyDays: number
  /** DEALS_NO_SHOW_HOURS: a reception with no sign of the patient is a no-show this long after its end. */
  noShowHours: number
}

/**
 * Which receptions of the window to read: all (default), or those matching every option given —
 * except `changedSince` and `noShowsAfter`, which add up ("changed since W, or became a no-show in
 * (previous pass, now]").
 */
export interface ReadReceptionsOptions {
  /** Naive local time: receptions changed at or after it (see docs/ident-schema.md "Receptions changed since W"). */
  changedSince?: string
  /** Naive local time, the previous pass's `now`: receptions whose no-show time came after it and by `now`. */
  noShowsAfter?: string
  /** One patient's receptions (`patient test`). */
  patientId?: string
  /** Reception ids (`Receptions.ID`, decimal strings), e.g. to read earlier failures again. */
  ids?: readonly string[]
}

export interface WritePermission {
  /** The login could change the IDENT database (the reader never does; a read-only login is safer). */
  canWrite: boolean
  /** What it may do, e.g. `INSERT`, `UPDATE Patients`, or `write the file` for SQLite. */
  granted: string[]
}

/** Something odd about one patient's rows, said once per reader (a reader serves one run or pass). */
export interface IdentWarning {
  code: 'duplicate_patient_row' | 'duplicate_reception_row'
  patientId: string
  /** Set for `duplicate_reception_row`. */
  receptionId?: string
  /** For the log: ids only, never a value. */
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
 * Patient ids per read by id: the patient statement binds them in each of its grouped subqueries too
 * (up to eight times), within SQL Server's 2,100 parameters.
 */
const PATIENT_IDS_PER_READ = 200
/**
 * Up to this many patients changed since the watermark are read by id (their ids first, one cheap
 * statement); more are read by the change condition itself, one set-based pass over the tables.
 */
const CHANGED_READ_BY_ID = 1000
/**
 * Every patient is read in slices of this many, by id range, the range inside every grouped subquery:
 * a database that materialises the grouped subqueries (SQLite keeps each in a temporary b-tree with a
 * page cache of its own, some 60 MB for 100,000 patients) then holds one slice's, not the clinic's.
 */
const PATIENTS_PER_SLICE = 10_000
/**
 * The first slice is smaller: the database groups a whole slice before its first row comes, and a
 * pass waits for those rows to start mapping (SQLite groups in the CLI's own thread, which then answers
 * nothing else). 1,000 patients come about ten times sooner than 10,000.
 */
const FIRST_SLICE = 1_000

/**
 * Read-only access to one IDENT database. Reading patients costs two statements (patients, visit
 * history) streamed in patient id order and merged here — for all of them, per slice of 10,000 (the
 * first of 1,000; one statement more finds where the slice ends) — never a statement per patient.
 */
export class IdentReader {
  readonly schema: IdentSchemaReport
  readonly dialect: IdentDialect
  private readonly queries: IdentQueries
  private readonly receptionQueries: ReceptionQueries
  private readonly warningListeners = new Set<(warning: IdentWarning) => void>()
  /** `code:patient` of the warnings already given: a run that reads the patients twice says each once. */
  private readonly warned = new Set<string>()

  constructor(
    private readonly connection: IdentConnection,
    private readonly resolved: ResolvedSchema,
    private readonly patientsPerSlice = PATIENTS_PER_SLICE,
    private readonly firstSlice = FIRST_SLICE,
  ) {
    this.schema = resolved.report
    this.dialect = connection.dialect
    this.queries = new IdentQueries(connection.knex, resolved, connection.dialect)
    this.receptionQueries = new ReceptionQueries(connection.knex, resolved, connection.dialect)
  }

  /** Where the reader is connected, for messages (`host\instance` or the SQLite file). */
  get target(): string {
    return this.connection.target.client === 'sqlite'
      ? this.connection.target.file!
      : `${this.connection.target.server}, database ${this.connection.target.database}`
  }

  async *readPatients(options: ReadPatientsOptions = {}): AsyncGenerator<Patient> {
    const selection = toSelection(options)
    if (selection.ids !== undefined) yield* this.readByIds({...selection, ids: selection.ids})
    else if (selection.since !== undefined) yield* this.readChanged(selection.since, selection.limit)
    else yield* this.readSlices(selection.limit)
  }

  /**
   * An incremental pass: usually a handful of patients changed. Their ids come first, then they are
   * read by id, which groups only their rows, not the whole clinic's (over 1,000: one set-based read
   * of the change condition instead).
   *
   * Finding them is two statements. The tables' `DateTimeChanged` are ranges; the receptions' status
   * datetimes are five columns no index covers, a read of every reception (a tenth of a second or more
   * over 500,000). That one runs aside, while the patients the first found are read and sent; the
   * patients only it finds follow. With a limit (the first N by id), one statement of both.
   */
  private async *readChanged(since: string, limit: number | undefined): AsyncGenerator<Patient> {
    const ids = (rows: Array<{pid: unknown}>) => rows.map((r) => Number(r.pid))
    const changedIds = (part: ChangePart) => this.queries.changedPatientIds(since, CHANGED_READ_BY_ID + 1, part)
    if (limit !== undefined || !this.queries.hasStatusChanges()) {
      const changed = ids(await this.connection.all<{pid: unknown}>(changedIds('all')))
      if (changed.length > CHANGED_READ_BY_ID) yield* this.readSelection({since, limit})
      else yield* this.readByIds({ids: changed, limit})
      return
    }
    const statusScan = this.connection.allAside<{pid: unknown}>(changedIds('statuses'))
    // Awaited below, or abandoned with the read: never an unhandled rejection meanwhile.
    statusScan.catch(() => undefined)
    const changed = ids(await this.connection.all<{pid: unknown}>(changedIds('changes')))
    if (changed.length > CHANGED_READ_BY_ID) {
      yield* this.readSelection({since})
      return
    }
    yield* this.readByIds({ids: changed})
    const read = new Set(changed)
    const byStatus = ids(await statusScan)
    if (byStatus.length <= CHANGED_READ_BY_ID) yield* this.readByIds({ids: byStatus.filter((id) => !read.has(id))})
    else for await (const patient of this.readSelection({since})) if (!read.has(Number(patient.id))) yield patient
  }

  /** Patients by id, `PATIENT_IDS_PER_READ` to a read (with `since` too: those of them changed). */
  private readByIds(selection: PatientSelection & {ids: readonly number[]}): AsyncGenerator<Patient> {
    const chunks: PatientSelection[] = []
    for (let i = 0; i < selection.ids.length; i += PATIENT_IDS_PER_READ)
      chunks.push({...selection, ids: selection.ids.slice(i, i + PATIENT_IDS_PER_READ)})
    return this.readEach(chunks, selection.limit)
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

  /**
   * The receptions of the window (docs/ident-schema.md "Receptions"), each with its stage at
   * `clock.now`, in `Receptions.ID` order: two statements (receptions, services) streamed and merged,
   * whatever the number. Throws (exit 1) when a core column of receptions is missing.
   */
  async *readReceptions(clock: ReceptionClock, options: ReadReceptionsOptions = {}): AsyncGenerator<Reception> {
    const selection = this.receptionSelection(clock, options)
    const normalized = {now: normalizeWatermark(clock.now), noShowHours: clock.noShowHours}
    for (const chunk of byIdChunks(selection)) {
      const {receptions, services} = this.receptionQueries.receptionQueries(chunk)
      const rows = mergeOnKey(
        this.connection.rows<ReceptionRow & Row>(receptions),
        services ? this.connection.rows<ServiceRow & Row>(services) : undefined,
        (row) => Number(row.id),
        (row) => Number(row.rid),
      )
      let previousId: number | undefined
      for await (const [row, serviceRows] of rows) {
        // A table or view that repeats rows: the first wins, the repeat is said and skipped (never two deals).
        if (Number(row.id) === previousId) {
          this.warn(
            'duplicate_reception_row',
            String(row.patientId),
            `IDENT returned reception ${row.id} more than once (a table or view that repeats rows?); the first row is used`,
            String(row.id),
          )
          continue
        }
        previousId = Number(row.id)
        yield receptionFromRow(row, serviceRows, this.resolved, normalized)
      }
    }
  }

  /** How many receptions `readReceptions` would read with these options (for progress). */
  async countReceptions(clock: ReceptionClock, options: ReadReceptionsOptions = {}): Promise<number> {
    let total = 0
    for (const chunk of byIdChunks(this.receptionSelection(clock, options))) {
      const row = await this.connection.first<{n: unknown}>(this.receptionQueries.countReceptions(chunk))
      total += Number(row?.n ?? 0)
    }
    return total
  }

  /** How many receptions lie before the window (the report's `outOfWindow`). */
  async countReceptionsOutOfWindow(clock: ReceptionClock): Promise<number> {
    const {windowStart} = this.receptionSelection(clock, {})
    const row = await this.connection.first<{n: unknown}>(this.receptionQueries.countOutOfWindow(windowStart))
    return Number(row?.n ?? 0)
  }

  /**
   * IDENT's cancel reason names, trimmed, each once (the deals' loss reasons are made of them); undefined
   * when the database has no `ReceptionCancelReasons` table (or its columns): one statement.
   */
  async readCancelReasonNames(): Promise<string[] | undefined> {
    const query = this.receptionQueries.cancelReasonNames()
    if (!query) return undefined
    const names = new Set<string>()
    for (const row of await this.connection.all<{name: unknown}>(query)) {
      const name = typeof row.name === 'string' ? row.name.trim() : ''
      if (name !== '') names.add(name)
    }
    return [...names]
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

  private warn(code: IdentWarning['code'], patientId: string, message: string, receptionId?: string): void {
    const key = `${code}:${receptionId ?? patientId}`
    if (this.warned.has(key)) return
    this.warned.add(key)
    for (const listener of this.warningListeners) listener({code, patientId, message, ...(receptionId === undefined ? {} : {receptionId})})
  }

  /** The statements' selection for a reception read, checked: the window from the clock, ids as numbers. */
  private receptionSelection(clock: ReceptionClock, options: ReadReceptionsOptions): ReceptionSelection {
    const {receptions} = this.schema
    if (receptions.coreMissing.length > 0) throw missingCoreError(receptions, 'deals')
    const now = normalizeWatermark(clock.now)
    if (!Number.isInteger(clock.historyDays) || clock.historyDays < 0)
      throw new UsageError(`the history in days must be a whole number ≥ 0, got ${clock.historyDays}`)
    if (!Number.isFinite(clock.noShowHours) || clock.noShowHours < 0)
      throw new UsageError(`the no-show hours must be a number ≥ 0, got ${clock.noShowHours}`)
    const selection: ReceptionSelection = {windowStart: startOfDayBefore(now, clock.historyDays)}
    if (options.changedSince !== undefined) selection.since = normalizeWatermark(options.changedSince)
    // A reception becomes a no-show when its end plus the grace hours is reached: in (previous, now] by
    // that time is (previous, now] moved back by the grace hours by its end.
    if (options.noShowsAfter !== undefined)
      selection.noShowEnds = {
        after: addHours(normalizeWatermark(options.noShowsAfter), -clock.noShowHours),
        upTo: addHours(now, -clock.noShowHours),
      }
    if (options.patientId !== undefined) selection.patientId = parseId(options.patientId, 'patient')
    if (options.ids) selection.ids = [...new Set(options.ids.map((id) => parseId(id, 'reception')))].sort((a, b) => a - b)
    return selection
  }

  /** Every patient (the first `limit`), a slice of `patientsPerSlice` at a time. */
  private readSlices(limit: number | undefined): AsyncGenerator<Patient> {
    return this.readEach(this.slices(), limit)
  }

  /** The id ranges of every patient, a slice at a time; each slice's end is asked for when it is needed. */
  private async *slices(): AsyncGenerator<PatientSelection> {
    for (let after = -1; ;) {
      const size = after === -1 ? Math.min(this.firstSlice, this.patientsPerSlice) : this.patientsPerSlice
      const end = await this.connection.first<{upTo: unknown; n: unknown}>(this.queries.sliceEnd(after, size))
      if (end?.upTo === null || end?.upTo === undefined) return
      const upTo = Number(end.upTo)
      yield {idRange: {after, upTo}}
      if (Number(end.n) < size) return
      after = upTo
    }
  }

  /** The patients of each selection in turn, the first `limit` of them all (no selection is asked for past it). */
  private async *readEach(selections: AsyncIterable<PatientSelection> | Iterable<PatientSelection>, limit: number | undefined) {
    let left = limit ?? Number.POSITIVE_INFINITY
    if (left <= 0) return
    for await (const selection of selections) {
      for await (const patient of this.readSelection({...selection, limit: Number.isFinite(left) ? left : undefined})) {
        left--
        yield patient
      }
      if (left <= 0) return
    }
  }

  private async *readSelection(selection: PatientSelection): AsyncGenerator<Patient> {
    const {patients, visits} = this.queries.patientQueries(selection)
    const rows = mergeOnKey(
      this.connection.rows<PatientRow & Row>(patients),
      visits ? this.connection.rows<VisitRow & Row>(visits) : undefined,
      (row) => Number(row.id),
      (row) => Number(row.pid),
    )
    let previousId: number | undefined
    for await (const [row, visitRows] of rows) {
      const id = Number(row.id)
      // Rows come in id order, so a repeated row (e.g. a view that repeats rows) follows the first:
      // the first wins, the repeat is said and skipped — never two contacts, never a batch with one id twice.
      if (id === previousId) {
        this.warn(
          'duplicate_patient_row',
          String(row.id),
          `IDENT returned patient ${row.id} more than once (a table or view that repeats rows?); the first row is used`,
        )
        continue
      }
      previousId = id
      const history = visitRows?.map(visitFromRow).filter((visit) => visit.at !== '')
      yield patientFromRow(row, history, this.resolved)
    }
  }
}

/**
 * Pairs each row of `parents` (ascending keys) with the rows of `children` (the same order) that carry
 * its key: two streamed statements merged in one pass, both started at once (two pooled connections).
 * A parent row repeated right after itself gets no children the second time. Children are undefined
 * when there is no child statement.
 */
async function* mergeOnKey<P, C>(
  parents: AsyncGenerator<P>,
  children: AsyncGenerator<C> | undefined,
  parentKey: (row: P) => number,
  childKey: (row: C) => number,
): AsyncGenerator<[P, C[] | undefined]> {
  try {
    const [firstParent, firstChild] = await Promise.all([parents.next(), children?.next()])
    let parent = firstParent
    let child = firstChild
    while (!parent.done) {
      const key = parentKey(parent.value)
      let mine: C[] | undefined
      if (children) {
        mine = []
        while (child && !child.done && childKey(child.value) <= key) {
          if (childKey(child.value) === key) mine.push(child.value)
          child = await children.next()
        }
      }
      yield [parent.value, mine]
      parent = await parents.next()
    }
  } finally {
    await Promise.all([parents.return(undefined), children?.return(undefined)])
  }
}

/** A selection by ids split into statements of at most `IDS_PER_QUERY` ids (one selection otherwise). */
function* byIdChunks(selection: ReceptionSelection): Generator<ReceptionSelection> {
  if (!selection.ids || selection.ids.length <= IDS_PER_QUERY) {
    yield selection
    return
  }
  for (let i = 0; i < selection.ids.length; i += IDS_PER_QUERY) yield {...selection, ids: selection.ids.slice(i, i + IDS_PER_QUERY)}
}

/**
 * Connects read-only to the configured IDENT (SQL Server, or SQLite with DB_CLIENT=sqlite), looks at
 * what exists and resolves the config's renames. Throws an `AppError` (exit 1) with a hint when the
 * server is unreachable, the login fails, the database or file does not exist, or a core column is
 * missing (of receptions: only when deals are on). The password is `config.db.password` unless given (the caller may take it from the keychain).
 */
export async function openIdent(config: AppConfig, options: {password?: string} = {}): Promise<IdentReader> {
  const {connection, resolved} = await inspectIdent(config, options)
  const {report} = resolved
  // Receptions are read only for deals: without their core columns only a clinic with deals on cannot work.
  const fatal =
    report.coreMissing.length > 0
      ? missingCoreError(report)
      : config.deals.enabled && report.receptions.coreMissing.length > 0
        ? missingCoreError(report.receptions, 'deals')
        : undefined
  if (fatal) {
    await connection.close()
    throw fatal
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

/**
 * IDENT's cancel reason names (see `IdentReader.readCancelReasonNames`) for `fields check` and
 * `fields create`: connects without judging the rest of the schema, reads, closes. Throws like
 * `inspectIdent` when the database cannot be reached.
 */
export async function readCancelReasonNames(config: AppConfig, options: {password?: string} = {}): Promise<string[] | undefined> {
  const {connection, resolved} = await inspectIdent(config, options)
  const reader = new IdentReader(connection, resolved)
  try {
    return await reader.readCancelReasonNames()
  } finally {
    await reader.close()
  }
}

/**
 * Wraps an already-inspected connection (after `inspectIdent`) into a reader, core columns or not;
 * `patientsPerSlice` (tests) reads every patient in smaller slices.
 */
export function readerFor(
  connection: IdentConnection,
  resolved: ResolvedSchema,
  patientsPerSlice?: number,
  firstSlice?: number,
): IdentReader {
  return new IdentReader(connection, resolved, patientsPerSlice, firstSlice)
}

function toSelection(options: ReadPatientsOptions): PatientSelection {
  const selection: PatientSelection = {}
  if (options.ids) selection.ids = [...new Set(options.ids.map((raw) => parseId(raw, 'patient')))].sort((a, b) => a - b)
  if (options.since !== undefined) selection.since = normalizeWatermark(options.since)
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw new UsageError(`limit must be a whole number, got ${options.limit}`)
    selection.limit = options.limit
  }
  return selection
}

/** An IDENT id (a SQL Server int) from its decimal string; anything else is a usage error. */
function parseId(raw: string, kind: 'patient' | 'reception'): number {
  const s = String(raw).trim()
  if (!/^\d{1,10}$/.test(s) || Number(s) > 2_147_483_647)
    throw new UsageError(
      `'${raw}' is not an IDENT ${kind} id`,
      kind === 'patient'
        ? "a patient id is the whole number IDENT shows as the patient's ID (Patients.ID_Persons)"
        : 'a reception id is the whole number of Receptions.ID',
    )
  return Number(s)
}

/** A watermark as `YYYY-MM-DD HH:MM:SS` (a `T` or fractional seconds are accepted and dropped). */
export function normalizeWatermark(since: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(since.trim())
  if (!m) throw new UsageError(`'${since}' is not a naive local time YYYY-MM-DD HH:MM:SS`)
  return `${m[1]} ${m[2]}`
}
