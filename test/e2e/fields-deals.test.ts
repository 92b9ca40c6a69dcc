import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {FieldsCreateJson} from '../../src/commands/fields/create.js'
import {DEAL_FIELD_CATALOGUE, DEAL_STAGES, type FieldsCheckJson} from '../../src/fields/index.js'
import {CANCEL_REASONS} from '../../src/sample/names.js'
import {expectExit, parseJson, unwrapped} from '../helpers/cli.js'
import {expectNarrow, startOnPty} from '../helpers/pty.js'
import {type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

const DEALS_ON = {DEALS: 'on'}

interface StoredConfig {
  deals?: {pipeline_id?: number; stages?: Record<string, number>}
  fields?: Record<string, unknown> & {deal?: Record<string, {id: number}>}
}

function storedConfig(f: SyncFixture): StoredConfig {
  return JSON.parse(readFileSync(path.join(f.home.configDir, 'config.json'), 'utf8')) as StoredConfig
}

/** Requests to the deals side of the API (`/api/v4/leads…`), of one method or all. */
function dealRequests(f: SyncFixture, method?: string): number {
  return f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads', ...(method ? {method} : {})})
}

/** The built CLI (`npm run build` first) against the sandbox and a sample clinic, deals on. */
describe('e2e: fields check / create for the deals (DEALS=on)', function () {
  this.timeout(180_000)
  let f: SyncFixture

  beforeEach(async () => {
    f = await syncFixture({patients: 30, seed: 14, createFields: false})
  })

  afterEach(async () => {
    await f.close()
  })

  it('a fresh account: check exits 1 naming what the deals lack; create makes it; check exits 0; a second create makes nothing', async () => {
    const first = await f.cli(['fields', 'check'], DEALS_ON)
    expectExit(first, 1)
    const shown = unwrapped(first.stdout)
    expect(shown).to.contain('contact fields').and.contain('deals (DEALS=on)')
    expect(shown).to.contain("the account has no pipeline named 'Приёмы IDENT'")
    expect(shown).to.contain("the account has no deal field named 'ID приёма IDENT'")
    expect(shown).to.contain("the account has no loss reason 'Отменён в IDENT'")
    expect(shown).to.contain('ident-amo fields create')
    expect(shown).to.contain('ident-amo config set deals.pipeline_id ID')
    expect(first.stderr)
      .to.contain('18 of 20 mapped fields are not usable')
      .and.match(/deals: \d+ items are not usable \(not found: pipeline/)

    const json = parseJson<FieldsCheckJson>(await f.cli(['fields', 'check', '--json'], DEALS_ON))
    expect(json.ok).to.equal(false)
    const deals = json.deals!
    expect(deals.ok).to.equal(false)
    expect(deals.pipeline).to.include({ok: false, problemCode: 'not_found', id: null})
    expect(deals.stages.map((s) => s.key)).to.deep.equal(DEAL_STAGES.map((s) => s.key))
    expect(deals.fields.map((s) => s.key)).to.deep.equal(DEAL_FIELD_CATALOGUE.map((s) => s.key))
    // The sample clinic's cancel reasons, read from its IDENT database, each a loss reason to have.
    expect(deals.lossReasons.map((r) => r.name)).to.have.members(['Отменён в IDENT', ...CANCEL_REASONS])
    expect(deals.pipelines.map((p) => p.name)).to.deep.equal(['Воронка'])

    const created = await f.cli(['fields', 'create', '--json'], DEALS_ON)
    expectExit(created, 0)
    const made = parseJson<FieldsCreateJson>(created)
    expect(made.ok).to.equal(true)
    expect(made.deals!.created!.pipeline!.name).to.equal('Приёмы IDENT')
    expect(made.deals!.created!.lossReasons).to.have.length(1 + CANCEL_REASONS.length)
    const stored = storedConfig(f)
    expect(stored.deals!.pipeline_id).to.equal(made.deals!.created!.pipeline!.id)
    expect(Object.keys(stored.deals!.stages!)).to.have.members(['booked', 'came', 'done', 'no_show'])
    expect(Object.keys(stored.fields!.deal!)).to.have.length(DEAL_FIELD_CATALOGUE.length)

    const check = await f.cli(['fields', 'check'], DEALS_ON)
    expectExit(check, 0)
    expect(unwrapped(check.stdout)).to.contain(
      "✓ deals: the pipeline 'Приёмы IDENT', its 6 stages, 10 deal fields and the loss reasons are usable",
    )

    f.sandbox.resetStats()
    const again = await f.cli(['fields', 'create'], DEALS_ON)
    expectExit(again, 0)
    expect(again.stdout).to.contain('nothing was missing: nothing created')
    expect(dealRequests(f, 'POST')).to.equal(0)
    expect(dealRequests(f)).to.equal(3, 'the pipelines, the deal fields and the loss reasons: one read each')
  })

  it('check --fix on an account where a manager made the pipeline, fields and loss reasons by hand: saves the ids, once', async () => {
    f.sandbox.deals.createPipelines([
      {name: 'Приёмы IDENT', _embedded: {statuses: DEAL_STAGES.filter((s) => s.name).map((s) => ({name: s.name!, color: s.color}))}},
    ])
    f.sandbox.deals.createFields(DEAL_FIELD_CATALOGUE.map((s) => ({name: s.name, type: s.createType})))
    f.sandbox.deals.createLossReasons([{name: 'Отменён в IDENT'}, {name: CANCEL_REASONS[0]}])
    expectExit(await f.cli(['fields', 'create']), 0) // the contact fields (DEALS off: nothing of the deals)

    const check = await f.cli(['fields', 'check'], DEALS_ON)
    expectExit(check, 0)
    // IDENT's other cancel reasons lack a loss reason: a warning, their cancellations go as "Отменён в IDENT".
    expect(unwrapped(check.stdout)).to.contain(`the account has no loss reason '${CANCEL_REASONS[1]}'`)
    expect(unwrapped(check.stdout)).to.contain(`${CANCEL_REASONS.length - 1} of IDENT's cancel reasons have no loss reason`)
    expect(storedConfig(f).deals).to.equal(undefined)

    const fix = await f.cli(['fields', 'check', '--fix', '--json'], DEALS_ON)
    expectExit(fix, 0)
    const saved = parseJson<FieldsCheckJson>(fix).deals!.saved
    const pipeline = f.sandbox.deals.listPipelines().find((p) => p.name === 'Приёмы IDENT')!
    expect(saved.pipelineId).to.equal(pipeline.id)
    expect(saved.stages).to.deep.equal(
      Object.fromEntries(
        DEAL_STAGES.filter((s) => s.name).map((s) => [s.key, pipeline._embedded.statuses.find((st) => st.name === s.name)!.id]),
      ),
    )
    const stored = storedConfig(f)
    expect(stored.deals).to.deep.equal({pipeline_id: pipeline.id, stages: saved.stages})
    expect(stored.fields!.deal).to.deep.equal(Object.fromEntries(Object.entries(saved.fields).map(([k, id]) => [k, {id}])))

    const again = await f.cli(['fields', 'check', '--fix'], DEALS_ON)
    expectExit(again, 0)
    expect(again.stdout).not.to.contain('saved')
    expect(storedConfig(f)).to.deep.equal(stored)
  })

  it('IDENT not reachable: only "Отменён в IDENT" is checked, with a warning saying why; the exit code is unchanged', async () => {
    expectExit(await f.cli(['fields', 'create'], DEALS_ON), 0)
    const check = await f.cli(['fields', 'check', '--json'], {...DEALS_ON, DB_FILE: path.join(f.home.root, 'missing.sqlite')})
    expectExit(check, 0)
    const deals = parseJson<FieldsCheckJson>(check).deals!
    expect(deals.ok).to.equal(true)
    expect(deals.lossReasons.map((r) => r.name)).to.deep.equal(['Отменён в IDENT'])
    expect(deals.warnings).to.have.length(1)
    expect(deals.warnings[0]).to.match(/^IDENT's cancel reasons were not read \(.+\): only the loss reason 'Отменён в IDENT' is checked$/)
  })

  it('DEALS off: fields check and create send no deal request and show no deals section', async () => {
    const created = await f.cli(['fields', 'create', '--json'])
    expectExit(created, 0)
    expect(parseJson<FieldsCreateJson>(created)).not.to.have.property('deals')
    const check = await f.cli(['fields', 'check'])
    expectExit(check, 0)
    expect(check.stdout).not.to.contain('deals')
    expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/'})).to.be.greaterThan(0)
    expect(dealRequests(f)).to.equal(0)
    expect(storedConfig(f).deals).to.equal(undefined)
  })

  it('on an 80-column terminal the deals section fits, failing and fixed', async () => {
    const failing = startOnPty(['fields', 'check'], {env: {...f.env, ...DEALS_ON}, cwd: f.home.root})
    expect((await failing.exited).code).to.equal(1)
    expect(failing.text()).to.include('deals (DEALS=on)').and.include('Приёмы IDENT').and.include('fields create')
    expectNarrow(failing.screen(), 80)

    expectExit(await f.cli(['fields', 'create'], DEALS_ON), 0)
    const fixed = startOnPty(['fields', 'check'], {env: {...f.env, ...DEALS_ON}, cwd: f.home.root})
    expect((await fixed.exited).code).to.equal(0)
    expect(fixed.text()).to.include('Отменён в IDENT')
    expectNarrow(fixed.screen(), 80)
  })
})
