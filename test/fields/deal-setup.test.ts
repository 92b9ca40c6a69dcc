import {expect} from 'chai'

import type {CustomFieldDef, LossReason, Pipeline} from '../../src/amocrm/types.js'
import {readDealsConfig} from '../../src/config/deals.js'
import {AppError} from '../../src/errors.js'
import {
  DEAL_FIELD_CATALOGUE,
  type DealAccount,
  type DealAccountApi,
  dealMappingContext,
  type DealSetupConfig,
  loadDealAccount,
  lossReasonFor,
  resolveDeals,
} from '../../src/fields/index.js'

/** A pipeline with "unsorted" (type 1), its own stages and amoCRM's closed 142/143. */
function pipeline(id: number, name: string, stages: Array<[number, string]>, extra: Partial<Pipeline> = {}): Pipeline {
  const status = (sid: number, sname: string, sort: number, type = 0) => ({
    id: sid,
    name: sname,
    sort,
    is_editable: type === 0 && sid !== 142 && sid !== 143,
    pipeline_id: id,
    color: '#fffeb2',
    type,
  })
  return {
    id,
    name,
    sort: id,
    is_main: false,
    is_unsorted_on: true,
    is_archive: false,
    ...extra,
    _embedded: {
      statuses: [
        status(id * 100, 'Неразобранное', 10, 1),
        ...stages.map(([sid, sname], i) => status(sid, sname, (i + 2) * 10)),
        status(142, 'Успешно реализовано', 10000),
        status(143, 'Закрыто и не реализовано', 11000),
      ],
    },
  }
}

const MAIN = pipeline(1, 'Воронка', [
  [11, 'Первичный контакт'],
  [12, 'Переговоры'],
])
const DEALS = pipeline(2, 'Приёмы IDENT', [
  [21, 'Записан'],
  [22, 'Пациент пришёл'],
  [23, 'Приём завершён'],
  [24, 'Не пришёл'],
])

/** Every deal field under its default name, ids 500…. */
function dealFields(types: Record<string, string> = {}): CustomFieldDef[] {
  return DEAL_FIELD_CATALOGUE.map((spec, i) => ({
    id: 500 + i,
    name: spec.name,
    type: types[spec.key] ?? spec.createType,
    code: null,
    sort: i,
    enums: null,
  }))
}

function reasons(...names: string[]): LossReason[] {
  return names.map((name, i) => ({id: 900 + i, name, sort: i}))
}

function account(parts: Partial<DealAccount> = {}): DealAccount {
  return {
    pipelines: [MAIN, DEALS],
    fields: dealFields(),
    lossReasons: reasons('Отменён в IDENT', 'Пациент заболел'),
    fetchedAt: '2026-01-01T00:00:00.000Z',
    ...parts,
  }
}

/** The configuration as the config file `deals` and `fields.deal` objects give it. */
function config(deals: Record<string, unknown> = {}, fields: DealSetupConfig['dealFields'] = {}): DealSetupConfig {
  return {deals: readDealsConfig(deals, {enabled: true, historyDays: 30, noShowHours: 2}), dealFields: fields}
}

describe('fields: resolving what the deals need in an account', () => {
  it('finds the pipeline, its stages, the deal fields and the loss reasons by name; offers to save their ids', () => {
    const r = resolveDeals(account(), config(), ['Пациент заболел'])
    expect(r.ok).to.equal(true)
    expect(r.pipeline).to.include({id: 2, foundBy: 'name', ok: true})
    expect(r.stages.map((s) => [s.key, s.id, s.foundBy])).to.deep.equal([
      ['booked', 21, 'name'],
      ['came', 22, 'name'],
      ['done', 23, 'name'],
      ['paid', 142, 'default'],
      ['cancelled', 143, 'default'],
      ['no_show', 24, 'name'],
    ])
    expect(r.idsToSave).to.deep.equal({
      pipelineId: 2,
      stages: {booked: 21, came: 22, done: 23, no_show: 24},
      fields: Object.fromEntries(DEAL_FIELD_CATALOGUE.map((s, i) => [s.key, 500 + i])),
    })
    expect(r.context).to.deep.include({
      pipelineId: 2,
      statusIds: {booked: 21, came: 22, done: 23, paid: 142, cancelled: 143, no_show: 24},
      defaultLossReasonId: 900,
    })
    expect(r.context!.fields.reception_id).to.include({id: 500, type: 'text'})
    expect(r.lossReasons.map((l) => [l.name, l.id, l.source, l.ok])).to.deep.equal([
      ['Отменён в IDENT', 900, 'fallback', true],
      ['Пациент заболел', 901, 'ident', true],
    ])
  })

  it("maps the deals to a manager's own pipeline and stages by configured ids; paid may be the stage of done", () => {
    const r = resolveDeals(account(), config({pipeline_id: 1, stages: {booked: 11, came: 12, done: 12, paid: 12, no_show: 11}}))
    expect(r.ok, JSON.stringify(r.stages)).to.equal(true)
    expect(r.pipeline).to.include({id: 1, name: 'Воронка', foundBy: 'id'})
    expect(r.stages.find((s) => s.key === 'paid')).to.include({id: 12, foundBy: 'id', name: 'Переговоры'})
    expect(r.stages.find((s) => s.key === 'cancelled')).to.include({id: 143, foundBy: 'default'})
    expect(r.idsToSave.pipelineId).to.equal(undefined)
    expect(r.idsToSave.stages).to.deep.equal({})
    expect(r.context!.statusIds).to.deep.equal({booked: 11, came: 12, done: 12, paid: 12, cancelled: 143, no_show: 11})
  })

  it("a configured pipeline without the default stage names: each missing key says how to map it, and the account's stages are listed", () => {
    const r = resolveDeals(account(), config({pipeline_id: 1}))
    expect(r.ok).to.equal(false)
    expect(r.context).to.equal(undefined)
    const booked = r.stages.find((s) => s.key === 'booked')!
    expect(booked).to.include({ok: false, problem: 'not_found', message: "the pipeline 'Воронка' has no stage named 'Записан'"})
    expect(booked.fix).to.contain('ident-amo fields create').and.contain('ident-amo config set deals.stages.booked ID')
    expect(r.stages.filter((s) => !s.ok).map((s) => s.key)).to.deep.equal(['booked', 'came', 'done', 'no_show'])
    expect(r.pipelines.find((p) => p.id === 1)!.stages).to.deep.include({id: 12, name: 'Переговоры'})
  })

  it('no pipeline: not found, with `fields create` and the mapping by hand as fixes; its own stages cannot be checked, 142/143 can', () => {
    const r = resolveDeals(account({pipelines: [MAIN]}), config())
    expect(r.pipeline).to.include({ok: false, problem: 'not_found', id: null})
    expect(r.pipeline.fix).to.contain('ident-amo fields create').and.contain('ident-amo config set deals.pipeline_id ID')
    expect(r.stages.map((s) => [s.key, s.ok, s.problem])).to.deep.equal([
      ['booked', false, 'pipeline_missing'],
      ['came', false, 'pipeline_missing'],
      ['done', false, 'pipeline_missing'],
      ['paid', true, null],
      ['cancelled', true, null],
      ['no_show', false, 'pipeline_missing'],
    ])
  })

  it('a configured pipeline id the account lacks: the one named «Приёмы IDENT» is the fix and is saved by --fix', () => {
    const r = resolveDeals(account(), config({pipeline_id: 77}))
    expect(r.pipeline).to.include({ok: false, problem: 'configured_id_not_found'})
    expect(r.pipeline.message).to.contain('77')
    expect(r.pipeline.fix).to.contain('fields check --fix').and.contain('id 2')
    expect(r.idsToSave.pipelineId).to.equal(2)
  })

  it('an archived pipeline is never found by name, and a configured one is refused', () => {
    const archived = {...DEALS, is_archive: true}
    expect(resolveDeals(account({pipelines: [MAIN, archived]}), config()).pipeline.problem).to.equal('not_found')
    const r = resolveDeals(account({pipelines: [MAIN, archived]}), config({pipeline_id: 2}))
    expect(r.pipeline).to.include({ok: false, problem: 'archived'})
  })

  it('a configured stage the pipeline lacks, one that is the "unsorted" stage; several pipelines of the name: the oldest', () => {
    const r = resolveDeals(account(), config({stages: {came: 11, booked: 200}}))
    expect(r.stages.find((s) => s.key === 'came')).to.include({ok: false, problem: 'configured_id_not_found'})
    expect(r.stages.find((s) => s.key === 'came')!.fix).to.contain("the stage 'Пациент пришёл' (id 22)")
    expect(r.idsToSave.stages.came).to.equal(22)
    expect(r.stages.find((s) => s.key === 'booked')).to.include({ok: false, problem: 'unsorted_stage'})
    const twin = pipeline(3, 'Приёмы IDENT', [[31, 'Записан']])
    expect(resolveDeals(account({pipelines: [twin, DEALS, MAIN]}), config()).pipeline.id).to.equal(2)
    const folded = pipeline(4, 'ПРИЕМЫ ident', [[41, 'записан']])
    const r2 = resolveDeals(account({pipelines: [MAIN, folded]}), config())
    expect(r2.pipeline).to.include({id: 4, foundBy: 'name'})
    expect(r2.stages[0]).to.include({key: 'booked', id: 41, foundBy: 'name'})
  })

  it('deal fields: a wrong type is not usable, a disabled one is skipped, the reception id cannot be switched off', () => {
    const wrong = resolveDeals(account({fields: dealFields({start: 'text'})}), config())
    expect(wrong.ok).to.equal(false)
    expect(wrong.fields.find((f) => f.key === 'start')).to.include({ok: false, problem: 'wrong_type', setting: 'fields.deal.start'})
    const disabled = resolveDeals(account({fields: dealFields().filter((f) => f.name !== 'Кресло')}), config({}, {chair: false}))
    expect(disabled.ok).to.equal(true)
    expect(disabled.context!.fields).not.to.have.property('chair')
    const identity = resolveDeals(account(), config({}, {reception_id: false}))
    expect(identity.ok).to.equal(false)
    expect(identity.fields.find((f) => f.key === 'reception_id')).to.include({ok: false, problem: 'cannot_disable'})
    expect(identity.fields.find((f) => f.key === 'reception_id')!.fix).to.contain('config set fields.deal.reception_id true')
  })

  it('loss reasons: only "Отменён в IDENT" is required; one missing for an IDENT reason is a warning; names fold case and ё', () => {
    const r = resolveDeals(account({lossReasons: reasons('ОТМЕНЕН в ident', 'Болезнь врача')}), config(), [
      'Болезнь врача',
      ' болезнь врача ',
      'Не дозвонились',
      '',
    ])
    expect(r.ok).to.equal(true)
    expect(r.lossReasons.map((l) => [l.name, l.id, l.ok, l.problem])).to.deep.equal([
      ['ОТМЕНЕН в ident', 900, true, null],
      ['Болезнь врача', 901, true, null],
      ['Не дозвонились', null, true, 'not_found'],
    ])
    expect(r.lossReasons[2]!.message).to.contain("go as 'Отменён в IDENT'")
    const ctx = r.context!
    expect(lossReasonFor(ctx, 'БОЛЕЗНЬ ВРАЧА')).to.equal(901)
    expect(lossReasonFor(ctx, 'Не дозвонились')).to.equal(900)
    expect(lossReasonFor(ctx, null)).to.equal(900)

    const none = resolveDeals(account({lossReasons: reasons('Болезнь врача')}), config())
    expect(none.ok).to.equal(false)
    expect(none.lossReasons[0]).to.include({name: 'Отменён в IDENT', ok: false, problem: 'not_found'})
  })

  it('the deals mapping refuses an account not set up, naming each problem and `fields check`', () => {
    expect(dealMappingContext(account(), config()).pipelineId).to.equal(2)
    let error: unknown
    try {
      dealMappingContext(account({pipelines: [MAIN], lossReasons: []}), config())
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(AppError)
    expect((error as AppError).code).to.equal('E_FIELDS')
    expect((error as AppError).message)
      .to.contain('pipeline (')
      .and.contain('stage booked')
      .and.contain("loss reason 'Отменён в IDENT'")
    expect((error as AppError).hint).to.contain('ident-amo fields check')
  })

  it('the account side is read in three requests and cached: an incremental run takes it from the state', async () => {
    const calls: string[] = []
    const api: DealAccountApi = {
      listPipelines: async () => (calls.push('pipelines'), [DEALS]),
      listLeadCustomFields: async () => (calls.push('fields'), dealFields()),
      listLossReasons: async () => (calls.push('loss_reasons'), reasons('Отменён в IDENT')),
    }
    const meta = new Map<string, unknown>()
    const store = {
      getJsonMeta: async <T>(key: string) => meta.get(key) as T | undefined,
      setJsonMeta: async (key: string, value: unknown) => void meta.set(key, JSON.parse(JSON.stringify(value))),
    }
    const dryRun = await loadDealAccount(async () => api, store, false, {cache: false})
    expect(dryRun.pipelines).to.have.length(1)
    expect(meta.size).to.equal(0)
    const first = await loadDealAccount(async () => api, store, false)
    expect(calls).to.deep.equal(['pipelines', 'fields', 'loss_reasons', 'pipelines', 'fields', 'loss_reasons'])
    const cached = await loadDealAccount(
      async () => {
        throw new Error('no request expected')
      },
      store,
      false,
    )
    expect(cached).to.deep.equal(first)
    await loadDealAccount(async () => api, store, true)
    expect(calls).to.have.length(9)
  })
})
