import {createWriteStream, mkdirSync, readdirSync, statSync, unlinkSync} from 'node:fs'
import path from 'node:path'
import type {Writable} from 'node:stream'

import pino, {type Logger} from 'pino'
import {createStream} from 'rotating-file-stream'

import {errorMessage} from '../errors.js'
import {localStorageError, narrowFileMode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE} from '../local-files.js'

export type {Logger} from 'pino'

const RETENTION_DAYS = 30
/** After a failed write (a full disk), the log is tried again this much later; lines meanwhile are dropped. */
const REOPEN_AFTER_MS = 60_000

export interface FileLoggerOptions {
  file: string
  level?: string
  now?: () => Date
  /** Where the one notice of a log that cannot be written goes (stderr by default). */
  warn?: (text: string) => void
}

/**
 * The sync log: JSON lines in `<dataDir>/logs/sync.log` (or LOG_FILE), rotated at 10 MB by
 * rotating-file-stream, rotated files older than 30 days removed; the directory it creates 0700, the
 * files 0600. LOG_FILE may also name a device or a pipe (`/dev/stderr`): written as is, not rotated.
 *
 * Logging never stops a sync: when the log cannot be written (a full disk, a read-only or missing
 * directory) its lines are dropped, stderr says so once, and the log is tried again a minute later.
 *
 * Never log personal data (names, phones, SNILS, INN, birthdays, comments): patient ids and counts
 * only. `redact` is a safety net for the obvious keys, not a licence to log patients.
 */
export function createFileLogger(options: FileLoggerOptions): {logger: Logger; close: () => Promise<void>} {
  const sink = new LogSink(options)
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: {pid: process.pid},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'name',
          'phone',
          'phones',
          'email',
          'snils',
          'inn',
          'birthday',
          '*.name',
          '*.phone',
          '*.email',
          'token',
          '*.token',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    sink,
  )
  return {logger, close: () => sink.close()}
}

/** What pino writes to: the log file while it can be written, nothing (and one notice) while it cannot. */
class LogSink {
  private stream: Writable | undefined
  private failedAt: number | undefined
  private noticed = false
  private readonly now: () => number

  constructor(private readonly options: FileLoggerOptions) {
    this.now = () => (options.now?.() ?? new Date()).getTime()
    this.open()
  }

  write(line: string): boolean {
    if (this.failedAt !== undefined) {
      if (this.now() - this.failedAt < REOPEN_AFTER_MS) return true
      this.open()
    }
    this.stream?.write(line)
    return true
  }

  async close(): Promise<void> {
    const stream = this.stream
    this.stream = undefined
    if (!stream || stream.destroyed) return
    await new Promise<void>((resolve) => {
      // a stream that fails while flushing its last lines still counts as closed
      stream.once('error', () => resolve())
      stream.end(() => resolve())
    })
  }

  private open(): void {
    this.failedAt = undefined
    const {file} = this.options
    try {
      const dir = path.dirname(file)
      mkdirSync(dir, {recursive: true, mode: PRIVATE_DIR_MODE})
      removeOldLogs(dir, path.basename(file), new Date(this.now()))
      narrowFileMode(file)
      const stream: Writable = isRegularFileOrAbsent(file)
        ? createStream(rotatedName(path.basename(file)), {path: dir, size: '10M', maxFiles: 1000, mode: PRIVATE_FILE_MODE})
        : createWriteStream(file, {flags: 'a'})
      stream.on('error', (error: unknown) => this.fail(error, stream))
      this.stream = stream
    } catch (error) {
      this.fail(error)
    }
  }

  private fail(error: unknown, stream?: Writable): void {
    if (stream && stream !== this.stream) return
    this.stream?.destroy()
    this.stream = undefined
    this.failedAt = this.now()
    if (this.noticed) return
    this.noticed = true
    const {file} = this.options
    const reason =
      localStorageError(error, {where: file, what: 'the log'})?.message ?? `cannot write the log ${file}: ${errorMessage(error)}`
    const warn = this.options.warn ?? ((text: string) => void process.stderr.write(`${text}\n`))
    warn(`Warning: ${reason}; log lines are dropped until it can be written again — the sync goes on`)
  }
}

/** `sync.log` as is, rotated files `sync.log.YYYYMMDD-HHMMSS-N`. */
function rotatedName(base: string) {
  return (time: Date | number | null, index?: number) => {
    if (!time) return base
    const d = typeof time === 'number' ? new Date(time) : time
    const stamp = d.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15)
    return `${base}.${stamp}-${index ?? 1}`
  }
}

function isRegularFileOrAbsent(file: string): boolean {
  try {
    return statSync(file).isFile()
  } catch {
    return true
  }
}

function removeOldLogs(dir: string, base: string, now: Date): void {
  const cutoff = now.getTime() - RETENTION_DAYS * 24 * 3600 * 1000
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return // an unreadable directory: nothing to clean up, and the write will say what is wrong
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue
    const file = path.join(dir, name)
    try {
      if (statSync(file).mtimeMs < cutoff) unlinkSync(file)
    } catch {
      // another process removed it first
    }
  }
}
