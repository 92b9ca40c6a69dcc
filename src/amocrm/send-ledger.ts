import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import lockfile from 'proper-lockfile'

import type {SendLedger} from './rate-limiter.js'

/** A lock left by a process that died holding it (it is held for a read and a write) is taken over after this. */
const STALE_MS = 5000

/**
 * The file where the processes of one account (`sync watch`, `patient test`, `fields check`…) count
 * their sends together: `<configDir>/ratelimit-<hash of the base URL>.json`, next to the config and
 * tokens they share.
 */
export function sendLedgerPath(configDir: string, baseUrl: string): string {
  const account = createHash('sha256').update(baseUrl.replace(/\/+$/, '').toLowerCase()).digest('hex').slice(0, 12)
  return path.join(configDir, `ratelimit-${account}.json`)
}

/**
 * The send times (unix ms) of every process of the account within the last window, in a small JSON
 * file read and written under a lock (proper-lockfile). Wall-clock times, since processes share no
 * other clock; times far in the future (the clock was set back) are dropped. A damaged file counts as
 * empty: at worst one window's sends are forgotten, never a process blocked.
 */
export class FileSendLedger implements SendLedger {
  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  get describe(): string {
    return this.file
  }

  async take(permits: number, windowMs: number, grant: () => void): Promise<number> {
    await mkdir(path.dirname(this.file), {recursive: true, mode: 0o700})
    const release = await lockfile.lock(this.file, {
      realpath: false,
      lockfilePath: `${this.file}.lock`,
      stale: STALE_MS,
      retries: {retries: 200, factor: 1.2, minTimeout: 2, maxTimeout: 50, randomize: true},
      // held for a moment only: losing it (a suspended laptop) must not crash the process
      onCompromised: () => {},
    })
    try {
      const sends = await this.read()
      const now = this.now()
      const recent = sends.filter((t) => t > now - windowMs && t <= now + windowMs).sort((a, b) => a - b)
      if (recent.length < permits) {
        // written synchronously and granted before the lock is let go: the send starts when it is recorded
        writeFileSync(this.file, JSON.stringify([...recent, this.now()]), {mode: 0o600})
        grant()
        return 0
      }
      // room once enough of the oldest have left the window
      return Math.max(1, Math.ceil(recent[recent.length - permits]! + windowMs - now))
    } finally {
      await release().catch(() => {})
    }
  }

  private async read(): Promise<number[]> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    try {
      const parsed: unknown = JSON.parse(text)
      return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : []
    } catch {
      return []
    }
  }
}
