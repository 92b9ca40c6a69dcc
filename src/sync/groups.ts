const IDLE = Symbol('idle')

/**
 * Groups of up to `size` items of `source`. A group is let go when it is full, or once it has items
 * and the source has given nothing more for `idleMs`: the source is waiting on something slower (a
 * statement reading a whole table), and what has come is worked on meanwhile. The source is asked for
 * its next item before a group is handed over, so it goes on while the group is worked on.
 *
 * (streaming-iterables' `batchWithTimeout` counts its timeout from a group's first item, which would
 * also cut a steady stream into small groups; here only a pause of the source cuts one.)
 */
export async function* groupsAsReady<T>(source: AsyncIterable<T>, size: number, idleMs: number): AsyncGenerator<T[]> {
  const items = source[Symbol.asyncIterator]()
  const ask = () => {
    const next = items.next()
    // Awaited below; never an unhandled rejection while a group is worked on.
    next.catch(() => undefined)
    return next
  }
  let group: T[] = []
  let ended = false
  try {
    let pending = ask()
    while (true) {
      let next = group.length === 0 ? await pending : await idleOr(pending, idleMs)
      if (next === IDLE) {
        yield group
        group = []
        next = await pending
      }
      if (next.done) {
        ended = true
        break
      }
      group.push(next.value)
      pending = ask()
      if (group.length >= size) {
        yield group
        group = []
      }
    }
    if (group.length > 0) yield group
  } finally {
    if (!ended) await items.return?.()
  }
}

async function idleOr<T>(pending: Promise<T>, idleMs: number): Promise<T | typeof IDLE> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([pending, new Promise<typeof IDLE>((resolve) => (timer = setTimeout(resolve, idleMs, IDLE)))])
  } finally {
    clearTimeout(timer)
  }
}
