/**
 * Lets the sandbox's answers through one per turn of the event loop.
 *
 * Requests sent close together are answered close together once their latency has passed, and
 * working out an answer (a page of 250 contacts: render, JSON, bytes) takes this thread some 20 ms.
 * Worked out back to back, seven of them would hold the thread for over 0.1 s, and a request arriving
 * meanwhile would be stamped late by that much: the rate count, which counts arrivals, would see it
 * inside the next second with the requests sent after it. amoCRM's gateway stamps arrivals whatever
 * its servers are busy with. One answer per turn puts a turn of the loop (where arrivals are read and
 * stamped) between two answers.
 */
export class AnswerTurns {
  private readonly waiting: Array<() => void> = []
  private scheduled = false

  /** Resolves when it is this answer's turn; the caller works it out at once (synchronously). */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve)
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.waiting.shift()!()
      this.schedule()
    })
  }
}
