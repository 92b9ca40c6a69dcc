import {rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {BIN, cliEnv, expectExit, parseJson, runCli, type TempHome, tempHome} from '../helpers/cli.js'

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

/** stderr with oclif's wrapping of long error lines (at 80 columns, each continued after " ›   ") undone. */
function unwrapped(stderr: string): string {
  return stderr.replaceAll(/ *\n ›\s+/g, ' ')
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
