import {expect} from 'chai'

import {groupsAsReady} from '../../src/sync/groups.js'

/** A gate a source waits at until the test lets it go. */
function gate(): {passed: Promise<void>; open: () => void} {
  let open = (): void => undefined
  const passed = new Promise<void>((resolve) => (open = resolve))
  return {passed, open}
}

async function* steady(n: number): AsyncGenerator<number> {
  for (let i = 1; i <= n; i++) yield i
}

describe('groupsAsReady (groups of what the source has ready)', () => {
  it('cuts a steady source into full groups, the last one shorter', async () => {
    const groups: number[][] = []
    for await (const group of groupsAsReady(steady(12), 5, 10)) groups.push(group)
    expect(groups).to.deep.equal([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12],
    ])
  })

  it('lets a group go while the source waits on something slower, and goes on with what comes after', async () => {
    const slow = gate()
    async function* pausing(): AsyncGenerator<number> {
      yield* [1, 2, 3]
      await slow.passed
      yield* [4, 5]
    }
    const groups: number[][] = []
    let openedBy = 'the groups'
    const timer = setTimeout(() => {
      openedBy = 'the timeout'
      slow.open()
    }, 5000)
    for await (const group of groupsAsReady(pausing(), 250, 10)) {
      groups.push(group)
      slow.open()
    }
    clearTimeout(timer)
    expect(openedBy).to.equal('the groups')
    expect(groups).to.deep.equal([
      [1, 2, 3],
      [4, 5],
    ])
  })

  it('asks the source for its next item while a group is worked on', async () => {
    const asked: number[] = []
    async function* counted(): AsyncGenerator<number> {
      for (let i = 1; i <= 4; i++) {
        asked.push(i)
        yield i
      }
    }
    const seenWhileWorking: number[][] = []
    for await (const group of groupsAsReady(counted(), 2, 10)) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      seenWhileWorking.push([group.at(-1)!, asked.length])
    }
    // Working on [1, 2], the source had already been asked for 3.
    expect(seenWhileWorking).to.deep.equal([
      [2, 3],
      [4, 4],
    ])
  })

  it("ends the source when the consumer stops early, and passes on the source's error", async () => {
    let finished = false
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 1; ; i++) yield i
      } finally {
        finished = true
      }
    }
    for await (const group of groupsAsReady(endless(), 3, 10)) {
      expect(group).to.deep.equal([1, 2, 3])
      break
    }
    expect(finished).to.equal(true)

    async function* failing(): AsyncGenerator<number> {
      yield 1
      throw new Error('IDENT went away')
    }
    let error: unknown
    const groups: number[][] = []
    try {
      for await (const group of groupsAsReady(failing(), 3, 10)) groups.push(group)
    } catch (e) {
      error = e
    }
    expect(String(error)).to.include('IDENT went away')
    expect(groups).to.deep.equal([])
  })
})
