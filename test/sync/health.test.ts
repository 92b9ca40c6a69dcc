import {expect} from 'chai'

import {watchHealth} from '../../src/sync/health.js'

describe('watchHealth: is sync watch keeping amoCRM in step?', () => {
  const now = new Date('2026-11-26T12:00:00Z')
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString()

  it('healthy while the last pass finished less than three intervals ago', () => {
    const health = watchHealth({lastPassAt: minutesAgo(5.9), passRunningSince: undefined, intervalMinutes: 2, now})
    expect(health).to.deep.equal({
      healthy: true,
      lastPassAt: minutesAgo(5.9),
      passRunningSince: null,
      intervalMinutes: 2,
      staleAfterMinutes: 6,
    })
  })

  it('unhealthy when the last pass finished three intervals ago or more, or never', () => {
    expect(watchHealth({lastPassAt: minutesAgo(6), passRunningSince: undefined, intervalMinutes: 2, now}).healthy).to.equal(false)
    expect(watchHealth({lastPassAt: minutesAgo(29), passRunningSince: undefined, intervalMinutes: 10, now}).healthy).to.equal(true)
    expect(watchHealth({lastPassAt: undefined, passRunningSince: undefined, intervalMinutes: 2, now}).healthy).to.equal(false)
  })

  it('a long pass (a deep pass of a big clinic) keeps it healthy for three intervals from its start, not longer', () => {
    expect(watchHealth({lastPassAt: minutesAgo(60), passRunningSince: minutesAgo(4), intervalMinutes: 2, now}).healthy).to.equal(true)
    expect(watchHealth({lastPassAt: minutesAgo(60), passRunningSince: minutesAgo(7), intervalMinutes: 2, now}).healthy).to.equal(false)
    expect(watchHealth({lastPassAt: undefined, passRunningSince: minutesAgo(1), intervalMinutes: 2, now}).healthy).to.equal(true)
  })
})
