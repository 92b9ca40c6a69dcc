import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {AppError} from '../../errors.js'
import {
  type DealFailureRecord,
  DealState,
  type FailureRecord,
  type RunRecord,
  syncLock,
  SyncState,
  type WatchHealth,
  watchHealth,
  watchLock,
} from '../../sync/index.js'
import {chalk, renderPairs} from '../../ui/index.js'
import {pendingFailuresTable, recentRunsTable} from '../../ui/sync-status.js'

export interface SyncStatusResult {
  watermark: string | null
  links: number
  runs: RunRecord[]
  pendingFailures: FailureRecord[]
  running: {sync: {pid: number; since: string} | null; watch: {pid: number; since: string} | null}
  health: WatchHealth
  /** The deals' side: receptions linked to deals, and those whose deals the next run retries; null when deals were never on. */
  deals: {links: number; pendingFailures: DealFailureRecord[]} | null
}

export default class SyncStatus extends BaseCommand<typeof SyncStatus> {
  static override summary = 'Show the last runs, pending failures, the watermark and the number of linked patients (and receptions).'
  static override description =
    'Read from the local state only (no IDENT or amoCRM access): when each recent sync ran, its mode, counts and outcome; the patients that failed and will be retried by the next run; the incremental watermark; and whether a sync or a watcher is running now. With deals (DEALS=on, or deals in the state from before), also the receptions linked to deals and those whose deals will be retried. --check exits 1 when no pass has finished or started for three sync intervals (SYNC_INTERVAL_MINUTES): the health check of the container image.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --runs 30 --json',
    '<%= config.bin %> <%= command.id %> --check',
  ]
  static override flags = {
    runs: Flags.integer({description: 'how many recent runs to show', default: 10, min: 1}),
    check: Flags.boolean({description: 'exit 1 when no pass has finished or started for three sync intervals (a health check)'}),
  }

  async run(): Promise<SyncStatusResult> {
    const config = this.loadAppConfig()
    const state = await SyncState.open(this.config.dataDir)
    try {
      const dealState = new DealState(state)
      const dealLinks = await dealState.countLinks()
      const sync = syncLock(this.config.dataDir).holder()
      const watch = watchLock(this.config.dataDir).holder()
      const result: SyncStatusResult = {
        watermark: (await state.getWatermark()) ?? null,
        links: await state.countLinks(),
        runs: await state.recentRuns(this.flags.runs),
        pendingFailures: await state.pendingFailures(),
        running: {sync: sync ? {pid: sync.pid, since: sync.since} : null, watch: watch ? {pid: watch.pid, since: watch.since} : null},
        health: watchHealth({
          lastPassAt: await state.lastPassFinishedAt(),
          passRunningSince: sync?.since,
          intervalMinutes: config.sync.intervalMinutes,
          now: new Date(),
        }),
        deals: config.deals.enabled || dealLinks > 0 ? {links: dealLinks, pendingFailures: await dealState.pendingFailures()} : null,
      }
      const {health} = result
      this.log(
        renderPairs([
          ['linked patients', result.links],
          ['watermark', result.watermark ?? 'none yet (run `ident-amo sync full`)'],
          ['pending failures', result.pendingFailures.length],
          ...(result.deals
            ? ([
                ['linked receptions (deals)', result.deals.links],
                ['pending deal failures', result.deals.pendingFailures.length],
              ] as Array<[string, number]>)
            : []),
          ['sync running', sync ? `process ${sync.pid} since ${sync.since}` : 'no'],
          ['watcher running', watch ? `process ${watch.pid} since ${watch.since}` : 'no'],
          ['last finished pass', health.lastPassAt ?? 'none yet'],
        ]),
      )
      if (result.runs.length > 0) {
        this.log('')
        this.log(chalk.bold('recent runs'))
        this.log(recentRunsTable(result.runs))
      }
      if (result.pendingFailures.length > 0) {
        this.log('')
        this.log(chalk.bold(`pending failures (${result.pendingFailures.length}) — retried by the next run`))
        this.log(pendingFailuresTable(result.pendingFailures.slice(0, 50)))
      }
      const dealFailures = result.deals?.pendingFailures ?? []
      if (dealFailures.length > 0) {
        this.log('')
        this.log(chalk.bold(`pending deal failures (${dealFailures.length}) — retried by the next run`))
        this.log(pendingFailuresTable(dealFailures.slice(0, 50)))
      }
      if (this.flags.check && !health.healthy)
        throw new AppError(
          `no sync pass has finished or started in the last ${health.staleAfterMinutes} min (three intervals of ${health.intervalMinutes} min); last pass: ${health.lastPassAt ?? 'none'}`,
          {code: 'E_STALE', hint: "is `ident-amo sync watch` running? see its output and the log's watch_pass_failed lines"},
        )
      return result
    } finally {
      await state.close()
    }
  }
}
