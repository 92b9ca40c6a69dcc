import {createSocket} from 'node:dgram'
import {rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {BIN, cliEnv, expectExit, parseJson, runCli, type TempHome, tempHome, unwrapped} from '../helpers/cli.js'
import {startOnPty} from '../helpers/pty.js'

interface JsonErrorDoc {
  error: {name: string; code: string; message: string; hint: string; exitCode: number}
}

/** The one small error document of a failed `--json` command. */
function jsonError(result: Awaited<ReturnType<typeof runCli>>): JsonErrorDoc['error'] {
  const doc = parseJson<JsonErrorDoc>(result)
  expect(Object.keys(doc)).to.deep.equal(['error'])
  expect(Object.keys(doc.error).sort()).to.deep.equal(['code', 'exitCode', 'hint', 'message', 'name'])
  return doc.error
}

describe('e2e: usage errors', () => {
  let home: TempHome
  before(() => {
    home = tempHome()
  })
  after(() => rmSync(home.root, {recursive: true, force: true}))
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, {env: {...home.env, ...env}, cwd: home.root})

  it('a misspelt flag with --json: exit 2 and one small JSON document, not oclif internals', async () => {
    const result = await cli(['sync', 'full', '--dryrun', '--json'])
    expectExit(result, 2)
    const error = jsonError(result)
    expect(error).to.include({code: 'E_USAGE', exitCode: 2})
    expect(error.message).to.include('--dryrun')
    expect(error.hint).to.include('ident-amo sync full --help')
    expect(result.stdout.length).to.be.below(1000)
    expect(result.stdout).not.to.include(homedir())
  })

  it('an unknown command: exit 2, says "did you mean", in the words typed; with --json the same as a document', async () => {
    for (const typed of [
      ['sync', 'ful'],
      ['synk', 'full'],
    ]) {
      const result = await cli(typed)
      expectExit(result, 2)
      expect(result.stderr).to.include(`unknown command \`${typed.join(' ')}\``)
      expect(result.stderr).to.include('did you mean `ident-amo sync full`?')
      expect(result.stderr).not.to.include('sync:ful')
    }
    const json = await cli(['synk', 'full', '--json'])
    expectExit(json, 2)
    expect(jsonError(json)).to.include({
      code: 'E_USAGE',
      message: 'unknown command `synk full`',
      hint: 'did you mean `ident-amo sync full`?',
    })
    const nothingClose = await cli(['frobnicate'])
    expectExit(nothingClose, 2)
    expect(nothingClose.stderr).to.include('`ident-amo --help` lists the commands')
  })

  it('every bad value given on the command line exits 2 and names what is wrong', async () => {
    const interval = await cli(['sync', 'watch', '--interval', '0'])
    expectExit(interval, 2)
    expect(interval.stderr).to.include("--interval must be a number greater than 0, got '0'")
    expectExit(await cli(['sync', 'full', '--batch-size', '0']), 2)
    const port = await cli(['config', 'set', 'DB_PORT', 'abc'])
    expectExit(port, 2)
    expect(port.stderr).to.include("DB_PORT must be a port number, got 'abc'")
    expectExit(await cli(['config', 'set', 'FOO', 'bar']), 2)
    const json = await cli(['sync', 'watch', '--interval', '0', '--json'])
    expectExit(json, 2)
    expect(jsonError(json)).to.include({code: 'E_USAGE', exitCode: 2})
  })

  it('-h is --help', async () => {
    const short = await cli(['sync', 'full', '-h'])
    expectExit(short, 0)
    expect(short.stdout).to.include('USAGE').and.include('--batch-size')
    expect(short.stdout).to.equal((await cli(['sync', 'full', '--help'])).stdout)
  })
})

describe('e2e: errors that say what to do', () => {
  let home: TempHome
  beforeEach(() => {
    home = tempHome()
  })
  afterEach(() => rmSync(home.root, {recursive: true, force: true}))
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, {env: {...home.env, ...env}, cwd: home.root})

  it('a bad value from the environment or .env names where it came from; config show still runs and marks it', async () => {
    const fromEnv = await cli(['db', 'check'], {SYNC_INTERVAL_MINUTES: 'abc'})
    expectExit(fromEnv, 1)
    expect(unwrapped(fromEnv.stderr)).to.include("SYNC_INTERVAL_MINUTES must be a number, got 'abc' (from the environment)")
    expect(unwrapped(fromEnv.stderr)).to.include('`unset SYNC_INTERVAL_MINUTES`')

    writeFileSync(path.join(home.root, '.env'), 'SYNC_INTERVAL_MINUTES=abc\n')
    const fromDotenv = await cli(['db', 'check', '--json'])
    expectExit(fromDotenv, 1)
    expect(jsonError(fromDotenv)).to.include({code: 'E_CONFIG'})
    expect(jsonError(fromDotenv).message).to.include(`(from ${path.join(home.root, '.env')})`)

    const shown = await cli(['config', 'show', '--json'])
    expectExit(shown, 0)
    const setting = parseJson<{settings: Array<{name: string; value: string; source: string; invalid?: string}>}>(shown).settings.find(
      (s) => s.name === 'SYNC_INTERVAL_MINUTES',
    )
    expect(setting).to.include({value: 'abc', source: '.env'})
    expect(setting!.invalid).to.include('must be a number')
    const human = await cli(['config', 'show'])
    expectExit(human, 0)
    expect(human.stdout).to.match(/SYNC_INTERVAL_MINUTES\s+│ abc ✗ invalid/)
  })

  it('an amoCRM address that does not exist fails at once, naming the host and the setting to check', async () => {
    // .invalid never resolves (RFC 2606): the name server answers "no such name" at once.
    const result = await cli(['fields', 'check', '--json'], {
      AMOCRM_SUBDOMAIN: 'no-such-clinic',
      AMOCRM_DOMAIN: 'invalid',
      AMOCRM_ACCESS_TOKEN: 'any-token',
    })
    expectExit(result, 1)
    const error = jsonError(result)
    expect(error).to.include({code: 'E_AMOCRM_ADDRESS', message: 'cannot find amoCRM at no-such-clinic.invalid: no such host name'})
    expect(error.hint).to.include('AMOCRM_SUBDOMAIN')
  })

  it('no configuration at all: db check says so and points to config init', async () => {
    const result = await cli(['db', 'check'])
    expectExit(result, 1)
    expect(unwrapped(result.stderr)).to.include('the IDENT database is not configured yet')
    expect(unwrapped(result.stderr)).to.include('`ident-amo config init`')
    expect(result.stderr).not.to.include('cannot reach')
  })

  it('DB_FILE pointing at a directory says so, and not to run db check', async () => {
    const result = await cli(['db', 'check'], {DB_CLIENT: 'sqlite', DB_FILE: home.root})
    expectExit(result, 1)
    expect(unwrapped(result.stderr)).to.include(`DB_FILE points at the directory ${home.root}, not at a SQLite file`)
    expect(result.stderr).not.to.include('db check')
  })

  it('a named instance whose SQL Server Browser does not answer: E_IDENT_INSTANCE about the Browser and UDP 1434, after one lookup', async () => {
    // A SQL Server Browser that hears and never answers, on a loopback address of its own (UDP 1434).
    const host = `127.0.${1 + Math.floor(Math.random() * 200)}.${2 + Math.floor(Math.random() * 250)}`
    const browser = createSocket('udp4')
    const lookups: Buffer[] = []
    browser.on('message', (message) => lookups.push(message))
    await new Promise<void>((resolve, reject) => {
      browser.once('error', reject)
      browser.bind(1434, host, resolve)
    })
    try {
      const env = {DB_HOST: host, DB_INSTANCE: 'PZSQLSERVER', DB_USER: 'reader', DB_PASSWORD: 'x', DB_CONNECT_TIMEOUT_MS: '1000'}
      const result = await cli(['db', 'check', '--json'], env)
      expectExit(result, 1)
      const error = jsonError(result)
      expect(error.code).to.equal('E_IDENT_INSTANCE')
      expect(error.message).to.include(`cannot find the SQL Server instance ${host}\\PZSQLSERVER`)
      expect(error.hint).to.include('SQL Server Browser').and.include('UDP port 1434')
      expect(lookups).to.have.length(1)
      expect(lookups[0]![0]).to.equal(0x02)

      // On a terminal, a spinner names the server while it connects.
      const run = startOnPty(['db', 'check'], {env: {...home.env, ...env}, cwd: home.root})
      expect((await run.exited).code).to.equal(1)
      expect(run.text()).to.include(`connecting to SQL Server ${host}\\PZSQLSERVER (database PZ)…`)
    } finally {
      browser.close()
    }
  })

  it('bin/run.js refuses a Node.js older than 22.20 and says what to install', async () => {
    // An old Node.js, as far as bin/run.js can tell (the check reads process.versions.node).
    const preload = `data:text/javascript,Object.defineProperty(process.versions, 'node', {value: '20.11.1'})`
    const {spawnSync} = await import('node:child_process')
    const result = spawnSync(process.execPath, ['--import', preload, BIN, 'sync', 'status'], {env: cliEnv(home.env), encoding: 'utf8'})
    expect(result.status).to.equal(1)
    expect(result.stderr).to.include('ident-amo needs Node.js 22.20 or newer; this is Node.js 20.11.1')
    expect(result.stderr).to.include('nodejs.org')
  })
})
