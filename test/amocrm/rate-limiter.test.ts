import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {getSharedRateLimiter, type GrantedSend, RATE_WINDOW_MS, RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {FileSendLedger, sendLedgerPath} from '../../src/amocrm/send-ledger.js'
import {mostInWindow} from '../helpers/windows.js'

/** A clock and timer queue the test advances by hand. */
function fakeTime() {
  let now = 0
  const timers: Array<{at: number; wake: () => void}> = []
  let mostPending = 0
  return {
    now: () => now,
    schedule: (wake: () => void, ms: number) => {
      timers.push({at: now + ms, wake})
      mostPending = Math.max(mostPending, timers.length)
    },
    get mostPending() {
      return mostPending
    },
    /** Runs timers (and what they release) in time order until `until` or none is left. */
    async advance(until = Number.POSITIVE_INFINITY) {
      await flush()
      for (;;) {
        timers.sort((a, b) => a.at - b.at)
        const next = timers[0]
        if (!next || next.at > until) break
        timers.shift()
        now = Math.max(now, next.at)
        next.wake()
        await flush()
      }
      if (until !== Number.POSITIVE_INFINITY) now = Math.max(now, until)
    },
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('amocrm/RateLimiter', () => {
  it('lets at most `rate` sends start in any window of 1.1 s, however many wait', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 7, now: time.now, schedule: time.schedule})
    const grants: number[] = []
    const all = Array.from({length: 50}, () => limiter.acquire().then(() => grants.push(time.now())))
    await time.advance()
    await Promise.all(all)
    expect(grants).to.have.length(50)
    expect(mostInWindow(grants, RATE_WINDOW_MS)).to.equal(7)
    // and it does not hold anyone longer than the window requires: 50 sends take 7 full windows
    expect(Math.max(...grants)).to.equal(7 * RATE_WINDOW_MS)
  })

  it('serves waiters first come, first served', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 2, now: time.now, schedule: time.schedule})
    const order: number[] = []
    const all = Array.from({length: 9}, (_, i) => limiter.acquire().then(() => order.push(i)))
    await time.advance()
    await Promise.all(all)
    expect(order).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('holds the limit when callers arrive at scattered moments (retries coming back, new batches)', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 7, now: time.now, schedule: time.schedule})
    const grants: number[] = []
    const started: Array<Promise<unknown>> = []
    // 120 callers arriving at pseudo-random moments over 6 s
    let seed = 42
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let i = 0; i < 120; i++) {
      const at = Math.floor(random() * 6000)
      time.schedule(() => {
        started.push(limiter.acquire().then(() => grants.push(time.now())))
      }, at)
    }
    await time.advance()
    await Promise.all(started)
    expect(grants).to.have.length(120)
    expect(mostInWindow(grants, RATE_WINDOW_MS)).to.be.at.most(7)
  })

  it('waits on one timer, not a loop, however many callers wait', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 3, now: time.now, schedule: time.schedule})
    const all = Array.from({length: 40}, () => limiter.acquire())
    expect(limiter.queued).to.equal(37)
    await time.advance()
    await Promise.all(all)
    expect(time.mostPending).to.equal(1)
    expect(limiter.queued).to.equal(0)
  })

  it('applies a changed rate to those still waiting', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 1, now: time.now, schedule: time.schedule})
    const grants: number[] = []
    const all = Array.from({length: 6}, () => limiter.acquire().then(() => grants.push(time.now())))
    await time.advance(0)
    expect(grants).to.deep.equal([0])
    limiter.rate = 5
    await flush()
    expect(grants).to.deep.equal([0, 0, 0, 0, 0])
    await time.advance()
    await Promise.all(all)
    expect(grants).to.deep.equal([0, 0, 0, 0, 0, RATE_WINDOW_MS])
  })

  it('rounds a fractional rate down, and spaces sends out below one per second', async () => {
    for (const [rate, expected] of [
      [2.5, [0, 0, 1100, 1100, 2200]],
      [0.5, [0, 2200, 4400, 6600, 8800]],
    ] as const) {
      const time = fakeTime()
      const limiter = new RateLimiter({rate, now: time.now, schedule: time.schedule})
      const grants: number[] = []
      const all = Array.from({length: 5}, () => limiter.acquire().then(() => grants.push(time.now())))
      await time.advance()
      await Promise.all(all)
      expect(grants).to.deep.equal(expected)
    }
  })

  it('counts a send from when it left, when that was after its grant: a late departure cannot meet the next sends in one window', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 2, now: time.now, schedule: time.schedule})
    const departures: number[] = []
    const leave = (send: GrantedSend) => {
      send.left()
      departures.push(time.now())
    }
    const sends = [0, 1, 2, 3].map((i) =>
      limiter.acquire().then((send) => {
        send.departing()
        // The first request leaves 500 ms after its grant (a connection being set up, this thread busy).
        if (i === 0) time.schedule(() => leave(send), 500)
        else leave(send)
      }),
    )
    await time.advance()
    await Promise.all(sends)
    // Counted from their grants (0, 0, then 1100, 1100), the sends at 500, 1100 and 1100 would be
    // three in one window; counted from their departures, never more than two.
    expect(mostInWindow(departures, RATE_WINDOW_MS)).to.equal(2)
    expect([...departures].sort((a, b) => a - b)).to.deep.equal([0, 500, 1100, 1600])
  })

  it('keeps a send on its way in the window however long it takes, and lets the next go once it has left', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({rate: 1, now: time.now, schedule: time.schedule})
    const first = await limiter.acquire()
    first.departing()
    let second: number | undefined
    const next = limiter.acquire().then((send) => {
      second = time.now()
      send.left()
    })
    await time.advance(5000)
    expect(second, 'granted while the first was still on its way').to.equal(undefined)
    first.left()
    first.left() // counts once
    await time.advance()
    await next
    expect(second).to.equal(5000 + RATE_WINDOW_MS)
  })

  it('refuses a rate that is not a positive number', () => {
    expect(() => new RateLimiter({rate: 0})).to.throw(RangeError)
    expect(() => new RateLimiter({rate: Number.NaN})).to.throw(RangeError)
  })

  it('has one shared instance per process', () => {
    const a = getSharedRateLimiter()
    const b = getSharedRateLimiter(a.rate)
    expect(b).to.equal(a)
    expect(a.windowMs).to.equal(1100)
  })
})

describe('amocrm/FileSendLedger: the window the processes of one account share', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'ident-amo-ledger-'))

  it('records up to `permits` sends per window, then says how long until one leaves it', async () => {
    let now = 1_000_000
    const ledger = new FileSendLedger(path.join(dir(), 'config', 'ratelimit.json'), () => now)
    let granted = 0
    const grant = () => granted++
    for (let i = 0; i < 7; i++) {
      expect(await ledger.take(7, 1100, grant)).to.equal(0)
      now += 100
    }
    // sends at 0…600 ms: the first leaves the window at 1100
    expect(await ledger.take(7, 1100, grant)).to.equal(1100 - 700)
    expect(granted).to.equal(7)
    now += 400
    expect(await ledger.take(7, 1100, grant)).to.equal(0)
    expect(await ledger.take(7, 1100, grant)).to.equal(100)
    expect(granted).to.equal(8)
  })

  it('is one file per account in the config dir, for the user alone, and a damaged one counts as empty', async () => {
    const config = dir()
    const file = sendLedgerPath(config, 'https://clinic.amocrm.ru/')
    expect(path.dirname(file)).to.equal(config)
    expect(file).to.equal(sendLedgerPath(config, 'https://CLINIC.amocrm.ru'))
    expect(file).to.not.equal(sendLedgerPath(config, 'https://other.amocrm.ru'))
    const ledger = new FileSendLedger(file)
    const grant = () => {}
    expect(await ledger.take(2, 1100, grant)).to.equal(0)
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.have.length(1)
    if (process.platform !== 'win32') expect((statSync(file).mode & 0o777).toString(8)).to.equal('600')
    writeFileSync(file, '{half a wri')
    expect(await ledger.take(2, 1100, grant)).to.equal(0)
    expect(await ledger.take(2, 1100, grant)).to.equal(0)
    expect(await ledger.take(2, 1100, grant)).to.be.above(0)
  })

  it('two limiters of 7 on one ledger (two processes) let at most 7 start in any window together', async function () {
    this.timeout(30_000)
    const file = path.join(dir(), 'ratelimit.json')
    const grants: number[] = []
    const limiters = [0, 1].map(() => new RateLimiter({rate: 7, shared: new FileSendLedger(file)}))
    const all = limiters.flatMap((limiter) => Array.from({length: 12}, () => limiter.acquire().then(() => grants.push(Date.now()))))
    await Promise.all(all)
    expect(grants).to.have.length(24)
    // counted as amoCRM counts arrivals, per second (the limiter's 1.1 s window is the margin for the
    // few ms between recording a send in the file and the caller seeing its grant)
    expect(mostInWindow(grants, 1000)).to.be.at.most(7)
  })

  it('a ledger that cannot be written: the process keeps its own limit, and says so once', async () => {
    const blocked = path.join(dir(), 'not-a-dir')
    writeFileSync(blocked, 'a file where the config dir should be')
    const notices: string[] = []
    const time = fakeTime()
    const limiter = new RateLimiter({
      rate: 2,
      now: time.now,
      schedule: time.schedule,
      shared: new FileSendLedger(path.join(blocked, 'ratelimit.json')),
      warn: (text) => notices.push(text),
    })
    const grants: number[] = []
    const all = Array.from({length: 5}, () => limiter.acquire().then(() => grants.push(time.now())))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await time.advance()
    await Promise.all(all)
    expect(grants).to.deep.equal([0, 0, 1100, 1100, 2200])
    expect(notices).to.have.length(1)
    expect(notices[0]).to.include('cannot share the amoCRM rate limit').and.include('keeps to it on its own')
    expect(limiter.shared).to.equal(undefined)
    // the next client of a long-running watch does not share (and warn) again
    limiter.shareWith(new FileSendLedger(path.join(blocked, 'ratelimit.json')))
    expect(limiter.shared).to.equal(undefined)
  })
})
