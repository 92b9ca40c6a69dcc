import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {LOST_STATUS_ID} from '../../src/amocrm/leads.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/index.js'
import {call, type LeadBody, type LeadListBody, makePipeline, type PipelineBody, type ValidationBody} from './helpers.js'

describe('sandbox: deals through the control API, persistence and faults', () => {
  let sandbox: Sandbox
  let dir: string
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-sandbox-deals-'))
    sandbox = await startSandbox({rateLimit: 0})
  })
  afterEach(async () => {
    await sandbox.close()
    rmSync(dir, {recursive: true, force: true})
  })
  const control = <T = Record<string, unknown>>(method: string, p: string, body?: unknown) =>
    call<T>(sandbox, method, `/_sandbox${p}`, {body, token: null, headers: {'Content-Type': 'application/json'}})

  it("a manager opens a deal on a patient's contact, moves it, loses it, deletes it — the API sees each step", async () => {
    const clinic = await makePipeline(sandbox, 'Приёмы IDENT', ['Записан', 'Пациент пришёл'])
    const field = (await control<Array<{id: number}>>('POST', '/leads/fields', [{name: 'ID приёма IDENT', type: 'text'}])).body[0]!.id
    const patient = sandbox.store.createContacts([{name: 'Иванова Анна'}])[0]!.id
    const opened = await control<LeadBody[]>('POST', '/leads', {
      name: 'Звонок: хочет на чистку',
      pipeline_id: clinic.id,
      _embedded: {contacts: [{id: patient}]},
    })
    expect(opened.status).to.equal(200)
    const deal = opened.body[0]!
    expect(deal).to.include({pipeline_id: clinic.id, status_id: clinic.stage['Записан']})
    expect(deal.custom_fields_values, 'no reception id: a deal to claim').to.equal(null)
    expect(deal._embedded.contacts!.map((c) => c.id)).to.deep.equal([patient])
    expect(deal.created_by).to.equal(sandbox.store.account.managerUserId)
    expect(deal.responsible_user_id).to.equal(sandbox.store.account.managerUserId)

    const claimable = await call<LeadListBody>(sandbox, 'GET', `/api/v4/leads?filter[pipeline_id][]=${clinic.id}&with=contacts`)
    expect(claimable.body._embedded.leads.map((l) => [l.id, l._embedded.contacts!.map((c) => c.id)])).to.deep.equal([[deal.id, [patient]]])

    sandbox.clock.advance(60_000)
    // The sandbox's clock goes on during the request: the move's time lies between then and now.
    const movedFrom = Math.floor(sandbox.clock.now() / 1000)
    const moved = await control<LeadBody>('POST', `/leads/${deal.id}/move`, {status_id: clinic.stage['Пациент пришёл']})
    expect(moved.body).to.include({status_id: clinic.stage['Пациент пришёл'], updated_by: sandbox.store.account.managerUserId})
    const seen = await call<LeadBody>(sandbox, 'GET', `/api/v4/leads/${deal.id}`)
    expect(seen.body.status_id).to.equal(clinic.stage['Пациент пришёл'])
    expect(seen.body.updated_at).to.be.within(movedFrom, Math.floor(sandbox.clock.now() / 1000))

    const reason = (await control<Array<{id: number}>>('POST', '/leads/loss_reasons', [{name: 'Передумал'}])).body[0]!.id
    const lost = await control<LeadBody>('POST', `/leads/${deal.id}/move`, {status_id: LOST_STATUS_ID, loss_reason_id: reason})
    expect(lost.body).to.include({status_id: LOST_STATUS_ID, loss_reason_id: reason})
    expect((await control('POST', `/leads/${deal.id}/move`, {status_id: clinic.unsorted})).status, 'not into "unsorted"').to.equal(400)
    expect((await control('POST', `/leads/${deal.id}/move`, {})).status).to.equal(400)

    const edited = await control<LeadBody[]>('PATCH', '/leads', [
      {id: deal.id, custom_fields_values: [{field_id: field, values: [{value: '77'}]}]},
    ])
    expect(edited.body[0]!.custom_fields_values![0]!.values).to.deep.equal([{value: '77'}])

    expect((await control('DELETE', `/leads/${deal.id}`)).status).to.equal(200)
    expect((await control('DELETE', `/leads/${deal.id}`)).status).to.equal(404)
    expect((await call(sandbox, 'GET', `/api/v4/leads/${deal.id}`)).status).to.equal(204)
    expect((await control<LeadBody[]>('GET', '/leads')).body).to.deep.equal([])
    expect((await control<LeadBody[]>('GET', '/leads?deleted=only')).body.map((l) => l.id)).to.deep.equal([deal.id])
    expect((await control(`POST`, `/leads/${deal.id}/move`, {status_id: clinic.stage['Записан']})).status).to.equal(404)
    expect((await control('POST', `/leads/${deal.id}/restore`)).status).to.equal(200)
    expect(sandbox.deals.getLead(deal.id)?.is_deleted).to.equal(false)

    const invalid = await control<ValidationBody>('POST', '/leads', [{status_id: 1}])
    expect(invalid.status).to.equal(400)
    expect(invalid.body['validation-errors'][0]!.errors[0]).to.include({path: 'status_id', code: 'NotSupportedChoice'})
    const stats = await control<{leads: number; pipelines: number; lossReasons: number; leadFields: number}>('GET', '/stats')
    expect(stats.body).to.include({leads: 1, pipelines: 2, lossReasons: 1, leadFields: 1})
    const index = await control<{routes: Array<{route: string}>}>('GET', '')
    expect(index.body.routes.map((r) => r.route)).to.include.members(['POST /_sandbox/leads/:id/move', 'GET /_sandbox/leads'])
    expect(sandbox.apiRequestCount({pathPrefix: '/_sandbox'}), 'control calls are not recorded').to.equal(0)
  })

  it('lists and creates pipelines through the control API', async () => {
    const created = await control<PipelineBody[]>('POST', '/leads/pipelines', [
      {name: 'Ортодонтия', _embedded: {statuses: [{name: 'Консультация'}]}},
    ])
    expect(created.status).to.equal(200)
    const listed = await control<PipelineBody[]>('GET', '/leads/pipelines')
    expect(listed.body.map((p) => p.name)).to.deep.equal(['Воронка', 'Ортодонтия'])
  })

  it('keeps deals, pipelines, loss reasons, deal fields, their ids and links across restarts; a reset forgets them', async () => {
    await sandbox.close()
    const file = path.join(dir, 'sandbox.json')
    sandbox = await startSandbox({rateLimit: 0, dataFile: file})
    const clinic = await makePipeline(sandbox, 'Приёмы IDENT', ['Записан'])
    const field = sandbox.deals.createFields([{name: 'ID приёма IDENT', type: 'text'}])[0]!.id
    const reason = sandbox.deals.createLossReasons([{name: 'Отменён в IDENT'}])[0]!.id
    const patient = sandbox.store.createContacts([{name: 'Иванова Анна'}])[0]!.id
    const created = await call<{_embedded: {leads: Array<{id: number}>}}>(sandbox, 'POST', '/api/v4/leads', {
      body: [
        {
          pipeline_id: clinic.id,
          status_id: LOST_STATUS_ID,
          loss_reason_id: reason,
          custom_fields_values: [{field_id: field, values: [{value: '501'}]}],
          _embedded: {contacts: [{id: patient}], tags: [{name: 'IDENT'}]},
        },
      ],
    })
    const id = created.body._embedded.leads[0]!.id
    await sandbox.close()

    sandbox = await startSandbox({rateLimit: 0, dataFile: file})
    const deal = await call<LeadBody>(sandbox, 'GET', `/api/v4/leads/${id}?with=contacts,loss_reason`)
    expect(deal.body).to.include({pipeline_id: clinic.id, status_id: LOST_STATUS_ID, loss_reason_id: reason})
    expect(deal.body.custom_fields_values![0]).to.include({field_id: field, field_name: 'ID приёма IDENT'})
    expect(deal.body._embedded.contacts!.map((c) => c.id)).to.deep.equal([patient])
    expect(deal.body._embedded.tags.map((t) => t.name)).to.deep.equal(['IDENT'])
    expect(deal.body._embedded.loss_reason![0]!.name).to.equal('Отменён в IDENT')
    const next = sandbox.deals.createLeads([{pipeline_id: clinic.id}])[0]!
    expect(next.id).to.equal(id + 1)
    expect(sandbox.deals.listPipelines().map((p) => p.name)).to.deep.equal(['Воронка', 'Приёмы IDENT'])
    const again = await makePipeline(sandbox, 'Ещё', ['Этап'])
    expect(again.stage['Этап'], 'stage ids go on after a restart').to.be.greaterThan(clinic.stage['Записан']!)

    await control('POST', '/reset')
    expect(sandbox.deals.countLeads()).to.equal(0)
    expect(sandbox.deals.listPipelines().map((p) => p.name)).to.deep.equal(['Воронка'])
    expect(sandbox.deals.listLossReasons()).to.deep.equal([])
    expect(sandbox.deals.listFields()).to.deep.equal([])
  })

  it('injects faults on deal routes like on contacts: apply-then-500 creates the deal, the answer is lost', async () => {
    const clinic = await makePipeline(sandbox, 'Приёмы IDENT', ['Записан'])
    await control('POST', '/faults', [
      {kind: 'apply-then-500', method: 'POST', path: '/api/v4/leads'},
      {kind: '503', method: 'GET', path: '/api/v4/leads/pipelines'},
    ])
    const res = await call(sandbox, 'POST', '/api/v4/leads', {body: [{pipeline_id: clinic.id}]})
    expect(res.status).to.equal(500)
    expect(sandbox.deals.countLeads()).to.equal(1)
    expect((await call(sandbox, 'GET', '/api/v4/leads/pipelines')).status).to.equal(503)
    expect((await call(sandbox, 'GET', '/api/v4/leads/pipelines')).status).to.equal(200)
    const stats = await control<{byRoute: Record<string, number>}>('GET', '/stats')
    expect(stats.body.byRoute).to.include({'POST /api/v4/leads': 1, 'GET /api/v4/leads/pipelines': 2})
  })
})
