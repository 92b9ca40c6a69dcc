import type {Command} from '@oclif/core'

import {BaseCommand, syncFlags} from './base-command.js'
import {trapInterrupts} from './interrupts.js'
import {describeIdentTarget} from './ident/index.js'
import {preferSmallHeap} from './memory.js'
import {
  type ContactStep,
  type DealStep,
  reportExitCode,
  type RunMode,
  runPass,
  SyncAbortedError,
  SyncInterruptedError,
  type SyncProgress,
  type SyncReport,
} from './sync/index.js'
import {Progress} from './ui/index.js'
import {contactUrl} from './ui/links.js'
import {renderSyncReport} from './ui/sync-report.js'

/**
 * `sync full`, `sync incremental`, `sync deep`: one pass, with progress on a TTY (plain lines
 * otherwise), the summary table, `--dry-run` plan lines, `--json` report and exit codes 0/3/1
 * (docs/sync.md "Report"). Ctrl+C finishes the batch in flight, saves state and exits 130 (SIGTERM 143).
 */
export abstract class SyncCommand<T extends typeof Command> extends BaseCommand<T> {
  static override flags = {...syncFlags}
  protected abstract readonly mode: Exclude<RunMode, 'patient'>

  async run(): Promise<SyncReport> {
    const flags = this.flags as unknown as {'dry-run': boolean; limit?: number; 'batch-size'?: number}
    preferSmallHeap()
    const config = this.loadAppConfig({SYNC_BATCH_SIZE: flags['batch-size']})
    const dryRun = flags['dry-run']
    const progress = new Progress({
      tty: Boolean(process.stderr.isTTY),
      enabled: !this.jsonEnabled(),
      write: (line) => this.logToStderr(line),
    })
    const title = `sync ${this.mode}${dryRun ? ' (dry run)' : ''}`
    // Connecting may take the whole connect timeout: say where to, rather than leave the terminal blank.
    progress.start(`${title}: connecting to ${describeIdentTarget(config)}…`)

    // A second Ctrl+C quits at once: every confirmed batch is already recorded, nothing is half-written.
    const interrupts = trapInterrupts((signal) =>
      this.logToStderr(
        `\n${signal === 'SIGINT' ? 'Ctrl+C' : signal}: finishing the batch in flight and saving state… (press Ctrl+C again to quit at once)`,
      ),
    )

    let started = Date.now()
    let opened = false
    try {
      const {report} = await runPass(
        config,
        {configDir: this.config.configDir, dataDir: this.config.dataDir},
        {
          mode: this.mode,
          dryRun,
          limit: flags.limit,
          batchSize: config.sync.batchSize,
          command: `ident-amo sync ${this.mode}`,
          signal: interrupts.signal,
          onOpened: () => {
            opened = true
            started = Date.now()
            progress.update(`${title}: reading…`, true)
          },
          onProgress: (p) => progress.update(describeProgress(p, started)),
          onPlan:
            dryRun && !this.jsonEnabled()
              ? (step) => {
                  if (step.action === 'unchanged') return
                  progress.stop()
                  this.log(describeStep(step))
                }
              : undefined,
          onDealPlan:
            dryRun && !this.jsonEnabled()
              ? (step) => {
                  if (step.action === 'unchanged') return
                  progress.stop()
                  this.log(describeDealStep(step))
                }
              : undefined,
        },
      )
      progress.succeed(`sync ${this.mode} done`)
      this.log(renderSyncReport(report, contactUrl(config)))
      process.exitCode = reportExitCode(report)
      return report
    } catch (error) {
      // Locked, or IDENT unreachable: the error says it all; a pass that began says it stopped.
      if (opened) progress.fail(`sync ${this.mode} stopped`)
      else progress.stop()
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
    }
  }

  /** A pass stopped by a fatal error still says, with `--json`, what it had done. */
  protected override jsonErrorContext(error: Error): Record<string, unknown> {
    return error instanceof SyncAbortedError ? {report: error.report} : {}
  }
}

/** A dry-run plan line: `update    patient 7 → contact 12 (link): last_name, card_number`. */
function describeStep(step: ContactStep): string {
  const contact = step.remoteId === null ? '' : ` → contact ${step.remoteId} (${step.via})`
  return `${step.action.padEnd(9)} patient ${step.key}${contact}${step.fields.length > 0 ? `: ${step.fields.join(', ')}` : ''}`
}

/** A dry-run plan line of a deal: `update    reception 1001 → deal 3000 (link): stage, ident_status`. */
function describeDealStep(step: DealStep): string {
  const deal = step.remoteId === null ? '' : ` → deal ${step.remoteId} (${step.via})`
  return `${step.action.padEnd(9)} reception ${step.key}${deal}${step.fields.length > 0 ? `: ${step.fields.join(', ')}` : ''}`
}

function describeProgress(p: SyncProgress, started: number): string {
  const seconds = Math.max((Date.now() - started) / 1000, 0.001)
  if (p.part === 'deals')
    return p.phase === 'contacts'
      ? `reading amoCRM deals: ${p.contacts ?? 0}`
      : `receptions read ${p.read}, deals written ${p.written}, API requests ${p.requests}`
  if (p.phase === 'contacts') return `reading amoCRM contacts: ${p.contacts ?? 0}`
  if (p.phase === 'family') return 'reading IDENT phones (families)…'
  return `patients read ${p.read} (${Math.round(p.read / seconds)}/s), contacts written ${p.written}, API requests ${p.requests}`
}
