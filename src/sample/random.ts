/** A small seeded PRNG (mulberry32): the same seed gives the same sample clinic on every machine. */
export class Random {
  private state: number

  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x2545f491) >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** One of the values, with probability proportional to its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((s, [, w]) => s + w, 0)
    let x = this.next() * total
    for (const [value, weight] of choices) {
      x -= weight
      if (x < 0) return value
    }
    return choices.at(-1)![0]
  }

  digits(count: number): string {
    let s = ''
    for (let i = 0; i < count; i++) s += String(this.int(0, 9))
    return s
  }
}
