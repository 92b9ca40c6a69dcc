import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {LockedError, type LockHolder, syncLock} from '../../src/sync/lock.js'
import {rejection} from '../amocrm/helpers.js'

describe('sync lock (one pass per data directory)', () => {
  let dataDir: string

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ident-amo-lock-'))
  })
  afterEach(() => rmSync(dataDir, {recursive: true, force: true}))

  /** A lock as a process that died without releasing it left it (kill -9, power loss). */
  function leftBehind(holder: Partial<LockHolder>, ageMs = 0): LockHolder {
    const full: LockHolder = {pid: deadPid(), host: hostname(), command: 'ident-amo sync full', since: new Date().toISOString(), ...holder}
    const dir = path.join(dataDir, 'sync.lock')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'holder.json'), JSON.stringify(full))
    const at = new Date(Date.now() - ageMs)
    utimesSync(dir, at, at)
    return full
  }

  it('refuses a second holder, naming the first; free again once released', async () => {
    const first = syncLock(dataDir)
    await first.acquire('ident-amo sync full')
    const second = syncLock(dataDir)
    const error = await rejection(second.acquire('ident-amo sync deep'))
    expect(error).to.be.instanceOf(LockedError)
    expect((error as LockedError).message).to.include(`process ${process.pid} on ${hostname()}, \`ident-amo sync full\``)
    expect(second.holder()?.command).to.equal('ident-amo sync full')
    await first.release()
    expect(second.holder()).to.equal(undefined)
    await second.acquire('ident-amo sync deep')
    await second.release()
  })

  it('takes over at once a lock whose holder on this machine is dead, and does not show it as running', async () => {
    leftBehind({})
    const lock = syncLock(dataDir)
    expect(lock.holder()).to.equal(undefined)
    await lock.acquire('ident-amo sync incremental')
    expect(lock.holder()).to.deep.include({pid: process.pid, command: 'ident-amo sync incremental'})
    await lock.release()
  })

  it('respects a fresh lock of another machine (a shared data directory), and takes over one left stale', async () => {
    const other = leftBehind({host: 'another-host', pid: 1})
    const lock = syncLock(dataDir)
    expect(lock.holder()).to.deep.equal(other)
    expect(await rejection(lock.acquire('ident-amo sync full'))).to.be.instanceOf(LockedError)
    rmSync(path.join(dataDir, 'sync.lock'), {recursive: true})
    leftBehind({host: 'another-host', pid: 1}, 10 * 60_000)
    expect(lock.holder()).to.equal(undefined)
    await lock.acquire('ident-amo sync full')
    await lock.release()
  })
})

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid!
}
