import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {type AppConfig, loadConfig, type SettingName} from './config/index.js'
import {AppError, terminalMessage} from './errors.js'
import {localStorageError} from './local-files.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Shared by every command: `--json`, configuration loading (flags > env > .env > file > defaults)
 * and the mapping of typed errors to the exit codes of product.md §5.
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

  /** Loads the configuration; `overrides` are values given as flags, by setting name. */
  protected loadAppConfig(overrides: Partial<Record<SettingName, string | number | boolean | undefined>> = {}): AppConfig {
    const insecure = (this.flags as {'allow-insecure-http'?: boolean})['allow-insecure-http']
    return loadConfig({
      configDir: this.config.configDir,
      dataDir: this.config.dataDir,
      flags: {...(insecure ? {AMOCRM_ALLOW_INSECURE_HTTP: true} : {}), ...overrides},
    })
  }

  /** True when output goes to a terminal a person is watching (and not `--json`). */
  protected get interactive(): boolean {
    return Boolean(process.stdout.isTTY) && !this.jsonEnabled()
  }

  protected override async catch(caught: Error & {exitCode?: number}): Promise<unknown> {
    // A full disk or a read-only file system met anywhere (a lock file, the config) is said in plain words.
    const err = localStorageError(caught) ?? caught
    if (err instanceof AppError) {
      if (this.jsonEnabled()) {
        process.exitCode = err.exitCode
        this.logJson({error: {name: err.name, code: err.code, message: terminalMessage(err), hint: err.hint, exitCode: err.exitCode}})
        return
      }
      const cliError = new Errors.CLIError(terminalMessage(err), {
        exit: err.exitCode,
        code: err.code,
        ...(err.hint ? {suggestions: [err.hint]} : {}),
      })
      return super.catch(cliError)
    }
    return super.catch(err)
  }
}

/** Flags every `sync *` command shares (product.md §1). */
export const syncFlags = {
  'dry-run': Flags.boolean({description: 'plan only: show what would be created, updated, linked; write nothing and advance no state'}),
  limit: Flags.integer({description: 'first N patients only (never advances the incremental watermark)', min: 1}),
  'batch-size': Flags.integer({description: 'contacts per write request, 1–250 (SYNC_BATCH_SIZE, default 50)', min: 1, max: 250}),
}
