import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {parseJson, runCli, type TempHome, tempHome} from '../helpers/cli.js'

interface ShowResult {
  settings: Array<{name: string; value: string | null; source: string}>
  deals: {settings: Array<{key: string; value: string; source: string}>; effective: {enabled: boolean; stages: Record<string, number>}}
}

describe('e2e: deals settings through config set / show', () => {
  let home: TempHome
  beforeEach(() => {
    home = tempHome()
  })
  afterEach(() => rmSync(home.root, {recursive: true, force: true}))

  it('sets deals keys, shows them with their sources (table and JSON), and exits 2 (a usage error) with a clear message on a bad one', async () => {
    for (const [key, value] of [
      ['DEALS', 'on'],
      ['deals.pipeline_id', '7000123'],
      ['deals.stages.booked', '61'],
      ['deals.users.17', '5000001'],
    ]) {
      const set = await runCli(['config', 'set', key!, value!], {env: home.env})
      expect(set.code, `${key}: ${set.stderr}`).to.equal(0)
    }
    const bad = await runCli(['config', 'set', 'deals.stages.arrived', '61'], {env: home.env})
    expect(bad.code).to.equal(2)
    expect(bad.stderr)
      .to.include("deals.stages.arrived: 'arrived' is not a stage key")
      .and.include('booked, came, done, paid, cancelled, no_show')

    const shown = parseJson<ShowResult>(await runCli(['config', 'show', '--json'], {env: {...home.env, DEALS_NO_SHOW_HOURS: '3'}}))
    expect(shown.settings.find((s) => s.name === 'DEALS')).to.include({value: 'on', source: 'file'})
    expect(shown.settings.find((s) => s.name === 'DEALS_HISTORY_DAYS')).to.include({value: '30', source: 'default'})
    expect(shown.settings.find((s) => s.name === 'DEALS_NO_SHOW_HOURS')).to.include({value: '3', source: 'env'})
    expect(shown.deals.effective).to.deep.include({enabled: true})
    expect(shown.deals.effective.stages).to.deep.equal({booked: 61, paid: 142, cancelled: 143})
    expect(shown.deals.settings.find((r) => r.key === 'deals.users.17')).to.deep.equal({
      key: 'deals.users.17',
      value: '5000001',
      source: 'file',
    })

    const table = await runCli(['config', 'show'], {env: home.env})
    expect(table.code).to.equal(0)
    expect(table.stdout)
      .to.match(/deals\.stages\.booked\s.*61\s.*file/)
      .and.match(/deals\.stages\.cancelled\s.*143\s.*default/)
  })

  it('a config file with a bad deals value stops a command with the key named (exit 1)', async () => {
    writeFileSync(path.join(home.configDir, 'config.json'), JSON.stringify({deals: {stages: {came: 'пришёл'}}}))
    const shown = await runCli(['config', 'show'], {env: home.env})
    expect(shown.code).to.equal(1)
    // oclif wraps the message at the terminal width
    expect(shown.stderr.replace(/\s*\n\s*›\s*/g, ' ')).to.include(
      "deals.stages.came must be an amoCRM id (a positive whole number), got 'пришёл'",
    )
  })
})
