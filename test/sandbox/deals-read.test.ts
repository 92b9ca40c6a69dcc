import {expect} from 'chai'

import {LOST_STATUS_ID} from '../../src/amocrm/leads.js'
import {call, type LeadListBody, makePipeline, useSandbox} from './helpers.js'

describe('sandbox: reading deals', () => {
  const sandbox = useSandbox()
  let receptionField: number
  let clinic: {id: number; stage: Record<string, number>}
  let other: {id: number; stage: Record<string, number>}
  let anna: number
  let boris: number

  beforeEach(async () => {
    receptionField = sandbox().deals.createFields([{name: 'ID приёма IDENT', type: 'text'}])[0]!.id
    clinic = await makePipeline(sandbox(), 'Приёмы IDENT', ['Записан', 'Пациент пришёл'])
    other = await makePipeline(sandbox(), 'Продажи', ['Записан'])
    ;[anna, boris] = sandbox()
      .store.createContacts([{name: 'Иванова Анна'}, {name: 'Петров Борис'}])
      .map((c) => c.id) as [number, number]
  })

  const list = (query: string) => call<LeadListBody>(sandbox(), 'GET', `/api/v4/leads${query}`)
  const ids = async (query: string) => {
    const res = await list(query)
    return res.status === 204 ? [] : res.body._embedded.leads.map((l) => l.id)
  }
  /** Deals made through the API (as the integration), one per entry. */
  const deals = async (
    specs: Array<{
      pipeline: {id: number; stage: Record<string, number>}
      stage: string
      reception?: string
      contact?: number
      name?: string
    }>,
  ) => {
    const res = await call<{_embedded: {leads: Array<{id: number}>}}>(sandbox(), 'POST', '/api/v4/leads', {
      body: specs.map((s) => ({
        name: s.name ?? 'Приём',
        pipeline_id: s.pipeline.id,
        status_id: s.pipeline.stage[s.stage],
        ...(s.reception ? {custom_fields_values: [{field_id: receptionField, values: [{value: s.reception}]}]} : {}),
        ...(s.contact ? {_embedded: {contacts: [{id: s.contact}]}} : {}),
      })),
    })
    return res.body._embedded.leads.map((l) => l.id)
  }

  it('pages 250 at a time by _links.next, 50 by default, and answers 204 past the end', async () => {
    for (let i = 0; i < 3; i++) sandbox().deals.createLeads(Array.from({length: 200}, () => ({pipeline_id: clinic.id})))
    const first = await list('?limit=250')
    expect(first.body._embedded.leads).to.have.length(250)
    const next = new URL(first.body._links.next!.href)
    expect(next.searchParams.get('page')).to.equal('2')
    const second = await call<LeadListBody>(sandbox(), 'GET', next.pathname + next.search)
    const third = await call<LeadListBody>(
      sandbox(),
      'GET',
      new URL(second.body._links.next!.href).pathname + new URL(second.body._links.next!.href).search,
    )
    expect(third.body._embedded.leads).to.have.length(100)
    expect(third.body._links.next).to.equal(undefined)
    const all = [first, second, third].flatMap((r) => r.body._embedded.leads.map((l) => l.id))
    expect(new Set(all).size).to.equal(600)
    expect((await list('?limit=250&page=4')).status).to.equal(204)
    expect((await list('')).body._embedded.leads).to.have.length(50)
    expect((await list('?limit=251')).status).to.equal(400)
  })

  it('filters by id, by pipeline and by stage as amoCRM spells them, and answers 204 when nothing matches', async () => {
    const [booked, came, sale] = await deals([
      {pipeline: clinic, stage: 'Записан'},
      {pipeline: clinic, stage: 'Пациент пришёл'},
      {pipeline: other, stage: 'Записан'},
    ])
    expect(await ids(`?filter[id][]=${came}&filter[id][]=${sale}`)).to.deep.equal([came, sale])
    expect(await ids(`?filter[id]=${booked}`)).to.deep.equal([booked])
    expect(await ids(`?filter[pipeline_id][]=${clinic.id}`)).to.deep.equal([booked, came])
    expect(await ids(`?filter[pipeline_id][0]=${other.id}`)).to.deep.equal([sale])
    expect(await ids(`?filter[pipeline_id]=${clinic.id},${other.id}`)).to.deep.equal([booked, came, sale])
    expect(
      await ids(`?filter[statuses][0][pipeline_id]=${clinic.id}&filter[statuses][0][status_id]=${clinic.stage['Пациент пришёл']}`),
    ).to.deep.equal([came])
    expect(
      await ids(
        `?filter[statuses][0][pipeline_id]=${clinic.id}&filter[statuses][0][status_id]=${clinic.stage['Записан']}` +
          `&filter[statuses][1][pipeline_id]=${other.id}&filter[statuses][1][status_id]=${other.stage['Записан']}`,
      ),
    ).to.deep.equal([booked, sale])
    expect(
      await ids(`?filter[statuses][0][pipeline_id]=${other.id}&filter[statuses][0][status_id]=${clinic.stage['Записан']}`),
    ).to.deep.equal([])
    expect((await list(`?filter[pipeline_id][]=${clinic.id}&filter[id][]=${sale}`)).status).to.equal(204)
    expect((await list('?filter[pipeline_id][]=abc')).status).to.equal(400)
    expect((await list('?filter[statuses][0][status_id]=x')).status).to.equal(400)
  })

  it('query is fuzzy over the name and field values (a reception id matches longer ones too), and ignores custom-field filters', async () => {
    const [r123, r1234, named] = await deals([
      {pipeline: clinic, stage: 'Записан', reception: '123'},
      {pipeline: clinic, stage: 'Записан', reception: '91234'},
      {pipeline: clinic, stage: 'Записан', name: 'Приём — Петров Б.'},
    ])
    expect(await ids('?query=123')).to.deep.equal([r123, r1234])
    expect(await ids('?query=петров')).to.deep.equal([named])
    expect((await list('?query=нет такого')).status).to.equal(204)
    expect(await ids(`?filter[custom_fields_values][${receptionField}][]=123`)).to.deep.equal([r123, r1234, named])
  })

  it('with=contacts embeds the linked contacts; with=loss_reason the reason; orders by updated_at and by id', async () => {
    const [withAnna, noContact, alone] = await deals([
      {pipeline: clinic, stage: 'Записан', contact: anna},
      {pipeline: clinic, stage: 'Записан'},
      {pipeline: clinic, stage: 'Записан'},
    ])
    sandbox().deals.createLeads([{name: 'двое', _embedded: {contacts: [{id: anna}, {id: boris, is_main: true}]}}])
    const both = sandbox()
      .deals.listLeads()
      .find((l) => l.name === 'двое')!
    const reason = sandbox().deals.createLossReasons([{name: 'Дорого'}])[0]!.id
    sandbox().clock.advance(5_000)
    sandbox().deals.moveLead(alone!, {status_id: LOST_STATUS_ID, loss_reason_id: reason})

    const res = await list(`?with=contacts,loss_reason&order[updated_at]=desc`)
    const byId = new Map(res.body._embedded.leads.map((l) => [l.id, l]))
    expect(res.body._embedded.leads[0]!.id, 'the last updated first').to.equal(alone)
    expect(byId.get(withAnna!)!._embedded.contacts!.map((c) => [c.id, c.is_main])).to.deep.equal([[anna, true]])
    expect(byId.get(withAnna!)!._embedded.contacts![0]!._links.self.href).to.equal(`${sandbox().url}/api/v4/contacts/${anna}`)
    expect(byId.get(both.id)!._embedded.contacts!.map((c) => [c.id, c.is_main])).to.deep.equal([
      [anna, false],
      [boris, true],
    ])
    expect(byId.get(noContact!)!._embedded.contacts).to.deep.equal([])
    expect(byId.get(alone!)!._embedded.loss_reason!.map((r) => r.name)).to.deep.equal(['Дорого'])
    const plain = await list('')
    expect(plain.body._embedded.leads.every((l) => l._embedded.contacts === undefined && l._embedded.loss_reason === undefined)).to.equal(
      true,
    )
    expect(await ids('?order[id]=desc')).to.deep.equal([both.id, alone, noContact, withAnna])
  })

  it('GET one answers 204 for unknown and deleted deals; with=only_deleted lists the trash', async () => {
    const [kept, gone] = await deals([
      {pipeline: clinic, stage: 'Записан'},
      {pipeline: clinic, stage: 'Записан', contact: anna},
    ])
    sandbox().deals.deleteLead(gone!)
    expect((await call(sandbox(), 'GET', `/api/v4/leads/${kept}`)).status).to.equal(200)
    expect((await call(sandbox(), 'GET', `/api/v4/leads/${gone}`)).status).to.equal(204)
    expect((await call(sandbox(), 'GET', '/api/v4/leads/1')).status).to.equal(204)
    expect(await ids('')).to.deep.equal([kept])
    expect(await ids('?with=only_deleted')).to.deep.equal([gone])
    const contact = await call<{_embedded: {leads: unknown[]}}>(sandbox(), 'GET', `/api/v4/contacts/${anna}?with=leads`)
    expect(contact.body._embedded.leads, 'a deleted deal is not listed on its contact').to.deep.equal([])
  })
})
