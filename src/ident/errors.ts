import {AppError, errorMessage} from '../errors.js'

/**
 * Codes of the IDENT errors a user can meet. `E_IDENT_UNREACHABLE` and `E_IDENT_TIMEOUT` are
 * transient (a watch loop retries them); the others need the user to change something.
 */
export type IdentErrorCode =
  | 'E_IDENT_UNREACHABLE'
  | 'E_IDENT_INSTANCE'
  | 'E_IDENT_TLS'
  | 'E_IDENT_LOGIN'
  | 'E_IDENT_NO_DATABASE'
  | 'E_IDENT_NO_FILE'
  | 'E_IDENT_NOT_SQLITE'
  | 'E_IDENT_SCHEMA'
  | 'E_IDENT_TIMEOUT'
  | 'E_IDENT_QUERY'

export class IdentError extends AppError {
  declare readonly code: IdentErrorCode

  constructor(code: IdentErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, {exitCode: 1, code, hint, ...(cause === undefined ? {} : {cause})})
  }

  /** Worth retrying later without changing anything (network down, server restarting, slow query). */
  get transient(): boolean {
    return this.code === 'E_IDENT_UNREACHABLE' || this.code === 'E_IDENT_TIMEOUT'
  }
}

/** Where we tried to connect, for messages (`host\instance` or `host:port`, and the database). */
export interface ConnectTarget {
  client: 'mssql' | 'sqlite'
  server: string
  database: string
  user?: string
  domain?: string
  instance?: string
  file?: string
  requestTimeoutMs?: number
}

interface DriverError {
  code?: string
  message?: string
  number?: number
  cause?: unknown
  errors?: unknown[]
}

/**
 * Turns a driver error (tedious, better-sqlite3, knex pool) into an `IdentError` with a hint. Errors
 * that are already `AppError`s pass through.
 */
export function identErrorFrom(error: unknown, target: ConnectTarget): AppError {
  if (error instanceof AppError) return error
  const e = (error ?? {}) as DriverError
  const message = errorMessage(error)
  const text = collectMessages(error).join(' | ')

  if (target.client === 'sqlite') {
    if (e.code === 'SQLITE_CANTOPEN')
      return new IdentError(
        'E_IDENT_NO_FILE',
        `cannot open the SQLite file ${target.file}: ${message}`,
        'check DB_FILE, or create a sample clinic with `ident-amo demo seed --out clinic.sqlite`',
        error,
      )
    if (e.code === 'SQLITE_NOTADB')
      return new IdentError(
        'E_IDENT_NOT_SQLITE',
        `${target.file} is not a SQLite database`,
        'check DB_FILE; with DB_CLIENT=sqlite it must point at an IDENT sample database',
        error,
      )
    return new IdentError(
      'E_IDENT_QUERY',
      `reading the IDENT database failed: ${message}`,
      'run `ident-amo db check` to see what the database lacks',
      error,
    )
  }

  const where = `${target.server} (database ${target.database})`
  if (e.code === 'ELOGIN') {
    if (/cannot open database|database .* does not exist/i.test(text))
      return new IdentError(
        'E_IDENT_NO_DATABASE',
        `the database "${target.database}" does not exist on ${target.server}, or the login ${quoteUser(target)} may not open it`,
        "check DB_NAME (IDENT's database is usually PZ) and that the login is mapped to a user in that database (db_datareader)",
        error,
      )
    return new IdentError(
      'E_IDENT_LOGIN',
      `login failed for ${quoteUser(target)} on ${target.server}: ${message}`,
      target.domain
        ? 'check DB_USER, DB_DOMAIN and DB_PASSWORD (`ident-amo config set DB_PASSWORD …` keeps it in the keychain)'
        : 'check DB_USER and DB_PASSWORD (`ident-amo config set DB_PASSWORD …` keeps it in the keychain); for a Windows login set DB_DOMAIN',
      error,
    )
  }
  if (e.code === 'EINSTLOOKUP')
    return new IdentError(
      'E_IDENT_INSTANCE',
      `cannot find the SQL Server instance ${target.instance ?? ''} on ${target.server}: ${message}`,
      "check DB_HOST and DB_INSTANCE, that the SQL Server Browser service runs and UDP 1434 is open; or give the instance's TCP port in DB_PORT and leave DB_INSTANCE empty",
      error,
    )
  // With a named instance the connect timer runs from the SQL Server Browser lookup (UDP 1434), which
  // waits the whole timeout when nothing answers: that silence is the usual cause, not the network.
  if (e.code === 'ETIMEOUT' && target.instance && /^Failed to connect to .*\\/.test(message))
    return new IdentError(
      'E_IDENT_INSTANCE',
      `cannot find the SQL Server instance ${target.server}: the SQL Server Browser did not answer (${message})`,
      "the SQL Server Browser service must run on the server and UDP port 1434 be open in its firewall (and the instance's TCP port); or give the instance's fixed TCP port in DB_PORT and leave DB_INSTANCE empty",
      error,
    )
  if (/certificate|self[- ]signed|SSL|TLS/i.test(text) && (e.code === 'ESOCKET' || e.code === 'EENCRYPT'))
    return new IdentError(
      'E_IDENT_TLS',
      `the TLS connection to ${target.server} failed: ${message}`,
      'for a server with a self-signed certificate set DB_TRUST_SERVER_CERTIFICATE=true; an old server without TLS needs DB_ENCRYPT=false',
      error,
    )
  if (e.code === 'ETIMEOUT' && /request|query/i.test(message) && !/connect/i.test(message))
    return new IdentError(
      'E_IDENT_TIMEOUT',
      `an IDENT query took longer than ${target.requestTimeoutMs ?? '?'} ms`,
      'raise DB_REQUEST_TIMEOUT_MS, or run again when the server is less busy',
      error,
    )
  if (
    e.code === 'ESOCKET' ||
    e.code === 'ETIMEOUT' ||
    e.code === 'ECONNCLOSED' ||
    e.code === 'ECLOSE' ||
    (error as Error)?.name === 'KnexTimeoutError'
  )
    return new IdentError(
      'E_IDENT_UNREACHABLE',
      `cannot reach SQL Server at ${where}: ${message}`,
      'check DB_HOST and DB_PORT (or DB_INSTANCE), that SQL Server accepts TCP/IP connections and that the firewall lets them through',
      error,
    )
  if (e.code === 'EREQUEST' || typeof e.number === 'number')
    return new IdentError(
      'E_IDENT_QUERY',
      `an IDENT query failed: ${message}`,
      'run `ident-amo db check` to see what the database lacks',
      error,
    )
  return new IdentError(
    'E_IDENT_QUERY',
    `talking to SQL Server at ${where} failed: ${message}`,
    'run `ident-amo db check` for details',
    error,
  )
}

function quoteUser(target: ConnectTarget): string {
  if (!target.user) return 'the login (no DB_USER set)'
  return target.domain ? `'${target.domain}\\${target.user}'` : `'${target.user}'`
}

/** Messages of an error, its causes and aggregated errors (tedious wraps socket errors). */
function collectMessages(error: unknown, depth = 0): string[] {
  if (!error || depth > 4) return []
  const e = error as DriverError
  const own = typeof e.message === 'string' ? [e.message] : []
  const nested = [...(Array.isArray(e.errors) ? e.errors : []), e.cause].flatMap((x) => collectMessages(x, depth + 1))
  return [...own, ...nested]
}
