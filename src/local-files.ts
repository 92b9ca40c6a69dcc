import {randomBytes} from 'node:crypto'
import {chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync} from 'node:fs'

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
