import {expect} from 'chai'

import {LOST_STATUS_ID, STATUS_COLORS, WON_STATUS_ID} from '../../src/amocrm/leads.js'
import {DEFAULT_PIPELINE} from '../../src/sandbox/index.js'
import {call, makePipeline, type PipelineBody, type StatusBody, useSandbox, type ValidationBody} from './helpers.js'

interface PipelinesBody {
  _total_items: number
  _embedded: {pipelines: PipelineBody[]}
}

describe('sandbox: pipelines, stages, loss reasons and deal fields', () => {
  const sandbox = useSandbox()
  const pipelines = async () => (await call<PipelinesBody>(sandbox(), 'GET', '/api/v4/leads/pipelines')).body._embedded.pipelines

  describe('pipelines', () => {
    it('a fresh account has one main pipeline with "unsorted", its own stages, then 142 and 143', async () => {
      const [main, ...rest] = await pipelines()
      expect(rest).to.have.length(0)
      expect(main).to.include({name: DEFAULT_PIPELINE.name, is_main: true})
      const statuses = main!._embedded.statuses
      expect(statuses.map((s) => s.name)).to.deep.equal([
        'Неразобранное',
        ...DEFAULT_PIPELINE.statuses.map((s) => s.name),
        'Успешно реализовано',
        'Закрыто и не реализовано',
      ])
      expect(statuses[0]).to.include({type: 1, is_editable: false})
      expect(statuses.slice(-2).map((s) => s.id)).to.deep.equal([WON_STATUS_ID, LOST_STATUS_ID])
      expect(statuses.every((s) => s.pipeline_id === main!.id)).to.equal(true)
    })

    it('creates a pipeline with its stages (sorted 20, 30, …, colours kept) plus its own "unsorted", 142 and 143', async () => {
      const res = await call<PipelinesBody>(sandbox(), 'POST', '/api/v4/leads/pipelines', {
        body: [
          {
            name: 'Приёмы IDENT',
            is_main: false,
            is_unsorted_on: false,
            request_id: 'deals',
            _embedded: {
              statuses: [
                {name: 'Записан', color: '#fffeb2'},
                {name: 'Пациент пришёл', color: '#87f2c0'},
                {name: 'Не пришёл', sort: 60, color: '#ff8f92'},
              ],
            },
          },
        ],
      })
      expect(res.status).to.equal(200)
      const created = res.body._embedded.pipelines[0]!
      expect(created).to.include({name: 'Приёмы IDENT', is_main: false, is_unsorted_on: false, request_id: 'deals'})
      const own = created._embedded.statuses.filter((s) => s.type === 0 && s.id !== WON_STATUS_ID && s.id !== LOST_STATUS_ID)
      expect(own.map((s) => [s.name, s.sort, s.color])).to.deep.equal([
        ['Записан', 20, '#fffeb2'],
        ['Пациент пришёл', 30, '#87f2c0'],
        ['Не пришёл', 60, '#ff8f92'],
      ])
      expect(created._embedded.statuses.map((s) => s.id)).to.include.members([WON_STATUS_ID, LOST_STATUS_ID])
      const unsorted = created._embedded.statuses.filter((s) => s.type === 1)
      expect(unsorted).to.have.length(1)
      const [main] = await pipelines()
      expect(unsorted[0]!.id, 'each pipeline has its own "unsorted" stage').to.not.be.oneOf(main!._embedded.statuses.map((s) => s.id))

      const one = await call<PipelineBody>(sandbox(), 'GET', `/api/v4/leads/pipelines/${created.id}`)
      expect(one.body._embedded.statuses).to.deep.equal(created._embedded.statuses)
      const missing = await call(sandbox(), 'GET', '/api/v4/leads/pipelines/1')
      expect(missing.status).to.equal(404)
      expect(missing.body).to.include({detail: 'Pipeline not found'})
    })

    it('a new main pipeline takes the flag from the old one', async () => {
      const {id} = await call<PipelinesBody>(sandbox(), 'POST', '/api/v4/leads/pipelines', {
        body: [{name: 'Новая главная', is_main: true, _embedded: {statuses: [{name: 'Первый'}]}}],
      }).then((r) => r.body._embedded.pipelines[0]!)
      const all = await pipelines()
      expect(all.filter((p) => p.is_main).map((p) => p.id)).to.deep.equal([id])
    })

    it('refuses the whole batch: no name, no stages, a colour outside the palette, a bad sort — nothing created', async () => {
      const res = await call<ValidationBody>(sandbox(), 'POST', '/api/v4/leads/pipelines', {
        body: [
          {name: 'Хорошая', _embedded: {statuses: [{name: 'Этап'}]}},
          {name: '', _embedded: {statuses: [{name: 'Этап'}]}},
          {name: 'Без этапов', _embedded: {statuses: []}},
          {
            name: 'Цвет',
            _embedded: {
              statuses: [
                {name: 'Этап', color: '#123456'},
                {name: '', color: '#FFFEB2'},
              ],
            },
          },
          {name: 'Сортировка', sort: 'первая', _embedded: {statuses: [{name: 'Этап'}]}},
        ],
      })
      expect(res.status).to.equal(400)
      expect(res.body.detail).to.equal('Request validation failed')
      expect(res.body['validation-errors']).to.deep.equal([
        {request_id: '1', errors: [{code: 'NotBlank', path: 'name', detail: 'This value should not be blank.'}]},
        {request_id: '2', errors: [{code: 'NotBlank', path: '_embedded.statuses', detail: 'This value should not be blank.'}]},
        {
          request_id: '3',
          errors: [
            {code: 'NotSupportedChoice', path: '_embedded.statuses.0.color', detail: 'The value you selected is not a valid choice.'},
            {code: 'NotBlank', path: '_embedded.statuses.1.name', detail: 'This value should not be blank.'},
            {code: 'NotSupportedChoice', path: '_embedded.statuses.1.color', detail: 'The value you selected is not a valid choice.'},
          ],
        },
        {request_id: '4', errors: [{code: 'InvalidType', path: 'sort', detail: 'This value should be of type int.'}]},
      ])
      expect(await pipelines()).to.have.length(1)
    })

    it('takes every palette colour, and no more than 50 pipelines', async () => {
      const res = await call(sandbox(), 'POST', '/api/v4/leads/pipelines', {
        body: [{name: 'Радуга', _embedded: {statuses: STATUS_COLORS.map((color, i) => ({name: `Этап ${i}`, color}))}}],
      })
      expect(res.status).to.equal(200)
      const more = (n: number) => Array.from({length: n}, (_, i) => ({name: `P${i}`, _embedded: {statuses: [{name: 'Этап'}]}}))
      expect((await call(sandbox(), 'POST', '/api/v4/leads/pipelines', {body: more(48)})).status).to.equal(200)
      const over = await call<ValidationBody>(sandbox(), 'POST', '/api/v4/leads/pipelines', {body: more(1)})
      expect(over.status).to.equal(400)
      expect(over.body['validation-errors'][0]!.errors[0]).to.include({code: 'TooMany'})
      expect(await pipelines()).to.have.length(50)
    })

    it('adds stages to an existing pipeline after the last of its own, and lists them', async () => {
      const p = await makePipeline(sandbox(), 'Клиника', ['Записан', 'Пациент пришёл'])
      const added = await call<{_embedded: {statuses: Array<StatusBody & {request_id: string}>}}>(
        sandbox(),
        'POST',
        `/api/v4/leads/pipelines/${p.id}/statuses`,
        {body: [{name: 'Не пришёл', color: '#ff8f92', request_id: 'no_show'}]},
      )
      expect(added.status).to.equal(200)
      expect(added.body._embedded.statuses[0]).to.include({name: 'Не пришёл', sort: 40, pipeline_id: p.id, request_id: 'no_show'})
      const listed = await call<{_embedded: {statuses: StatusBody[]}}>(sandbox(), 'GET', `/api/v4/leads/pipelines/${p.id}/statuses`)
      expect(listed.body._embedded.statuses.map((s) => s.name)).to.include('Не пришёл')
      expect((await call(sandbox(), 'POST', '/api/v4/leads/pipelines/999/statuses', {body: [{name: 'x'}]})).status).to.equal(404)
      const bad = await call<ValidationBody>(sandbox(), 'POST', `/api/v4/leads/pipelines/${p.id}/statuses`, {
        body: [{name: 'Ок'}, {name: 'Цвет', color: 'red'}],
      })
      expect(bad.body['validation-errors']).to.deep.equal([
        {request_id: '1', errors: [{code: 'NotSupportedChoice', path: 'color', detail: 'The value you selected is not a valid choice.'}]},
      ])
      expect(
        sandbox()
          .deals.listPipelines()
          .find((x) => x.id === p.id)!
          ._embedded.statuses.map((s) => s.name),
      ).to.not.include('Ок')
    })
  })

  describe('loss reasons', () => {
    it('a fresh account has none (204); creates them with ids and sort, pages them, refuses a name already used', async () => {
      expect((await call(sandbox(), 'GET', '/api/v4/leads/loss_reasons')).status).to.equal(204)
      const res = await call<{_embedded: {loss_reasons: Array<{id: number; name: string; sort: number; request_id: string}>}}>(
        sandbox(),
        'POST',
        '/api/v4/leads/loss_reasons',
        {body: [{name: 'Отменён в IDENT'}, {name: 'Заболел', sort: 5, request_id: 'r2'}]},
      )
      expect(res.status).to.equal(200)
      const [first, second] = res.body._embedded.loss_reasons
      expect(first).to.include({name: 'Отменён в IDENT', request_id: '0'})
      expect(second).to.include({name: 'Заболел', sort: 5, request_id: 'r2'})
      const page = await call<{_total_items: number; _page_count: number; _embedded: {loss_reasons: Array<{name: string}>}}>(
        sandbox(),
        'GET',
        '/api/v4/leads/loss_reasons?limit=1&page=2',
      )
      expect(page.body._total_items).to.equal(2)
      expect(page.body._page_count).to.equal(2)
      expect(page.body._embedded.loss_reasons).to.have.length(1)
      const one = await call<{name: string}>(sandbox(), 'GET', `/api/v4/leads/loss_reasons/${first!.id}`)
      expect(one.body.name).to.equal('Отменён в IDENT')

      const again = await call<ValidationBody>(sandbox(), 'POST', '/api/v4/leads/loss_reasons', {
        body: [{name: 'Переехал'}, {name: 'заболел '}, {name: 'Дважды'}, {name: 'Дважды'}, {}],
      })
      expect(again.status).to.equal(400)
      expect(again.body['validation-errors'].map((e) => [e.request_id, e.errors.map((p) => `${p.path}:${p.code}`)])).to.deep.equal([
        ['1', ['name:NotUnique']],
        ['3', ['name:NotUnique']],
        ['4', ['name:NotBlank']],
      ])
      expect(
        sandbox()
          .deals.listLossReasons()
          .map((r) => [r.name, r.sort]),
      ).to.deep.equal([
        ['Отменён в IDENT', 1],
        ['Заболел', 5],
      ])
    })
  })

  describe('deal custom fields', () => {
    it('are their own list: date_time, checkbox, textarea and text made on leads, not seen on contacts', async () => {
      const res = await call<{
        _embedded: {custom_fields: Array<{id: number; name: string; type: string; entity_type: string; _links: {self: {href: string}}}>}
      }>(sandbox(), 'POST', '/api/v4/leads/custom_fields', {
        body: [
          {name: 'ID приёма IDENT', type: 'text'},
          {name: 'Начало приёма', type: 'date_time'},
          {name: 'Услуги', type: 'textarea'},
          {name: 'Первичный приём', type: 'checkbox'},
        ],
      })
      expect(res.status).to.equal(200)
      const fields = res.body._embedded.custom_fields
      expect(fields.map((f) => [f.name, f.type, f.entity_type])).to.deep.equal([
        ['ID приёма IDENT', 'text', 'leads'],
        ['Начало приёма', 'date_time', 'leads'],
        ['Услуги', 'textarea', 'leads'],
        ['Первичный приём', 'checkbox', 'leads'],
      ])
      expect(fields[0]!._links.self.href).to.equal(`${sandbox().url}/api/v4/leads/custom_fields/${fields[0]!.id}`)
      const listed = await call<{_total_items: number}>(sandbox(), 'GET', '/api/v4/leads/custom_fields')
      expect(listed.body._total_items).to.equal(4)
      const one = await call<{name: string}>(sandbox(), 'GET', `/api/v4/leads/custom_fields/${fields[1]!.id}`)
      expect(one.body.name).to.equal('Начало приёма')
      expect((await call(sandbox(), 'GET', `/api/v4/contacts/custom_fields/${fields[1]!.id}`)).status).to.equal(204)
      expect(
        sandbox()
          .store.listFields()
          .map((f) => f.name),
      ).to.not.include('Начало приёма')
      const contactIds = sandbox()
        .store.listFields()
        .map((f) => f.id)
      expect(
        fields.map((f) => f.id).filter((id) => contactIds.includes(id)),
        'ids are unique across entities',
      ).to.deep.equal([])
    })

    it('a fresh account has no deal fields (204), and multitext is refused on deals', async () => {
      expect((await call(sandbox(), 'GET', '/api/v4/leads/custom_fields')).status).to.equal(204)
      const res = await call<ValidationBody>(sandbox(), 'POST', '/api/v4/leads/custom_fields', {
        body: [{name: 'Телефоны', type: 'multitext', enums: [{value: 'WORK'}]}],
      })
      expect(res.status).to.equal(400)
      expect(res.body['validation-errors'][0]!.errors).to.deep.equal([
        {code: 'NotSupportedChoice', path: 'type', detail: 'The value you selected is not a valid choice.'},
      ])
    })
  })
})
