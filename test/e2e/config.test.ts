import {existsSync, rmSync} from 'node:fs'
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
