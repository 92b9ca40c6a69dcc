import {mkdirSync, readdirSync, statSync, unlinkSync} from 'node:fs'
import path from 'node:path'

import pino, {type Logger} from 'pino'
import {createStream, type RotatingFileStream} from 'rotating-file-stream'

export type {Logger} from 'pino'

const RETENTION_DAYS = 30

/**
 * The sync log: JSON lines in `<dataDir>/logs/sync.log` (or LOG_FILE), rotated at 10 MB by
 * rotating-file-stream, rotated files older than 30 days removed.
 *
 * Never log personal data (names, phones, SNILS, INN, birthdays, comments): patient ids and counts
 * only. `redact` is a safety net for the obvious keys, not a licence to log patients.
 */
export function createFileLogger(options: {file: string; level?: string; now?: () => Date}): {logger: Logger; close: () => Promise<void>} {
  const dir = path.dirname(options.file)
  const base = path.basename(options.file)
  mkdirSync(dir, {recursive: true})
  removeOldLogs(dir, base, options.now?.() ?? new Date())
  const stream: RotatingFileStream = createStream(
    (time: Date | number | null, index?: number) => {
      if (!time) return base
      const d = typeof time === 'number' ? new Date(time) : time
      const stamp = d.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15)
      return `${base}.${stamp}-${index ?? 1}`
    },
    {path: dir, size: '10M', maxFiles: 1000},
  )
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
    stream,
  )
  const close = () =>
    new Promise<void>((resolve) => {
      stream.end(() => resolve())
    })
  return {logger, close}
}

function removeOldLogs(dir: string, base: string, now: Date): void {
  const cutoff = now.getTime() - RETENTION_DAYS * 24 * 3600 * 1000
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue
    const file = path.join(dir, name)
    try {
      if (statSync(file).mtimeMs < cutoff) unlinkSync(file)
    } catch {
      // another process removed it first
    }
  }
}
