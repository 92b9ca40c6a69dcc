import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {saveSecretStorageChoice} from '../../src/config/index.js'
import {runCli, type TempHome, tempHome, waitFor} from '../helpers/cli.js'
import {startOnPty} from '../helpers/pty.js'

const SECRET = 'p@ss w0rd-Секрет'

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

  it('on a terminal, asks at a hidden prompt: the secret is stored and never shown', async () => {
    const run = startOnPty(['config', 'set', 'DB_PASSWORD'], {env: home.env, cwd: home.root})
    await waitFor(() => run.text().includes('DB_PASSWORD:'), 30_000)
    run.type(`${SECRET}\r`)
    const ended = await run.exited
    expect(ended.code, run.text()).to.equal(0)
    expect(stored().DB_PASSWORD).to.equal(SECRET)
    expect(run.text()).to.include('DB_PASSWORD saved in file')
    expect(run.text()).to.not.include(SECRET)
    expect(run.text()).to.include('*'.repeat([...SECRET].length))
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
