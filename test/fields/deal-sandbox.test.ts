import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {AmoClient, RateLimiter, staticTokenProvider} from '../../src/amocrm/index.js'
import {STATUS_COLORS} from '../../src/amocrm/leads.js'
import {loadConfig} from '../../src/config/index.js'
import {dealIdsSaver} from '../../src/fields-command.js'
import {checkDeals, createMissingDeals, DEAL_FIELD_CATALOGUE, DEAL_STAGES, dealMappingContext} from '../../src/fields/index.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'

const IDENT_REASONS = {names: ['Пациент заболел', 'Болезнь врача']}

/** The deal fields as a manager would make them by hand, under their default names. */
function handMadeFields(except: string[] = []) {
  return DEAL_FIELD_CATALOGUE.filter((s) => !except.includes(s.key)).map((s) => ({name: s.name, type: s.createType}))
}

describe('fields: the deals setup checked and created against the sandbox', function () {
  this.timeout(30_000)
  let sandbox: Sandbox
  let api: AmoClient
  let home: string

  const config = () => loadConfig({configDir: home, dataDir: home, cwd: home, env: {DEALS: 'on'}})
  const posts = (pathPrefix: string) => sandbox.apiRequestCount({method: 'POST', pathPrefix})
  /** Pipelines created (not stages added to one: `/pipelines/{id}/statuses`). */
  const pipelinePosts = () =>
    sandbox.requests.filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/api/v4/leads/pipelines').length

  beforeEach(async () => {
    sandbox = await startSandbox({rateLimit: 0})
    api = new AmoClient({baseUrl: sandbox.url, tokens: staticTokenProvider(SANDBOX_TOKEN), limiter: new RateLimiter({rate: 1000})})
    home = mkdtempSync(path.join(tmpdir(), 'ident-amo-deal-fields-'))
  })

  afterEach(async () => {
    await sandbox.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('an empty account: check says what is missing; create makes the pipeline with its stages in one request, the fields and loss reasons, and saves the ids', async () => {
    const before = await checkDeals(api, config(), {cancelReasons: IDENT_REASONS})
    expect(before.ok).to.equal(false)
    expect(before.summary).to.match(/^deals: \d+ items are not usable \(not found: pipeline, field reception_id/)
    expect(sandbox.apiRequestCount()).to.equal(3)

    const made = await createMissingDeals(api, config(), {cancelReasons: IDENT_REASONS, saveIds: dealIdsSaver(home)})
    expect(made.ok, made.summary).to.equal(true)
    expect(pipelinePosts()).to.equal(1)
    expect(posts('/api/v4/leads/pipelines')).to.equal(1, 'no stage added afterwards')
    expect(made.created.pipeline!.name).to.equal('Приёмы IDENT')
    expect(made.created.stages.map((s) => s.key)).to.deep.equal(['booked', 'came', 'done', 'no_show'])
    expect(made.created.fields).to.have.length(DEAL_FIELD_CATALOGUE.length)
    expect(made.created.lossReasons.map((r) => r.name)).to.deep.equal(['Отменён в IDENT', 'Пациент заболел', 'Болезнь врача'])

    const pipeline = sandbox.deals.listPipelines().find((p) => p.name === 'Приёмы IDENT')!
    const own = pipeline._embedded.statuses.filter((s) => s.type === 0 && s.id !== 142 && s.id !== 143)
    expect(own.map((s) => [s.name, s.color])).to.deep.equal(
      DEAL_STAGES.filter((s) => s.name).map((s) => [s.name, s.color]),
      'the stages in order, in their colours',
    )
    for (const s of own) expect(STATUS_COLORS).to.include(s.color)
    const types = Object.fromEntries(sandbox.deals.listFields().map((f) => [f.name, f.type]))
    for (const spec of DEAL_FIELD_CATALOGUE) expect(types[spec.name], spec.key).to.equal(spec.createType)

    const saved = config()
    expect(saved.deals.pipelineId).to.equal(pipeline.id)
    expect(saved.deals.stages).to.deep.equal({
      booked: own[0]!.id,
      came: own[1]!.id,
      done: own[2]!.id,
      no_show: own[3]!.id,
      paid: 142,
      cancelled: 143,
    })
    expect(Object.keys(saved.dealFields)).to.have.length(DEAL_FIELD_CATALOGUE.length)
    expect(saved.dealFields.reception_id).to.deep.equal({id: made.created.fields.find((f) => f.key === 'reception_id')!.id})

    sandbox.resetStats()
    const again = await createMissingDeals(api, config(), {cancelReasons: IDENT_REASONS, saveIds: dealIdsSaver(home)})
    expect(again.created).to.deep.equal({pipeline: null, stages: [], fields: [], lossReasons: []})
    expect(again.saved).to.deep.equal({stages: {}, fields: {}})
    expect(posts('/api/v4/')).to.equal(0)
    expect(sandbox.apiRequestCount()).to.equal(3)

    const context = dealMappingContext(
      {
        pipelines: sandbox.deals.listPipelines(),
        fields: sandbox.deals.listFields(),
        lossReasons: sandbox.deals.listLossReasons(),
        fetchedAt: '',
      },
      config(),
    )
    expect(context.pipelineId).to.equal(pipeline.id)
  })

  it('a pipeline of the name made by hand with one stage: create adds the missing stages through its statuses route, no second pipeline', async () => {
    const [hand] = sandbox.deals.createPipelines([{name: 'Приёмы IDENT', _embedded: {statuses: [{name: 'Записан', color: '#fffeb2'}]}}])
    const made = await createMissingDeals(api, config(), {cancelReasons: IDENT_REASONS, saveIds: dealIdsSaver(home)})
    expect(made.ok, made.summary).to.equal(true)
    expect(pipelinePosts()).to.equal(0)
    expect(posts(`/api/v4/leads/pipelines/${hand!.id}/statuses`)).to.equal(1)
    expect(made.created.pipeline).to.equal(null)
    expect(made.created.stages.map((s) => [s.key, s.name])).to.deep.equal([
      ['came', 'Пациент пришёл'],
      ['done', 'Приём завершён'],
      ['no_show', 'Не пришёл'],
    ])
    expect(sandbox.deals.listPipelines().filter((p) => p.name === 'Приёмы IDENT')).to.have.length(1)
    expect(config().deals.pipelineId).to.equal(hand!.id)
    expect(config().deals.stages.booked).to.equal(hand!._embedded.statuses.find((s) => s.name === 'Записан')!.id)
  })

  it('--fix on a setup a manager made by hand saves the pipeline, its stages and the fields; a second --fix saves nothing', async () => {
    sandbox.deals.createPipelines([
      {name: 'Приёмы IDENT', _embedded: {statuses: DEAL_STAGES.filter((s) => s.name).map((s) => ({name: s.name!, color: s.color}))}},
    ])
    sandbox.deals.createFields(handMadeFields())
    sandbox.deals.createLossReasons([{name: 'Отменён в IDENT'}])

    const check = await checkDeals(api, config(), {cancelReasons: IDENT_REASONS})
    expect(check.ok, check.summary).to.equal(true)
    expect(check.saved).to.deep.equal({stages: {}, fields: {}})
    expect(config().deals.pipelineId).to.equal(undefined)
    const missingReasons = check.resolution.lossReasons.filter((r) => r.problem === 'not_found').map((r) => r.name)
    expect(missingReasons).to.deep.equal(['Пациент заболел', 'Болезнь врача'])
    expect(check.summary).to.contain("2 of IDENT's cancel reasons have no loss reason")

    const fixed = await checkDeals(api, config(), {cancelReasons: IDENT_REASONS, saveIds: dealIdsSaver(home)})
    expect(fixed.ok).to.equal(true)
    expect(fixed.saved.pipelineId).to.be.a('number')
    expect(Object.keys(fixed.saved.stages)).to.deep.equal(['booked', 'came', 'done', 'no_show'])
    expect(Object.keys(fixed.saved.fields)).to.have.length(DEAL_FIELD_CATALOGUE.length)
    expect(fixed.resolution.pipeline.foundBy).to.equal('id')
    expect(fixed.resolution.stages.every((s) => s.foundBy === 'id' || s.foundBy === 'default')).to.equal(true)
    expect(config().deals.pipelineId).to.equal(fixed.saved.pipelineId)

    const again = await checkDeals(api, config(), {cancelReasons: IDENT_REASONS, saveIds: dealIdsSaver(home)})
    expect(again.saved).to.deep.equal({stages: {}, fields: {}})
    expect(posts('/api/v4/')).to.equal(0)
  })

  it("deals mapped to a manager's pipeline: the stages it lacks are named with the fix, then usable once mapped by id", async () => {
    const main = sandbox.deals.listPipelines()[0]!
    const own = main._embedded.statuses.filter((s) => s.type === 0 && s.id !== 142 && s.id !== 143)
    sandbox.deals.createFields(handMadeFields())
    sandbox.deals.createLossReasons([{name: 'Отменён в IDENT'}])
    const {setConfigValue} = await import('../../src/config/index.js')
    setConfigValue(home, 'deals.pipeline_id', String(main.id))

    const check = await checkDeals(api, config(), {cancelReasons: {unavailable: 'the IDENT database is not configured'}})
    expect(check.ok).to.equal(false)
    expect(check.resolution.stages.filter((s) => !s.ok).map((s) => s.key)).to.deep.equal(['booked', 'came', 'done', 'no_show'])
    expect(check.warnings[0]).to.contain('the IDENT database is not configured').and.contain("only the loss reason 'Отменён в IDENT'")

    for (const [key, status] of [
      ['booked', own[0]!],
      ['came', own[1]!],
      ['done', own[2]!],
      ['paid', own[2]!],
      ['no_show', own[0]!],
    ] as const)
      setConfigValue(home, `deals.stages.${key}`, String(status.id))
    const mapped = await checkDeals(api, config(), {cancelReasons: {names: []}})
    expect(mapped.ok, mapped.summary).to.equal(true)
    expect(mapped.resolution.context!.statusIds.paid).to.equal(own[2]!.id)

    // fields create adds nothing to a pipeline whose every key is mapped.
    const made = await createMissingDeals(api, config(), {cancelReasons: {names: []}, saveIds: dealIdsSaver(home)})
    expect(made.created.stages).to.deep.equal([])
    expect(posts('/api/v4/leads/pipelines')).to.equal(0)
  })

  it('a deal field of the wrong type is reported, not duplicated; the rest is made', async () => {
    sandbox.deals.createFields([{name: 'Начало приёма', type: 'text'}])
    const made = await createMissingDeals(api, config(), {cancelReasons: {names: []}, saveIds: dealIdsSaver(home)})
    expect(made.ok).to.equal(false)
    expect(made.created.fields.map((f) => f.key)).not.to.include('start')
    expect(made.created.fields).to.have.length(DEAL_FIELD_CATALOGUE.length - 1)
    expect(made.resolution.fields.find((f) => f.key === 'start')).to.include({problem: 'wrong_type'})
    expect(sandbox.deals.listFields().filter((f) => f.name === 'Начало приёма')).to.have.length(1)
    expect(made.summary).to.equal('deals: 1 item is not usable (wrong type: field start)')
    expect(config().dealFields).not.to.have.property('start')
  })
})
