import {mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {AppError} from '../errors.js'

export interface LockHolder {
  pid: number
  host: string
  command: string
  since: string
}

export class LockedError extends AppError {
  constructor(
    readonly what: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `another ${what} is running on this data directory (process ${holder.pid} on ${holder.host}, \`${holder.command}\`, since ${holder.since})`
        : `another ${what} is running on this data directory`,
      {code: 'E_LOCKED', hint: 'wait for it to finish or stop it; a different IDENT_AMO_DATA_DIR gives an independent state'},
    )
  }
}

/**
 * An exclusive lock file holding the owner's pid. Unlike an mtime-based lock, a lock left by a
 * process that was killed (kill -9, power loss) is taken over at once: the next run must not wait.
 */
export class PidLock {
  private held = false

  constructor(
    private readonly file: string,
    private readonly what: string,
  ) {}

  acquire(command: string): void {
    mkdirSync(path.dirname(this.file), {recursive: true})
    const me: LockHolder = {pid: process.pid, host: hostname(), command, since: new Date().toISOString()}
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(this.file, JSON.stringify(me), {flag: 'wx'})
        this.held = true
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      let holder = readHolder(this.file)
      if (!holder) {
        // The owner may be between creating the file and writing its pid.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
        holder = readHolder(this.file)
      }
      if (holder && (holder.host !== me.host || isAlive(holder.pid))) throw new LockedError(this.what, holder)
      // Stale: its owner is gone. Renaming is atomic, so only one contender takes it over.
      try {
        renameSync(this.file, `${this.file}.stale-${process.pid}`)
        unlinkSync(`${this.file}.stale-${process.pid}`)
      } catch {
        // another process took it over first; try again
      }
    }
    throw new LockedError(this.what, readHolder(this.file))
  }

  release(): void {
    if (!this.held) return
    this.held = false
    const holder = readHolder(this.file)
    if (holder?.pid === process.pid) {
      try {
        unlinkSync(this.file)
      } catch {
        // already gone
      }
    }
  }

  holder(): LockHolder | undefined {
    return readHolder(this.file)
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function syncLock(dataDir: string): PidLock {
  return new PidLock(path.join(dataDir, 'sync.lock'), 'sync')
}

export function watchLock(dataDir: string): PidLock {
  return new PidLock(path.join(dataDir, 'watch.lock'), 'sync watch')
}
