import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {expect} from 'chai'

import {whileSending} from '../../src/amocrm/departures.js'
import type {GrantedSend} from '../../src/amocrm/rate-limiter.js'

/** A send that notes when it was said to be departing and when it left (first call only, as the limiter's). */
function notedSend(): GrantedSend & {departingAt?: number; leftAt?: number} {
  const send: GrantedSend & {departingAt?: number; leftAt?: number} = {
    departing: () => (send.departingAt ??= performance.now()),
    left: () => (send.leftAt ??= performance.now()),
  }
  return send
}

describe('amocrm/departures: when a request really left', () => {
  it('stamps the moment fetch wrote the request, after this thread was busy, not when the send was granted', async () => {
    const arrivals: number[] = []
    const server = createServer((req, res) => {
      arrivals.push(performance.now())
      res.end('{}')
    }).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4/account`
    try {
      const sends = [notedSend(), notedSend()]
      const answered = sends.map((send) =>
        whileSending(send, async () => {
          const response = fetch(url)
          // This thread is busy right after the request was handed to fetch (a slice of IDENT read).
          const until = performance.now() + 150
          while (performance.now() < until);
          return (await response).text()
        }),
      )
      expect(await Promise.all(answered)).to.deep.equal(['{}', '{}'])
      for (const [i, send] of sends.entries()) {
        // Left once the busy thread let the request out: at least 150 ms after it was granted, and
        // before the server saw it.
        expect(send.leftAt! - send.departingAt!, `send ${i}`).to.be.at.least(150)
        expect(send.leftAt!, `send ${i}`).to.be.at.most(Math.max(...arrivals))
      }
    } finally {
      server.close()
    }
  })

  it('a send whose request never reached a socket is let go when its attempt ends', async () => {
    const send = notedSend()
    let error: unknown
    try {
      await whileSending(send, async () => {
        throw new Error('refused before sending')
      })
    } catch (e) {
      error = e
    }
    expect(String(error)).to.include('refused before sending')
    expect(send.leftAt).to.be.a('number')
  })
})
