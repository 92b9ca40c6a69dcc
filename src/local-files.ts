import {randomBytes} from 'node:crypto'
import {chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync} from 'node:fs'

import {AppError} from './errors.js'

/**
 * Files this tool keeps on the machine (the state, its key, the logs) hold what a clinic must not
 * leak: they are created for the user alone — directories 0700, files 0600 — like the config.
 * On Windows, where modes mean little, the user's profile directory protects them instead.
 */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * Creates `dir` (and its parents) for the user alone; a directory that exists with group or other
 * access is narrowed to 0700. Best effort on a directory this user does not own.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: PRIVATE_DIR_MODE})
  narrowMode(dir, PRIVATE_DIR_MODE)
}

/** A file that already exists (made by an older version, or before a umask change) narrowed to 0600. */
export function narrowFileMode(file: string): void {
  narrowMode(file, PRIVATE_FILE_MODE)
}

function narrowMode(target: string, mode: number): void {
  if (process.platform === 'win32') return
  try {
    const stat = statSync(target)
    // only what this tool keeps: never a device (LOG_FILE=/dev/stderr) or someone else's file
    if (!stat.isFile() && !stat.isDirectory()) return
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(target, mode)
  } catch {
    // gone meanwhile, or not ours: nothing to narrow
  }
}

/**
 * The content of `file`, creating it with `create()` (mode 0600) when it does not exist. Creation is
 * atomic and never replaces a file another process created first: both then read the same content.
 */
export function readOrCreatePrivateFile(file: string, create: () => string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(temp, create(), {mode: PRIVATE_FILE_MODE, flag: 'wx'})
  try {
    linkSync(temp, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(temp)
  }
  return readFileSync(file, 'utf8')
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])
const READ_ONLY = new Set(['EROFS'])
const NO_ACCESS = new Set(['EACCES', 'EPERM'])
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/**
 * A local storage failure (a full disk, a read-only file system, a denied write, a damaged state
 * file) in words that say what to do, or undefined for any other error. `where` names the file or
 * directory (an errno error's own `path` when it has one); `what` what it holds.
 */
export function localStorageError(error: unknown, context: {where?: string; what?: string} = {}): AppError | undefined {
  if (error instanceof AppError || !(error instanceof Error)) return undefined
  const {code, path: errorPath} = error as NodeJS.ErrnoException
  if (typeof code !== 'string') return undefined
  // an EACCES from a socket or an EPERM from a signal is not about files: only errors naming one
  if (context.where === undefined && errorPath === undefined && !code.startsWith('SQLITE_')) return undefined
  const where = context.where ?? errorPath ?? 'the local state'
  const what = context.what ? `${context.what} (${where})` : where
  const safe = 'what was confirmed before is saved: the next run continues from there'
  if (DISK_FULL.has(code))
    return new AppError(`cannot write ${what}: the disk is full${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}`, {
      code: 'E_DISK_FULL',
      hint: `free some space on the disk holding ${where} (or point IDENT_AMO_DATA_DIR / LOG_FILE at a disk with room) and run again; ${safe}`,
      cause: error,
    })
  if (READ_ONLY.has(code) || code.startsWith('SQLITE_READONLY'))
    return new AppError(`cannot write ${what}: ${code === 'EROFS' ? 'the file system is read-only' : 'it is read-only'}`, {
      code: 'E_READ_ONLY',
      hint: `make ${where} writable (remount the disk read-write, or check its permissions), or set IDENT_AMO_DATA_DIR to a writable directory; ${safe}`,
      cause: error,
    })
  if (NO_ACCESS.has(code))
    return new AppError(`not allowed to write ${what} (${code})`, {
      code: 'E_NO_ACCESS',
      hint: `check that ${where} belongs to the user running ident-amo and is writable, or set IDENT_AMO_DATA_DIR to a directory that is`,
      cause: error,
    })
  if (DAMAGED.has(code))
    return new AppError(`${what} is damaged and cannot be read (${error.message.replace(/^.* - /, '')})`, {
      code: 'E_STATE_CORRUPT',
      hint: `move it aside (e.g. rename it to ${where}.broken) and run \`ident-amo sync full\`: contacts are linked again by the patient id field amoCRM holds, so nothing is duplicated`,
      cause: error,
    })
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO')
    return new AppError(`reading or writing ${what} failed: the disk reported an I/O error (${code})`, {
      code: 'E_DISK_IO',
      hint: `check the disk holding ${where}; ${safe}`,
      cause: error,
    })
  return undefined
}
