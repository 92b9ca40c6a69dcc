import {Writable} from 'node:stream'

import {expect} from 'chai'
import nock from 'nock'
import pino from 'pino'

import {
  AmoAuthError,
  AmoBlockedError,
  AmoHttpError,
  AmoInvalidRequestError,
  AmoOutcomeUnknownError,
  AmoPaymentRequiredError,
  AmoUnavailableError,
  AmoValidationError,
} from '../../src/amocrm/errors.js'
import {RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {terminalMessage} from '../../src/errors.js'
import type {TokenProvider} from '../../src/amocrm/tokens.js'
import type {Contact, ContactWrite} from '../../src/amocrm/types.js'
import {BASE, contact, localServer, rejection, socketError, testClient} from './helpers.js'

const HTML_429 =
  '<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>'
const HTML_403 =
  '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>'
const PROBLEM = {'content-type': 'application/problem+json'}
const ACCOUNT = {id: 1, name: 'Clinic', subdomain: 'clinic', _embedded: {datetime_settings: {timezone: 'Europe/Moscow'}}}

async function allPages(pages: AsyncGenerator<Contact[]>): Promise<Contact[][]> {
  const out: Contact[][] = []
  for await (const page of pages) out.push(page)
  return out
}

function created(ids: Array<[number, string]>) {
  return {_embedded: {contacts: ids.map(([id, request_id]) => ({id, request_id, _links: {self: {href: `${BASE}/api/v4/contacts/${id}`}}}))}}
}

describe('amocrm/AmoClient (HTTP rules, nock)', () => {
  before(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  after(() => nock.enableNetConnect())

  describe('retries with backoff', () => {
    it('retries a 429 with a JSON body and gets the answer', async () => {
      const scope = nock(BASE)
        .get('/api/v4/account')
        .query({with: 'datetime_settings'})
        .reply(429, {title: 'Too Many Requests', status: 429}, PROBLEM)
        .get('/api/v4/account')
        .query({with: 'datetime_settings'})
        .reply(200, ACCOUNT)
      const {client, sleeps} = testClient()
      const account = await client.getAccount()
      expect(account.subdomain).to.equal('clinic')
      expect(account._embedded?.datetime_settings?.timezone).to.equal('Europe/Moscow')
      expect(sleeps).to.deep.equal([1000])
      expect(scope.isDone()).to.equal(true)
    })

    it('retries an HTML 429 without Retry-After after at least a second', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .reply(429, HTML_429, {'content-type': 'text/html'})
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
      const {client, sleeps} = testClient({random: () => 0.99})
      await client.getAccount()
      expect(sleeps).to.have.length(1)
      expect(sleeps[0]).to.be.within(1000, 1250)
    })

    it('honours a Retry-After header', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .reply(429, HTML_429, {'retry-after': '7'})
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
      const {client, sleeps} = testClient()
      await client.getAccount()
      expect(sleeps).to.deep.equal([7000])
    })

    it('honours retry_after in the JSON body, but not beyond maxDelayMs', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .reply(429, {title: 'Too Many Requests', retry_after: 300}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .reply(429, {title: 'Too Many Requests', retry_after: 3}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
      const {client, sleeps} = testClient({retry: {maxDelayMs: 20_000}})
      await client.getAccount()
      expect(sleeps).to.deep.equal([20_000, 3000])
    })

    for (const status of [500, 502, 503, 504]) {
      it(`retries a GET that got ${status}`, async () => {
        nock(BASE)
          .get('/api/v4/account')
          .query(true)
          .reply(status, '<html>Bad Gateway</html>')
          .get('/api/v4/account')
          .query(true)
          .reply(200, ACCOUNT)
        const {client, sleeps} = testClient()
        expect((await client.getAccount()).id).to.equal(1)
        expect(sleeps).to.deep.equal([1000])
      })
    }

    it('waits longer after each failure, up to the cap', async () => {
      const scope = nock(BASE)
      for (let i = 0; i < 5; i++) scope.get('/api/v4/account').query(true).reply(503)
      scope.get('/api/v4/account').query(true).reply(200, ACCOUNT)
      const {client, sleeps} = testClient({retry: {maxDelayMs: 5000}})
      await client.getAccount()
      expect(sleeps).to.deep.equal([1000, 2000, 4000, 5000, 5000])
    })

    it('retries a GET after a network error', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .replyWithError(socketError('ECONNRESET'))
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
      const {client, sleeps} = testClient()
      expect((await client.getAccount()).id).to.equal(1)
      expect(sleeps).to.deep.equal([1000])
    })

    it('retries a GET that timed out', async () => {
      const server = await localServer((_req, res, n) => {
        if (n === 1) return // never answers
        res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(ACCOUNT))
      })
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client, sleeps} = testClient({baseUrl: server.url, timeoutMs: 200})
        expect((await client.getAccount()).id).to.equal(1)
        expect(server.requests()).to.equal(2)
        expect(sleeps).to.deep.equal([1000])
      } finally {
        nock.disableNetConnect()
        await server.close()
      }
    })

    it('gives up with AmoUnavailableError when retries are exhausted', async () => {
      nock(BASE).get('/api/v4/account').query(true).times(3).reply(503)
      const {client, sleeps} = testClient({retry: {maxAttempts: 3}})
      const error = await rejection(client.getAccount())
      expect(error).to.be.instanceOf(AmoUnavailableError)
      expect((error as AmoUnavailableError).status).to.equal(503)
      expect(client.stats.requests).to.equal(3)
      expect(sleeps).to.have.length(2)
    })

    it('does not retry a 501 to a GET and reports the problem', async () => {
      nock(BASE).get('/api/v4/account').query(true).reply(501, {title: 'ErrNotImplemented', status: 501, detail: 'boom'}, PROBLEM)
      const {client} = testClient()
      const error = await rejection(client.getAccount())
      expect(error).to.be.instanceOf(AmoHttpError)
      expect(error.message).to.contain('amoCRM answered 501: GET /api/v4/account')
      // amoCRM's own words are kept apart from the message: they may quote what was sent
      expect((error as AmoHttpError).serverText).to.equal('ErrNotImplemented: boom')
      expect(error.message).to.not.contain('boom')
      expect(client.stats.requests).to.equal(1)
    })
  })

  describe('writes whose outcome is unknown are never resent blindly', () => {
    const one: ContactWrite[] = [{name: 'A'}]

    for (const status of [500, 502, 503, 504]) {
      it(`POST that got ${status} → AmoOutcomeUnknownError after exactly one request`, async () => {
        const scope = nock(BASE)
          .post('/api/v4/contacts')
          .reply(status)
          .post('/api/v4/contacts')
          .reply(200, created([[1, '0']]))
        const {client} = testClient()
        const error = await rejection(client.createContacts(one))
        expect(error).to.be.instanceOf(AmoOutcomeUnknownError)
        expect((error as AmoOutcomeUnknownError).status).to.equal(status)
        expect(client.stats.requests).to.equal(1)
        expect(scope.pendingMocks()).to.have.length(1)
      })
    }

    it('POST whose connection dropped after sending → AmoOutcomeUnknownError, one request', async () => {
      const scope = nock(BASE)
        .post('/api/v4/contacts')
        .replyWithError(socketError('ECONNRESET'))
        .post('/api/v4/contacts')
        .reply(200, created([[1, '0']]))
      const {client} = testClient()
      expect(await rejection(client.createContacts(one))).to.be.instanceOf(AmoOutcomeUnknownError)
      expect(client.stats.requests).to.equal(1)
      expect(scope.pendingMocks()).to.have.length(1)
    })

    it('POST that timed out → AmoOutcomeUnknownError, the server saw one request', async () => {
      const server = await localServer(() => {})
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client} = testClient({baseUrl: server.url, timeoutMs: 200})
        const error = await rejection(client.createContacts(one))
        expect(error).to.be.instanceOf(AmoOutcomeUnknownError)
        expect(server.requests()).to.equal(1)
        expect(client.stats.requests).to.equal(1)
      } finally {
        nock.disableNetConnect()
        await server.close()
      }
    })

    it('POST whose connection a real server cut after reading it → AmoOutcomeUnknownError', async () => {
      const server = await localServer((req) => req.socket.destroy())
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client} = testClient({baseUrl: server.url})
        expect(await rejection(client.createContacts(one))).to.be.instanceOf(AmoOutcomeUnknownError)
        expect(server.requests()).to.equal(1)
      } finally {
        nock.disableNetConnect()
        await server.close()
      }
    })

    it('POST whose answer stalled after the headers → AmoOutcomeUnknownError', async () => {
      const server = await localServer((_req, res) => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.write('{"_embedded":')
      })
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client} = testClient({baseUrl: server.url, timeoutMs: 300})
        expect(await rejection(client.createContacts(one))).to.be.instanceOf(AmoOutcomeUnknownError)
        expect(server.requests()).to.equal(1)
      } finally {
        nock.disableNetConnect()
        await server.close()
      }
    })

    it('POST that got 429 was not processed and is retried', async () => {
      const scope = nock(BASE)
        .post('/api/v4/contacts')
        .reply(429, HTML_429)
        .post('/api/v4/contacts')
        .reply(200, created([[7, '0']]))
      const {client, sleeps} = testClient()
      expect(await client.createContacts(one)).to.deep.equal([
        {id: 7, request_id: '0', _links: {self: {href: `${BASE}/api/v4/contacts/7`}}},
      ])
      expect(sleeps).to.deep.equal([1000])
      expect(scope.isDone()).to.equal(true)
    })

    it('POST refused before the connection opened is retried', async () => {
      nock(BASE)
        .post('/api/v4/contacts')
        .replyWithError(socketError('ECONNREFUSED'))
        .post('/api/v4/contacts')
        .reply(200, created([[8, '0']]))
      const {client} = testClient()
      expect((await client.createContacts(one))[0]!.id).to.equal(8)
      expect(client.stats.retries).to.equal(1)
    })

    it('POST to a port nobody listens on is retried, then reported unavailable (not unknown)', async () => {
      const server = await localServer(() => {})
      const url = server.url
      await server.close()
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client, sleeps} = testClient({baseUrl: url, retry: {maxAttempts: 3}})
        expect(await rejection(client.createContacts(one))).to.be.instanceOf(AmoUnavailableError)
        expect(sleeps).to.have.length(2)
      } finally {
        nock.disableNetConnect()
      }
    })

    it('PATCH batch update that got 500 is retried like a 502–504: replaying it is harmless', async () => {
      nock(BASE)
        .patch('/api/v4/contacts')
        .reply(500, {title: 'ErrInternalServer', status: 500, detail: 'boom'}, PROBLEM)
        .patch('/api/v4/contacts')
        .reply(200, {_embedded: {contacts: [{id: 5, name: 'A', updated_at: 1_700_000_100, request_id: '0'}]}})
      const {client, sleeps} = testClient()
      expect((await client.updateContacts([{id: 5, name: 'A'}])).map((r) => r.id)).to.deep.equal([5])
      expect(client.stats).to.include({requests: 2, retries: 1})
      expect(sleeps).to.deep.equal([1000])
    })

    it('PATCH batch update that got 503 is retried (per-field replacement is idempotent)', async () => {
      nock(BASE)
        .patch('/api/v4/contacts')
        .reply(503)
        .patch('/api/v4/contacts')
        .reply(200, {_embedded: {contacts: [{id: 5, name: 'A', updated_at: 1_700_000_100, request_id: '0'}]}})
      const {client, sleeps} = testClient()
      expect(await client.updateContacts([{id: 5, name: 'A'}])).to.deep.equal([
        {id: 5, name: 'A', updated_at: 1_700_000_100, request_id: '0'},
      ])
      expect(sleeps).to.deep.equal([1000])
    })

    it('PATCH that timed out is retried', async () => {
      const server = await localServer((_req, res, n) => {
        if (n === 1) return
        res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({_embedded: {contacts: [{id: 5, request_id: '0'}]}}))
      })
      nock.enableNetConnect('127.0.0.1')
      try {
        const {client} = testClient({baseUrl: server.url, timeoutMs: 200})
        expect((await client.updateContacts([{id: 5, name: 'A'}]))[0]!.id).to.equal(5)
        expect(server.requests()).to.equal(2)
      } finally {
        nock.disableNetConnect()
        await server.close()
      }
    })
  })

  describe('authorization and fatal answers', () => {
    function refreshingTokens(next: string | null): TokenProvider & {refreshed: string[]} {
      const refreshed: string[] = []
      return {
        refreshed,
        getAccessToken: async () => 'old',
        refreshAfterUnauthorized: async (rejected) => {
          refreshed.push(rejected)
          return next
        },
      }
    }

    it('401 → one refresh → the retry with the new token succeeds', async () => {
      const scope = nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .matchHeader('authorization', 'Bearer old')
        .reply(401, {title: 'Unauthorized', status: 401, detail: 'Invalid user name or password'}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .matchHeader('authorization', 'Bearer new')
        .reply(200, ACCOUNT)
      const tokens = refreshingTokens('new')
      const {client, sleeps} = testClient({tokens})
      expect((await client.getAccount()).id).to.equal(1)
      expect(tokens.refreshed).to.deep.equal(['old'])
      expect(sleeps).to.deep.equal([])
      expect(scope.isDone()).to.equal(true)
    })

    it('a POST that got 401 is resent after the refresh (amoCRM did not process it)', async () => {
      nock(BASE)
        .post('/api/v4/contacts')
        .matchHeader('authorization', 'Bearer old')
        .reply(401)
        .post('/api/v4/contacts')
        .matchHeader('authorization', 'Bearer new')
        .reply(200, created([[3, '0']]))
      const {client} = testClient({tokens: refreshingTokens('new')})
      expect((await client.createContacts([{name: 'A'}]))[0]!.id).to.equal(3)
    })

    it('401 twice → AmoAuthError after exactly one refresh, and nothing more is sent', async () => {
      const scope = nock(BASE).get('/api/v4/account').query(true).times(2).reply(401).get('/api/v4/contacts/1').reply(200, contact(1))
      const tokens = refreshingTokens('new')
      const {client} = testClient({tokens})
      expect(await rejection(client.getAccount())).to.be.instanceOf(AmoAuthError)
      expect(tokens.refreshed).to.deep.equal(['old'])
      expect(client.stats.requests).to.equal(2)
      expect(await rejection(client.getContact(1))).to.be.instanceOf(AmoAuthError)
      expect(scope.pendingMocks()).to.deep.equal([`GET ${BASE}:443/api/v4/contacts/1`])
    })

    it('401 with a token that cannot be refreshed → AmoAuthError after one request', async () => {
      nock(BASE).get('/api/v4/account').query(true).reply(401)
      const tokens = refreshingTokens(null)
      const {client} = testClient({tokens})
      const error = await rejection(client.getAccount())
      expect(error).to.be.instanceOf(AmoAuthError)
      expect((error as AmoAuthError).exitCode).to.equal(1)
      expect(client.stats.requests).to.equal(1)
    })

    it('402 → AmoPaymentRequiredError, and no further request is sent', async () => {
      const scope = nock(BASE)
        .post('/api/v4/contacts')
        .reply(402, {title: 'Payment Required', status: 402}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
      const {client} = testClient()
      expect(await rejection(client.createContacts([{name: 'A'}]))).to.be.instanceOf(AmoPaymentRequiredError)
      const again = await rejection(client.getAccount())
      expect(again).to.be.instanceOf(AmoPaymentRequiredError)
      expect(client.fatalError).to.equal(again)
      expect(client.stats.requests).to.equal(1)
      expect(scope.pendingMocks()).to.have.length(1)
    })

    it('403 HTML block page → AmoBlockedError, and no further request is sent', async () => {
      const scope = nock(BASE)
        .get('/api/v4/contacts')
        .query(true)
        .reply(403, HTML_403, {'content-type': 'text/html'})
        .get('/api/v4/contacts')
        .query(true)
        .reply(200, {_embedded: {contacts: [contact(1)]}})
      const {client, sleeps} = testClient()
      const error = await rejection(allPages(client.listContacts()))
      expect(error).to.be.instanceOf(AmoBlockedError)
      expect(error.message).to.contain('HTML block page')
      expect((error as AmoBlockedError).hint).to.contain('support')
      expect(await rejection(client.updateContacts([{id: 1, name: 'B'}]))).to.be.instanceOf(AmoBlockedError)
      expect(await rejection(allPages(client.listContacts()))).to.be.instanceOf(AmoBlockedError)
      expect(client.stats.requests).to.equal(1)
      expect(sleeps).to.deep.equal([])
      expect(scope.pendingMocks()).to.have.length(1)
    })

    it('a request queued at the limiter when a 403 arrives is never sent', async () => {
      let now = 0
      let wake: (() => void) | undefined
      const limiter = new RateLimiter({rate: 1, now: () => now, schedule: (w) => (wake = w)})
      const scope = nock(BASE).get('/api/v4/contacts/1').reply(403, HTML_403).get('/api/v4/contacts/2').reply(200, contact(2))
      const {client} = testClient({limiter})
      const first = client.getContact(1).catch((e: unknown) => e)
      const second = client.getContact(2).catch((e: unknown) => e)
      expect(await first).to.be.instanceOf(AmoBlockedError)
      expect(wake).to.be.a('function')
      now = 5000
      wake!()
      expect(await second).to.be.instanceOf(AmoBlockedError)
      expect(scope.pendingMocks()).to.have.length(1)
    })

    it('403 problem+json → AmoBlockedError carrying the detail', async () => {
      nock(BASE).get('/api/v4/account').query(true).reply(403, {title: 'Forbidden', status: 403, detail: 'Access denied'}, PROBLEM)
      const {client} = testClient()
      const error = await rejection(client.getAccount())
      expect(error).to.be.instanceOf(AmoBlockedError)
      expect((error as AmoBlockedError).serverText).to.equal('Access denied')
      expect(terminalMessage(error)).to.contain('403 Forbidden').and.contain('amoCRM said: Access denied')
    })
  })

  describe('errors and batches', () => {
    it('400 validation-errors → AmoValidationError with problems per request_id', async () => {
      nock(BASE)
        .post('/api/v4/contacts')
        .reply(
          400,
          {
            'validation-errors': [
              {
                request_id: 'p-2',
                errors: [
                  {
                    code: 'NotSupportedChoice',
                    path: 'custom_fields_values.0.values.0.value',
                    detail: 'The value you selected is not a valid choice.',
                  },
                  {code: 'InvalidType', path: 'custom_fields_values.1.values.0.value', detail: 'This value should be of type int.'},
                ],
              },
              {request_id: '3', errors: [{code: 'NotSupportedChoice', path: 'responsible_user_id', detail: 'bad user'}]},
            ],
            title: 'Bad Request',
            type: 'https://httpstatus.es/400',
            status: 400,
            detail: 'Request validation failed',
          },
          PROBLEM,
        )
      const {client} = testClient()
      const error = await rejection(
        client.createContacts([
          {name: 'a', request_id: 'p-1'},
          {name: 'b', request_id: 'p-2'},
          {name: 'c', request_id: 'p-3'},
          {name: 'd'},
        ]),
      )
      expect(error).to.be.instanceOf(AmoValidationError)
      const problems = (error as AmoValidationError).problems
      expect([...problems.keys()]).to.deep.equal(['p-2', '3'])
      expect(problems.get('p-2')).to.deep.equal([
        {
          code: 'NotSupportedChoice',
          path: 'custom_fields_values.0.values.0.value',
          detail: 'The value you selected is not a valid choice.',
        },
        {code: 'InvalidType', path: 'custom_fields_values.1.values.0.value', detail: 'This value should be of type int.'},
      ])
      expect(problems.get('3')).to.deep.equal([{code: 'NotSupportedChoice', path: 'responsible_user_id', detail: 'bad user'}])
      // codes and fields in the message (safe to log and keep); amoCRM's texts only in serverText
      expect(error.message).to.equal(
        'amoCRM rejected the request (2 element(s) with errors: NotSupportedChoice at custom_fields_values.0.values.0.value; InvalidType at custom_fields_values.1.values.0.value; NotSupportedChoice at responsible_user_id)',
      )
      expect((error as AmoValidationError).serverText)
        .to.contain('Request validation failed')
        .and.contain('bad user')
      expect(client.stats.requests).to.equal(1)
    })

    it('another 4xx → AmoHttpError with status, title and detail', async () => {
      nock(BASE).patch('/api/v4/contacts').reply(422, {title: 'Unprocessable Entity', status: 422, detail: 'Limit 250 per page'}, PROBLEM)
      const {client} = testClient()
      const error = await rejection(client.updateContacts([{id: 1, name: 'x'}]))
      expect(error).to.be.instanceOf(AmoHttpError)
      expect((error as AmoHttpError).status).to.equal(422)
      expect(error.message).to.equal('amoCRM answered 422: PATCH /api/v4/contacts')
      expect(terminalMessage(error)).to.contain('Unprocessable Entity').and.contain('Limit 250 per page')
      expect(client.stats.retries).to.equal(0)
    })

    it('assigns request_id = index where the caller gave none and returns results in request order', async () => {
      let sent: unknown
      nock(BASE)
        .post('/api/v4/contacts', (body) => {
          sent = body
          return true
        })
        .reply(
          200,
          created([
            [12, '2'],
            [10, 'mine'],
            [11, '1'],
          ]),
        )
      const {client} = testClient()
      const results = await client.createContacts([{name: 'a', request_id: 'mine'}, {name: 'b'}, {name: 'c'}])
      expect(sent).to.deep.equal([
        {name: 'a', request_id: 'mine'},
        {name: 'b', request_id: '1'},
        {name: 'c', request_id: '2'},
      ])
      expect(results.map((r) => [r.id, r.request_id])).to.deep.equal([
        [10, 'mine'],
        [11, '1'],
        [12, '2'],
      ])
    })

    it('a create answered 200 without naming an element → AmoOutcomeUnknownError', async () => {
      nock(BASE)
        .post('/api/v4/contacts')
        .reply(200, created([[10, '0']]))
      const {client} = testClient()
      expect(await rejection(client.createContacts([{name: 'a'}, {name: 'b'}]))).to.be.instanceOf(AmoOutcomeUnknownError)
    })

    it('refuses a batch over 250 locally, sending nothing', async () => {
      const {client} = testClient()
      const items = Array.from({length: 251}, (_, i) => ({name: `n${i}`}))
      const error = await rejection(client.createContacts(items))
      expect(error).to.be.instanceOf(AmoInvalidRequestError)
      expect(error.message).to.contain('at most 250')
      expect(await rejection(client.updateContacts(items.map((item, i) => ({...item, id: i + 1}))))).to.be.instanceOf(
        AmoInvalidRequestError,
      )
      expect(client.stats.requests).to.equal(0)
    })

    it('refuses an update element without id and a duplicated request_id locally', async () => {
      const {client} = testClient()
      expect(await rejection(client.updateContacts([{id: 1}, {name: 'no id'}]))).to.be.instanceOf(AmoInvalidRequestError)
      expect(await rejection(client.createContacts([{name: 'a', request_id: '1'}, {name: 'b'}]))).to.be.instanceOf(AmoInvalidRequestError)
      expect(client.stats.requests).to.equal(0)
    })

    it('sends nothing for an empty batch', async () => {
      const {client} = testClient()
      expect(await client.createContacts([])).to.deep.equal([])
      expect(client.stats.requests).to.equal(0)
    })
  })

  describe('reads', () => {
    it('204 on a list yields no page', async () => {
      nock(BASE).get('/api/v4/contacts').query({limit: '250', query: '79990001122'}).reply(204)
      const {client} = testClient()
      expect(await allPages(client.listContacts({query: '79990001122'}))).to.deep.equal([])
    })

    it('pages through _links.next (an absolute URL, requested as is) until it is missing', async () => {
      const scope = nock(BASE)
        .get('/api/v4/contacts')
        .query({limit: '2', 'filter[updated_at][from]': '100', 'filter[updated_at][to]': '200', 'order[updated_at]': 'asc'})
        .reply(200, {
          _page: 1,
          _links: {next: {href: `${BASE}/api/v4/contacts?limit=2&page=2&filter%5Bupdated_at%5D%5Bfrom%5D=100&token=opaque`}},
          _embedded: {contacts: [contact(1), contact(2)]},
        })
        .get('/api/v4/contacts')
        .query({limit: '2', page: '2', 'filter[updated_at][from]': '100', token: 'opaque'})
        .reply(200, {_page: 2, _links: {next: {href: `${BASE}/api/v4/contacts?limit=2&page=3`}}, _embedded: {contacts: [contact(3)]}})
        .get('/api/v4/contacts')
        .query({limit: '2', page: '3'})
        .reply(200, {_page: 3, _embedded: {contacts: [contact(4)]}})
      const {client} = testClient()
      const pages = await allPages(
        client.listContacts({limit: 2, updatedFrom: 100, updatedTo: 200, order: {field: 'updated_at', direction: 'asc'}}),
      )
      expect(pages.map((page) => page.map((c) => c.id))).to.deep.equal([[1, 2], [3], [4]])
      expect(scope.isDone()).to.equal(true)
    })

    it('stops on a 204 after pages', async () => {
      nock(BASE)
        .get('/api/v4/contacts')
        .query({limit: '250', 'filter[id][]': ['5', '6']})
        .reply(200, {_links: {next: {href: `${BASE}/api/v4/contacts?page=2`}}, _embedded: {contacts: [contact(5), contact(6)]}})
        .get('/api/v4/contacts')
        .query({page: '2'})
        .reply(204)
      const {client} = testClient()
      expect((await allPages(client.listContacts({ids: [5, 6]}))).flat().map((c) => c.id)).to.deep.equal([5, 6])
    })

    it('never sends the token to another host named by a next link', async () => {
      nock(BASE)
        .get('/api/v4/contacts')
        .query(true)
        .reply(200, {_links: {next: {href: 'https://elsewhere.example/api/v4/contacts?page=2'}}, _embedded: {contacts: [contact(1)]}})
        .get('/api/v4/contacts')
        .query({page: '2'})
        .reply(200, {_embedded: {contacts: [contact(2)]}})
      const {client} = testClient()
      expect((await allPages(client.listContacts())).flat().map((c) => c.id)).to.deep.equal([1, 2])
    })

    it('refuses a page size over 250', async () => {
      const {client} = testClient()
      expect(await rejection(allPages(client.listContacts({limit: 251})))).to.be.instanceOf(AmoInvalidRequestError)
    })

    it('getContact: the contact, or null for 204 and for 404', async () => {
      nock(BASE)
        .get('/api/v4/contacts/1')
        .reply(200, contact(1))
        .get('/api/v4/contacts/2')
        .reply(204)
        .get('/api/v4/contacts/3')
        .reply(404, {title: 'Not Found', status: 404}, PROBLEM)
      const {client} = testClient()
      expect((await client.getContact(1))?.id).to.equal(1)
      expect(await client.getContact(2)).to.equal(null)
      expect(await client.getContact(3)).to.equal(null)
    })

    it('lists every custom field page and creates fields mapped by request_id', async () => {
      const field = (id: number, code: string | null) => ({id, name: `F${id}`, type: 'text', code, sort: id, enums: null})
      nock(BASE)
        .get('/api/v4/contacts/custom_fields')
        .query({limit: '250'})
        .reply(200, {_total_items: 3, _page: 1, _page_count: 2, _embedded: {custom_fields: [field(1, 'PHONE'), field(2, 'EMAIL')]}})
        .get('/api/v4/contacts/custom_fields')
        .query({limit: '250', page: '2'})
        .reply(200, {_total_items: 3, _page: 2, _page_count: 2, _embedded: {custom_fields: [field(3, null)]}})
        .post('/api/v4/contacts/custom_fields', [
          {name: 'ID пациента IDENT', type: 'text', request_id: '0'},
          {name: 'Возраст', type: 'numeric', request_id: '1'},
        ])
        .reply(200, {
          _total_items: 2,
          _embedded: {
            custom_fields: [
              {...field(21, null), request_id: '1'},
              {...field(20, null), request_id: '0'},
            ],
          },
        })
      const {client} = testClient()
      expect((await client.listCustomFields()).map((f) => f.id)).to.deep.equal([1, 2, 3])
      const made = await client.createCustomFields([
        {name: 'ID пациента IDENT', type: 'text'},
        {name: 'Возраст', type: 'numeric'},
      ])
      expect(made.map((f) => f.id)).to.deep.equal([20, 21])
    })
  })

  describe('stats and logs', () => {
    it('counts requests sent (retries and refresh retries included), retries and 429s', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .reply(429, HTML_429)
        .get('/api/v4/account')
        .query(true)
        .reply(503)
        .get('/api/v4/account')
        .query(true)
        .reply(401)
        .get('/api/v4/account')
        .query(true)
        .reply(429, {retry_after: 1}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .reply(200, ACCOUNT)
        .get('/api/v4/contacts/9')
        .reply(204)
      const {client} = testClient({tokens: {getAccessToken: async () => 'a', refreshAfterUnauthorized: async () => 'b'}})
      await client.getAccount()
      await client.getContact(9)
      expect(client.stats).to.include({requests: 6, retries: 4, throttled: 2})
    })

    it('keeps a moving average of how long amoCRM takes to answer, leaving out throttled answers', async () => {
      nock(BASE)
        .get('/api/v4/account')
        .query(true)
        .delay(300)
        .reply(200, ACCOUNT)
        .get('/api/v4/account')
        .query(true)
        .reply(429, {retry_after: 1}, PROBLEM)
        .get('/api/v4/account')
        .query(true)
        .reply(429, {retry_after: 1}, PROBLEM)
      const {client} = testClient({retry: {maxAttempts: 2}})
      expect(client.stats.answerMs).to.equal(undefined)
      await client.getAccount()
      const first = client.stats.answerMs!
      expect(first).to.be.at.least(300)
      await rejection(client.getAccount())
      // two throttled answers came at once: the average still says what a real answer takes
      expect(client.stats.answerMs).to.equal(first)
    })

    it('counts a token-endpoint refresh made on its behalf when the provider passes the stats on', async () => {
      nock(BASE).get('/api/v4/account').query(true).reply(401).get('/api/v4/account').query(true).reply(200, ACCOUNT)
      const {client} = testClient({
        tokens: {
          getAccessToken: async () => 'a',
          refreshAfterUnauthorized: async (_rejected, stats) => {
            if (stats) stats.requests++ // what refreshAccessToken({stats}) does for the call it makes
            return 'b'
          },
        },
      })
      await client.getAccount()
      expect(client.stats.requests).to.equal(3)
    })

    it('logs method, path, status and duration at debug, with the search string redacted and no body', async () => {
      const lines: string[] = []
      const logger = pino(
        {level: 'debug'},
        new Writable({
          write(chunk, _enc, done) {
            lines.push(String(chunk))
            done()
          },
        }),
      )
      nock(BASE)
        .get('/api/v4/contacts')
        .query(true)
        .reply(200, {_embedded: {contacts: [contact(1, {name: 'Иванова Мария'})]}})
      const {client} = testClient({logger})
      await allPages(client.listContacts({query: '+7 999 000-11-22'}))
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      const request = logged.find((entry) => entry.msg === 'amoCRM request')
      expect(request).to.include({method: 'GET', path: '/api/v4/contacts?limit=250&query=<redacted>', status: 200})
      expect(request?.durationMs).to.be.a('number')
      const all = lines.join('\n')
      expect(all).not.to.contain('000-11-22')
      expect(all).not.to.contain('Иванова')
      expect(all).not.to.contain('token-1')
    })
  })
})
