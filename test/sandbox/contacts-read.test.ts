import {expect} from 'chai'

import {call, type ContactBody, fieldId, type ListBody, useSandbox} from './helpers.js'

describe('sandbox: reading contacts', () => {
  const sandbox = useSandbox()

  describe('paging 1,000 contacts', () => {
    beforeEach(() => {
      for (let b = 0; b < 4; b++)
        sandbox().store.createContacts(Array.from({length: 250}, (_, i) => ({name: `Пациент ${b * 250 + i + 1}`})))
    })

    it('serves 250 per page with HAL links, no next on the last page, 204 past the end', async () => {
      const seen = new Set<number>()
      let path: string | undefined = '/api/v4/contacts?limit=250'
      let pages = 0
      let last: ListBody | undefined
      while (path) {
        const page: Awaited<ReturnType<typeof call<ListBody>>> = await call<ListBody>(sandbox(), 'GET', path)
        expect(page.status).to.equal(200)
        expect(page.headers.get('content-type')).to.match(/^application\/hal\+json/)
        pages++
        expect(page.body._page).to.equal(pages)
        expect(page.body._embedded.contacts).to.have.length(250)
        for (const c of page.body._embedded.contacts) seen.add(c.id)
        expect(page.body._links.self.href).to.match(new RegExp(`^${sandbox().url}/api/v4/contacts\\?`))
        if (pages > 1) expect(page.body._links.prev?.href).to.include(`page=${pages - 1}`)
        else expect(page.body._links).to.not.have.property('prev')
        last = page.body
        path = page.body._links.next ? page.body._links.next.href.slice(sandbox().url.length) : undefined
      }
      expect(pages).to.equal(4)
      expect(seen.size).to.equal(1000)
      expect(last!._links).to.not.have.property('next')
      const past = await call(sandbox(), 'GET', '/api/v4/contacts?limit=250&page=5')
      expect(past.status).to.equal(204)
      expect(past.text).to.equal('')
    })

    it('defaults to 50 per page and refuses a limit above 250', async () => {
      const page = await call<ListBody>(sandbox(), 'GET', '/api/v4/contacts')
      expect(page.body._embedded.contacts).to.have.length(50)
      expect(page.body._links.next?.href).to.include('page=2').and.include('limit=50')
      const tooMany = await call(sandbox(), 'GET', '/api/v4/contacts?limit=251')
      expect(tooMany.status).to.equal(400)
      expect(tooMany.headers.get('content-type')).to.match(/^application\/problem\+json/)
    })

    it('builds links from the host the client used', async () => {
      const page = await call<ListBody>(sandbox(), 'GET', '/api/v4/contacts?limit=10', {url: `http://localhost:${sandbox().port}`})
      expect(page.body._links.next?.href).to.match(new RegExp(`^http://localhost:${sandbox().port}/api/v4/contacts\\?`))
      expect(page.body._embedded.contacts[0]!._links.self.href).to.equal(
        `http://localhost:${sandbox().port}/api/v4/contacts/${page.body._embedded.contacts[0]!.id}`,
      )
    })
  })

  it('returns a contact in the documented shape, by id, with X-Request-Id', async () => {
    const [created] = sandbox().store.createContacts([{first_name: 'Анна', last_name: 'Смирнова'}])
    const res = await call<ContactBody>(sandbox(), 'GET', `/api/v4/contacts/${created!.id}`)
    expect(res.status).to.equal(200)
    expect(res.headers.get('x-request-id')).to.match(/^\w{8,}$/)
    expect(res.body).to.include({
      id: created!.id,
      name: 'Анна Смирнова',
      first_name: 'Анна',
      last_name: 'Смирнова',
      is_deleted: false,
      is_unsorted: false,
    })
    expect(res.body.custom_fields_values).to.equal(null)
    expect(res.body._embedded).to.deep.equal({tags: [], companies: []})
    for (const key of [
      'responsible_user_id',
      'group_id',
      'created_by',
      'updated_by',
      'created_at',
      'updated_at',
      'closest_task_at',
      'account_id',
    ])
      expect(res.body).to.have.property(key)
    expect((await call(sandbox(), 'GET', '/api/v4/contacts/999')).status).to.equal(204)
  })

  describe('query', () => {
    let ids: Record<string, number>
    beforeEach(() => {
      const phone = fieldId(sandbox(), 'PHONE')
      sandbox().store.createFields([{name: 'ID пациента IDENT', type: 'text'}])
      const identId = fieldId(sandbox(), 'ID пациента IDENT')
      const made = sandbox().store.createContacts([
        {name: 'Иванов Иван Иванович', custom_fields_values: [{field_id: phone, values: [{value: '+79251234567', enum_code: 'MOB'}]}]},
        {
          name: 'Петрова Мария',
          custom_fields_values: [
            {field_id: phone, values: [{value: '+7 (916) 000-11-22'}]},
            {field_id: identId, values: [{value: 'P-4711'}]},
          ],
        },
        {name: 'Сидоров Пётр', custom_fields_values: [{field_code: 'EMAIL', values: [{value: 'Sidorov@Example.com', enum_code: 'PRIV'}]}]},
      ])
      ids = {ivanov: made[0]!.id, petrova: made[1]!.id, sidorov: made[2]!.id}
    })
    const found = async (q: string) => {
      const res = await call<ListBody>(sandbox(), 'GET', `/api/v4/contacts?query=${encodeURIComponent(q)}`)
      return res.status === 204 ? [] : res.body._embedded.contacts.map((c) => c.id)
    }

    it('matches a name substring, any case', async () => {
      expect(await found('иванов')).to.deep.equal([ids.ivanov])
      expect(await found('МАРИЯ')).to.deep.equal([ids.petrova])
    })

    it('finds +79251234567 by 89251234567, 9251234567 and a formatted number', async () => {
      expect(await found('89251234567')).to.deep.equal([ids.ivanov])
      expect(await found('9251234567')).to.deep.equal([ids.ivanov])
      expect(await found('+7 925 123-45-67')).to.deep.equal([ids.ivanov])
      expect(await found('+79160001122')).to.deep.equal([ids.petrova])
    })

    it('matches custom-field text and e-mails, and answers 204 when nothing matches', async () => {
      expect(await found('P-4711')).to.deep.equal([ids.petrova])
      expect(await found('sidorov@example')).to.deep.equal([ids.sidorov])
      const none = await call(sandbox(), 'GET', '/api/v4/contacts?query=nobody')
      expect(none.status).to.equal(204)
    })
  })

  describe('filters and order', () => {
    let made: number[]
    beforeEach(() => {
      const clock = sandbox().clock
      clock.set(Date.UTC(2024, 0, 1))
      made = []
      for (let i = 0; i < 5; i++) {
        made.push(sandbox().store.createContacts([{name: `C${i}`}])[0]!.id)
        clock.advance(60_000)
      }
    })
    const list = async (query: string) => {
      const res = await call<ListBody>(sandbox(), 'GET', `/api/v4/contacts?${query}`)
      return res.status === 204 ? [] : res.body._embedded.contacts.map((c) => c.id)
    }

    it('filter[id] single, filter[id][] and indexed', async () => {
      expect(await list(`filter[id]=${made[1]}`)).to.deep.equal([made[1]])
      expect(await list(`filter[id][]=${made[0]}&filter[id][]=${made[3]}`)).to.deep.equal([made[0], made[3]])
      expect(await list(`filter%5Bid%5D%5B0%5D=${made[2]}&filter%5Bid%5D%5B1%5D=${made[4]}`)).to.deep.equal([made[2], made[4]])
    })

    it('filter[updated_at][from|to] is a range, a single value is equality', async () => {
      const t0 = Date.UTC(2024, 0, 1) / 1000
      expect(await list(`filter[updated_at][from]=${t0 + 60}&filter[updated_at][to]=${t0 + 180}`)).to.deep.equal([
        made[1],
        made[2],
        made[3],
      ])
      expect(await list(`filter[updated_at][from]=${t0 + 240}`)).to.deep.equal([made[4]])
      expect(await list(`filter[updated_at]=${t0 + 120}`)).to.deep.equal([made[2]])
      expect(await list(`filter[updated_at]=${t0 + 121}`)).to.deep.equal([])
    })

    it('orders by id, updated_at and created_at both ways', async () => {
      expect(await list('order[id]=desc')).to.deep.equal([...made].reverse())
      sandbox().store.updateContacts([{id: made[0]!, name: 'C0 edited'}])
      expect(await list('order[updated_at]=desc')).to.deep.equal([made[0], made[4], made[3], made[2], made[1]])
      expect(await list('order[updated_at]=asc')).to.deep.equal([made[1], made[2], made[3], made[4], made[0]])
      expect(await list('order[created_at]=desc')).to.deep.equal([...made].reverse())
      expect(await list('order[created_at]=asc')).to.deep.equal(made)
    })
  })

  it('lists every live contact as it is now, page after page, whatever was created, changed, trashed or restored between two pages', async () => {
    const ids = async () => {
      const page = await call<ListBody>(sandbox(), 'GET', '/api/v4/contacts?limit=250')
      return page.status === 204 ? [] : page.body._embedded.contacts.map((c) => [c.id, c.name])
    }
    const [a, b] = sandbox().store.createContacts([{name: 'Первый'}, {name: 'Второй'}])
    expect(await ids()).to.deep.equal([
      [a!.id, 'Первый'],
      [b!.id, 'Второй'],
    ])
    sandbox().store.deleteContact(a!.id)
    expect(await ids()).to.deep.equal([[b!.id, 'Второй']])
    const [c] = sandbox().store.createContacts([{name: 'Третий'}])
    sandbox().store.updateContacts([{id: b!.id, name: 'Второй, исправлен'}])
    expect(await ids()).to.deep.equal([
      [b!.id, 'Второй, исправлен'],
      [c!.id, 'Третий'],
    ])
    sandbox().store.restoreContact(a!.id)
    expect((await ids()).map(([id]) => id)).to.deep.equal([a!.id, b!.id, c!.id])
    // A filtered listing is its own: only what matches.
    const found = await call<ListBody>(sandbox(), 'GET', `/api/v4/contacts?query=${encodeURIComponent('Третий')}`)
    expect(found.body._embedded.contacts.map((x) => x.id)).to.deep.equal([c!.id])
    sandbox().reset()
    expect(await ids()).to.deep.equal([])
  })

  describe('deleted contacts', () => {
    it('are 204 by id, absent from lists and searches, present with only_deleted', async () => {
      const [a, b] = sandbox().store.createContacts([{name: 'Живой'}, {name: 'Удалённый'}])
      expect(sandbox().store.deleteContact(b!.id)).to.equal(true)
      expect((await call(sandbox(), 'GET', `/api/v4/contacts/${b!.id}`)).status).to.equal(204)
      const live = await call<ListBody>(sandbox(), 'GET', '/api/v4/contacts')
      expect(live.body._embedded.contacts.map((c) => c.id)).to.deep.equal([a!.id])
      expect((await call(sandbox(), 'GET', `/api/v4/contacts?query=${encodeURIComponent('Удалённый')}`)).status).to.equal(204)
      const trash = await call<ListBody>(sandbox(), 'GET', '/api/v4/contacts?with=only_deleted')
      expect(trash.body._embedded.contacts.map((c) => [c.id, c.is_deleted])).to.deep.equal([[b!.id, true]])
    })
  })
})
