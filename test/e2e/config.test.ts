import {existsSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {parseJson, runCli, type TempHome, tempHome} from '../helpers/cli.js'

describe('e2e: config init', () => {
  let home: TempHome
  beforeEach(() => {
    home = tempHome()
  })
  afterEach(() => rmSync(home.root, {recursive: true, force: true}))

  it('without a terminal exits 2 and points at `config set`, writing nothing', async () => {
    const result = await runCli(['config', 'init'], {env: home.env})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('needs a terminal').and.include('config set')
    expect(existsSync(path.join(home.configDir, 'config.json'))).to.equal(false)
  })

  it('reports the same as one JSON error with --json', async () => {
    const result = await runCli(['config', 'init', '--json'], {env: home.env})
    expect(result.code).to.equal(2)
    expect(parseJson<{error: {code: string; hint: string}}>(result).error).to.include({code: 'E_USAGE'})
  })
})

describe('e2e: config set / show / path', () => {
  let home: TempHome
  beforeEach(() => {
    home = tempHome()
  })
  afterEach(() => rmSync(home.root, {recursive: true, force: true}))

  it('validates, stores and shows a value with where it came from; exit 2 on a bad value', async () => {
    const bad = await runCli(['config', 'set', 'DB_PORT', 'abc'], {env: home.env})
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.include("DB_PORT must be a port number, got 'abc'")
    expect((await runCli(['config', 'set', 'DB_HOST', 'clinic-server'], {env: home.env})).code).to.equal(0)
    const shown = parseJson<{settings: Array<{name: string; value: string | null; source: string}>}>(
      await runCli(['config', 'show', '--json'], {env: {...home.env, DB_NAME: 'PZ2'}}),
    )
    expect(shown.settings.find((s) => s.name === 'DB_HOST')).to.include({value: 'clinic-server', source: 'file'})
    expect(shown.settings.find((s) => s.name === 'DB_NAME')).to.include({value: 'PZ2', source: 'env'})
    expect(shown.settings.find((s) => s.name === 'DB_PORT')).to.include({value: '1433', source: 'default'})
    const paths = parseJson<{configFile: string; dataDir: string}>(await runCli(['config', 'path', '--json'], {env: home.env}))
    expect(paths).to.include({configFile: path.join(home.configDir, 'config.json'), dataDir: home.dataDir})
  })

  it('never shows a secret in config show, only where it is; refuses to store AMOCRM_ACCESS_TOKEN anywhere', async () => {
    const result = await runCli(['config', 'show', '--json'], {env: {...home.env, DB_PASSWORD: 'very-secret-password'}})
    const shown = parseJson<{settings: Array<{name: string; value: string | null; source: string}>}>(result)
    expect(shown.settings.find((s) => s.name === 'DB_PASSWORD')).to.include({value: 'set', source: 'env'})
    expect(result.stdout).not.to.include('word')
    // kept in the secret store (here the 0600 file chosen once with --insecure-storage): "set", and which store
    writeFileSync(path.join(home.configDir, 'config.json'), JSON.stringify({secretStorage: 'file'}))
    expect((await runCli(['config', 'set', 'AMOCRM_CLIENT_SECRET', 'client-secret-value'], {env: home.env})).code).to.equal(0)
    const after = await runCli(['config', 'show', '--json'], {env: home.env})
    const secret = parseJson<{settings: Array<{name: string; value: string | null; source: string}>}>(after).settings.find(
      (s) => s.name === 'AMOCRM_CLIENT_SECRET',
    )
    expect(secret).to.deep.include({
      value: 'set',
      source: `file ${path.join(home.configDir, 'secrets.json')} (insecure: plain text, mode 0600)`,
    })
    expect(after.stdout).not.to.include('client-secret-value')
    const refused = await runCli(['config', 'set', 'AMOCRM_ACCESS_TOKEN', 'abc'], {env: home.env})
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include('auth login --token')
  })
})
