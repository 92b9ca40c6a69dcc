import {expect} from 'chai'

import {DEFAULT_RETRY, requestedRetryDelayMs, retryDelayMs, retryOptions} from '../../src/amocrm/retry.js'

describe('amocrm/retry policy', () => {
  it('waits at least 1 s, doubling, capped, with up to 25 % jitter', () => {
    const low = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, DEFAULT_RETRY, undefined, () => 0))
    expect(low).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
    const high = [1, 6].map((n) => retryDelayMs(n, DEFAULT_RETRY, undefined, () => 0.999_999))
    expect(high).to.deep.equal([1250, 37_500])
  })

  it('honours a longer delay the server asked for, up to the cap', () => {
    expect(retryDelayMs(1, DEFAULT_RETRY, 5000, () => 0)).to.equal(5000)
    expect(retryDelayMs(3, DEFAULT_RETRY, 500, () => 0)).to.equal(4000)
    expect(retryDelayMs(1, DEFAULT_RETRY, 300_000, () => 0)).to.equal(30_000)
  })

  it('reads Retry-After in seconds or as a date, and Kommo’s retry_after', () => {
    expect(requestedRetryDelayMs(new Headers({'retry-after': '3'}), undefined)).to.equal(3000)
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(requestedRetryDelayMs(new Headers({'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT'}), undefined, now)).to.equal(10_000)
    expect(requestedRetryDelayMs(new Headers(), {title: 'Too Many Requests', retry_after: 300})).to.equal(300_000)
    expect(requestedRetryDelayMs(new Headers(), '<html>429 Too Many Requests</html>')).to.equal(undefined)
  })

  it('refuses a base delay under a second', () => {
    expect(() => retryOptions({baseDelayMs: 200})).to.throw(RangeError, /at least 1000/)
    expect(retryOptions({maxAttempts: 3, maxDelayMs: undefined})).to.deep.equal({...DEFAULT_RETRY, maxAttempts: 3})
  })
})
