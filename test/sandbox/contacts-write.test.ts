import {expect} from 'chai'

import {SandboxValidationError} from '../../src/sandbox/index.js'
import {call, type ContactBody, fieldId, type ValidationBody, useSandbox} from './helpers.js'

/** 1985-06-15 00:00 in Moscow, which was on summer time (UTC+4) that year. */
const MOSCOW_MIDNIGHT_1985_06_15 = Date.UTC(1985, 5, 14, 20) / 1000

describe('sandbox: writing contacts', () => {
  const sandbox = useSandbox()
  let f: Record<string, number>

  beforeEach(() => {
    sandbox().store.createFields([
      {
        name: 'Пол',
        type: 'select',
        enums: [
          {value: 'Мужской', sort: 1},
          {value: 'Женский', sort: 2},
        ],
      },
      {name: 'Возраст', type: 'numeric'},
      {name: 'Отказ от SMS', type: 'checkbox'},
      {name: 'Дата рождения', type: 'birthday'},
      {name: 'Номер карты', type: 'text'},
      {name: 'Приемы', type: 'textarea'},
      {name: 'Визит', type: 'date_time'},
    ])
    f = Object.fromEntries(
      ['PHONE', 'EMAIL', 'Пол', 'Возраст', 'Отказ от SMS', 'Дата рождения', 'Номер карты', 'Приемы', 'Визит'].map((k) => [
        k,
        fieldId(sandbox(), k),
      ]),
    )
  })

  const post = (body: unknown) => call(sandbox(), 'POST', '/api/v4/contacts', {body})
  const patch = (body: unknown) => call(sandbox(), 'PATCH', '/api/v4/contacts', {body})
  const get = async (id: number) => (await call<ContactBody>(sandbox(), 'GET', `/api/v4/contacts/${id}`)).body
  const cf = (c: ContactBody, id: number) => c.custom_fields_values?.find((x) => x.field_id === id)?.values

  describe('batch limits', () => {
    it('251 elements → 422 "Limit 250 per page"; empty → 400 "Request data can not be empty"', async () => {
      const big = await post(Array.from({length: 251}, (_, i) => ({name: `x${i}`})))
      expect(big.status).to.equal(422)
      expect(big.body).to.include({status: 422, detail: 'Limit 250 per page'})
      for (const body of [[], undefined]) {
        const empty = body === undefined ? await call(sandbox(), 'POST', '/api/v4/contacts', {rawBody: ''}) : await post(body)
        expect(empty.status).to.equal(400)
        expect(empty.body).to.include({detail: 'Request data can not be empty'})
      }
      expect((await patch([])).status).to.equal(400)
      expect(sandbox().store.countContacts()).to.equal(0)
    })

    it('250 elements are fine and come back in order with request ids (default: the index)', async () => {
      const res = await post(Array.from({length: 250}, (_, i) => (i === 3 ? {name: 'with id', request_id: 'patient-3'} : {name: `x${i}`})))
      expect(res.status).to.equal(200)
      const out = (res.body as {_embedded: {contacts: Array<{id: number; request_id: string; _links: {self: {href: string}}}>}})._embedded
        .contacts
      expect(out).to.have.length(250)
      expect(out.map((c) => c.request_id).slice(0, 5)).to.deep.equal(['0', '1', '2', 'patient-3', '4'])
      expect(out[0]!._links.self.href).to.equal(`${sandbox().url}/api/v4/contacts/${out[0]!.id}`)
      expect((await get(out[3]!.id)).name).to.equal('with id')
    })
  })

  describe('validation', () => {
    it('rejects the whole batch with exact validation-errors and applies nothing', async () => {
      const res = await post([
        {name: 'ok', request_id: 'good'},
        {name: 'a', custom_fields_values: [{field_id: 123, values: [{value: 'x'}]}]},
        {name: 'b', custom_fields_values: [{field_id: f['Пол'], values: [{value: 'Другой'}]}]},
        {name: 'c', custom_fields_values: [{field_code: 'PHONE', values: [{value: '+79990000000', enum_code: 'CELL'}]}]},
        {name: 'd', custom_fields_values: [{field_id: f['Возраст'], values: [{value: 'сорок'}]}]},
        {name: 'e', custom_fields_values: [{field_id: f['Отказ от SMS'], values: [{value: 'yes'}]}]},
        {name: 'f', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: '1961-04-12T00:00:00+03:00'}]}]},
        {
          name: 'g',
          custom_fields_values: [
            {field_id: f['PHONE'], values: [{value: '+79990000000'}]},
            {field_id: f['Номер карты'], values: [{value: 'я'.repeat(257)}]},
          ],
        },
        {name: 'h', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: -1}]}]},
        {name: 'i', custom_fields_values: [{field_code: 'NOPE', values: [{value: 'x'}]}]},
      ])
      expect(res.status).to.equal(400)
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/)
      const body = res.body as ValidationBody
      expect(body).to.include({title: 'Bad Request', status: 400, detail: 'Request validation failed'})
      expect(body['validation-errors']).to.deep.equal([
        {
          request_id: '1',
          errors: [
            {code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: 'The value you selected is not a valid choice.'},
          ],
        },
        {
          request_id: '2',
          errors: [
            {
              code: 'NotSupportedChoice',
              path: 'custom_fields_values.0.values.0.value',
              detail: 'The value you selected is not a valid choice.',
            },
          ],
        },
        {
          request_id: '3',
          errors: [
            {
              code: 'NotSupportedChoice',
              path: 'custom_fields_values.0.values.0.enum_code',
              detail: 'The value you selected is not a valid choice.',
            },
          ],
        },
        {
          request_id: '4',
          errors: [{code: 'InvalidType', path: 'custom_fields_values.0.values.0.value', detail: 'This value should be of type numeric.'}],
        },
        {
          request_id: '5',
          errors: [{code: 'InvalidType', path: 'custom_fields_values.0.values.0.value', detail: 'This value should be of type bool.'}],
        },
        {
          request_id: '6',
          errors: [
            {
              code: 'GreaterThanOrEqual',
              path: 'custom_fields_values.0.values.0.value',
              // amoCRM's texts may quote what was sent: so do the sandbox's
              detail: 'The value "1961-04-12T00:00:00+03:00" should be greater than or equal to 0.',
            },
          ],
        },
        {
          request_id: '7',
          errors: [
            {
              code: 'TooLong',
              path: 'custom_fields_values.1.values.0.value',
              detail: `The value "${'я'.repeat(100)}…" is too long. It should have 256 characters or less.`,
            },
          ],
        },
        {
          request_id: '8',
          errors: [
            {
              code: 'GreaterThanOrEqual',
              path: 'custom_fields_values.0.values.0.value',
              detail: 'The value "-1" should be greater than or equal to 0.',
            },
          ],
        },
        {
          request_id: '9',
          errors: [
            {
              code: 'NotSupportedChoice',
              path: 'custom_fields_values.0.field_code',
              detail: 'The value you selected is not a valid choice.',
            },
          ],
        },
      ])
      expect(sandbox().store.countContacts()).to.equal(0)
    })

    it('refuses wrong JSON types, values a field does not take, and a field without id or code', async () => {
      const res = await post([
        {name: 42},
        {custom_fields_values: [{field_id: f['Номер карты'], values: [{value: 12345}]}]},
        {custom_fields_values: [{field_id: f['Номер карты'], values: [{value: 'x', enum_code: 'WORK'}]}]},
        {custom_fields_values: [{values: [{value: 'x'}]}]},
        {custom_fields_values: {field_id: f['Номер карты']}},
        {responsible_user_id: 1},
      ])
      expect(res.status).to.equal(400)
      const errors = (res.body as ValidationBody)['validation-errors'].map((e) => [
        e.request_id,
        e.errors.map((x) => `${x.code} ${x.path}`),
      ])
      expect(errors).to.deep.equal([
        ['0', ['InvalidType name']],
        ['1', ['InvalidType custom_fields_values.0.values.0.value']],
        ['2', ['FieldNotExpected custom_fields_values.0.values.0.enum_code']],
        ['3', ['36b4f074-7403-11ea-af30-00163e2085ae custom_fields_values.0']],
        ['4', ['InvalidType custom_fields_values']],
        ['5', ['NotSupportedChoice responsible_user_id']],
      ])
    })

    it('allows textarea text far beyond 256 characters, up to its own limit', async () => {
      const res = await post([{name: 'a', custom_fields_values: [{field_id: f['Приемы'], values: [{value: 'в'.repeat(4000)}]}]}])
      expect(res.status).to.equal(200)
      const tooLong = await post([{name: 'b', custom_fields_values: [{field_id: f['Приемы'], values: [{value: 'в'.repeat(10_001)}]}]}])
      expect((tooLong.body as ValidationBody)['validation-errors'][0]!.errors[0]!.code).to.equal('TooLong')
    })

    it('refuses the values it is told to, quoting them as amoCRM may (refuseValues)', async () => {
      const patched = await call(sandbox(), 'PATCH', '/_sandbox/settings', {
        body: {refuseValues: ['+79504425160', 'Отказной']},
        token: null,
      })
      expect(patched.status).to.equal(200)
      const res = await post([
        {name: 'fine', custom_fields_values: [{field_code: 'PHONE', values: [{value: '+79251234567'}]}]},
        {name: 'Отказной'},
        {name: 'z', custom_fields_values: [{field_code: 'PHONE', values: [{value: '+79504425160'}]}]},
      ])
      expect(res.status).to.equal(400)
      expect((res.body as ValidationBody)['validation-errors']).to.deep.equal([
        {request_id: '1', errors: [{code: 'InvalidValue', path: 'name', detail: 'The value "Отказной" is not valid.'}]},
        {
          request_id: '2',
          errors: [{code: 'InvalidValue', path: 'custom_fields_values.0.values.0.value', detail: 'The value "+79504425160" is not valid.'}],
        },
      ])
      expect(sandbox().store.countContacts()).to.equal(0)
    })

    it('refuses PATCH of an unknown or deleted contact, and an element without id', async () => {
      const [gone] = sandbox().store.createContacts([{name: 'gone'}])
      sandbox().store.deleteContact(gone!.id)
      const res = await patch([{id: 99, name: 'x'}, {id: gone!.id, name: 'y'}, {name: 'z'}])
      expect(res.status).to.equal(400)
      expect((res.body as ValidationBody)['validation-errors'].map((e) => e.errors[0]!.code + ' ' + e.errors[0]!.path)).to.deep.equal([
        'NotSupportedChoice id',
        'NotSupportedChoice id',
        'NotBlank id',
      ])
      expect(sandbox().store.getContact(gone!.id, {includeDeleted: true})?.name).to.equal('gone')
    })

    it('the in-process store refuses the same way', () => {
      expect(() =>
        sandbox().store.createContacts([{name: 'x', custom_fields_values: [{field_id: f['Отказ от SMS'], values: [{value: 1}]}]}]),
      ).to.throw(SandboxValidationError)
      expect(sandbox().store.countContacts()).to.equal(0)
    })
  })

  describe('values', () => {
    it('stores numerics as strings, checkboxes as booleans, selects by text or enum_id, multitext with enum codes', async () => {
      const gender = sandbox().store.getField(f['Пол']!)!.enums!
      const res = await post([
        {
          first_name: 'Иван',
          last_name: 'Петров',
          custom_fields_values: [
            {field_id: f['Возраст'], values: [{value: 42}]},
            {field_id: f['Отказ от SMS'], values: [{value: false}]},
            {field_id: f['Пол'], values: [{value: 'Женский'}]},
            {field_code: 'PHONE', values: [{value: '+79251234567', enum_code: 'MOB'}, {value: '+74951234567'}]},
          ],
        },
        {
          name: 'Второй',
          custom_fields_values: [
            {field_id: f['Возраст'], values: [{value: '36.6'}]},
            {field_id: f['Пол'], values: [{enum_id: gender[0]!.id}]},
          ],
        },
      ])
      expect(res.status).to.equal(200)
      const [a, b] = (res.body as {_embedded: {contacts: Array<{id: number}>}})._embedded.contacts
      const first = await get(a!.id)
      expect(first.name).to.equal('Иван Петров')
      expect(cf(first, f['Возраст']!)).to.deep.equal([{value: '42'}])
      expect(cf(first, f['Отказ от SMS']!)).to.deep.equal([{value: false}])
      expect(cf(first, f['Пол']!)).to.deep.equal([{value: 'Женский', enum_id: gender[1]!.id, enum_code: null}])
      const phoneEnums = sandbox().store.getField('PHONE')!.enums!
      expect(cf(first, f['PHONE']!)).to.deep.equal([
        {value: '+79251234567', enum_id: phoneEnums.find((e) => e.value === 'MOB')!.id, enum_code: 'MOB'},
        {value: '+74951234567', enum_id: phoneEnums.find((e) => e.value === 'WORK')!.id, enum_code: 'WORK'},
      ])
      const phoneRead = first.custom_fields_values!.find((x) => x.field_id === f['PHONE'])!
      expect(phoneRead).to.include({field_code: 'PHONE', field_type: 'multitext', field_name: 'Телефон'})
      const second = await get(b!.id)
      expect(cf(second, f['Возраст']!)).to.deep.equal([{value: '36.6'}])
      expect(cf(second, f['Пол']!)![0]).to.include({value: 'Мужской'})
    })

    it('normalizes a birthday to midnight of the account timezone, from RFC 3339 or an int', async () => {
      const res = await post([
        {name: 'a', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: '1985-06-15T00:00:00+03:00'}]}]},
        {name: 'b', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: Date.UTC(1985, 5, 15) / 1000}]}]},
        {name: 'c', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: '1985-06-15'}]}]},
        {name: 'd', custom_fields_values: [{field_id: f['Дата рождения'], values: [{value: '2021-10-19T00:00:00+03:00'}]}]},
        {name: 'e', custom_fields_values: [{field_id: f['Визит'], values: [{value: 1634601600}]}]},
      ])
      expect(res.status).to.equal(200)
      const ids = (res.body as {_embedded: {contacts: Array<{id: number}>}})._embedded.contacts.map((c) => c.id)
      for (const id of ids.slice(0, 3)) expect(cf(await get(id), f['Дата рождения']!)).to.deep.equal([{value: MOSCOW_MIDNIGHT_1985_06_15}])
      // the case from amocrm-api-php #402: 00:00 UTC sent, 00:00 MSK stored
      expect(cf(await get(ids[3]!), f['Дата рождения']!)).to.deep.equal([{value: 1634590800}])
      // date_time keeps the instant
      expect(cf(await get(ids[4]!), f['Визит']!)).to.deep.equal([{value: 1634601600}])
    })

    it('uses another account timezone when configured', async () => {
      await sandbox().close()
      const {startSandbox} = await import('../../src/sandbox/index.js')
      const other = await startSandbox({rateLimit: 0, timezone: 'Asia/Yekaterinburg'})
      try {
        const [c] = other.store.createFields([{name: 'ДР', type: 'birthday'}])
        const [contact] = other.store.createContacts([
          {name: 'x', custom_fields_values: [{field_id: c!.id, values: [{value: '2000-01-01'}]}]},
        ])
        expect(contact!.custom_fields_values![0]!.values[0]!.value).to.equal(Date.UTC(1999, 11, 31, 19) / 1000)
      } finally {
        await other.close()
      }
    })
  })

  describe('PATCH', () => {
    let id: number
    beforeEach(() => {
      id = sandbox().store.createContacts([
        {
          first_name: 'Мария',
          last_name: 'Иванова',
          custom_fields_values: [
            {field_code: 'PHONE', values: [{value: '+79161112233', enum_code: 'MOB'}, {value: '+74950000000'}]},
            {field_code: 'EMAIL', values: [{value: 'm@example.com', enum_code: 'PRIV'}]},
            {field_id: f['Номер карты'], values: [{value: 'A-1'}]},
          ],
        },
      ])[0]!.id
    })

    it('replaces a listed field whole, leaves the others and the names alone', async () => {
      const res = await patch([{id, custom_fields_values: [{field_code: 'PHONE', values: [{value: '+79990001122', enum_code: 'MOB'}]}]}])
      expect(res.status).to.equal(200)
      const out = (res.body as {_embedded: {contacts: Array<Record<string, unknown>>}})._embedded.contacts[0]!
      expect(out).to.include({id, name: 'Мария Иванова', request_id: '0'})
      expect(out).to.have.property('updated_at')
      const c = await get(id)
      expect(cf(c, f['PHONE']!)!.map((v) => v.value)).to.deep.equal(['+79990001122'])
      expect(cf(c, f['EMAIL']!)!.map((v) => v.value)).to.deep.equal(['m@example.com'])
      expect(cf(c, f['Номер карты']!)).to.deep.equal([{value: 'A-1'}])
      expect(c.first_name).to.equal('Мария')
    })

    it('clears a field with values: null or [], and the contact shows null when nothing is left', async () => {
      await patch([
        {
          id,
          custom_fields_values: [
            {field_code: 'EMAIL', values: null},
            {field_id: f['Номер карты'], values: []},
          ],
        },
      ])
      let c = await get(id)
      expect(cf(c, f['EMAIL']!)).to.equal(undefined)
      expect(cf(c, f['Номер карты']!)).to.equal(undefined)
      expect(cf(c, f['PHONE']!)).to.have.length(2)
      await patch([{id, custom_fields_values: [{field_code: 'PHONE', values: null}]}])
      c = await get(id)
      expect(c.custom_fields_values).to.equal(null)
    })

    it('recomposes name from first/last when name is absent, keeps a given name, bumps updated_at', async () => {
      sandbox().clock.set(Date.UTC(2030, 0, 1))
      await patch([{id, first_name: 'Анна'}])
      let c = await get(id)
      expect(c.name).to.equal('Анна Иванова')
      expect(c.updated_at).to.equal(Date.UTC(2030, 0, 1) / 1000)
      await patch([{id, name: 'Иванова Анна Сергеевна', last_name: 'Петрова'}])
      c = await get(id)
      expect([c.name, c.first_name, c.last_name]).to.deep.equal(['Иванова Анна Сергеевна', 'Анна', 'Петрова'])
    })

    it('adds and removes tags by name, shown in _embedded.tags', async () => {
      await patch([{id, tags_to_add: [{name: 'IDENT'}, {name: 'VIP'}]}])
      let c = await get(id)
      expect(c._embedded.tags.map((t) => (t as {name: string}).name)).to.deep.equal(['IDENT', 'VIP'])
      await patch([{id, tags_to_delete: [{name: 'vip'}]}])
      c = await get(id)
      expect(c._embedded.tags.map((t) => (t as {name: string}).name)).to.deep.equal(['IDENT'])
    })

    it('PATCH /contacts/{id} takes one object and answers the short form; an array there is a 405', async () => {
      const one = await call<Record<string, unknown>>(sandbox(), 'PATCH', `/api/v4/contacts/${id}`, {body: {last_name: 'Сидорова'}})
      expect(one.status).to.equal(200)
      expect(Object.keys(one.body).sort()).to.deep.equal(['_links', 'id', 'name', 'updated_at'])
      expect(one.body).to.include({id, name: 'Мария Сидорова'})
      const arr = await call(sandbox(), 'PATCH', `/api/v4/contacts/${id}`, {body: [{last_name: 'X'}]})
      expect(arr.status).to.equal(405)
      expect((await get(id)).last_name).to.equal('Сидорова')
    })
  })
})
