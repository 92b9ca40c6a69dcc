import type {Command} from '@oclif/core'

import {BaseCommand, syncFlags} from './base-command.js'
import {trapInterrupts} from './interrupts.js'
import {describeIdentTarget} from './ident/index.js'
import {preferSmallHeap} from './memory.js'
import {runSync, type SyncProgress, SyncAbortedError, SyncInterruptedError} from './sync/engine.js'
import {reportExitCode, type SyncReport} from './sync/report.js'
import {openSyncSession} from './sync/session.js'
import {syncLock} from './sync/lock.js'
import type {RunMode} from './sync/state.js'
import {Progress} from './ui/index.js'
import {contactUrl} from './ui/links.js'
import {renderSyncReport} from './ui/sync-report.js'

/**
 * `sync full`, `sync incremental`, `sync deep`: one pass, with progress on a TTY (plain lines
 * otherwise), the summary table, `--dry-run` plan lines, `--json` report and exit codes 0/3/1
 * (product.md §5). Ctrl+C finishes the batch in flight, saves state and exits 130 (SIGTERM 143).
 */
export abstract class SyncCommand<T extends typeof Command> extends BaseCommand<T> {
  static override flags = {...syncFlags}
  protected abstract readonly mode: Exclude<RunMode, 'patient'>

  async run(): Promise<SyncReport> {
    const flags = this.flags as unknown as {'dry-run': boolean; limit?: number; 'batch-size'?: number}
    preferSmallHeap()
    const config = this.loadAppConfig({SYNC_BATCH_SIZE: flags['batch-size']})
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const dryRun = flags['dry-run']
    const lock = syncLock(dirs.dataDir)
    if (!dryRun) lock.acquire(`ident-amo sync ${this.mode}`)
    const progress = new Progress({
      tty: Boolean(process.stderr.isTTY),
      enabled: !this.jsonEnabled(),
      write: (line) => this.logToStderr(line),
    })
    const title = `sync ${this.mode}${dryRun ? ' (dry run)' : ''}`
    // Connecting may take the whole connect timeout: say where to, rather than leave the terminal blank.
    progress.start(`${title}: connecting to ${describeIdentTarget(config)}…`)
    const session = await openSyncSession(config, dirs).catch((error) => {
      progress.stop()
      lock.release()
      throw error
    })

    // A second Ctrl+C quits at once: every confirmed batch is already recorded, nothing is half-written.
    const interrupts = trapInterrupts((signal) =>
      this.logToStderr(
        `\n${signal === 'SIGINT' ? 'Ctrl+C' : signal}: finishing the batch in flight and saving state… (press Ctrl+C again to quit at once)`,
      ),
    )

    const started = Date.now()
    progress.update(`${title}: reading…`, true)
    try {
      const report = await runSync(
        {mode: this.mode, dryRun, limit: flags.limit, batchSize: config.sync.batchSize},
        {
          ...session.deps({dryRun}),
          signal: interrupts.signal,
          onProgress: (p) => progress.update(describeProgress(p, started)),
          onPlan:
            dryRun && !this.jsonEnabled()
              ? (entry) => {
                  if (entry.action === 'unchanged') return
                  progress.stop()
                  this.log(
                    `${entry.action.padEnd(9)} patient ${entry.patientId}${entry.contactId ? ` → contact ${entry.contactId} (${entry.via})` : ''}${entry.fields.length > 0 ? `: ${entry.fields.join(', ')}` : ''}`,
                  )
                }
              : undefined,
        },
      )
      progress.succeed(`sync ${this.mode} done`)
      this.log(renderSyncReport(report, contactUrl(config)))
      process.exitCode = reportExitCode(report)
      return report
    } catch (error) {
      progress.fail(`sync ${this.mode} stopped`)
      if (error instanceof SyncInterruptedError) {
        this.log(renderSyncReport(error.report, contactUrl(config)))
        this.logToStderr('interrupted: state is saved; the next run continues from here')
        process.exitCode = interrupts.exitCode
        return error.report
      }
      // A run stopped before doing anything (401, missing fields…) shows the error only, not a table of zeros.
      if (error instanceof SyncAbortedError && !this.jsonEnabled() && Object.values(error.report.counts).some((n) => n > 0))
        this.log(renderSyncReport(error.report, contactUrl(config)))
      throw error
    } finally {
      await session.close()
      lock.release()
    }
  }
}

function describeProgress(p: SyncProgress, started: number): string {
  const seconds = Math.max((Date.now() - started) / 1000, 0.001)
  if (p.phase === 'contacts') return `reading amoCRM contacts: ${p.contacts ?? 0}`
  if (p.phase === 'family') return 'reading IDENT phones (families)…'
  return `patients read ${p.read} (${Math.round(p.read / seconds)}/s), contacts written ${p.written}, API requests ${p.requests}`
}
