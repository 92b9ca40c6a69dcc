import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {type AppConfig, isLoopbackHost, loadConfig, type SettingName, settingWarning} from './config/index.js'
import {AppError, terminalMessage} from './errors.js'
import {localStorageError} from './local-files.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** The `{"error": …}` document a command prints with `--json` when it fails. */
export interface JsonError {
  name: string
  code: string
  message: string
  hint: string | undefined
  exitCode: number
}

/**
 * Shared by every command: `--json`, configuration loading (flags > env > .env > file > defaults)
 * and the mapping of errors to the exit codes of docs/sync.md "Report".
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    'allow-insecure-http': Flags.boolean({
      description:
        'let a plain http:// AMOCRM_BASE_URL reach another machine, unencrypted (AMOCRM_ALLOW_INSECURE_HTTP); only this machine otherwise',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
  }

  /**
   * Loads the configuration; `overrides` are values given as flags, by setting name. `lenient` loads
   * past invalid values (marked in `values`) for the commands that show or repair the configuration.
   */
  protected loadAppConfig(
    overrides: Partial<Record<SettingName, string | number | boolean | undefined>> = {},
    options: {lenient?: boolean} = {},
  ): AppConfig {
    const insecure = (this.flags as {'allow-insecure-http'?: boolean})['allow-insecure-http']
    const config = loadConfig({
      configDir: this.config.configDir,
      dataDir: this.config.dataDir,
      flags: {...(insecure ? {AMOCRM_ALLOW_INSECURE_HTTP: true} : {}), ...overrides},
      flagNames: {
        ...(insecure ? {AMOCRM_ALLOW_INSECURE_HTTP: '--allow-insecure-http'} : {}),
        ...this.flagNames(Object.keys(overrides) as SettingName[]),
      },
      lenient: options.lenient,
    })
    const rate = config.values.AMOCRM_RATE_LIMIT
    const warning = rate.value === undefined || rate.invalid ? undefined : settingWarning('AMOCRM_RATE_LIMIT', rate.value)
    if (warning && !talksToLoopback(config)) this.warn(warning)
    return config
  }

  /** True when output goes to a terminal a person is watching (and not `--json`). */
  protected get interactive(): boolean {
    return Boolean(process.stdout.isTTY) && !this.jsonEnabled()
  }

  protected override async catch(caught: Error & {exitCode?: number}): Promise<unknown> {
    // `this.exit(code)`: an exit with a code chosen on purpose, not an error to report.
    if (caught instanceof Errors.ExitError) throw caught
    // A full disk or a read-only file system met anywhere (a lock file, the config) is said in plain words.
    const err = localStorageError(caught) ?? caught
    if (isPromptCancelled(err)) {
      // Ctrl+C at a question: a person changed their mind. One line and the exit code of Ctrl+C.
      this.logToStderr('cancelled (Ctrl+C)')
      this.exit(130)
    }
    if (this.jsonEnabled()) {
      // One small document, whatever failed: never oclif's dump of its parser and configuration.
      const error = jsonError(err, this.id)
      process.exitCode = error.exitCode
      this.logJson({error, ...this.jsonErrorContext(caught)})
      return
    }
    if (err instanceof AppError) {
      const cliError = new Errors.CLIError(terminalMessage(err), {
        exit: err.exitCode,
        code: err.code,
        ...(err.hint ? {suggestions: [err.hint]} : {}),
      })
      return super.catch(cliError)
    }
    return super.catch(err)
  }

  /** What a command adds beside `"error"` in its `--json` error document (a sync: the report of what was done). */
  protected jsonErrorContext(_error: Error): Record<string, unknown> {
    return {}
  }

  /** The flag of this command that gives each setting: its description names the setting, e.g. "(SYNC_INTERVAL_MINUTES)". */
  private flagNames(settings: SettingName[]): Partial<Record<SettingName, string>> {
    const out: Partial<Record<SettingName, string>> = {}
    for (const setting of settings) {
      const flag = Object.entries(this.ctor.flags ?? {}).find(([, f]) => new RegExp(`\\b${setting}\\b`).test(f.description ?? ''))
      if (flag) out[setting] = `--${flag[0]}`
    }
    return out
  }
}

/** Flags every `sync *` command shares (docs/commands/sync.md). */
export const syncFlags = {
  'dry-run': Flags.boolean({description: 'plan only: show what would be created, updated, linked; write nothing and advance no state'}),
  limit: Flags.integer({description: 'first N patients only (never advances the incremental watermark)', min: 1}),
  'batch-size': Flags.integer({description: 'contacts per write request, 1–250 (SYNC_BATCH_SIZE, default 50)', min: 1, max: 250}),
}

/** The `--json` error document of any error: ours carry their code and hint; oclif's parse errors are usage errors. */
export function jsonError(err: Error & {oclif?: {exit?: number}}, commandId?: string): JsonError {
  if (err instanceof AppError)
    return {name: err.name, code: err.code, message: terminalMessage(err), hint: err.hint, exitCode: err.exitCode}
  const exitCode = err.oclif?.exit ?? 1
  const usage = exitCode === 2
  return {
    name: usage ? 'UsageError' : err.name,
    code: usage ? 'E_USAGE' : 'E_FATAL',
    // oclif appends "See more help with --help": the hint says it, with the command.
    message: err.message.replace(/\n*See more help with --help\s*$/, '').trim(),
    hint: usage ? `\`ident-amo ${commandId ? `${commandId.replaceAll(':', ' ')} ` : ''}--help\` shows the flags and arguments` : undefined,
    exitCode,
  }
}

/** inquirer's answer to Ctrl+C at a question. */
function isPromptCancelled(err: Error): boolean {
  return err.name === 'ExitPromptError'
}

/** The built-in sandbox or a proxy on this machine, where a rate above amoCRM's is fine. */
function talksToLoopback(config: AppConfig): boolean {
  if (!config.amocrm.baseUrl) return false
  try {
    return isLoopbackHost(new URL(config.amocrm.baseUrl).hostname)
  } catch {
    return false
  }
}
