import type {Command} from '@oclif/core'

import {connectAmo} from './amo-connection.js'
import type {AmoClient} from './amocrm/index.js'
import {BaseCommand} from './base-command.js'
import {type AppConfig, identConfigured, saveDealStages, saveFieldIds} from './config/index.js'
import {
  type CancelReasonNames,
  dealsCheckJson,
  type DealsCheckOptions,
  type DealsCheckResult,
  type FieldsCheckJson,
  fieldsCheckJson,
  type FieldsCheckResult,
} from './fields/index.js'
import {describeIdentTarget, readCancelReasonNames} from './ident/index.js'
import {resolveDbPassword} from './secrets/index.js'
import {dealsTable, fieldsTable, pipelinesTable} from './ui/fields.js'
import {chalk, mark, startSpinner, terminalWidth, wrapText} from './ui/index.js'

/** What `fields check` and `fields create` found: the contact fields and, with DEALS on, the deals setup. */
export interface FieldsOutcome {
  contacts: FieldsCheckResult
  deals: DealsCheckResult | undefined
}

/**
 * `fields check` and `fields create`: the amoCRM account, IDENT's cancel reasons when deals are on, the
 * tables of both sections, and exit code 1 unless both are usable.
 */
export abstract class FieldsCommand<T extends typeof Command> extends BaseCommand<T> {
  /** The configuration and the account; with DEALS on, what the deals checks need besides (IDENT's cancel reasons). */
  protected async openAccount(): Promise<{
    config: AppConfig
    configDir: string
    api: AmoClient
    deals: Pick<DealsCheckOptions, 'cancelReasons'> | undefined
  }> {
    const config = this.loadAppConfig()
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const {api} = await connectAmo(config, dirs)
    // With DEALS off nothing of the deals is read: no deal request, no IDENT connection.
    const deals = config.deals.enabled ? {cancelReasons: await this.readCancelReasons(config)} : undefined
    return {config, configDir: dirs.configDir, api, deals}
  }

  /** Connecting to IDENT may take the whole connect timeout: a spinner says where to. */
  private async readCancelReasons(config: AppConfig): Promise<CancelReasonNames> {
    const spinner =
      Boolean(process.stderr.isTTY) && !this.jsonEnabled() && identConfigured(config)
        ? startSpinner(`reading IDENT's cancel reasons from ${describeIdentTarget(config)}…`)
        : undefined
    try {
      return await identCancelReasons(config)
    } finally {
      spinner?.stop()
    }
  }

  /** Prints both sections, the ids saved and the summaries; sets exit code 1 unless both are usable. */
  protected show(outcome: FieldsOutcome, config: AppConfig, saved: {contacts: string; deals: string}): void {
    const {contacts, deals} = outcome
    if (deals) this.log(chalk.bold('contact fields'))
    this.log(fieldsTable(contacts.fields))
    if (deals) {
      this.log('')
      this.log(chalk.bold('deals (DEALS=on)'))
      this.log(dealsTable(deals.resolution))
      for (const warning of deals.warnings) this.log(this.wrap(`${mark.warn()} ${warning}`))
      const {resolution} = deals
      if (!resolution.pipeline.ok || resolution.stages.some((s) => !s.ok)) {
        this.log(
          this.wrap(
            'the pipelines of the account, to map the deals to one of them: `ident-amo config set deals.pipeline_id ID`, then `ident-amo config set deals.stages.<key> ID` for each stage key',
          ),
        )
        this.log(pipelinesTable(resolution.pipelines))
      }
    }
    for (const line of [saved.contacts, saved.deals]) if (line) this.log(this.wrap(`${line} in ${config.paths.configFile}`))
    for (const {ok, summary} of [contacts, ...(deals ? [deals] : [])]) {
      if (ok) this.log(this.wrap(`${mark.ok()} ${summary}`))
      else this.logToStderr(wrapText(`${mark.fail()} ${summary}`, {maxWidth: terminalWidth(process.stderr)}))
    }
    if (!fieldsOk(outcome)) process.exitCode = 1
  }

  /** The `--json` document: the contact fields, and the deals section with DEALS on. */
  protected json(outcome: FieldsOutcome): FieldsCheckJson {
    const {contacts, deals} = outcome
    const base = fieldsCheckJson(contacts)
    if (!deals) return base
    return {...base, ok: fieldsOk(outcome), summary: `${contacts.summary}; ${deals.summary}`, deals: dealsCheckJson(deals)}
  }

  private wrap(line: string): string {
    return wrapText(line, {maxWidth: terminalWidth()})
  }
}

function fieldsOk({contacts, deals}: FieldsOutcome): boolean {
  return contacts.ok && (deals?.ok ?? true)
}

/** Saves the deal ids `fields check --fix` and `fields create` found or made: the pipeline and its stages, the deal fields. */
export function dealIdsSaver(configDir: string): NonNullable<DealsCheckOptions['saveIds']> {
  return (ids, pipelineId) => {
    const stages = Object.keys(ids.stages).length > 0
    if (pipelineId !== undefined && (ids.pipelineId !== undefined || stages)) saveDealStages(configDir, {pipelineId, stages: ids.stages})
    if (Object.keys(ids.fields).length > 0) saveFieldIds(configDir, ids.fields as Record<string, number>, 'deal')
  }
}

/** `deals.pipeline_id = 7, deals.stages.booked = 12, fields.deal.start.id = 30`: the deal ids saved. */
export function dealIdsSaved(result: DealsCheckResult | undefined): string[] {
  if (!result) return []
  const {saved} = result
  return [
    ...(saved.pipelineId === undefined ? [] : [`deals.pipeline_id = ${saved.pipelineId}`]),
    ...Object.entries(saved.stages).map(([key, id]) => `deals.stages.${key} = ${id}`),
    ...Object.entries(saved.fields).map(([key, id]) => `fields.deal.${key}.id = ${id}`),
  ]
}

/**
 * IDENT's cancel reason names, for the loss reasons the deals need; when IDENT cannot be read (not
 * configured, unreachable, no such table) the reason why, and only "Отменён в IDENT" is checked.
 */
async function identCancelReasons(config: AppConfig): Promise<CancelReasonNames> {
  if (!identConfigured(config)) return {unavailable: 'the IDENT database is not configured'}
  try {
    const names = await readCancelReasonNames(config, {password: await resolveDbPassword(config)})
    return names === undefined ? {unavailable: 'the IDENT database has no ReceptionCancelReasons table'} : {names}
  } catch (error) {
    return {unavailable: (error as Error).message}
  }
}
