import type {Dirs} from '../amo-connection.js'
import type {AppConfig} from '../config/index.js'
import type {Logger} from '../log/index.js'
import {DealState} from './deals/state.js'
import {runSync, type SyncDeps, type SyncOptions} from './engine.js'
import {syncLock} from './lock.js'
import type {SyncReport} from './report.js'
import {openSyncSession} from './session.js'

export interface PassOptions extends Omit<SyncOptions, 'dryRun'>, Pick<SyncDeps, 'signal' | 'onProgress' | 'onPlan' | 'onDealPlan'> {
  dryRun?: boolean
  /** What holds the lock, as `sync status` and a second run show it: `ident-amo sync full`. */
  command: string
  /** An incremental pass with no watermark yet (nothing was imported) runs as a full one: `sync watch`'s first pass. */
  fullWithoutWatermark?: boolean
  /** The log to write to; by default the configured log file, opened for this pass. */
  logger?: Logger
  /** Called once the lock is held and the session open (IDENT connected), before the sync starts. */
  onOpened?: () => void
}

export interface PassResult {
  report: SyncReport
  /** Patients whose failure is recorded for the next run to retry. */
  pendingFailures: number
  /** DEALS=on: receptions whose deal failed (or whose patient had no contact yet), retried by the next run. */
  pendingDealFailures?: number
}

/**
 * One sync pass from start to end: the data directory's sync lock (not for a dry run, which writes
 * nothing), a session (state, IDENT, amoCRM), the run, then everything closed and released whatever
 * happened. `sync full/incremental/deep`, each `sync watch` pass and `patient test` run through here.
 */
export async function runPass(config: AppConfig, dirs: Dirs, options: PassOptions): Promise<PassResult> {
  const dryRun = options.dryRun ?? false
  const lock = dryRun ? undefined : syncLock(dirs.dataDir)
  await lock?.acquire(options.command)
  try {
    const session = await openSyncSession(config, dirs, options.logger ? {logger: options.logger} : {})
    try {
      options.onOpened?.()
      const noWatermark = options.mode === 'incremental' && options.fullWithoutWatermark && !(await session.state.getWatermark())
      const report = await runSync(
        {
          mode: noWatermark ? 'full' : options.mode,
          dryRun,
          limit: options.limit,
          batchSize: options.batchSize,
          patientIds: options.patientIds,
        },
        {
          ...session.deps({dryRun}),
          signal: options.signal,
          onProgress: options.onProgress,
          onPlan: options.onPlan,
          onDealPlan: options.onDealPlan,
        },
      )
      const pendingFailures = await session.state.countFailures()
      if (!config.deals.enabled) return {report, pendingFailures}
      return {report, pendingFailures, pendingDealFailures: await new DealState(session.state).countFailures()}
    } finally {
      await session.close()
    }
  } finally {
    await lock?.release()
  }
}
