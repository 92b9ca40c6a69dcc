import {expect} from 'chai'

import {AmoClient} from '../../src/amocrm/client.js'
import {AmoOutcomeUnknownError, AmoValidationError} from '../../src/amocrm/errors.js'
import {LOST_STATUS_ID} from '../../src/amocrm/leads.js'
import {RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {staticTokenProvider} from '../../src/amocrm/tokens.js'
import type {Lead, LeadWrite} from '../../src/amocrm/types.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'

async function all(pages: AsyncGenerator<Lead[]>): Promise<Lead[]> {
  const out: Lead[] = []
  for await (const page of pages) out.push(...page)
  return out
}

describe('amocrm/AmoClient deals against the sandbox (real HTTP)', () => {
  let sandbox: Sandbox
  let api: AmoClient
  beforeEach(async () => {
    sandbox = await startSandbox({rateLimit: 0})
    api = new AmoClient({baseUrl: sandbox.url, tokens: staticTokenProvider(SANDBOX_TOKEN), limiter: new RateLimiter({rate: 1000})})
  })
  afterEach(() => sandbox.close())

  /** What `fields create` will set up: the pipeline with its stages, the reception-id field, a loss reason. */
  async function setUp() {
    const [pipeline] = await api.createPipelines([
      {
        name: 'Приёмы IDENT',
        _embedded: {
          statuses: [
            {name: 'Записан', color: '#fffeb2'},
            {name: 'Пациент пришёл', color: '#87f2c0'},
          ],
        },
      },
    ])
    const stage = Object.fromEntries(pipeline!._embedded.statuses.map((s) => [s.name, s.id]))
    const [field] = await api.createLeadCustomFields([{name: 'ID приёма IDENT', type: 'text'}])
    const [reason] = await api.createLossReasons([{name: 'Отменён в IDENT'}])
    return {pipeline: pipeline!, stage, field: field!.id, reason: reason!.id}
  }

  it('sets up a pipeline, deal fields and loss reasons, and reads them back', async () => {
    const {pipeline, field, reason} = await setUp()
    const pipelines = await api.listPipelines()
    expect(pipelines.map((p) => p.name)).to.deep.equal(['Воронка', 'Приёмы IDENT'])
    expect(pipelines[1]!._embedded.statuses.map((s) => s.id)).to.include.members([142, 143])
    expect(pipelines[1]!.id).to.equal(pipeline.id)
    expect((await api.listLeadCustomFields()).map((f) => f.id)).to.deep.equal([field])
    expect(
      (await api.listCustomFields()).map((f) => f.id),
      'contact fields stay apart',
    ).to.not.include(field)
    expect((await api.listLossReasons()).map((r) => r.id)).to.deep.equal([reason])
    const [added] = await api.createPipelineStatuses(pipeline.id, [{name: 'Не пришёл', color: '#ff8f92'}])
    expect((await api.listPipelines())[1]!._embedded.statuses.map((s) => s.id)).to.include(added!.id)
  })

  it('creates deals linked to contacts, finds them by pipeline, stage, id and query, moves and loses one', async () => {
    const {pipeline, stage, field, reason} = await setUp()
    const [anna, boris] = sandbox.store.createContacts([{name: 'Иванова Анна'}, {name: 'Петров Борис'}]).map((c) => c.id) as [
      number,
      number,
    ]
    const deal = (reception: string, contact: number): LeadWrite => ({
      name: `Приём ${reception}`,
      price: 1000,
      pipeline_id: pipeline.id,
      status_id: stage['Записан'],
      custom_fields_values: [{field_id: field, values: [{value: reception}]}],
      _embedded: {contacts: [{id: contact, is_main: true}], tags: [{name: 'IDENT'}]},
      request_id: reception,
    })
    const created = await api.createLeads([deal('501', anna), deal('502', boris), deal('5021', boris)])
    expect(created.map((r) => r.request_id)).to.deep.equal(['501', '502', '5021'])
    const [id501, id502] = created.map((r) => r.id)

    const inPipeline = await all(api.listLeads({pipelineIds: [pipeline.id], with: ['contacts']}))
    expect(inPipeline.map((l) => [l.id, l._embedded!.contacts!.map((c) => c.id)])).to.deep.equal([
      [id501, [anna]],
      [id502, [boris]],
      [created[2]!.id, [boris]],
    ])
    const fuzzy = await all(api.listLeads({query: '502'}))
    expect(
      fuzzy.map((l) => l.id),
      'query is fuzzy: the caller verifies hits',
    ).to.deep.equal([id502, created[2]!.id])

    await api.updateLeads([
      {id: id501, status_id: stage['Пациент пришёл'], price: 2500},
      {id: id502, status_id: LOST_STATUS_ID, loss_reason_id: reason},
    ])
    const came = await all(api.listLeads({statuses: [{pipelineId: pipeline.id, statusId: stage['Пациент пришёл']!}]}))
    expect(came.map((l) => [l.id, l.price])).to.deep.equal([[id501, 2500]])
    const [lost] = await all(api.listLeads({ids: [id502!], with: ['loss_reason']}))
    expect(lost).to.include({status_id: LOST_STATUS_ID, loss_reason_id: reason})
    expect(lost!._embedded!.loss_reason!.map((r) => r.name)).to.deep.equal(['Отменён в IDENT'])
  })

  it('a bad element fails the whole batch with its request_id; the rest then goes through', async () => {
    const {pipeline, stage} = await setUp()
    const good: LeadWrite = {pipeline_id: pipeline.id, status_id: stage['Записан'], request_id: 'good'}
    const error = (await api
      .createLeads([good, {pipeline_id: pipeline.id, status_id: 1, request_id: 'bad'}])
      .catch((e: unknown) => e)) as AmoValidationError
    expect(error).to.be.instanceOf(AmoValidationError)
    expect([...error.problems.keys()]).to.deep.equal(['bad'])
    expect(sandbox.deals.countLeads()).to.equal(0)
    expect((await api.createLeads([good])).map((r) => r.request_id)).to.deep.equal(['good'])
  })

  it('a create whose answer is lost is reported unknown, and the deal can be found by its reception id before any retry', async () => {
    const {pipeline, stage, field} = await setUp()
    sandbox.faults.add({kind: 'apply-then-500', method: 'POST', path: '/api/v4/leads'})
    const error = await api
      .createLeads([
        {pipeline_id: pipeline.id, status_id: stage['Записан'], custom_fields_values: [{field_id: field, values: [{value: '777'}]}]},
      ])
      .catch((e: unknown) => e)
    expect(error).to.be.instanceOf(AmoOutcomeUnknownError)
    expect(sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/api/v4/leads')).to.have.length(1)
    const found = await all(api.listLeads({query: '777', pipelineIds: [pipeline.id]}))
    expect(found.map((l) => l.custom_fields_values![0]!.values[0]!.value)).to.deep.equal(['777'])
  })

  it('an update that met 503 is retried and applied once', async () => {
    const {pipeline, stage} = await setUp()
    const {id} = (await api.createLeads([{pipeline_id: pipeline.id, status_id: stage['Записан']}]))[0]!
    sandbox.faults.add({kind: '503', method: 'PATCH', path: '/api/v4/leads'})
    const retrying = new AmoClient({
      baseUrl: sandbox.url,
      tokens: staticTokenProvider(SANDBOX_TOKEN),
      limiter: new RateLimiter({rate: 1000}),
      sleep: async () => {},
    })
    await retrying.updateLeads([{id, status_id: stage['Пациент пришёл']}])
    expect(retrying.stats.retries).to.equal(1)
    expect(sandbox.deals.getLead(id)!.status_id).to.equal(stage['Пациент пришёл'])
    expect(sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/leads'})).to.equal(2)
  })
})
