import {Flags} from '@oclif/core'

import {connectAmo} from '../../amo-connection.js'
import {BaseCommand, syncFlags} from '../../base-command.js'
import type {AppConfig} from '../../config/index.js'
import {terminalMessage} from '../../errors.js'
import {trapInterrupts} from '../../interrupts.js'
import {createFileLogger} from '../../log/index.js'
import {preferSmallHeap} from '../../memory.js'
import {
  cachedMappingContext,
  describeWatchError,
  type PassMode,
  runPass,
  SyncInterruptedError,
  type SyncReport,
  SyncState,
  systemTimezone,
  Watcher,
  type WatchEvent,
  watchLock,
} from '../../sync/index.js'
import {chalk, startSpinner} from '../../ui/index.js'
import {formatDateTime, formatTime} from '../../ui/time.js'

export interface WatchResult {
  passes: number
  lastReport: SyncReport | null
  stoppedBy: 'SIGINT' | 'SIGTERM'
}

export default class SyncWatch extends BaseCommand<typeof SyncWatch> {
  static override summary = 'Keep amoCRM in step: an incremental pass every few minutes, a deep pass twice a day.'
  static override description = `A foreground loop for a terminal or a service: \`sync incremental\` every SYNC_INTERVAL_MINUTES (default 2), \`sync deep\` at each of SYNC_DEEP_TIMES (default 08:00,20:00) in SYNC_TIMEZONE (default: the account's timezone, else the system's). Never two passes at once; one watcher per data directory. Database or network trouble is shown and retried with back-off; a lost authorization, an unpaid or blocked account is shown prominently and re-checked at a slow pace, so the watcher recovers by itself once it is fixed (e.g. \`ident-amo auth login\` in another terminal). Ctrl+C finishes the batch in flight, saves state and exits 130 (SIGTERM: 143).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'SYNC_INTERVAL_MINUTES=5 SYNC_DEEP_TIMES=07:30,21:00 <%= config.bin %> <%= command.id %>',
  ]
  static override flags = {
    interval: Flags.string({description: 'minutes between incremental passes (SYNC_INTERVAL_MINUTES; decimals allowed)'}),
    'deep-times': Flags.string({description: 'deep pass times, comma-separated HH:MM (SYNC_DEEP_TIMES)'}),
    timezone: Flags.string({description: 'timezone of the deep times (SYNC_TIMEZONE)'}),
    'batch-size': syncFlags['batch-size'],
  }

  async run(): Promise<WatchResult> {
    preferSmallHeap()
    const config = this.loadAppConfig({
      SYNC_INTERVAL_MINUTES: this.flags.interval,
      SYNC_DEEP_TIMES: this.flags['deep-times'],
      SYNC_TIMEZONE: this.flags.timezone,
      SYNC_BATCH_SIZE: this.flags['batch-size'],
    })
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const lock = watchLock(dirs.dataDir)
    await lock.acquire('ident-amo sync watch')
    const {logger, close: closeLog} = createFileLogger({file: config.log.file, level: config.log.level})
    const timezone =
      config.sync.timezone ?? (await cachedAccountTimezone(dirs.dataDir)) ?? (await accountTimezone(config, dirs)) ?? systemTimezone()

    // Every time on screen is the clinic's (the zone of the deep times), whatever this computer's zone.
    this.timezone = timezone
    let spinner: ReturnType<typeof startSpinner> | undefined
    const interrupts = trapInterrupts((signal) => {
      spinner?.stop()
      spinner = undefined
      this.line(`${signal === 'SIGINT' ? 'Ctrl+C' : signal}: finishing the batch in flight and saving state… (Ctrl+C again quits at once)`)
    })

    const tty = Boolean(process.stderr.isTTY) && !this.jsonEnabled()
    let ticker: NodeJS.Timeout | undefined
    let passes = 0
    let pendingFailures = 0
    let pendingDealFailures = 0
    // The pass lines above the status line say what happened; the status line only says when.
    let lastPass = 'none yet'

    // A fresh session per pass (inside runPass): tokens written by `auth login` meanwhile are picked up,
    // and a client that stopped on a fatal answer is not reused. The first pass imports everything.
    const pass = async (mode: PassMode, signal: AbortSignal): Promise<SyncReport> => {
      const result = await runPass(config, dirs, {
        mode,
        batchSize: config.sync.batchSize,
        command: `ident-amo sync watch (${mode})`,
        fullWithoutWatermark: true,
        logger,
        signal,
      })
      pendingFailures = result.pendingFailures
      pendingDealFailures = result.pendingDealFailures ?? 0
      return result.report
    }

    const watcher = new Watcher({
      intervalMs: config.sync.intervalMinutes * 60_000,
      deepTimes: config.sync.deepTimes,
      timezone,
      runPass: pass,
      onEvent: (event) => {
        const text = describeEvent(event, {patients: pendingFailures, receptions: pendingDealFailures}, timezone)
        if (event.type === 'pass_end') {
          passes++
          lastPass = formatTime(new Date(), timezone)
          logger.info({event: 'watch_pass', mode: event.mode, counts: event.report.counts, deals: event.report.deals}, 'watch pass done')
        }
        if (event.type === 'pass_error') {
          logger.error(
            {event: 'watch_pass_failed', mode: event.mode, fatal: event.fatal, err: describeWatchError(event.error)},
            'watch pass failed',
          )
          lastPass = `${formatTime(new Date(), timezone)} failed`
        }
        if (tty) {
          if (event.type === 'pass_start') {
            spinner?.stop()
            if (!interrupts.signal.aborted) spinner = startSpinner(`${event.mode} pass running…`)
          } else if (event.type === 'pass_end') {
            spinner?.succeed(this.stamped(text))
            spinner = undefined
          } else if (event.type === 'pass_error') {
            spinner?.stop()
            spinner = undefined
            this.logToStderr(event.fatal ? chalk.bgRed.white.bold(` ${this.stamped(text)} `) : chalk.yellow(this.stamped(text)))
          } else {
            spinner?.stop()
            if (!interrupts.signal.aborted) spinner = startSpinner(statusLine(watcher, lastPass, pendingFailures, timezone))
          }
        } else if (event.type !== 'waiting') {
          this.line(text)
        }
      },
    })
    if (tty)
      ticker = setInterval(
        () => spinner && !spinner.text.includes('running') && (spinner.text = statusLine(watcher, lastPass, pendingFailures, timezone)),
        1000,
      )
    this.line(
      `watching: incremental every ${config.sync.intervalMinutes} min, deep at ${config.sync.deepTimes.join(', ')}; times are ${timezone}; log ${config.log.file}; Ctrl+C to stop`,
    )
    try {
      await watcher.run(interrupts.signal)
    } catch (error) {
      if (!(error instanceof SyncInterruptedError)) throw error
    } finally {
      if (ticker) clearInterval(ticker)
      spinner?.stop()
      await closeLog()
      await lock.release()
    }
    this.line(`stopped after ${passes} pass(es); state saved`)
    process.exitCode = interrupts.exitCode
    return {passes, lastReport: watcher.lastReport ?? null, stoppedBy: interrupts.by ?? 'SIGINT'}
  }

  /** The clinic's timezone, in which every time is shown. */
  private timezone: string | undefined

  /** A status/log line on stderr (stdout stays clean for --json). */
  private line(text: string): void {
    this.logToStderr(this.stamped(text))
  }

  /** `2026-11-30 17:00:05 text`, the time in the clinic's zone. */
  private stamped(text: string): string {
    return `${formatDateTime(new Date(), this.timezone)} ${text}`
  }
}

function describeEvent(event: WatchEvent, pending: {patients: number; receptions: number}, timezone: string): string {
  switch (event.type) {
    case 'pass_start':
      return `${event.mode} pass started`
    case 'pass_end': {
      const c = event.report.counts
      const d = event.report.deals
      const deals = d
        ? `; deals: read ${d.read}, created ${d.created}, updated ${d.updated}, moved ${d.moved}, linked ${d.linked}, skipped ${d.skipped}, failed ${d.failed}`
        : ''
      const dealsPending = d ? `, deal failures pending ${pending.receptions}` : ''
      return `${event.mode} pass: read ${c.read}, created ${c.created}, updated ${c.updated}, linked ${c.linked}, unchanged ${c.unchanged}, failed ${c.failed}${deals}, ${event.report.api.requests} requests, ${event.report.durationMs} ms; failures pending ${pending.patients}${dealsPending}`
    }
    case 'pass_error':
      return `${event.fatal ? 'STOPPED — action needed' : 'pass failed'} (${event.mode}): ${describeWatchError(event.error, terminalMessage)}; retrying in ${Math.round(event.retryInMs / 1000)} s`
    case 'waiting':
      return `waiting until ${formatDateTime(event.nextIncremental, timezone)}`
  }
}

/** The spinner's line between passes, short enough for the terminal (the pass lines above carry the detail). */
function statusLine(watcher: Watcher, last: string, pendingFailures: number, timezone: string): string {
  const inS = Math.max(0, Math.round((watcher.nextIncremental.getTime() - Date.now()) / 1000))
  const now = formatDateTime(new Date(), timezone)
  const deepAt = watcher.nextDeep ? formatDateTime(watcher.nextDeep, timezone) : undefined
  // Today's deep pass by its time only; another day's with its month and day.
  const deep = deepAt ? (deepAt.slice(0, 10) === now.slice(0, 10) ? deepAt.slice(11, 16) : deepAt.slice(5, 16)) : 'none'
  const line = `last ${last} · next in ${inS} s · deep ${deep} ${timezone} · ${pendingFailures} pending`
  const room = (process.stderr.columns || 80) - 3
  return line.length <= room ? line : `${line.slice(0, room - 1)}…`
}

/** The account's timezone, asked of amoCRM (one request) when no earlier run cached it. */
async function accountTimezone(config: AppConfig, dirs: {configDir: string; dataDir: string}): Promise<string | undefined> {
  try {
    return (await connectAmo(config, dirs)).timezone
  } catch {
    // Not reachable now: the system's timezone until SYNC_TIMEZONE is set or a pass caches the account's.
    return undefined
  }
}

async function cachedAccountTimezone(dataDir: string): Promise<string | undefined> {
  const state = await SyncState.open(dataDir)
  try {
    return (await cachedMappingContext(state))?.accountTimezone
  } finally {
    await state.close()
  }
}
