import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {dealSettingRows, loadConfig, saveDealStages, saveFieldIds, setConfigValue} from '../../src/config/index.js'
import {UsageError} from '../../src/errors.js'
import {DEAL_FIELD_KEYS, DEAL_STAGE_KEYS, DEAL_STAGES} from '../../src/fields/index.js'
import {STATUS_COLORS} from '../../src/amocrm/leads.js'

function dirs() {
  const root = mkdtempSync(path.join(tmpdir(), 'ident-amo-config-deals-'))
  return {root, configDir: path.join(root, 'config'), dataDir: path.join(root, 'data'), cwd: root}
}

/** The config file as JSON. */
function stored(configDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as Record<string, unknown>
}

function writeStored(configDir: string, content: unknown): void {
  mkdirSync(configDir, {recursive: true})
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify(content))
}

function thrown(run: () => unknown): Error {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error, none was thrown')
}

describe('config: deals settings', () => {
  it('defaults: off, 30 days, 2 hours, claim on; paid 142 and cancelled 143, the other stages unset', () => {
    const d = dirs()
    const {deals, dealFields, values} = loadConfig({...d, env: {}})
    expect(deals).to.deep.include({
      enabled: false,
      historyDays: 30,
      noShowHours: 2,
      pipelineId: undefined,
      protectedStages: [],
      claim: true,
      claimPipelines: [],
      responsibleUserId: undefined,
      users: {},
    })
    expect(deals.stages).to.deep.equal({paid: 142, cancelled: 143})
    expect(dealFields).to.deep.equal({})
    expect(values.DEALS).to.deep.equal({value: 'off', source: 'default'})
  })

  it('DEALS=on from the environment; deals.enabled in the file is the same setting', () => {
    const d = dirs()
    expect(loadConfig({...d, env: {DEALS: 'on', DEALS_HISTORY_DAYS: '7', DEALS_NO_SHOW_HOURS: '1.5'}}).deals).to.include({
      enabled: true,
      historyDays: 7,
      noShowHours: 1.5,
    })
    setConfigValue(d.configDir, 'deals.enabled', 'on')
    expect(stored(d.configDir)).to.deep.equal({deals: {enabled: 'on'}})
    const config = loadConfig({...d, env: {}})
    expect(config.deals.enabled).to.equal(true)
    expect(config.values.DEALS).to.deep.equal({value: 'on', source: 'file'})
    expect(loadConfig({...d, env: {DEALS: 'off'}}).deals.enabled, 'the environment wins').to.equal(false)
    setConfigValue(d.configDir, 'DEALS', 'off')
    expect(stored(d.configDir), 'one place in the file').to.deep.equal({deals: {enabled: 'off'}})
    writeStored(d.configDir, {deals: {enabled: true}})
    expect(loadConfig({...d, env: {}}).deals.enabled, 'a hand-written JSON boolean').to.equal(true)
  })

  it('refuses bad DEALS values with the setting named', () => {
    const d = dirs()
    expect(thrown(() => loadConfig({...d, env: {DEALS: 'sometimes'}})).message).to.equal(
      "DEALS must be true or false, got 'sometimes' (from the environment)",
    )
    expect(thrown(() => loadConfig({...d, env: {DEALS_HISTORY_DAYS: '-1'}})).message).to.equal(
      "DEALS_HISTORY_DAYS must be a whole number from 0 to 3650, got '-1' (from the environment)",
    )
    expect(thrown(() => setConfigValue(d.configDir, 'DEALS_NO_SHOW_HOURS', 'two')).message).to.equal(
      "DEALS_NO_SHOW_HOURS must be a number from 0 to 720, got 'two'",
    )
  })

  it('config set stores every deals key in the file, typed; loading reads them back', () => {
    const d = dirs()
    const set = (key: string, value: string) => setConfigValue(d.configDir, key, value)
    expect(set('deals.pipeline_id', '7000123')).to.deep.equal({key: 'deals.pipeline_id', value: 7_000_123})
    set('deals.stages.booked', '61')
    set('deals.stages.no_show', ' 64 ')
    set('deals.stages.paid', '63')
    expect(set('deals.protected_stages', '70, 71,70')).to.deep.equal({key: 'deals.protected_stages', value: [70, 71]})
    set('deals.claim', 'off')
    set('deals.responsible_user_id', '5000002')
    set('deals.users.17', '5000001')
    set('fields.deal.reception_id.id', '900001')
    set('fields.deal.chair', 'false')
    expect(stored(d.configDir)).to.deep.equal({
      deals: {
        pipeline_id: 7_000_123,
        stages: {booked: 61, no_show: 64, paid: 63},
        protected_stages: [70, 71],
        claim: false,
        responsible_user_id: 5_000_002,
        users: {17: 5_000_001},
      },
      fields: {deal: {reception_id: {id: 900_001}, chair: false}},
    })
    const {deals, dealFields, fields} = loadConfig({...d, env: {}})
    expect(deals).to.deep.include({
      pipelineId: 7_000_123,
      protectedStages: [70, 71],
      claim: false,
      claimPipelines: [7_000_123],
      responsibleUserId: 5_000_002,
      users: {17: 5_000_001},
    })
    expect(deals.stages).to.deep.equal({booked: 61, no_show: 64, paid: 63, cancelled: 143})
    expect(dealFields).to.deep.equal({reception_id: {id: 900_001}, chair: false})
    expect(fields, 'deal fields are not contact fields').to.deep.equal({})

    set('fields.deal.chair.id', '900002')
    expect(loadConfig({...d, env: {}}).dealFields.chair, 'an id switches a disabled field back on').to.deep.equal({id: 900_002})
    set('deals.claim_pipelines', '7000123,7000555')
    expect(loadConfig({...d, env: {}}).deals.claimPipelines).to.deep.equal([7_000_123, 7_000_555])
    set('deals.stages.paid', '')
    set('deals.users.17', '')
    const after = loadConfig({...d, env: {}}).deals
    expect(after.stages.paid, 'removed: back to the default').to.equal(142)
    expect(after.users).to.deep.equal({})
  })

  it('config set refuses bad keys and values with messages that say what to use', () => {
    const d = dirs()
    const refusal = (key: string, value: string) => thrown(() => setConfigValue(d.configDir, key, value))
    // typed on the command line: usage errors (exit 2)
    const stage = refusal('deals.stages.arrived', '61')
    expect(stage).to.be.instanceOf(UsageError)
    expect(stage.message).to.equal("deals.stages.arrived: 'arrived' is not a stage key")
    expect((stage as UsageError).hint).to.equal(`use one of ${DEAL_STAGE_KEYS.join(', ')}`)
    expect(refusal('deals.pipeline_id', 'Приёмы').message).to.equal(
      "deals.pipeline_id must be an amoCRM id (a positive whole number), got 'Приёмы'",
    )
    expect(refusal('deals.stages.booked', '0').message).to.include('a positive whole number')
    expect(refusal('deals.protected_stages', '142,abc').message).to.equal(
      "deals.protected_stages must be amoCRM ids separated by commas (e.g. 142,143), got '142,abc'",
    )
    expect(refusal('deals.claim', 'maybe').message).to.equal("deals.claim must be true or false, got 'maybe'")
    expect(refusal('deals.users.Иванов', '5').message).to.equal("deals.users.Иванов: 'Иванов' is not an IDENT doctor id")
    expect(refusal('fields.deal.room.id', '5').message).to.equal('fields.deal.room is not a deal field')
    expect((refusal('fields.deal.room.id', '5') as UsageError).hint).to.equal(`use one of ${DEAL_FIELD_KEYS.join(', ')}`)
    expect(refusal('deals.pipeline', '5').message).to.equal("unknown configuration key 'deals.pipeline'")
    expect(refusal('fields.deal', 'false')).to.be.instanceOf(UsageError)
  })

  it('loading refuses a hand-edited file with a bad deals value, naming the key', () => {
    const d = dirs()
    const refusal = (content: unknown) => {
      writeStored(d.configDir, content)
      return thrown(() => loadConfig({...d, env: {}})).message
    }
    expect(refusal({deals: {stages: {came: 'x'}}})).to.equal("deals.stages.came must be an amoCRM id (a positive whole number), got 'x'")
    expect(refusal({deals: {stages: {arrived: 5}}})).to.equal('deals.stages.arrived is not a stage key')
    expect(refusal({deals: {pipline_id: 5}})).to.equal("unknown configuration key 'deals.pipline_id'")
    expect(refusal({deals: {protected_stages: [142, -1]}})).to.include('deals.protected_stages must be amoCRM ids')
    expect(refusal({deals: {users: {abc: 5}}})).to.equal("deals.users.abc: 'abc' is not an IDENT doctor id")
    expect(refusal({deals: 'on'})).to.equal(`deals in the config file must be an object, got '"on"'`)
    expect(refusal({fields: {deal: {start: {id: 'x'}}}})).to.include('fields.deal.start.id must be an amoCRM id')
    expect(refusal({fields: {deal: {room: {id: 1}}}})).to.equal('fields.deal.room is not a deal field')
    writeStored(d.configDir, {deals: {stages: {came: '62'}, protected_stages: '70,71', claim: 'no'}})
    expect(loadConfig({...d, env: {}}).deals, 'strings a person typed are read').to.deep.include({protectedStages: [70, 71], claim: false})
  })

  it('saves what fields check --fix / fields create will find: deal field ids, the pipeline and its stages', () => {
    const d = dirs()
    saveFieldIds(d.configDir, {reception_id: 900_001, start: 900_002}, 'deal')
    saveFieldIds(d.configDir, {age: 800_001})
    saveDealStages(d.configDir, {pipelineId: 7_000_123, stages: {booked: 61, came: 62, done: 63, no_show: 64}})
    const config = loadConfig({...d, env: {}})
    expect(config.dealFields).to.deep.equal({reception_id: {id: 900_001}, start: {id: 900_002}})
    expect(config.fields).to.deep.equal({age: {id: 800_001}})
    expect(config.deals.pipelineId).to.equal(7_000_123)
    expect(config.deals.stages).to.deep.equal({booked: 61, came: 62, done: 63, no_show: 64, paid: 142, cancelled: 143})
  })

  it('config show rows: every stage key, values and where they come from', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'deals.stages.booked', '61')
    setConfigValue(d.configDir, 'deals.users.17', '5000001')
    setConfigValue(d.configDir, 'fields.deal.chair', 'off')
    const config = loadConfig({...d, env: {}})
    const rows = Object.fromEntries(dealSettingRows(config.deals, config.dealFields).map((r) => [r.key, [r.value, r.source]]))
    expect(rows).to.deep.equal({
      'deals.pipeline_id': ['', 'unset'],
      'deals.stages.booked': ['61', 'file'],
      'deals.stages.came': ['', 'unset'],
      'deals.stages.done': ['', 'unset'],
      'deals.stages.paid': ['142', 'default'],
      'deals.stages.cancelled': ['143', 'default'],
      'deals.stages.no_show': ['', 'unset'],
      'deals.protected_stages': ['', 'unset'],
      'deals.claim': ['true', 'default'],
      'deals.claim_pipelines': ['', 'unset'],
      'deals.responsible_user_id': ['', 'unset'],
      'deals.users.17': ['5000001', 'file'],
      'fields.deal.chair': ['disabled', 'file'],
    })
  })

  it('the catalogue: a stage of its own has a palette colour, the closed ones are 142/143; every stage key once', () => {
    expect(DEAL_STAGES.map((s) => s.key).sort()).to.deep.equal([...DEAL_STAGE_KEYS].sort())
    for (const s of DEAL_STAGES)
      if (s.status === undefined) expect(STATUS_COLORS, s.key).to.include(s.color)
      else expect(s.name, s.key).to.equal(undefined)
  })
})
