import {once} from 'node:events'
import {connect, type Socket} from 'node:net'

import {expect} from 'chai'

import {type Sandbox, SANDBOX_TOKEN, type SandboxOptions, startSandbox} from '../../src/sandbox/index.js'
import {RateLimiter, TrafficLog} from '../../src/sandbox/traffic.js'
import {call} from './helpers.js'

describe('sandbox: rate limit, recording and faults', () => {
  let sandbox: Sandbox | undefined
  const start = async (options: SandboxOptions = {}) => {
    sandbox = await startSandbox(options)
    return sandbox
  }
  afterEach(async () => {
    await sandbox?.close()
    sandbox = undefined
  })
  const burst = (s: Sandbox, n: number, path = '/api/v4/account') => Promise.all(Array.from({length: n}, () => call(s, 'GET', path)))

  describe('rate limit', () => {
    it('answers 429 JSON with retry_after to the 8th request within a second (default 7/s)', async () => {
      const s = await start()
      const answers = await burst(s, 8)
      expect(answers.filter((a) => a.status === 200)).to.have.length(7)
      const limited = answers.find((a) => a.status === 429)!
      expect(limited.headers.get('content-type')).to.match(/json/)
      expect(limited.body).to.include({status: 429, retry_after: 1})
      expect(s.requests.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 429])
      expect(s.maxRequestsInWindow(1000)).to.equal(8)
    })

    it('counts per token', async () => {
      const s = await start({rateLimit: 2, longLivedTokens: ['a', 'b']})
      const answers = await Promise.all(['a', 'a', 'b', 'b'].map((t) => call(s, 'GET', '/api/v4/account', {token: t})))
      expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200])
      expect((await call(s, 'GET', '/api/v4/account', {token: 'a'})).status).to.equal(429)
    })

    it('in HTML mode answers the gateway page without Retry-After', async () => {
      const s = await start({rateLimit: 1, html429: true})
      const [, second] = await burst(s, 2)
      expect(second!.status).to.equal(429)
      expect(second!.headers.get('content-type')).to.match(/^text\/html/)
      expect(second!.headers.get('retry-after')).to.equal(null)
      expect(second!.text).to.include('429 Too Many Requests')
    })

    it('blocks everything with a 403 HTML page after N 429s in a row, until unblocked', async () => {
      const s = await start({rateLimit: 1, blockAfter429s: 3})
      const answers = await burst(s, 4)
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 429, 429, 429])
      expect(s.blocked).to.equal(true)
      s.settings.rateLimit = 0
      const blocked = await call(s, 'GET', '/api/v4/contacts')
      expect(blocked.status).to.equal(403)
      expect(blocked.headers.get('content-type')).to.match(/^text\/html/)
      expect(blocked.text).to.include('403 Forbidden')
      s.unblock()
      expect((await call(s, 'GET', '/api/v4/account')).status).to.equal(200)
    })

    it('is off with rateLimit 0', async () => {
      const s = await start({rateLimit: 0})
      expect((await burst(s, 30)).every((a) => a.status === 200)).to.equal(true)
    })

    it('the sliding window admits again once the oldest arrivals are a window old', () => {
      const limiter = new RateLimiter(1000)
      const at = [0, 100, 200, 300, 400, 500, 600]
      for (const t of at) expect(limiter.admit('k', t, 7)).to.equal(true)
      expect(limiter.admit('k', 999, 7)).to.equal(false)
      // 0 has left the window, but the refused request at 999 still counts as an arrival
      expect(limiter.admit('k', 1000, 7)).to.equal(false)
      expect(limiter.admit('k', 1200, 7)).to.equal(true)
    })
  })

  describe('recording', () => {
    it('maxRequestsInWindow finds the busiest window over arrivals', () => {
      const log = new TrafficLog()
      const times = [0, 10, 20, 990, 1000, 1500, 1995, 1996, 1997, 1998]
      for (const t of times) log.record('GET', '/api/v4/contacts', 0).at = t
      log.record('POST', '/oauth2/access_token', 0).at = 1999
      // [990, 1990) holds 990, 1000, 1500; [1000, 2000) holds 1000, 1500 and the four at 199x: 6 API requests
      expect(log.maxInWindow(1000)).to.equal(6)
      expect(log.maxInWindow(30)).to.equal(4)
    })

    it('stamps a request arriving while answers fall due together before the rest of them are worked out, as a gateway would', async () => {
      // Five requests that arrive in one turn fall due in one turn, 0.3 s later; each answer holds the
      // thread 30 ms here (as a large page does). A sixth, written while the first answer is worked out,
      // must be stamped before the second answer is, not after all five: 0.1 s late, the rate count
      // would see it in the next second, with requests sent a second after it.
      const done: number[] = []
      let duringFirstAnswer: (() => void) | undefined
      const s = await start({
        rateLimit: 0,
        latencyMs: 300,
        onRequest: (r) => {
          if (!r.path.startsWith('/api/v4/contacts')) return
          duringFirstAnswer?.()
          duringFirstAnswer = undefined
          busy(30)
          done.push(performance.timeOrigin + performance.now())
        },
      })
      const sockets = await Promise.all(
        Array.from({length: 6}, async () => {
          const socket = connect(s.port, '127.0.0.1')
          await once(socket, 'connect')
          return socket
        }),
      )
      const answered = sockets.map((socket) => once(socket, 'data'))
      const get = (socket: Socket, path: string) =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${SANDBOX_TOKEN}\r\n\r\n`)
      // Written while this thread is held, the five are read by the server in one turn.
      for (const [i, socket] of sockets.slice(0, 5).entries()) get(socket, `/api/v4/contacts?page=${i + 1}`)
      busy(20)
      duringFirstAnswer = () => get(sockets[5]!, '/api/v4/account')
      await Promise.all(answered)
      for (const socket of sockets) socket.destroy()
      const arrival = s.requests.find((r) => r.path === '/api/v4/account')!
      expect(done).to.have.length(5)
      expect(arrival.at, 'stamped before the second answer was worked out').to.be.below(done[1]!)
    })

    it('records every request with method, path+query, status and both clocks; control calls excluded', async () => {
      const s = await start({rateLimit: 0, now: Date.UTC(2025, 5, 1)})
      await call(s, 'GET', '/api/v4/contacts?limit=5')
      await call(s, 'POST', '/api/v4/contacts', {body: [{name: 'x'}]})
      await call(s, 'GET', '/_sandbox/stats', {token: null})
      expect(s.requests.map((r) => [r.method, r.path, r.status, r.clockAt])).to.deep.equal([
        ['GET', '/api/v4/contacts?limit=5', 204, Date.UTC(2025, 5, 1)],
        ['POST', '/api/v4/contacts', 200, Date.UTC(2025, 5, 1)],
      ])
      expect(s.requests[0]!.at).to.be.a('number').that.is.above(1e12)
      expect(s.apiRequestCount()).to.equal(2)
      expect(s.apiRequestCount({method: 'post', pathPrefix: '/api/v4/contacts'})).to.equal(1)
      s.resetStats()
      expect(s.apiRequestCount()).to.equal(0)
    })
  })

  describe('faults', () => {
    const post = (s: Sandbox, name: string) => call(s, 'POST', '/api/v4/contacts', {body: [{name}]})

    it('answers the canned status and body of each kind, once by default', async () => {
      const s = await start({rateLimit: 0})
      const expected: Array<[Parameters<Sandbox['faults']['add']>[0]['kind'], number, RegExp, string]> = [
        ['429', 429, /json/, 'retry_after'],
        ['429-html', 429, /html/, '429 Too Many Requests'],
        ['500', 500, /problem\+json/, 'ErrInternalServer'],
        ['502', 502, /html/, '502 Bad Gateway'],
        ['503', 503, /problem\+json/, '503'],
        ['504', 504, /html/, '504 Gateway Time-out'],
        ['403-html', 403, /html/, '403 Forbidden'],
        ['402', 402, /problem\+json/, 'Payment Required'],
        ['401', 401, /problem\+json/, 'Unauthorized'],
      ]
      for (const [kind, status, type, text] of expected) {
        s.faults.add({kind, path: '/api/v4/account'})
        const res = await call(s, 'GET', '/api/v4/account')
        expect(res.status, kind).to.equal(status)
        expect(res.headers.get('content-type'), kind).to.match(type)
        expect(res.text, kind).to.include(text)
        expect((await call(s, 'GET', '/api/v4/account')).status, `after ${kind}`).to.equal(200)
      }
    })

    it('matches by method, path prefix or RegExp, and runs queued faults in order for `times` requests', async () => {
      const s = await start({rateLimit: 0})
      s.faults.add({kind: '503', method: 'POST', path: '/api/v4/contacts', times: 2})
      s.faults.add({kind: '502', path: /^\/api\/v4\/contacts\?/})
      s.faults.add({kind: '429', method: 'POST', path: '/api/v4/contacts'})
      expect((await call(s, 'GET', '/api/v4/account')).status).to.equal(200)
      expect((await call(s, 'GET', '/api/v4/contacts?limit=1')).status).to.equal(502)
      expect((await call(s, 'GET', '/api/v4/contacts?limit=1')).status).to.equal(204)
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await post(s, `n${i}`)).status)
      expect(statuses).to.deep.equal([503, 503, 429, 200])
      expect(s.store.countContacts()).to.equal(1)
      s.faults.add({kind: '500'})
      s.faults.clear()
      expect((await post(s, 'after clear')).status).to.equal(200)
    })

    it('apply-then-500 applies the write and then answers 500', async () => {
      const s = await start({rateLimit: 0})
      s.faults.add({kind: 'apply-then-500', method: 'POST'})
      const res = await post(s, 'Applied Anyway')
      expect(res.status).to.equal(500)
      expect(s.store.listContacts().map((c) => c.name)).to.deep.equal(['Applied Anyway'])
    })

    it('apply-then-drop applies the write and drops the connection; drop applies nothing', async () => {
      const s = await start({rateLimit: 0})
      s.faults.add({kind: 'apply-then-drop', method: 'POST'})
      let error: unknown
      await post(s, 'Applied Then Dropped').catch((e: unknown) => (error = e))
      expect(error, 'the request must fail without an answer').to.be.instanceOf(Error)
      expect(s.store.listContacts().map((c) => c.name)).to.deep.equal(['Applied Then Dropped'])
      expect(s.requests.at(-1)!.status).to.equal(0)

      s.faults.add({kind: 'drop', method: 'POST'})
      error = undefined
      await post(s, 'Never Applied').catch((e: unknown) => (error = e))
      expect(error).to.be.instanceOf(Error)
      expect(s.store.countContacts()).to.equal(1)
    })

    it('latency delays the answer (a later request overtakes it) and then answers normally', async () => {
      const s = await start({rateLimit: 0})
      s.faults.add({kind: 'latency', latencyMs: 400, path: '/api/v4/account'})
      const order: string[] = []
      const slow = call(s, 'GET', '/api/v4/account').then((r) => {
        order.push('slow')
        return r
      })
      await new Promise((r) => setTimeout(r, 20))
      const fast = call(s, 'GET', '/api/v4/contacts').then((r) => {
        order.push('fast')
        return r
      })
      const [slowAnswer] = await Promise.all([slow, fast])
      expect(order).to.deep.equal(['fast', 'slow'])
      expect(slowAnswer.status).to.equal(200)
    })

    it('refuses a malformed fault', async () => {
      const s = await start()
      expect(() => s.faults.add({kind: 'teapot' as never})).to.throw(/unknown fault kind/)
      expect(() => s.faults.add({kind: 'latency'})).to.throw(/latencyMs/)
    })
  })
})

/** Holds this thread, as working out a large answer does. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}
