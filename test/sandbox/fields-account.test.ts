import {expect} from 'chai'

import {call, useSandbox, type ValidationBody} from './helpers.js'

interface FieldsPage {
  _total_items: number
  _page: number
  _page_count: number
  _links: {self: {href: string}; next?: {href: string}}
  _embedded: {
    custom_fields: Array<{
      id: number
      name: string
      type: string
      code: string | null
      enums: Array<{id: number; value: string; sort: number}> | null
      is_predefined: boolean
      is_deletable: boolean
      entity_type: string
      request_id?: string
    }>
  }
}

describe('sandbox: custom fields and account', () => {
  const sandbox = useSandbox()

  it('a fresh account has POSITION, PHONE and EMAIL with their enums', async () => {
    const res = await call<FieldsPage>(sandbox(), 'GET', '/api/v4/contacts/custom_fields')
    expect(res.status).to.equal(200)
    expect(res.body).to.include({_total_items: 3, _page: 1, _page_count: 1})
    expect(res.body._links.self.href).to.match(/\/api\/v4\/contacts\/custom_fields\?/)
    const byCode = Object.fromEntries(res.body._embedded.custom_fields.map((f) => [f.code ?? '', f]))
    expect(byCode.POSITION).to.include({type: 'text', enums: null, is_predefined: true, is_deletable: false, entity_type: 'contacts'})
    expect(byCode.PHONE!.type).to.equal('multitext')
    expect(byCode.PHONE!.enums!.map((e) => e.value)).to.deep.equal(['WORK', 'WORKDD', 'MOB', 'FAX', 'HOME', 'OTHER'])
    expect(byCode.EMAIL!.enums!.map((e) => e.value)).to.deep.equal(['WORK', 'PRIV', 'OTHER'])
    for (const e of [...byCode.PHONE!.enums!, ...byCode.EMAIL!.enums!]) expect(e.id).to.be.a('number')
  })

  it('creates fields with enum ids and echoes request ids; refuses bad definitions whole', async () => {
    const res = await call<FieldsPage>(sandbox(), 'POST', '/api/v4/contacts/custom_fields', {
      body: [
        {
          name: 'Пол',
          type: 'select',
          enums: [
            {value: 'Мужской', sort: 1},
            {value: 'Женский', sort: 2},
            {value: 'Не указан', sort: 3},
          ],
          request_id: 'gender',
        },
        {name: 'ID пациента IDENT', type: 'text', code: 'IDENT_ID'},
      ],
    })
    expect(res.status).to.equal(200)
    expect(res.body._total_items).to.equal(2)
    const [gender, ident] = res.body._embedded.custom_fields
    expect(gender).to.include({name: 'Пол', type: 'select', code: null, request_id: 'gender', is_predefined: false})
    expect(gender!.enums!.map((e) => [e.value, typeof e.id])).to.deep.equal([
      ['Мужской', 'number'],
      ['Женский', 'number'],
      ['Не указан', 'number'],
    ])
    expect(ident).to.include({code: 'IDENT_ID', request_id: '1'})
    const one = await call<{id: number; name: string}>(sandbox(), 'GET', `/api/v4/contacts/custom_fields/${ident!.id}`)
    expect(one.body).to.include({id: ident!.id, name: 'ID пациента IDENT'})

    const bad = await call(sandbox(), 'POST', '/api/v4/contacts/custom_fields', {
      body: [
        {name: 'ok', type: 'text'},
        {type: 'text'},
        {name: 'x', type: 'hologram'},
        {name: 'y', type: 'select'},
        {name: 'z', type: 'text', code: 'IDENT_ID'},
      ],
    })
    expect(bad.status).to.equal(400)
    expect(
      (bad.body as ValidationBody)['validation-errors'].map((e) => [e.request_id, e.errors[0]!.code, e.errors[0]!.path]),
    ).to.deep.equal([
      ['1', 'NotBlank', 'name'],
      ['2', 'NotSupportedChoice', 'type'],
      ['3', 'NotBlank', 'enums'],
      ['4', 'NotUnique', 'code'],
    ])
    expect(sandbox().store.listFields()).to.have.length(5)
  })

  it('pages the field list', async () => {
    sandbox().store.createFields(Array.from({length: 60}, (_, i) => ({name: `F${i}`, type: 'text'})))
    const first = await call<FieldsPage>(sandbox(), 'GET', '/api/v4/contacts/custom_fields?limit=50')
    expect(first.body).to.include({_total_items: 63, _page_count: 2})
    expect(first.body._embedded.custom_fields).to.have.length(50)
    const second = await call<FieldsPage>(sandbox(), 'GET', first.body._links.next!.href.slice(sandbox().url.length))
    expect(second.body._embedded.custom_fields).to.have.length(13)
    expect(second.body._links).to.not.have.property('next')
    expect((await call(sandbox(), 'GET', '/api/v4/contacts/custom_fields?page=3')).status).to.equal(204)
  })

  it('GET /api/v4/account with datetime_settings and is_api_filter_enabled', async () => {
    const plain = await call<Record<string, unknown>>(sandbox(), 'GET', '/api/v4/account')
    expect(plain.body).to.include({name: 'ident-amo sandbox', subdomain: 'sandbox', country: 'RU'})
    expect(plain.body).to.have.property('current_user_id').that.is.a('number')
    expect(plain.body).to.not.have.property('_embedded')
    const full = await call<{is_api_filter_enabled: boolean; _embedded: {datetime_settings: {timezone: string; timezone_offset: string}}}>(
      sandbox(),
      'GET',
      '/api/v4/account?with=datetime_settings,is_api_filter_enabled',
    )
    expect(full.body.is_api_filter_enabled).to.equal(false)
    expect(full.body._embedded.datetime_settings).to.include({timezone: 'Europe/Moscow', timezone_offset: '+03:00'})
  })

  it('answers unknown paths 404 and wrong methods 405, as problem+json', async () => {
    const missing = await call(sandbox(), 'GET', '/api/v4/companies')
    expect(missing.status).to.equal(404)
    expect(missing.headers.get('content-type')).to.match(/^application\/problem\+json/)
    expect((await call(sandbox(), 'DELETE', '/api/v4/contacts/1')).status).to.equal(405)
  })
})
