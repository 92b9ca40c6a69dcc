import {createServer} from 'node:net'
import path from 'node:path'
import {writeFileSync} from 'node:fs'

import {expect} from 'chai'
import * as tedious from 'tedious'

import {loadConfig} from '../../src/config/index.js'
import {AppError} from '../../src/errors.js'
import {openIdent} from '../../src/ident/index.js'
import {connectIdent, HIGH_WATER, tediousRows} from '../../src/ident/connection.js'
import {type ConnectTarget, identErrorFrom} from '../../src/ident/errors.js'
import {generateClinic} from '../../src/sample/index.js'
import {failure, sqliteConfig, tempDir} from './helpers.js'

/** A stand-in for a tedious connection that sends `total` rows and honours pause, resume and cancel. */
class FakeConnection {
  sent = 0
  maxAhead = 0
  consumed = 0
  canceled = false

  constructor(private readonly total: number) {}

  execSql(request: tedious.Request): void {
    request.once('cancel', () => {
      this.canceled = true
      setImmediate(() => request.callback(new tedious.RequestError('Canceled.', 'ECANCEL')))
    })
    const pump = () => {
      while (!request.paused && !request.canceled && this.sent < this.total) {
        request.emit('row', [{value: this.sent, metadata: {colName: 'n'}}])
        this.sent++
        this.maxAhead = Math.max(this.maxAhead, this.sent - this.consumed)
      }
      if (request.canceled) return
      if (this.sent >= this.total) setImmediate(() => request.callback(undefined, this.total))
      else request.once('resume', () => setImmediate(pump))
    }
    setImmediate(pump)
  }
}

const TARGET: ConnectTarget = {
  client: 'mssql',
  server: 'clinic-srv\\PZSQLSERVER',
  database: 'PZ',
  user: 'reader',
  instance: 'PZSQLSERVER',
  requestTimeoutMs: 120000,
}

function mssqlConfig(env: Record<string, string>) {
  const root = tempDir()
  return loadConfig({configDir: path.join(root, 'c'), dataDir: path.join(root, 'd'), cwd: root, env})
}

/** What knex hands to tedious (knex's own mapping, so that our settings are seen to arrive). */
async function tediousSettings(env: Record<string, string>, password?: string) {
  const connection = connectIdent(mssqlConfig(env), {password})
  try {
    return (
      connection.knex.client as unknown as {
        _generateConnection(): {
          server: string
          authentication: {type: string; options: Record<string, unknown>}
          options: Record<string, unknown>
        }
      }
    )._generateConnection()
  } finally {
    await connection.close()
  }
}

describe('ident connection: SQL Server settings', () => {
  it('connects to a named instance read-only, with UTC dates and TLS as configured', async () => {
    const settings = await tediousSettings(
      {DB_HOST: 'clinic-srv', DB_INSTANCE: 'PZSQLSERVER', DB_USER: 'reader', DB_TRUST_SERVER_CERTIFICATE: 'true'},
      'from-keychain',
    )
    expect(settings.server).to.equal('clinic-srv')
    expect(settings.authentication.type).to.equal('default')
    expect(settings.authentication.options).to.include({userName: 'reader', password: 'from-keychain'})
    expect(settings.options).to.include({
      instanceName: 'PZSQLSERVER',
      database: 'PZ',
      readOnlyIntent: true,
      useUTC: true,
      encrypt: true,
      trustServerCertificate: true,
      connectTimeout: 15000,
      requestTimeout: 120000,
    })
    expect(settings.options).not.to.have.property('port')
    expect(settings.options.connectionIsolationLevel).to.equal(tedious.ISOLATION_LEVEL.READ_UNCOMMITTED)
  })

  it('uses a Windows (NTLM) login when DB_DOMAIN is set, and a port without an instance', async () => {
    const settings = await tediousSettings({
      DB_HOST: '10.0.0.5',
      DB_PORT: '14330',
      DB_USER: 'ivanova',
      DB_PASSWORD: 'pw',
      DB_DOMAIN: 'CLINIC',
      DB_ENCRYPT: 'false',
      DB_NAME: 'PZ2',
    })
    expect(settings.authentication.type).to.equal('ntlm')
    expect(settings.authentication.options).to.include({userName: 'ivanova', password: 'pw', domain: 'CLINIC'})
    expect(settings.options).to.include({port: 14330, database: 'PZ2', encrypt: false, trustServerCertificate: false})
    expect(settings.options).not.to.have.property('instanceName')
  })
})

describe('ident connection: SQL Server streaming', () => {
  it('pauses the request while the consumer is slow, so rows never pile up', async () => {
    const connection = new FakeConnection(5000)
    const seen: number[] = []
    for await (const row of tediousRows<{n: number}>(connection, 'select 1', [], TARGET)) {
      seen.push(row.n)
      connection.consumed++
      if (seen.length % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(seen).to.have.length(5000)
    expect(seen[4999]).to.equal(4999)
    expect(connection.maxAhead).to.be.at.most(HIGH_WATER + 1)
  })

  it('cancels the request when the consumer stops early, and waits for it to end', async () => {
    const connection = new FakeConnection(100_000)
    let n = 0
    for await (const _ of tediousRows(connection, 'select 1', [], TARGET)) {
      connection.consumed++
      if (++n === 10) break
    }
    expect(connection.canceled).to.equal(true)
    expect(connection.sent).to.be.lessThan(2000)
  })

  it('turns a failed request into an IDENT error', async () => {
    const failing = {
      execSql(request: tedious.Request) {
        setImmediate(() =>
          request.callback(Object.assign(new tedious.RequestError("Invalid column name 'MobilePhone'.", 'EREQUEST'), {number: 207})),
        )
      },
    }
    let error: unknown
    try {
      for await (const _ of tediousRows(failing, 'select 1', [], TARGET)) {
        // no rows
      }
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(AppError)
    expect((error as AppError).code).to.equal('E_IDENT_QUERY')
    expect((error as AppError).message).to.include("Invalid column name 'MobilePhone'")
  })
})

describe('ident connection: errors a user can meet', () => {
  const cases: Array<[string, Error, string, RegExp, RegExp]> = [
    [
      'login failed',
      new tedious.ConnectionError("Login failed for user 'reader'.", 'ELOGIN'),
      'E_IDENT_LOGIN',
      /login failed for 'reader'/,
      /DB_USER and DB_PASSWORD/,
    ],
    [
      'database does not exist',
      new tedious.ConnectionError('Cannot open database "PZ" requested by the login. The login failed.', 'ELOGIN'),
      'E_IDENT_NO_DATABASE',
      /database "PZ" does not exist/,
      /DB_NAME/,
    ],
    [
      'server unreachable',
      new tedious.ConnectionError('Failed to connect to clinic-srv:1433 - connect ECONNREFUSED 10.0.0.5:1433', 'ESOCKET'),
      'E_IDENT_UNREACHABLE',
      /cannot reach SQL Server/,
      /DB_HOST/,
    ],
    [
      'connect timeout',
      new tedious.ConnectionError('Failed to connect to clinic-srv:1433 in 15000ms', 'ETIMEOUT'),
      'E_IDENT_UNREACHABLE',
      /cannot reach SQL Server/,
      /firewall/,
    ],
    [
      'instance not found',
      new tedious.ConnectionError('Port for PZSQLSERVER not found in clinic-srv', 'EINSTLOOKUP'),
      'E_IDENT_INSTANCE',
      /instance PZSQLSERVER/,
      /SQL Server Browser/,
    ],
    [
      'self-signed certificate',
      new tedious.ConnectionError('Failed to connect to clinic-srv:1433 - self-signed certificate', 'ESOCKET'),
      'E_IDENT_TLS',
      /TLS/,
      /DB_TRUST_SERVER_CERTIFICATE=true/,
    ],
    [
      'query timeout',
      new tedious.RequestError('Timeout: Request failed to complete in 120000ms', 'ETIMEOUT'),
      'E_IDENT_TIMEOUT',
      /longer than 120000 ms/,
      /DB_REQUEST_TIMEOUT_MS/,
    ],
  ]
  for (const [what, driverError, code, message, hint] of cases)
    it(`explains: ${what}`, () => {
      const error = identErrorFrom(driverError, TARGET)
      expect(error.code).to.equal(code)
      expect(error.exitCode).to.equal(1)
      expect(error.message).to.match(message)
      expect(error.hint).to.match(hint)
    })

  it('stops with a clear error when SQL Server does not answer (a real refused connection)', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer()
      server.listen(0, '127.0.0.1', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const root = tempDir()
    const config = loadConfig({
      configDir: path.join(root, 'c'),
      dataDir: path.join(root, 'd'),
      cwd: root,
      env: {DB_HOST: '127.0.0.1', DB_PORT: String(port), DB_USER: 'reader', DB_PASSWORD: 'x', DB_CONNECT_TIMEOUT_MS: '3000'},
    })
    let error: unknown
    try {
      await openIdent(config)
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(AppError)
    expect((error as AppError).code).to.equal('E_IDENT_UNREACHABLE')
    expect((error as AppError).message).to.include(`127.0.0.1:${port}`)
  })

  it('stops with a clear error when the SQLite file is missing or is not a database', async () => {
    const missing = path.join(tempDir(), 'nope.sqlite')
    const notDb = path.join(tempDir(), 'text.sqlite')
    writeFileSync(notDb, 'this is not a database, just text long enough to have a header'.repeat(20))
    for (const [file, code, text] of [
      [missing, 'E_IDENT_NO_FILE', 'does not exist'],
      [notDb, 'E_IDENT_NOT_SQLITE', 'is not a SQLite database'],
    ] as const) {
      let error: unknown
      try {
        await openIdent(sqliteConfig(file))
      } catch (e) {
        error = e
      }
      expect(error, file).to.be.instanceOf(AppError)
      expect((error as AppError).code).to.equal(code)
      expect((error as AppError).message).to.include(text)
      expect((error as AppError).hint).to.include('DB_FILE')
    }
  })
})

describe('ident connection: a statement run aside (SQLite in a worker thread)', () => {
  it('answers what the pool answers, announces the statement, and leaves this thread free while it runs', async () => {
    const {file} = generateClinic({patients: 50, seed: 4, file: path.join(tempDir(), 'clinic.sqlite')})
    const connection = connectIdent(sqliteConfig(file))
    const announced: string[] = []
    connection.onQuery((sql) => announced.push(sql))
    try {
      const ids = connection.knex.from('Receptions').distinct({pid: 'ID_Patients'}).where('ID_Patients', '<', 20).orderBy('pid')
      expect(await connection.allAside(ids)).to.deep.equal(await connection.all(ids))
      expect(announced).to.have.length(2)
      expect(announced[0]).to.equal(announced[1])

      // A statement that keeps SQLite busy (counting to a million): run in this thread, no timer
      // callback could run until it ended; run aside, this thread goes on turning meanwhile.
      const busy = connection.knex.raw(
        'with recursive n(x) as (select 1 union all select x + 1 from n where x < 1000000) select count(*) as c from n',
      )
      let turns = 0
      let counting = true
      const turn = (): void => {
        if (!counting) return
        turns++
        setImmediate(turn)
      }
      setImmediate(turn)
      const rows = await connection.allAside<{c: number}>(busy)
      counting = false
      expect(rows).to.deep.equal([{c: 1_000_000}])
      expect(turns, 'event-loop turns while the statement ran').to.be.greaterThan(10)
    } finally {
      await connection.close()
    }
  })

  it('turns a failing statement into an IDENT error, and never sends anything but a SELECT', async () => {
    const {file} = generateClinic({patients: 5, seed: 4, file: path.join(tempDir(), 'clinic.sqlite')})
    const connection = connectIdent(sqliteConfig(file))
    try {
      const error = await failure(() => connection.allAside(connection.knex.from('NoSuchTable').select('x')))
      expect(error.code).to.equal('E_IDENT_QUERY')
      expect(error.message).to.include('no such table: NoSuchTable')
      let refused: unknown
      try {
        await connection.allAside(connection.knex.from('Persons').where('ID', 1).update({Name: 'x'}))
      } catch (e) {
        refused = e
      }
      expect(String(refused)).to.include('refusing to send a statement that is not a SELECT')
    } finally {
      await connection.close()
    }
  })
})
