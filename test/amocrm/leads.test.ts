import {expect} from 'chai'
import nock from 'nock'

import {AmoInvalidRequestError, AmoOutcomeUnknownError, AmoValidationError} from '../../src/amocrm/errors.js'
import {LOST_STATUS_ID, STATUS_COLORS, WON_STATUS_ID} from '../../src/amocrm/leads.js'
import type {Lead, LeadWrite, Pipeline} from '../../src/amocrm/types.js'
import {BASE, rejection, testClient} from './helpers.js'

const PROBLEM = {'content-type': 'application/problem+json'}

function lead(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Приём ${id}`,
    price: 0,
    status_id: 61,
    pipeline_id: 7,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    custom_fields_values: null,
    ...extra,
  }
}

function pipeline(id: number, requestId?: string): Pipeline & {request_id?: string} {
  return {
    id,
    name: `P${id}`,
    sort: 1,
    is_main: false,
    is_unsorted_on: true,
    is_archive: false,
    _embedded: {
      statuses: [
        {id: WON_STATUS_ID, name: 'Успешно реализовано', sort: 10000, is_editable: false, pipeline_id: id, color: '#CCFF66', type: 0},
      ],
    },
    ...(requestId === undefined ? {} : {request_id: requestId}),
  }
}

async function allPages(pages: AsyncGenerator<Lead[]>): Promise<number[][]> {
  const out: number[][] = []
  for await (const page of pages) out.push(page.map((l) => l.id))
  return out
}

describe('amocrm/AmoClient: deals, pipelines, loss reasons, deal fields (nock)', () => {
  before(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  after(() => nock.enableNetConnect())

  describe('listLeads', () => {
    it('spells the filters as amoCRM reads them (ids, pipelines, stage pairs, with, 250 a page) and follows next', async () => {
      const query = {
        limit: '250',
        with: 'contacts,loss_reason',
        'filter[id][]': ['11', '12'],
        'filter[pipeline_id][]': ['7', '8'],
        'filter[statuses][0][pipeline_id]': '7',
        'filter[statuses][0][status_id]': '61',
        'filter[statuses][1][pipeline_id]': '8',
        'filter[statuses][1][status_id]': String(LOST_STATUS_ID),
        'order[id]': 'asc',
      }
      const scope = nock(BASE)
        .get('/api/v4/leads')
        .query(query)
        .reply(200, {_page: 1, _links: {next: {href: `${BASE}/api/v4/leads?page=2&limit=250`}}, _embedded: {leads: [lead(11)]}})
        .get('/api/v4/leads')
        .query({page: '2', limit: '250'})
        .reply(200, {_page: 2, _embedded: {leads: [lead(12)]}})
      const {client} = testClient()
      const pages = await allPages(
        client.listLeads({
          ids: [11, 12],
          pipelineIds: [7, 8],
          statuses: [
            {pipelineId: 7, statusId: 61},
            {pipelineId: 8, statusId: LOST_STATUS_ID},
          ],
          with: ['contacts', 'loss_reason'],
          order: {field: 'id', direction: 'asc'},
        }),
      )
      expect(pages).to.deep.equal([[11], [12]])
      expect(scope.isDone()).to.equal(true)
    })

    it('a search that finds nothing (204) yields no page; bad ids and page sizes are refused before sending', async () => {
      nock(BASE).get('/api/v4/leads').query({limit: '250', query: '501'}).reply(204)
      const {client} = testClient()
      expect(await allPages(client.listLeads({query: '501'}))).to.deep.equal([])
      for (const params of [{ids: [0]}, {pipelineIds: [1.5]}, {statuses: [{pipelineId: 7, statusId: -1}]}, {limit: 251}]) {
        const error = await rejection(allPages(client.listLeads(params)))
        expect(error, JSON.stringify(params)).to.be.instanceOf(AmoInvalidRequestError)
      }
      expect(client.stats.requests).to.equal(1)
    })
  })

  describe('writing deals', () => {
    const booked = {
      name: 'Приём',
      price: 3500,
      pipeline_id: 7,
      status_id: 61,
      _embedded: {contacts: [{id: 5, is_main: true}], tags: [{name: 'IDENT'}]},
    } satisfies LeadWrite

    it('refuses locally what amoCRM would refuse for the whole batch, sending nothing', async () => {
      const {client} = testClient()
      const refusals: Array<[Promise<unknown>, RegExp]> = [
        [client.createLeads([booked, {...booked, id: 3}]), /element 1 .*carries an id/],
        [client.createLeads([{...booked, price: 3500.5}]), /price 3500\.5.*whole rubles/],
        [client.createLeads([{...booked, price: -1}]), /price -1/],
        [client.createLeads([{...booked, status_id: WON_STATUS_ID, loss_reason_id: 9}]), /loss reason without status_id 143/],
        [client.createLeads([{...booked, _embedded: {contacts: [{id: 0}]}}]), /contact without a valid id/],
        [client.updateLeads([{name: 'без id'}]), /no valid id/],
        [client.updateLeads([{id: 3, _embedded: {contacts: [{id: 5}]}}]), /links contacts: amoCRM links them when the deal is created/],
        [client.updateLeads([{id: 3, loss_reason_id: 9}]), /loss reason without status_id 143/],
      ]
      for (const [call, message] of refusals) {
        const error = await rejection(call)
        expect(error).to.be.instanceOf(AmoInvalidRequestError)
        expect(error.message).to.match(message)
      }
      expect(client.stats.requests).to.equal(0)
    })

    it('creates with the contact link in the create itself; results in request order', async () => {
      nock(BASE)
        .post('/api/v4/leads', [
          {...booked, request_id: 'r-1'},
          {...booked, status_id: LOST_STATUS_ID, loss_reason_id: 9, request_id: 'r-2'},
        ])
        .reply(200, {
          _embedded: {
            leads: [
              {id: 102, request_id: 'r-2'},
              {id: 101, request_id: 'r-1'},
            ],
          },
        })
      const {client} = testClient()
      const out = await client.createLeads([
        {...booked, request_id: 'r-1'},
        {...booked, status_id: LOST_STATUS_ID, loss_reason_id: 9, request_id: 'r-2'},
      ])
      expect(out.map((r) => [r.id, r.request_id])).to.deep.equal([
        [101, 'r-1'],
        [102, 'r-2'],
      ])
    })

    it('a create that got 500 is never resent: AmoOutcomeUnknownError after one request', async () => {
      const scope = nock(BASE)
        .post('/api/v4/leads')
        .reply(500)
        .post('/api/v4/leads')
        .reply(200, {_embedded: {leads: [{id: 1, request_id: '0'}]}})
      const {client} = testClient()
      expect(await rejection(client.createLeads([booked]))).to.be.instanceOf(AmoOutcomeUnknownError)
      expect(client.stats.requests).to.equal(1)
      expect(scope.pendingMocks()).to.have.length(1)
    })

    it('an update that got 503 is retried (setting a stage again changes nothing)', async () => {
      nock(BASE)
        .patch('/api/v4/leads', [{id: 101, status_id: 62, request_id: '0'}])
        .reply(503)
        .patch('/api/v4/leads', [{id: 101, status_id: 62, request_id: '0'}])
        .reply(200, {_embedded: {leads: [{id: 101, updated_at: 1_700_000_100, request_id: '0'}]}})
      const {client, sleeps} = testClient()
      expect(await client.updateLeads([{id: 101, status_id: 62}])).to.deep.equal([{id: 101, updated_at: 1_700_000_100, request_id: '0'}])
      expect(sleeps).to.deep.equal([1000])
    })

    it('validation-errors → AmoValidationError per request_id, nothing retried', async () => {
      nock(BASE)
        .post('/api/v4/leads')
        .reply(
          400,
          {
            'validation-errors': [
              {
                request_id: 'r-2',
                errors: [{code: 'NotSupportedChoice', path: 'status_id', detail: 'The value you selected is not a valid choice.'}],
              },
            ],
            title: 'Bad Request',
            type: 'https://httpstatus.es/400',
            status: 400,
            detail: 'Request validation failed',
          },
          PROBLEM,
        )
      const {client} = testClient()
      const error = (await rejection(
        client.createLeads([
          {...booked, request_id: 'r-1'},
          {...booked, request_id: 'r-2'},
        ]),
      )) as AmoValidationError
      expect(error).to.be.instanceOf(AmoValidationError)
      expect([...error.problems.keys()]).to.deep.equal(['r-2'])
      expect(client.stats.requests).to.equal(1)
    })

    it('amoCRM\'s "Invalid request body" answer (errors keyed by deal id) → AmoValidationError keyed by our request_id', async () => {
      nock(BASE)
        .patch('/api/v4/leads')
        .reply(
          400,
          {
            errors: {'101': 'Loss reason can be specified only for lost lead'},
            title: 'Bad Request',
            type: 'https://httpstatus.es/400',
            status: 400,
            detail: 'Invalid request body',
          },
          PROBLEM,
        )
      const {client} = testClient()
      const error = (await rejection(
        client.updateLeads([
          {id: 100, price: 1, request_id: 'a'},
          {id: 101, status_id: LOST_STATUS_ID, loss_reason_id: 9, request_id: 'b'},
        ]),
      )) as AmoValidationError
      expect(error).to.be.instanceOf(AmoValidationError)
      // amoCRM's own words go to the terminal only (serverText), never into the message that is logged
      expect(error.serverText).to.include('Invalid request body')
      expect(error.message).to.include('InvalidRequestBody at the element')
      expect(Object.fromEntries(error.problems)).to.deep.equal({
        b: [{code: 'InvalidRequestBody', path: '', detail: 'Loss reason can be specified only for lost lead'}],
      })
    })
  })

  describe('pipelines', () => {
    it('lists them in one request (not paged) and creates them with their stages, mapped by request_id', async () => {
      const stages = [{name: 'Записан', color: '#fffeb2'}]
      nock(BASE)
        .get('/api/v4/leads/pipelines')
        .query({})
        .reply(200, {_total_items: 1, _embedded: {pipelines: [pipeline(7)]}})
        .post('/api/v4/leads/pipelines', [{name: 'Приёмы IDENT', _embedded: {statuses: stages}, request_id: '0'}])
        .reply(200, {_total_items: 1, _embedded: {pipelines: [pipeline(8, '0')]}})
      const {client} = testClient()
      expect((await client.listPipelines()).map((p) => p.id)).to.deep.equal([7])
      const made = await client.createPipelines([{name: 'Приёмы IDENT', _embedded: {statuses: stages}}])
      expect(made.map((p) => p.id)).to.deep.equal([8])
    })

    it('refuses a pipeline without stages or with a colour outside the palette, sending nothing', async () => {
      const {client} = testClient()
      const noStages = await rejection(client.createPipelines([{name: 'Пустая', _embedded: {statuses: []}}]))
      expect(noStages.message).to.match(/has no stages/)
      const colour = await rejection(client.createPipelines([{name: 'Цвет', _embedded: {statuses: [{name: 'Этап', color: '#99ccff'}]}}]))
      expect(colour).to.be.instanceOf(AmoInvalidRequestError)
      expect(colour.message).to.include("colour '#99ccff'").and.include(STATUS_COLORS[0])
      const stage = await rejection(client.createPipelineStatuses(7, [{name: ' '}]))
      expect(stage.message).to.match(/stage 0 has no name/)
      expect(client.stats.requests).to.equal(0)
    })

    it('a pipeline create that got 502 is never resent; adding stages goes to the pipeline', async () => {
      nock(BASE)
        .post('/api/v4/leads/pipelines')
        .reply(502, '<html><body>502 Bad Gateway</body></html>')
        .post('/api/v4/leads/pipelines/7/statuses', [{name: 'Не пришёл', color: '#ff8f92', request_id: '0'}])
        .reply(200, {
          _embedded: {
            statuses: [
              {id: 64, name: 'Не пришёл', sort: 50, is_editable: true, pipeline_id: 7, color: '#ff8f92', type: 0, request_id: '0'},
            ],
          },
        })
      const {client} = testClient()
      const error = await rejection(client.createPipelines([{name: 'Приёмы IDENT', _embedded: {statuses: [{name: 'Записан'}]}}]))
      expect(error).to.be.instanceOf(AmoOutcomeUnknownError)
      const added = await client.createPipelineStatuses(7, [{name: 'Не пришёл', color: '#ff8f92'}])
      expect(added.map((s) => [s.id, s.pipeline_id])).to.deep.equal([[64, 7]])
      expect(client.stats.requests).to.equal(2)
    })
  })

  describe('loss reasons and deal fields', () => {
    it('lists every page of loss reasons and creates them; lists and creates deal fields under /leads', async () => {
      nock(BASE)
        .get('/api/v4/leads/loss_reasons')
        .query({limit: '250'})
        .reply(200, {_total_items: 2, _page: 1, _page_count: 2, _embedded: {loss_reasons: [{id: 1, name: 'Дорого', sort: 1}]}})
        .get('/api/v4/leads/loss_reasons')
        .query({limit: '250', page: '2'})
        .reply(200, {_total_items: 2, _page: 2, _page_count: 2, _embedded: {loss_reasons: [{id: 2, name: 'Отменён в IDENT', sort: 2}]}})
        .post('/api/v4/leads/loss_reasons', [{name: 'Заболел', request_id: '0'}])
        .reply(200, {_embedded: {loss_reasons: [{id: 3, name: 'Заболел', sort: 3, request_id: '0'}]}})
        .get('/api/v4/leads/custom_fields')
        .query({limit: '250'})
        .reply(204)
        .post('/api/v4/leads/custom_fields', [{name: 'Начало приёма', type: 'date_time', request_id: '0'}])
        .reply(200, {
          _embedded: {
            custom_fields: [{id: 90, name: 'Начало приёма', type: 'date_time', code: null, sort: 1, enums: null, request_id: '0'}],
          },
        })
      const {client} = testClient()
      expect((await client.listLossReasons()).map((r) => r.name)).to.deep.equal(['Дорого', 'Отменён в IDENT'])
      expect((await client.createLossReasons([{name: 'Заболел'}])).map((r) => r.id)).to.deep.equal([3])
      expect(await client.listLeadCustomFields()).to.deep.equal([])
      expect((await client.createLeadCustomFields([{name: 'Начало приёма', type: 'date_time'}])).map((f) => f.id)).to.deep.equal([90])
      expect((await rejection(client.createLossReasons([{name: ''}]))).message).to.match(/loss reason 0 has no name/)
    })
  })
})
