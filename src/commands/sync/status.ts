import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {syncLock, watchLock} from '../../sync/lock.js'
import {type FailureRecord, type RunRecord, SyncState} from '../../sync/state.js'
import {chalk, renderPairs} from '../../ui/index.js'
import {pendingFailuresTable, recentRunsTable} from '../../ui/sync-status.js'

export interface SyncStatusResult {
  watermark: string | null
  links: number
  runs: RunRecord[]
  pendingFailures: FailureRecord[]
  running: {sync: {pid: number; since: string} | null; watch: {pid: number; since: string} | null}
}

export default class SyncStatus extends BaseCommand<typeof SyncStatus> {
  static override summary = 'Show the last runs, pending failures, the watermark and the number of linked patients.'
  static override description =
    'Read from the local state only (no IDENT or amoCRM access): when each recent sync ran, its mode, counts and outcome; the patients that failed and will be retried by the next run; the incremental watermark; and whether a sync or a watcher is running now.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --runs 30 --json']
  static override flags = {
    runs: Flags.integer({description: 'how many recent runs to show', default: 10, min: 1}),
  }

  async run(): Promise<SyncStatusResult> {
    const state = await SyncState.open(this.config.dataDir)
    try {
      const sync = syncLock(this.config.dataDir).holder()
      const watch = watchLock(this.config.dataDir).holder()
      const result: SyncStatusResult = {
        watermark: (await state.getWatermark()) ?? null,
        links: await state.countLinks(),
        runs: await state.recentRuns(this.flags.runs),
        pendingFailures: await state.pendingFailures(),
        running: {sync: sync ? {pid: sync.pid, since: sync.since} : null, watch: watch ? {pid: watch.pid, since: watch.since} : null},
      }
      this.log(
        renderPairs([
          ['linked patients', result.links],
          ['watermark', result.watermark ?? 'none yet (run `ident-amo sync full`)'],
          ['pending failures', result.pendingFailures.length],
          ['sync running', sync ? `process ${sync.pid} since ${sync.since}` : 'no'],
          ['watcher running', watch ? `process ${watch.pid} since ${watch.since}` : 'no'],
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
      return result
    } finally {
      await state.close()
    }
  }
}
