import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {type FailureRecord, type RunRecord, syncLock, SyncState, watchLock} from '../../sync/index.js'
import {chalk, formatDuration, renderPairs, renderTable} from '../../ui/index.js'

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
        this.log(
          renderTable(
            ['#', 'mode', 'started', 'duration', 'status', 'read', 'created', 'updated', 'linked', 'unchanged', 'failed', 'requests'],
            result.runs.map((r) => [
              r.id,
              r.mode + (r.dryRun ? ' (dry)' : ''),
              r.startedAt.replace('T', ' ').slice(0, 19),
              r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '',
              colourStatus(r.status),
              r.counts?.read,
              r.counts?.created,
              r.counts?.updated,
              r.counts?.linked,
              r.counts?.unchanged,
              r.counts?.failed,
              r.api?.requests,
            ]),
            {wordWrap: false},
          ),
        )
      }
      if (result.pendingFailures.length > 0) {
        this.log('')
        this.log(chalk.bold(`pending failures (${result.pendingFailures.length}) — retried by the next run`))
        this.log(
          renderTable(
            ['patient', 'reason', 'attempts', 'last', 'detail'],
            result.pendingFailures
              .slice(0, 50)
              .map((f) => [f.patientId, f.reason, f.attempts, f.lastFailedAt.replace('T', ' ').slice(0, 19), f.detail]),
            {colWidths: [12, 16, 10, 21, 60]},
          ),
        )
      }
      return result
    } finally {
      await state.close()
    }
  }
}

function colourStatus(status: string): string {
  if (status === 'ok') return chalk.green(status)
  if (status === 'partial' || status === 'interrupted' || status === 'running') return chalk.yellow(status)
  return chalk.red(status)
}
