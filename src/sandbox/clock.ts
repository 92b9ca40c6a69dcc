/**
 * The sandbox's idea of "now": token and code expiry, `created_at` / `updated_at`.
 * Real time until a test sets it; from then on it is frozen and moves only by `set` / `advance`,
 * so that a test can say "24 hours later" without waiting and timestamps are reproducible.
 * Rate limiting and request timing never use it: they are real time.
 */
export interface SandboxClock {
  /** Unix ms. */
  now(): number
  /** Freezes the clock at `ms`. */
  set(ms: number): void
  /** Moves the clock by `ms` (frozen or not). */
  advance(ms: number): void
}

export class ControllableClock implements SandboxClock {
  private frozenAt: number | undefined
  private offset = 0

  constructor(private readonly initial?: number) {
    this.frozenAt = initial
  }

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset
  }

  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new TypeError(`clock.set needs a finite number of ms, got ${ms}`)
    this.frozenAt = ms
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new TypeError(`clock.advance needs a finite number of ms, got ${ms}`)
    if (this.frozenAt === undefined) this.offset += ms
    else this.frozenAt += ms
  }

  /** Unix seconds, the unit of every amoCRM timestamp. */
  seconds(): number {
    return Math.floor(this.now() / 1000)
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined
  }

  /** Back to how it started (real time, or the `now` option). */
  reset(): void {
    this.frozenAt = this.initial
    this.offset = 0
  }
}
