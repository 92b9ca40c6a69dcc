import {spawn, spawnSync} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {saveSecretStorageChoice} from '../../src/config/index.js'
import {BIN, cliEnv, type CliResult, runCli, type TempHome, tempHome, waitFor} from '../helpers/cli.js'

const SECRET = 'p@ss w0rd-Секрет'

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `keys` once `when` appears in what it shows. */
function onTerminal(args: string[], env: Record<string, string>, when: RegExp, keys: string): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], {env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe']})
  let shown = ''
  child.stdout.on('data', (d) => (shown += d))
  child.stderr.on('data', (d) => (shown += d))
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({code, signal, stdout: shown, stderr: ''})),
  )
  void waitFor(() => when.test(shown), 30_000).then(() => child.stdin.write(keys))
  return exited
}

describe('e2e: config set of a secret keeps it out of the shell history', function () {
  this.timeout(60_000)
  let home: TempHome
  const stored = () => JSON.parse(readFileSync(path.join(home.configDir, 'secrets.json'), 'utf8')) as Record<string, string>

  beforeEach(() => {
    home = tempHome()
    // the 0600 file store, chosen earlier (`--insecure-storage`): no keychain needed for these tests
    saveSecretStorageChoice(home.configDir, 'file')
  })
  afterEach(() => rmSync(home.root, {recursive: true, force: true}))

  it('on a terminal, asks at a hidden prompt: the secret is stored and never shown', async function () {
    if (process.platform !== 'linux' || spawnSync('script', ['--version']).error) this.skip()
    const result = await onTerminal(['config', 'set', 'DB_PASSWORD'], home.env, /DB_PASSWORD:/, `${SECRET}\r`)
    expect(result.code, result.stdout).to.equal(0)
    expect(stored().DB_PASSWORD).to.equal(SECRET)
    expect(result.stdout).to.include('DB_PASSWORD saved in file')
    expect(result.stdout).to.not.include(SECRET)
    expect(result.stdout).to.include('*'.repeat([...SECRET].length))
  })

  it('reads it from a pipe when there is no terminal', async () => {
    const result = await runCli(['config', 'set', 'AMOCRM_CLIENT_SECRET', '--json'], {env: home.env, input: `${SECRET}\n`})
    expect(result.code, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal({key: 'AMOCRM_CLIENT_SECRET', value: '****', stored: 'keychain'})
    expect(stored().AMOCRM_CLIENT_SECRET).to.equal(SECRET)
    expect(result.stdout + result.stderr).to.not.include(SECRET)
  })

  it('an empty pipe is a usage error that says how to pass it', async () => {
    const result = await runCli(['config', 'set', 'DB_PASSWORD'], {env: home.env, input: ''})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('no value for DB_PASSWORD on standard input').and.include('printf %s')
  })

  it('still takes it on the command line, warning that it stays in the shell history', async () => {
    const result = await runCli(['config', 'set', 'DB_PASSWORD', SECRET], {env: home.env})
    expect(result.code, result.stderr).to.equal(0)
    expect(stored().DB_PASSWORD).to.equal(SECRET)
    expect(result.stderr).to.include('stays in the shell history')
  })

  it('a setting that is not a secret still needs its VALUE (exit 2)', async () => {
    const result = await runCli(['config', 'set', 'DB_HOST'], {env: home.env})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('no VALUE for DB_HOST')
  })
})
