import {Flags} from '@oclif/core'
import inquirer from 'inquirer'

import {BaseCommand} from '../../base-command.js'
import {
  applyConfigInit,
  currentInitAnswers,
  type InitAnswers,
  type InitWritten,
  planConfigInit,
  SETTING_BY_NAME,
  validateSetting,
} from '../../config/index.js'
import {AppError, errorMessage, UsageError} from '../../errors.js'
import {openSecretStore, SECRET_KEYS} from '../../secrets/index.js'

export interface ConfigInitResult {
  configFile: string
  /** Settings given a value in the config file. */
  settings: string[]
  /** Settings the answers made meaningless, removed from the config file. */
  removed: string[]
  /** Secrets written to the secret store. */
  secrets: string[]
  storage: string
  /** Settings the environment or .env overrides, so the new file value is not what will be used. */
  overriddenByEnvironment: string[]
}

export default class ConfigInit extends BaseCommand<typeof ConfigInit> {
  static override summary = 'Set up the IDENT database connection and the amoCRM account, interactively.'
  static override description =
    'Asks for the IDENT connection (SQL Server host, port or named instance, database, SQL or Windows login, TLS; or a SQLite file) and the amoCRM account (subdomain or address, integration id, redirect URI), with the current values as defaults. The DB password and the client secret go to the OS keychain (or, with --insecure-storage, a 0600 file); everything else to the config file. Needs a terminal: elsewhere use `config set`.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --insecure-storage']
  static override flags = {
    'insecure-storage': Flags.boolean({
      description: 'keep secrets in a 0600 plain-text file in the config directory (where there is no OS keychain)',
    }),
  }

  async run(): Promise<ConfigInitResult> {
    if (!process.stdin.isTTY || !process.stderr.isTTY)
      throw new UsageError(
        'config init asks questions and needs a terminal',
        'set each value with `ident-amo config set KEY VALUE` instead (names in `ident-amo config show`; DB_PASSWORD and AMOCRM_CLIENT_SECRET go to the keychain)',
      )
    const config = this.loadAppConfig()
    // before any question: a missing keychain is better learnt now than after typing everything
    const store = await openSecretStore({
      configDir: this.config.configDir,
      dataDir: this.config.dataDir,
      insecure: this.flags['insecure-storage'],
      verifyWrite: true,
    })
    const hasDbPassword = (await store.get(SECRET_KEYS.dbPassword)) !== undefined
    const hasClientSecret = (await store.get(SECRET_KEYS.clientSecret)) !== undefined
    const current = currentInitAnswers(config)

    const prompt = inquirer.createPromptModule({output: process.stderr})
    const ask = async <T>(question: Record<string, unknown>): Promise<T> =>
      ((await prompt([{...question, name: 'value'}] as never)) as {value: T}).value
    const required = (v: string) => v.trim() !== '' || 'required'
    const valid = (name: string) => (v: string) => {
      try {
        validateSetting(SETTING_BY_NAME.get(name)!, v)
        return true
      } catch (error) {
        return errorMessage(error)
      }
    }

    const a: InitAnswers = {
      dbClient: await ask<'mssql' | 'sqlite'>({
        type: 'select',
        message: 'IDENT database',
        choices: [
          {name: 'SQL Server (IDENT)', value: 'mssql'},
          {name: 'SQLite file (sample / tests)', value: 'sqlite'},
        ],
        default: current.dbClient,
      }),
    }
    if (a.dbClient === 'sqlite') {
      a.dbFile = await ask({type: 'input', message: 'SQLite file', default: current.dbFile, validate: required})
    } else {
      a.dbHost = await ask({type: 'input', message: 'SQL Server host', default: current.dbHost, validate: required})
      a.dbInstance = await ask({type: 'input', message: 'Named instance (e.g. PZSQLSERVER; empty for none)', default: current.dbInstance})
      if (!a.dbInstance?.trim()) a.dbPort = await ask({type: 'input', message: 'Port', default: current.dbPort, validate: valid('DB_PORT')})
      a.dbName = await ask({type: 'input', message: 'Database', default: current.dbName, validate: required})
      a.dbAuth = await ask({
        type: 'select',
        message: 'Login',
        choices: [
          {name: 'SQL Server login', value: 'sql'},
          {name: 'Windows login (domain, NTLM)', value: 'windows'},
        ],
        default: current.dbAuth,
      })
      if (a.dbAuth === 'windows')
        a.dbDomain = await ask({type: 'input', message: 'Windows domain', default: current.dbDomain, validate: required})
      a.dbUser = await ask({type: 'input', message: 'User', default: current.dbUser, validate: required})
      a.dbPassword = await ask({type: 'password', mask: '*', message: hasDbPassword ? 'Password (empty: keep the stored one)' : 'Password'})
      a.dbEncrypt = await ask({type: 'confirm', message: 'Encrypt the connection (TLS)?', default: current.dbEncrypt})
      a.dbTrustServerCertificate = a.dbEncrypt
        ? await ask({type: 'confirm', message: 'Trust a self-signed server certificate?', default: current.dbTrustServerCertificate})
        : false
    }
    a.amoAccount = await ask({
      type: 'input',
      message: 'amoCRM account (clinic, clinic.kommo.com, or a full address)',
      default: current.amoAccount,
      validate: (v: string) => {
        try {
          planConfigInit({dbClient: 'sqlite', amoAccount: v})
          return required(v)
        } catch (error) {
          return errorMessage(error)
        }
      },
    })
    a.amoClientId = await ask({type: 'input', message: 'Integration ID (client id)', default: current.amoClientId, validate: required})
    a.amoClientSecret = await ask({
      type: 'password',
      mask: '*',
      message: hasClientSecret ? 'Integration secret key (empty: keep the stored one)' : 'Integration secret key',
    })
    a.amoRedirectUri = await ask({
      type: 'input',
      message: 'Redirect URI (exactly as in the integration)',
      default: current.amoRedirectUri,
      validate: valid('AMOCRM_REDIRECT_URI'),
    })

    let written: InitWritten
    try {
      written = await applyConfigInit(planConfigInit(a), {configDir: this.config.configDir, store})
    } catch (error) {
      if (error instanceof AppError) throw error
      throw new AppError(`could not save the configuration: ${errorMessage(error)}`)
    }
    const overridden = written.settings.filter((name) => ['env', '.env'].includes(config.values[name as keyof typeof config.values].source))
    this.log(
      `Saved ${written.settings.length} setting(s) in ${config.paths.configFile}${written.removed.length > 0 ? ` (removed ${written.removed.join(', ')})` : ''}${written.secrets.length > 0 ? ` and ${written.secrets.join(', ')} in ${store.describe()}` : ''}.`,
    )
    if (overridden.length > 0)
      this.warn(
        `${overridden.join(', ')} ${overridden.length === 1 ? 'is' : 'are'} also set in the environment or .env, which wins over the config file`,
      )
    this.log('')
    this.log('Next steps:')
    this.log('  ident-amo db check       check the IDENT connection and schema')
    this.log('  ident-amo auth login     authorize the amoCRM integration')
    this.log('  ident-amo fields check   check the amoCRM contact fields')
    return {
      configFile: config.paths.configFile,
      settings: written.settings,
      removed: written.removed,
      secrets: written.secrets,
      storage: store.describe(),
      overriddenByEnvironment: overridden,
    }
  }
}
