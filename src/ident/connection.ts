import {accessSync, constants, existsSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'

import type BetterSqlite3 from 'better-sqlite3'
import knexFactory, {type Knex} from 'knex'
import type * as Tedious from 'tedious'

import type {AppConfig} from '../config/index.js'
import {type ConnectTarget, IdentError, identErrorFrom} from './errors.js'
import {allInWorker} from './sqlite-worker.js'

/**
 * The SQL Server driver, loaded when first needed: it pulls in Azure's identity libraries, a few
 * hundred milliseconds of start-up that a SQLite clinic (and `--help`) should not pay.
 */
let tediousModule: typeof Tedious | undefined
function tedious(): typeof Tedious {
  return (tediousModule ??= createRequire(import.meta.url)('tedious') as typeof Tedious)
}

export type IdentDialect = 'mssql' | 'sqlite'
export type Row = Record<string, unknown>
/** Something knex can compile: a query builder or a raw query. */
export type Compilable = Knex.QueryBuilder | Knex.Raw

/** Rows buffered from SQL Server before the stream is paused (backpressure keeps memory flat). */
export const HIGH_WATER = 500
const LOW_WATER = 100
/**
 * Two streams run at once while reading patients (patients and their visit history), and a full pass
 * may hold one such read open (the patients mapped while the contact index is read) while the family
 * pre-pass reads the patients' phones: four connections at most.
 */
const POOL_SIZE = 4

/**
 * One read-only connection pool to IDENT. Every statement goes through `rows()`/`all()`, which refuse
 * anything but SELECT/WITH and announce the statement on knex's `query` event (tests count them).
 */
export class IdentConnection {
  readonly knex: Knex
  readonly target: ConnectTarget

  constructor(
    readonly dialect: IdentDialect,
    knex: Knex,
    target: ConnectTarget,
  ) {
    this.knex = knex
    this.target = target
  }

  /** Streams the rows of a query; the connection is held until the iteration ends or is abandoned. */
  async *rows<T extends Row = Row>(query: Compilable): AsyncGenerator<T> {
    const {sql, bindings} = query.toSQL().toNative()
    assertReadOnly(sql)
    this.knex.client.emit('query', {sql, bindings, method: 'select'})
    let connection: unknown
    try {
      connection = await this.knex.client.acquireConnection()
    } catch (error) {
      throw identErrorFrom(error, this.target)
    }
    try {
      if (this.dialect === 'sqlite') yield* sqliteRows<T>(connection as BetterSqlite3.Database, sql, bindings as unknown[], this.target)
      else yield* tediousRows<T>(connection as Tedious.Connection, sql, bindings as unknown[], this.target)
    } finally {
      await this.knex.client.releaseConnection(connection)
    }
  }

  async all<T extends Row = Row>(query: Compilable): Promise<T[]> {
    const out: T[] = []
    for await (const row of this.rows<T>(query)) out.push(row)
    return out
  }

  /**
   * Every row of a statement that may take long, run beside the caller's other statements: SQL Server
   * answers it on a pooled connection of its own; SQLite, which runs a statement in the calling thread,
   * runs it in a worker thread on its own read-only handle.
   */
  async allAside<T extends Row = Row>(query: Compilable): Promise<T[]> {
    if (this.dialect !== 'sqlite') return this.all<T>(query)
    const {sql, bindings} = query.toSQL().toNative()
    assertReadOnly(sql)
    this.knex.client.emit('query', {sql, bindings, method: 'select'})
    try {
      return await allInWorker<T>(this.target.file!, sql, bindings)
    } catch (error) {
      throw identErrorFrom(error, this.target)
    }
  }

  async first<T extends Row = Row>(query: Compilable): Promise<T | undefined> {
    return (await this.all<T>(query))[0]
  }

  /** Registers a listener for every SQL statement issued; returns a function that removes it. */
  onQuery(listener: (sql: string, bindings: readonly unknown[]) => void): () => void {
    const handler = (q: {sql: string; bindings?: readonly unknown[]}) => listener(q.sql, q.bindings ?? [])
    this.knex.on('query', handler)
    return () => {
      this.knex.off('query', handler)
    }
  }

  /** Whether this process could write to the SQLite file (the reader never does). */
  sqliteFileWritable(): boolean {
    try {
      accessSync(this.target.file!, constants.W_OK)
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    await this.knex.destroy()
  }
}

/** Opens (lazily: the first query connects) a read-only pool to the configured IDENT database. */
export function connectIdent(config: AppConfig, options: {password?: string} = {}): IdentConnection {
  const db = config.db
  const silent = {warn() {}, error() {}, deprecate() {}, debug() {}}
  if (db.client === 'sqlite') {
    if (!db.file)
      throw new IdentError(
        'E_IDENT_NO_FILE',
        'DB_FILE is not set (DB_CLIENT=sqlite reads a SQLite file)',
        'set DB_FILE=clinic.sqlite, or create one with `ident-amo demo seed --out clinic.sqlite`',
      )
    if (!existsSync(db.file))
      throw new IdentError(
        'E_IDENT_NO_FILE',
        `the SQLite file ${db.file} does not exist`,
        'check DB_FILE, or create a sample clinic with `ident-amo demo seed --out clinic.sqlite`',
      )
    if (statSync(db.file).isDirectory())
      throw new IdentError(
        'E_IDENT_NO_FILE',
        `DB_FILE points at the directory ${db.file}, not at a SQLite file`,
        'set DB_FILE to the .sqlite file itself (`ident-amo config set DB_FILE <file>`)',
      )
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: {filename: db.file, options: {readonly: true}},
      useNullAsDefault: true,
      pool: {
        min: 0,
        max: POOL_SIZE,
        // A per-connection setting, nothing is written: SQLite keeps the grouped subqueries in temporary
        // b-trees, each cached up to cache_size; 2 MB instead of better-sqlite3's 16 MB halves the peak.
        afterCreate: (db: BetterSqlite3.Database, done: (error: Error | null, db: BetterSqlite3.Database) => void) => {
          db.pragma('cache_size = -2000')
          // Sorts and temporary b-trees go to a temporary file, not memory: reading 100,000 patients must
          // not cost memory in proportion to the clinic's size.
          db.pragma('temp_store = FILE')
          done(null, db)
        },
      },
      log: silent,
    })
    return new IdentConnection('sqlite', knex, {client: 'sqlite', server: db.file, database: db.file, file: db.file})
  }

  const server = sqlServerName(db)
  const password = options.password ?? db.password
  const ntlm = Boolean(db.domain)
  const knex = knexFactory({
    client: 'mssql',
    connection: {
      server: db.host,
      database: db.name,
      ...(ntlm ? {type: 'ntlm', domain: db.domain} : {}),
      user: db.user,
      password,
      connectionTimeout: db.connectTimeoutMs,
      requestTimeout: db.requestTimeoutMs,
      options: {
        ...(db.instance ? {instanceName: db.instance} : {port: db.port}),
        encrypt: db.encrypt,
        trustServerCertificate: db.trustServerCertificate,
        // ApplicationIntent=ReadOnly: routed to a readable secondary where there is one.
        readOnlyIntent: true,
        // Datetimes carry the naive clinic time in their UTC fields, whatever this machine's zone.
        useUTC: true,
        // A paused stream must never hold shared locks that block IDENT's own writes at the desk;
        // a row caught mid-write is corrected by the next pass.
        connectionIsolationLevel: tedious().ISOLATION_LEVEL.READ_UNCOMMITTED,
        appName: 'ident-amo',
      },
    } as unknown as Knex.MsSqlConnectionConfig,
    pool: {min: 0, max: POOL_SIZE},
    acquireConnectionTimeout: db.connectTimeoutMs + 5000,
    log: silent,
  })
  return new IdentConnection('mssql', knex, {
    client: 'mssql',
    server,
    database: db.name,
    user: db.user,
    domain: db.domain,
    instance: db.instance,
    requestTimeoutMs: db.requestTimeoutMs,
  })
}

/** `host\\INSTANCE` or `host:port`, as people write a SQL Server's address. */
function sqlServerName(db: AppConfig['db']): string {
  return db.instance ? `${db.host}\\${db.instance}` : `${db.host}:${db.port}`
}

/** What the configuration points at, for "connecting to …": `SQL Server host\\PZSQLSERVER (database PZ)` or `SQLite file …`. */
export function describeIdentTarget(config: AppConfig): string {
  return config.db.client === 'sqlite'
    ? `SQLite file ${config.db.file ?? '(DB_FILE not set)'}`
    : `SQL Server ${sqlServerName(config.db)} (database ${config.db.name})`
}

/** The reader never writes: a statement that is not a SELECT (or WITH … SELECT) never leaves here. */
export function assertReadOnly(sql: string): void {
  if (!/^\s*(select|with)\b/i.test(sql)) throw new Error(`refusing to send a statement that is not a SELECT to IDENT: ${sql.slice(0, 40)}`)
}

function* sqliteRows<T>(db: BetterSqlite3.Database, sql: string, bindings: unknown[], target: ConnectTarget): Generator<T> {
  let iterator: IterableIterator<unknown>
  try {
    iterator = db.prepare(sql).iterate(...bindings)
  } catch (error) {
    throw identErrorFrom(error, target)
  }
  try {
    while (true) {
      let next: IteratorResult<unknown>
      try {
        next = iterator.next()
      } catch (error) {
        throw identErrorFrom(error, target)
      }
      if (next.done) return
      yield next.value as T
    }
  } finally {
    iterator.return?.()
  }
}

/**
 * Rows of one tedious request with backpressure: the request is paused when `HIGH_WATER` rows wait
 * and resumed under `LOW_WATER`, so a slow consumer (amoCRM at 7 requests/s) keeps memory flat.
 * Abandoning the iteration cancels the request and waits for the server to acknowledge it, so the
 * connection goes back to the pool clean.
 */
export async function* tediousRows<T>(
  connection: Pick<Tedious.Connection, 'execSql'>,
  sql: string,
  bindings: unknown[],
  target: ConnectTarget,
): AsyncGenerator<T> {
  const queue: T[] = []
  let head = 0
  let done = false
  let failure: unknown
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const request = new (tedious().Request)(sql, (error) => {
    if (error) failure = error
    done = true
    notify()
  })
  bindings.forEach((value, i) => addParameter(request, i, value))
  request.on('row', (columns: Array<{value: unknown; metadata: {colName: string}}>) => {
    const row: Record<string, unknown> = {}
    for (const c of columns) row[c.metadata.colName] = c.value
    queue.push(row as T)
    if (queue.length - head >= HIGH_WATER) request.pause()
    notify()
  })
  try {
    connection.execSql(request)
  } catch (error) {
    throw identErrorFrom(error, target)
  }
  try {
    while (true) {
      if (head < queue.length) {
        const row = queue[head]!
        queue[head] = undefined as T
        head++
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head)
          head = 0
        }
        if (request.paused && queue.length - head <= LOW_WATER) request.resume()
        yield row
        continue
      }
      if (failure) throw identErrorFrom(failure, target)
      if (done) return
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  } finally {
    if (!done) {
      request.cancel()
      while (!done)
        await new Promise<void>((resolve) => {
          wake = resolve
        })
    }
  }
}

function addParameter(request: Tedious.Request, index: number, value: unknown): void {
  const name = `p${index}`
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2_147_483_647)
    request.addParameter(name, tedious().TYPES.Int, value)
  else if (typeof value === 'number') request.addParameter(name, tedious().TYPES.Float, value)
  else if (typeof value === 'boolean') request.addParameter(name, tedious().TYPES.Bit, value)
  else if (value === null || value === undefined) request.addParameter(name, tedious().TYPES.NVarChar, null)
  else request.addParameter(name, tedious().TYPES.NVarChar, String(value))
}
