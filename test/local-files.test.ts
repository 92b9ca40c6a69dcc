import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {AppError} from '../src/errors.js'
import {localStorageError, readOrCreatePrivateFile} from '../src/local-files.js'
import {stateFilePath, SyncState} from '../src/sync/state.js'

function errno(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${file}'`), {code, syscall, path: file})
}

const dataDir = () => path.join(mkdtempSync(path.join(tmpdir(), 'ident-amo-local-')), 'data')

describe('local files: storage errors in plain words', () => {
  it('a full disk names the place and says to free space; nothing is lost', () => {
    const error = localStorageError(errno('ENOSPC', 'write', '/var/lib/ident-amo/sync.lock'))!
    expect(error).to.be.instanceOf(AppError)
    expect(error.code).to.equal('E_DISK_FULL')
    expect(error.message).to.equal('cannot write /var/lib/ident-amo/sync.lock: the disk is full')
    expect(error.hint).to.include('free some space on the disk holding /var/lib/ident-amo/sync.lock').and.include('the next run continues')
  })

  it('a read-only file system says so and how to get out of it', () => {
    const error = localStorageError(errno('EROFS', 'open', '/mnt/ro/state.key'), {what: 'the local state'})!
    expect(error.code).to.equal('E_READ_ONLY')
    expect(error.message).to.equal('cannot write the local state (/mnt/ro/state.key): the file system is read-only')
    expect(error.hint).to.include('IDENT_AMO_DATA_DIR')
  })

  it('leaves other errors alone, and a socket EACCES is not about files', () => {
    expect(localStorageError(new Error('boom'))).to.equal(undefined)
    expect(localStorageError(Object.assign(new Error('listen EACCES'), {code: 'EACCES', syscall: 'listen'}))).to.equal(undefined)
    expect(localStorageError(new AppError('already clear'))).to.equal(undefined)
  })

  it('SQLite running out of room (SQLITE_FULL) on the state: the disk is full, for the state file', async () => {
    const dir = dataDir()
    const state = await SyncState.open(dir)
    try {
      // a database that may not grow stands in for a disk that cannot
      await state.knex.raw('PRAGMA max_page_count = 20')
      let error: unknown
      try {
        for (let i = 0; i < 200; i++) await state.setMeta(`k${i}`, 'x'.repeat(2000))
      } catch (caught) {
        error = caught
      }
      expect(error).to.be.instanceOf(AppError)
      expect((error as AppError).code).to.equal('E_DISK_FULL')
      expect((error as AppError).message).to.equal(`cannot write the local state (${stateFilePath(dir)}): the disk is full`)
    } finally {
      await state.close()
    }
  })

  it('a damaged state file: says so, and the hint is to move it aside — not to check permissions', async () => {
    const dir = dataDir()
    await (await SyncState.open(dir)).close()
    writeFileSync(stateFilePath(dir), 'this is not a database'.repeat(300))
    let error: unknown
    try {
      await SyncState.open(dir)
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(AppError)
    expect((error as AppError).code).to.equal('E_STATE_CORRUPT')
    expect((error as AppError).message).to.include(`the local state (${stateFilePath(dir)}) is damaged`)
    expect((error as AppError).hint)
      .to.include('move it aside')
      .and.include('sync full')
    expect((error as AppError).hint).to.not.include('writable')
  })

  it('creates a private file once, 0600, and never replaces it', function () {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ident-amo-local-')), 'key')
    expect(readOrCreatePrivateFile(file, () => 'first')).to.equal('first')
    expect(readOrCreatePrivateFile(file, () => 'second')).to.equal('first')
    expect(readFileSync(file, 'utf8')).to.equal('first')
    if (process.platform !== 'win32') expect((statSync(file).mode & 0o777).toString(8)).to.equal('600')
  })
})
