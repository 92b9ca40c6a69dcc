import {expect} from 'chai'

import {LOST_STATUS_ID, WON_STATUS_ID} from '../../src/amocrm/leads.js'
import {DEFAULT_PIPELINE, LOSS_REASON_NOT_LOST} from '../../src/sandbox/index.js'
import {call, type ContactBody, type LeadBody, makePipeline, useSandbox, type ValidationBody} from './helpers.js'

const NOT_A_CHOICE = 'The value you selected is not a valid choice.'

describe('sandbox: writing deals', () => {
  const sandbox = useSandbox()
  let f: Record<string, number>
  let clinic: {id: number; stage: Record<string, number>; unsorted: number}
  let patient: number
  let reason: number

  beforeEach(async () => {
    f = Object.fromEntries(
      sandbox()
        .deals.createFields([
          {name: 'ID приёма IDENT', type: 'text'},
          {name: 'Начало приёма', type: 'date_time'},
          {name: 'Услуги', type: 'textarea'},
          {name: 'Первичный приём', type: 'checkbox'},
        ])
        .map((x) => [x.name, x.id]),
    )
    clinic = await makePipeline(sandbox(), 'Приёмы IDENT', ['Записан', 'Пациент пришёл', 'Приём завершён', 'Не пришёл'])
    patient = sandbox().store.createContacts([{name: 'Иванова Анна'}])[0]!.id
    reason = sandbox().deals.createLossReasons([{name: 'Отменён в IDENT'}])[0]!.id
  })

  const post = (body: unknown) =>
    call<{_embedded: {leads: Array<{id: number; request_id: string}>}}>(sandbox(), 'POST', '/api/v4/leads', {body})
  const patch = (body: unknown) =>
    call<{_embedded: {leads: Array<{id: number; request_id: string; updated_at: number}>}}>(sandbox(), 'PATCH', '/api/v4/leads', {body})
  const get = async (id: number, withs = 'contacts,loss_reason') =>
    (await call<LeadBody>(sandbox(), 'GET', `/api/v4/leads/${id}?with=${withs}`)).body
  const cf = (l: LeadBody, id: number) => l.custom_fields_values?.find((x) => x.field_id === id)?.values
  const reception = (id: string, extra: Record<string, unknown> = {}) => ({
    name: `Приём 05.03.2025 14:30 — Иванова А.`,
    price: 3500,
    pipeline_id: clinic.id,
    status_id: clinic.stage['Записан'],
    custom_fields_values: [{field_id: f['ID приёма IDENT'], values: [{value: id}]}],
    _embedded: {contacts: [{id: patient, is_main: true}], tags: [{name: 'IDENT'}]},
    request_id: `r-${id}`,
    ...extra,
  })

  describe('create', () => {
    it('creates deals linked to their contact, with stage, price, fields and tags; the contact lists them with=leads', async () => {
      const res = await post([
        reception('101', {
          custom_fields_values: [
            {field_id: f['ID приёма IDENT'], values: [{value: '101'}]},
            {field_id: f['Начало приёма'], values: [{value: '2025-03-05T14:30:00+03:00'}]},
            {field_id: f['Услуги'], values: [{value: 'Осмотр × 1\nСнимок × 2'}]},
            {field_id: f['Первичный приём'], values: [{value: true}]},
          ],
        }),
        reception('102', {status_id: clinic.stage['Пациент пришёл']}),
      ])
      expect(res.status).to.equal(200)
      const [first, second] = res.body._embedded.leads
      expect([first!.request_id, second!.request_id]).to.deep.equal(['r-101', 'r-102'])
      const deal = await get(first!.id)
      expect(deal).to.include({
        price: 3500,
        pipeline_id: clinic.id,
        status_id: clinic.stage['Записан'],
        loss_reason_id: null,
        closed_at: null,
      })
      expect(deal.responsible_user_id).to.equal(sandbox().store.account.currentUserId)
      expect(deal._embedded.contacts!.map((c) => [c.id, c.is_main])).to.deep.equal([[patient, true]])
      expect(deal._embedded.tags.map((t) => t.name)).to.deep.equal(['IDENT'])
      expect(cf(deal, f['ID приёма IDENT']!)).to.deep.equal([{value: '101'}])
      expect(cf(deal, f['Начало приёма']!), 'date_time keeps the instant').to.deep.equal([{value: Date.UTC(2025, 2, 5, 11, 30) / 1000}])
      expect(cf(deal, f['Услуги']!)).to.deep.equal([{value: 'Осмотр × 1\nСнимок × 2'}])
      expect(cf(deal, f['Первичный приём']!)).to.deep.equal([{value: true}])
      expect((await get(second!.id)).status_id).to.equal(clinic.stage['Пациент пришёл'])
      expect((await get(first!.id, ''))._embedded, 'contacts only with=contacts').to.not.have.property('contacts')

      const contact = await call<ContactBody & {_embedded: {leads: Array<{id: number}>}}>(
        sandbox(),
        'GET',
        `/api/v4/contacts/${patient}?with=leads`,
      )
      expect(contact.body._embedded.leads.map((l) => l.id)).to.deep.equal([first!.id, second!.id])
    })

    it('lands in the first stage of the main pipeline without a stage, in the first of a pipeline given alone; unnamed → "Сделка #id"', async () => {
      const res = await post([{}, {pipeline_id: clinic.id}])
      const [plain, inClinic] = await Promise.all(res.body._embedded.leads.map((l) => get(l.id)))
      const main = sandbox()
        .deals.listPipelines()
        .find((p) => p.is_main)!
      expect(plain!.pipeline_id).to.equal(main.id)
      expect(main._embedded.statuses.find((s) => s.id === plain!.status_id)!.name).to.equal(DEFAULT_PIPELINE.statuses[0].name)
      expect(plain!.name).to.equal(`Сделка #${plain!.id}`)
      expect(plain!.price).to.equal(0)
      expect(inClinic!.status_id).to.equal(clinic.stage['Записан'])
    })

    it('251 elements → 422 "Limit 250 per page"; empty → 400 "Request data can not be empty"', async () => {
      const big = await post(Array.from({length: 251}, () => ({})))
      expect(big.status).to.equal(422)
      expect(big.body).to.include({detail: 'Limit 250 per page'})
      expect((await post([])).body).to.include({status: 400, detail: 'Request data can not be empty'})
      expect((await patch([])).status).to.equal(400)
      expect(sandbox().deals.countLeads()).to.equal(0)
    })

    it('refuses the whole batch with validation-errors per request_id and applies nothing', async () => {
      const trashed = sandbox().store.createContacts([{name: 'В корзине'}])[0]!.id
      sandbox().store.deleteContact(trashed)
      const main = sandbox()
        .deals.listPipelines()
        .find((p) => p.is_main)!
      const res = await call<ValidationBody>(sandbox(), 'POST', '/api/v4/leads', {
        body: [
          reception('1'),
          reception('2', {status_id: main._embedded.statuses[1]!.id}),
          reception('3', {status_id: clinic.unsorted}),
          reception('4', {pipeline_id: 12345}),
          reception('5', {price: 99.5}),
          reception('6', {price: -1}),
          reception('7', {_embedded: {contacts: [{id: 999}, {id: trashed}]}}),
          reception('8', {custom_fields_values: [{field_id: f['Начало приёма'], values: [{value: 'завтра'}]}]}),
          reception('9', {custom_fields_values: [{field_id: f['Первичный приём'], values: [{value: 'да'}]}]}),
          reception('10', {responsible_user_id: 42}),
          reception('11', {loss_reason_id: 777, status_id: LOST_STATUS_ID}),
          reception('12', {name: 'x'.repeat(256)}),
        ],
      })
      expect(res.status).to.equal(400)
      expect(res.body).to.include({title: 'Bad Request', detail: 'Request validation failed'})
      expect(res.body['validation-errors']).to.deep.equal([
        {request_id: 'r-2', errors: [{code: 'NotSupportedChoice', path: 'status_id', detail: NOT_A_CHOICE}]},
        {request_id: 'r-3', errors: [{code: 'NotSupportedChoice', path: 'status_id', detail: NOT_A_CHOICE}]},
        {
          request_id: 'r-4',
          errors: [
            {code: 'NotSupportedChoice', path: 'pipeline_id', detail: NOT_A_CHOICE},
            {code: 'NotSupportedChoice', path: 'status_id', detail: NOT_A_CHOICE},
          ],
        },
        {request_id: 'r-5', errors: [{code: 'InvalidType', path: 'price', detail: 'This value should be of type int.'}]},
        {
          request_id: 'r-6',
          errors: [{code: 'GreaterThanOrEqual', path: 'price', detail: 'This value should be greater than or equal to 0.'}],
        },
        {
          request_id: 'r-7',
          errors: [
            {code: 'NotSupportedChoice', path: '_embedded.contacts.0.id', detail: NOT_A_CHOICE},
            {code: 'NotSupportedChoice', path: '_embedded.contacts.1.id', detail: NOT_A_CHOICE},
          ],
        },
        {
          request_id: 'r-8',
          errors: [{code: 'InvalidType', path: 'custom_fields_values.0.values.0.value', detail: 'This value should be of type int.'}],
        },
        {
          request_id: 'r-9',
          errors: [{code: 'InvalidType', path: 'custom_fields_values.0.values.0.value', detail: 'This value should be of type bool.'}],
        },
        {request_id: 'r-10', errors: [{code: 'NotSupportedChoice', path: 'responsible_user_id', detail: NOT_A_CHOICE}]},
        {request_id: 'r-11', errors: [{code: 'NotSupportedChoice', path: 'loss_reason_id', detail: NOT_A_CHOICE}]},
        {
          request_id: 'r-12',
          errors: [
            {code: 'TooLong', path: 'name', detail: `The value "${'x'.repeat(100)}…" is too long. It should have 255 characters or less.`},
          ],
        },
      ])
      expect(sandbox().deals.countLeads()).to.equal(0)
    })

    it('a lost deal carries its loss reason and closed_at; a loss reason on a deal not lost is "Invalid request body", keyed by request_id', async () => {
      const sentAt = Math.floor(sandbox().clock.now() / 1000)
      const lost = await post([reception('1', {status_id: LOST_STATUS_ID, loss_reason_id: reason})])
      expect(lost.status).to.equal(200)
      const deal = await get(lost.body._embedded.leads[0]!.id)
      expect(deal).to.include({status_id: LOST_STATUS_ID, loss_reason_id: reason, pipeline_id: clinic.id})
      expect(deal.closed_at).to.be.within(sentAt, Math.floor(sandbox().clock.now() / 1000))
      expect(deal._embedded.loss_reason!.map((r) => r.name)).to.deep.equal(['Отменён в IDENT'])

      const refused = await call<{errors: Record<string, string>; detail: string; status: number}>(sandbox(), 'POST', '/api/v4/leads', {
        body: [
          reception('2'),
          reception('3', {status_id: WON_STATUS_ID, loss_reason_id: reason}),
          reception('4', {loss_reason_id: reason}),
        ],
      })
      expect(refused.status).to.equal(400)
      expect(refused.body).to.deep.include({
        detail: 'Invalid request body',
        errors: {'r-3': LOSS_REASON_NOT_LOST, 'r-4': LOSS_REASON_NOT_LOST},
      })
      expect(refused.body).to.not.have.property('validation-errors')
      expect(sandbox().deals.countLeads()).to.equal(1)
    })
  })

  describe('update', () => {
    let ids: number[]
    beforeEach(async () => {
      ids = (await post([reception('1'), reception('2')])).body._embedded.leads.map((l) => l.id)
    })

    it('moves stages and pipelines, changes price, replaces the fields listed and the tags; answers id, updated_at, request_id', async () => {
      sandbox().clock.advance(60_000)
      // The sandbox's clock goes on during the request: the answer's time lies between these two.
      const sentAt = Math.floor(sandbox().clock.now() / 1000)
      const res = await patch([
        {
          id: ids[0],
          status_id: clinic.stage['Приём завершён'],
          price: 4200,
          custom_fields_values: [{field_id: f['Услуги'], values: [{value: 'Пломба × 1'}]}],
        },
        {
          id: ids[1],
          pipeline_id: sandbox()
            .deals.listPipelines()
            .find((p) => p.is_main)!.id,
          _embedded: {tags: [{name: 'перенос'}]},
          request_id: 'move',
        },
      ])
      expect(res.status).to.equal(200)
      expect(res.body._embedded.leads.map((l) => [l.id, l.request_id])).to.deep.equal([
        [ids[0], '0'],
        [ids[1], 'move'],
      ])
      expect(res.body._embedded.leads[0]!.updated_at).to.be.within(sentAt, Math.floor(sandbox().clock.now() / 1000))
      const done = await get(ids[0]!)
      expect(done).to.include({status_id: clinic.stage['Приём завершён'], price: 4200})
      expect(cf(done, f['ID приёма IDENT']!), 'fields not listed stay').to.deep.equal([{value: '1'}])
      expect(cf(done, f['Услуги']!)).to.deep.equal([{value: 'Пломба × 1'}])
      expect(done.updated_by).to.equal(sandbox().store.account.currentUserId)
      const moved = await get(ids[1]!)
      const main = sandbox()
        .deals.listPipelines()
        .find((p) => p.is_main)!
      expect(moved.pipeline_id).to.equal(main.id)
      expect(main._embedded.statuses.find((s) => s.id === moved.status_id)!.name, 'a new pipeline without a stage: its first').to.equal(
        DEFAULT_PIPELINE.statuses[0].name,
      )
      expect(moved._embedded.tags.map((t) => t.name)).to.deep.equal(['перенос'])
      expect(
        moved._embedded.contacts!.map((c) => c.id),
        'the link stays',
      ).to.deep.equal([patient])
    })

    it('closes as lost with a reason, then reopening clears the reason and closed_at; 142 closes as won', async () => {
      await patch([
        {id: ids[0], status_id: LOST_STATUS_ID, loss_reason_id: reason},
        {id: ids[1], status_id: WON_STATUS_ID},
      ])
      expect(await get(ids[0]!)).to.include({status_id: LOST_STATUS_ID, loss_reason_id: reason})
      expect((await get(ids[1]!)).closed_at).to.be.a('number')
      await patch([{id: ids[0], status_id: clinic.stage['Записан']}])
      expect(await get(ids[0]!)).to.include({status_id: clinic.stage['Записан'], loss_reason_id: null, closed_at: null})
    })

    it('a loss reason for a deal that is not lost: 400 "Invalid request body" keyed by the deal id, nothing applied', async () => {
      const res = await call<{errors: Record<string, string>}>(sandbox(), 'PATCH', '/api/v4/leads', {
        body: [
          {id: ids[0], price: 1},
          {id: ids[1], loss_reason_id: reason},
        ],
      })
      expect(res.status).to.equal(400)
      expect(res.body.errors).to.deep.equal({[String(ids[1])]: LOSS_REASON_NOT_LOST})
      expect((await get(ids[0]!)).price).to.equal(3500)
    })

    it('refuses unknown or deleted ids, links on update, a stage of another pipeline — the whole batch', async () => {
      sandbox().deals.deleteLead(ids[1]!)
      const res = await call<ValidationBody>(sandbox(), 'PATCH', '/api/v4/leads', {
        body: [
          {id: ids[0], price: 1},
          {id: ids[1], price: 2},
          {price: 3},
          {id: ids[0], _embedded: {contacts: [{id: patient}]}},
          {
            id: ids[0],
            status_id: sandbox()
              .deals.listPipelines()
              .find((p) => p.is_main)!._embedded.statuses[1]!.id,
          },
        ],
      })
      expect(res.status).to.equal(400)
      expect(res.body['validation-errors']).to.deep.equal([
        {request_id: '1', errors: [{code: 'NotSupportedChoice', path: 'id', detail: NOT_A_CHOICE}]},
        {request_id: '2', errors: [{code: 'NotBlank', path: 'id', detail: 'This value should not be blank.'}]},
        {request_id: '3', errors: [{code: 'FieldNotExpected', path: '_embedded.contacts', detail: 'This field was not expected.'}]},
        {request_id: '4', errors: [{code: 'NotSupportedChoice', path: 'status_id', detail: NOT_A_CHOICE}]},
      ])
      expect((await get(ids[0]!)).price).to.equal(3500)
    })

    it('PATCH /leads/{id} takes one object (an array there is 405)', async () => {
      const one = await call<{id: number; updated_at: number}>(sandbox(), 'PATCH', `/api/v4/leads/${ids[0]}`, {body: {price: 5000}})
      expect(one.status).to.equal(200)
      expect(one.body.id).to.equal(ids[0])
      expect((await get(ids[0]!)).price).to.equal(5000)
      expect((await call(sandbox(), 'PATCH', `/api/v4/leads/${ids[0]}`, {body: [{price: 1}]})).status).to.equal(405)
      expect((await call(sandbox(), 'PATCH', `/api/v4/leads/${ids[0]}`, {body: {}})).status).to.equal(400)
    })
  })
})
