import fs, {mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import lockfile from 'proper-lockfile'

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
 * A holder on another machine (a data directory on a shared disk) that has not refreshed its lock for
 * this long is gone. proper-lockfile refreshes it every half of this.
 */
const STALE_MS = 60_000

/** Who holds a lock, kept inside the lock directory: it goes wherever the lock goes. */
const HOLDER_FILE = 'holder.json'

/** proper-lockfile removes a lock with rmdir: ours holds the holder file, so it is removed whole. */
const lockFs = {
  ...fs,
  rmdir: (dir: string, callback: (error: NodeJS.ErrnoException | null) => void) => fs.rm(dir, {recursive: true, force: true}, callback),
  rmdirSync: (dir: string) => fs.rmSync(dir, {recursive: true, force: true}),
}

/**
 * An exclusive lock on a data directory (proper-lockfile: an atomic mkdir, kept fresh while held,
 * removed on exit), with its holder's pid, host and command inside. A lock left by a process of this
 * machine that was killed (kill -9, power loss) is taken over at once: the next run must not wait.
 */
export class RunLock {
  private release_: (() => Promise<void>) | undefined

  constructor(
    /** The lock directory. */
    readonly dir: string,
    /** What it guards, for messages: `sync`, `sync watch`. */
    private readonly what: string,
  ) {}

  async acquire(command: string): Promise<void> {
    mkdirSync(path.dirname(this.dir), {recursive: true})
    const me: LockHolder = {pid: process.pid, host: hostname(), command, since: new Date().toISOString()}
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        this.release_ = await lockfile.lock(this.dir, {
          realpath: false,
          lockfilePath: this.dir,
          stale: STALE_MS,
          fs: lockFs,
          // Refreshing failed for longer than STALE_MS (a suspended laptop): keep going; the state's
          // transactions keep it consistent even if another run took over meanwhile.
          onCompromised: () => {},
        })
        writeFileSync(path.join(this.dir, HOLDER_FILE), JSON.stringify(me))
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      }
      let holder = readHolder(this.dir)
      // The holder may be between creating the lock and writing who it is.
      if (!holder) {
        await sleep(100)
        holder = readHolder(this.dir)
      }
      if (!holder || holder.host !== me.host || isAlive(holder.pid)) throw new LockedError(this.what, holder)
      takeOver(this.dir, holder)
    }
    throw new LockedError(this.what, readHolder(this.dir))
  }

  async release(): Promise<void> {
    const release = this.release_
    this.release_ = undefined
    try {
      await release?.()
    } catch {
      // already released, or taken over
    }
  }

  /**
   * Who holds the lock now, or undefined when nobody does — a holder that died without releasing it
   * (killed) does not count: `sync status` must not call it running.
   */
  holder(): LockHolder | undefined {
    const holder = readHolder(this.dir)
    if (!holder) return undefined
    if (holder.host === hostname()) return isAlive(holder.pid) ? holder : undefined
    try {
      return Date.now() - statSync(this.dir).mtimeMs < STALE_MS ? holder : undefined
    } catch {
      return undefined
    }
  }
}

/**
 * Removes the lock of a dead holder. Renaming is atomic, so only one contender moves it aside; the one
 * that did checks that it moved the dead holder's lock and not a lock just taken by another contender,
 * which it puts back.
 */
function takeOver(dir: string, dead: LockHolder): void {
  const aside = `${dir}.stale-${process.pid}-${Date.now()}`
  try {
    renameSync(dir, aside)
  } catch {
    return // another contender moved it first
  }
  const moved = readHolder(aside)
  if (moved && (moved.pid !== dead.pid || moved.since !== dead.since)) {
    try {
      renameSync(aside, dir)
      return
    } catch {
      // a third contender holds the lock now; the one moved aside lost it either way
    }
  }
  rmSync(aside, {recursive: true, force: true})
}

function readHolder(dir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, HOLDER_FILE), 'utf8')) as LockHolder
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

/** One sync pass at a time per data directory. */
export function syncLock(dataDir: string): RunLock {
  return new RunLock(path.join(dataDir, 'sync.lock'), 'sync')
}

/** One watcher per data directory. */
export function watchLock(dataDir: string): RunLock {
  return new RunLock(path.join(dataDir, 'watch.lock'), 'sync watch')
}
