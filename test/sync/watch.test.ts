import {expect} from 'chai'

import {AmoAuthError, AmoUnavailableError} from '../../src/amocrm/errors.js'
import {SyncInterruptedError} from '../../src/sync/engine.js'
import {emptyReport, type SyncReport} from '../../src/sync/report.js'
import {type PassMode, Watcher, type WatchEvent} from '../../src/sync/watch.js'

/** A clock that only moves when the watcher sleeps or a pass takes time. */
class FakeClock {
  constructor(public ms: number) {}
  now = () => new Date(this.ms)
}

function report(mode: PassMode): SyncReport {
  return emptyReport(mode, new Date(0))
}

interface Pass {
  mode: PassMode
  at: string
}

/**
 * Runs a watcher on a fake clock until `until` (ISO, UTC) and returns the passes it started, with
 * the clock time of each. `passTakesMs` makes passes overrun; `fail` decides per pass whether it throws.
 */
async function simulate(options: {
  start: string
  until: string
  intervalMinutes: number
  deepTimes: string[]
  timezone: string
  passTakesMs?: (mode: PassMode, index: number) => number
  fail?: (mode: PassMode, index: number) => Error | undefined
}): Promise<{passes: Pass[]; events: WatchEvent[]; watcher: Watcher}> {
  const clock = new FakeClock(Date.parse(options.start))
  const until = Date.parse(options.until)
  const abort = new AbortController()
  const passes: Pass[] = []
  const events: WatchEvent[] = []
  const watcher = new Watcher({
    intervalMs: options.intervalMinutes * 60_000,
    deepTimes: options.deepTimes,
    timezone: options.timezone,
    now: clock.now,
    sleep: async (ms) => {
      clock.ms += ms
      if (clock.ms >= until) abort.abort()
    },
    runPass: async (mode) => {
      const index = passes.length
      passes.push({mode, at: new Date(clock.ms).toISOString()})
      clock.ms += options.passTakesMs?.(mode, index) ?? 1000
      if (clock.ms >= until) abort.abort()
      const error = options.fail?.(mode, index)
      if (error) throw error
      return report(mode)
    },
    onEvent: (e) => events.push(e),
  })
  await watcher.run(abort.signal)
  return {passes, events, watcher}
}

describe('sync watch scheduler', () => {
  it('runs an incremental pass at once and then every interval', async () => {
    const {passes} = await simulate({
      start: '2026-11-26T10:00:00Z',
      until: '2026-11-26T10:09:00Z',
      intervalMinutes: 2,
      deepTimes: [],
      timezone: 'Europe/Moscow',
    })
    expect(passes.map((p) => p.at)).to.deep.equal([
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T10:02:00.000Z',
      '2026-11-26T10:04:00.000Z',
      '2026-11-26T10:06:00.000Z',
      '2026-11-26T10:08:00.000Z',
    ])
    expect(passes.every((p) => p.mode === 'incremental')).to.equal(true)
  })

  it('fires the deep passes at 08:00 and 20:00 clinic time (Moscow is UTC+3)', async () => {
    const {passes} = await simulate({
      start: '2026-11-26T04:00:00Z',
      until: '2026-11-27T06:00:00Z',
      intervalMinutes: 60,
      deepTimes: ['08:00', '20:00'],
      timezone: 'Europe/Moscow',
    })
    expect(passes.filter((p) => p.mode === 'deep').map((p) => p.at)).to.deep.equal([
      '2026-11-26T05:00:00.000Z',
      '2026-11-26T17:00:00.000Z',
      '2026-11-27T05:00:00.000Z',
    ])
  })

  it('never runs two passes at once: an overrunning pass delays the next, a deep pass due meanwhile runs right after (and covers the incremental that was due)', async () => {
    const {passes} = await simulate({
      start: '2026-11-26T04:55:00Z',
      until: '2026-11-26T05:20:00Z',
      intervalMinutes: 2,
      deepTimes: ['08:00'],
      timezone: 'Europe/Moscow',
      // The second pass (started 04:57) takes 7 minutes: the deep pass due at 05:00 waits for it.
      passTakesMs: (_mode, i) => (i === 1 ? 7 * 60_000 : 30_000),
    })
    expect(passes.slice(0, 4)).to.deep.equal([
      {mode: 'incremental', at: '2026-11-26T04:55:00.000Z'},
      {mode: 'incremental', at: '2026-11-26T04:57:00.000Z'},
      {mode: 'deep', at: '2026-11-26T05:04:00.000Z'},
      {mode: 'incremental', at: '2026-11-26T05:06:00.000Z'},
    ])
    // No pass starts before the previous one ended.
    for (let i = 1; i < passes.length; i++) expect(Date.parse(passes[i]!.at)).to.be.greaterThan(Date.parse(passes[i - 1]!.at))
  })

  it('handles daylight saving: a deep time that does not exist that night runs at the first valid moment, an ambiguous one once', async () => {
    // Europe/Berlin: 2026-03-29 02:00 → 03:00 (02:30 does not exist); 2026-10-25 03:00 → 02:00 (02:30 happens twice).
    const spring = await simulate({
      start: '2026-03-28T22:00:00Z',
      until: '2026-03-29T04:00:00Z',
      intervalMinutes: 600,
      deepTimes: ['02:30'],
      timezone: 'Europe/Berlin',
    })
    expect(spring.passes.filter((p) => p.mode === 'deep').map((p) => p.at)).to.deep.equal(['2026-03-29T01:00:00.000Z'])
    const autumn = await simulate({
      start: '2026-10-24T22:00:00Z',
      until: '2026-10-25T04:00:00Z',
      intervalMinutes: 600,
      deepTimes: ['02:30'],
      timezone: 'Europe/Berlin',
    })
    expect(autumn.passes.filter((p) => p.mode === 'deep')).to.have.length(1)
  })

  it("gets midnight right: a 00:00 deep time fires at the clinic's midnight, not the machine's", async () => {
    const {passes} = await simulate({
      start: '2026-11-26T20:00:00Z',
      until: '2026-11-26T22:00:00Z',
      intervalMinutes: 600,
      deepTimes: ['00:00'],
      timezone: 'Asia/Yekaterinburg',
    })
    // Yekaterinburg is UTC+5: midnight of the 27th is 19:00Z on the 26th, already past; the next is 19:00Z on the 27th.
    expect(passes.filter((p) => p.mode === 'deep')).to.deep.equal([])
    const next = await simulate({
      start: '2026-11-26T18:00:00Z',
      until: '2026-11-26T20:00:00Z',
      intervalMinutes: 600,
      deepTimes: ['00:00'],
      timezone: 'Asia/Yekaterinburg',
    })
    expect(next.passes.filter((p) => p.mode === 'deep').map((p) => p.at)).to.deep.equal(['2026-11-26T19:00:00.000Z'])
  })

  it('keeps going after transient failures, backing off, and resets once a pass succeeds', async () => {
    const down = new AmoUnavailableError('503 storm')
    const {passes, events} = await simulate({
      start: '2026-11-26T10:00:00Z',
      until: '2026-11-26T10:30:00Z',
      intervalMinutes: 1,
      deepTimes: [],
      timezone: 'UTC',
      passTakesMs: () => 0,
      fail: (_m, i) => (i < 3 ? down : undefined),
    })
    expect(passes.slice(0, 5).map((p) => p.at)).to.deep.equal([
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T10:01:00.000Z',
      '2026-11-26T10:03:00.000Z',
      '2026-11-26T10:07:00.000Z',
      '2026-11-26T10:08:00.000Z',
    ])
    const errors = events.filter((e) => e.type === 'pass_error')
    expect(errors).to.have.length(3)
    expect(errors.every((e) => e.type === 'pass_error' && !e.fatal)).to.equal(true)
  })

  it('slows down on a fatal failure instead of hammering, and recovers when it is fixed', async () => {
    let fixed = false
    const {passes, events, watcher} = await simulate({
      start: '2026-11-26T10:00:00Z',
      until: '2026-11-26T10:10:00Z',
      intervalMinutes: 0.05,
      deepTimes: [],
      timezone: 'UTC',
      passTakesMs: () => 0,
      fail: (_m, i) => {
        if (i >= 2) fixed = true
        return fixed ? undefined : new AmoAuthError()
      },
    })
    expect(watcher.fatalRetryMs).to.equal(30_000)
    expect(passes[1]!.at).to.equal('2026-11-26T10:00:30.000Z')
    expect(passes[2]!.at).to.equal('2026-11-26T10:01:00.000Z')
    expect(passes[3]!.at).to.equal('2026-11-26T10:01:03.000Z')
    const fatal = events.filter((e) => e.type === 'pass_error' && e.fatal)
    expect(fatal).to.have.length(2)
  })

  it('stops when a pass is interrupted', async () => {
    const abort = new AbortController()
    const watcher = new Watcher({
      intervalMs: 60_000,
      deepTimes: [],
      timezone: 'UTC',
      runPass: async (mode, signal) => {
        abort.abort()
        if (signal.aborted) throw new SyncInterruptedError(report(mode))
        return report(mode)
      },
    })
    let caught: unknown
    await watcher.run(abort.signal).catch((error) => (caught = error))
    expect(caught).to.be.instanceOf(SyncInterruptedError)
  })
})
