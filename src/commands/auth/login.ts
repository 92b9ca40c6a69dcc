import {Flags} from '@oclif/core'
import inquirer from 'inquirer'
import open from 'open'

import {BaseCommand} from '../../base-command.js'
import {type AppConfig, amoBaseUrl, parseAccountAddress, type SettingName, setConfigValue} from '../../config/index.js'
import {UsageError} from '../../errors.js'
import {
  consentUrl,
  DEFAULT_LOGIN_TIMEOUT_MS,
  type LoginOutcome,
  type LoginResult,
  loginWithCode,
  loginWithToken,
  newState,
  parsePastedCode,
  startCallbackServer,
} from '../../auth/index.js'
import {openSecretStore, resolveClientSecret, SECRET_KEYS, type SecretStore} from '../../secrets/index.js'

export default class AuthLogin extends BaseCommand<typeof AuthLogin> {
  static override summary = 'Log in to amoCRM (OAuth in the browser, a pasted code, or a long-lived token).'
  static override description = `Runs the OAuth 2.0 authorization-code flow: starts a one-shot server on 127.0.0.1 at the redirect URI (default http://localhost:8080/callback, as registered in the integration), prints and opens the consent link, checks the answer's state, exchanges the code, verifies the token with GET /api/v4/account and only then saves it in the OS keychain. Asks for what is missing (account subdomain, client id, client secret) on a terminal.

On a machine without a browser: --no-browser prints the link only; open it anywhere, allow access, and pass the code from the address the browser lands on with --code. A private integration's long-lived token is stored with --token instead.

Secrets go to the OS keychain; where there is none, --insecure-storage keeps them in a 0600 file in the config directory (remembered for later commands). AMOCRM_ACCESS_TOKEN in the environment always wins over stored tokens.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --subdomain clinic --client-id 0d1f… --no-browser',
    '<%= config.bin %> <%= command.id %> --code def50200…',
    'cat token.txt | <%= config.bin %> <%= command.id %> --subdomain clinic --token -',
  ]
  static override flags = {
    subdomain: Flags.string({description: 'account: `clinic` of clinic.amocrm.ru, or the full host (clinic.kommo.com) (AMOCRM_SUBDOMAIN)'}),
    'client-id': Flags.string({description: 'integration ID (AMOCRM_CLIENT_ID)'}),
    'client-secret': Flags.string({description: 'integration secret key (AMOCRM_CLIENT_SECRET); asked for when missing'}),
    'redirect-uri': Flags.string({
      description: 'redirect URI exactly as registered in the integration (AMOCRM_REDIRECT_URI, default http://localhost:8080/callback)',
    }),
    browser: Flags.boolean({default: true, allowNo: true, description: 'open the consent link in a browser (--no-browser: print it only)'}),
    code: Flags.string({
      description: 'exchange this authorization code (or the whole address the browser landed on) instead of waiting for the redirect',
      exclusive: ['token'],
    }),
    token: Flags.string({
      description:
        "store a private integration's long-lived token instead of OAuth (`-` reads it from standard input, out of the shell history)",
      exclusive: ['code'],
    }),
    'insecure-storage': Flags.boolean({
      description: 'keep secrets in a 0600 plain-text file in the config directory (where there is no OS keychain)',
    }),
    timeout: Flags.integer({description: 'seconds to wait for the browser', default: DEFAULT_LOGIN_TIMEOUT_MS / 1000, min: 1}),
  }

  async run(): Promise<LoginResult> {
    const {flags} = this
    const overrides: Partial<Record<SettingName, string>> = {
      ...(flags.subdomain ? parseAccountAddress(flags.subdomain) : {}),
      ...(flags['client-id'] ? {AMOCRM_CLIENT_ID: flags['client-id']} : {}),
      ...(flags['client-secret'] ? {AMOCRM_CLIENT_SECRET: flags['client-secret']} : {}),
      ...(flags['redirect-uri'] ? {AMOCRM_REDIRECT_URI: flags['redirect-uri']} : {}),
    }
    let config = this.loadAppConfig(overrides)
    if (config.amocrm.accessToken)
      this.warn('AMOCRM_ACCESS_TOKEN is set in the environment: it is used instead of what this login stores until you unset it')
    const store = await openSecretStore({
      configDir: this.config.configDir,
      dataDir: this.config.dataDir,
      insecure: flags['insecure-storage'],
      verifyWrite: true,
    })

    const storedSecret = flags.token ? undefined : await resolveClientSecret(config, store)
    const asked = await this.askForMissing(config, {needClient: !flags.token, haveSecret: storedSecret !== undefined})
    if (Object.keys(asked).length > 0) config = this.loadAppConfig({...overrides, ...asked})
    const baseUrl = amoBaseUrl(config)
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}

    let outcome: LoginOutcome | undefined
    if (flags.token) {
      const token = flags.token === '-' ? await readStdin() : flags.token
      outcome = await loginWithToken({token: token.trim(), baseUrl, store, configDir: dirs.configDir})
      this.saveAccountSettings(config, outcome)
    } else {
      const client = {
        baseUrl,
        clientId: config.amocrm.clientId!,
        clientSecret: config.amocrm.clientSecret ?? storedSecret!,
        redirectUri: config.amocrm.redirectUri,
        // amoCRM's `referer` names the account actually chosen; an explicit AMOCRM_BASE_URL always wins
        followReferer: !config.amocrm.baseUrl,
      }
      if (flags.code) {
        outcome = await loginWithCode({...client, ...parsePastedCode(flags.code), store, configDir: dirs.configDir})
      } else {
        const state = newState()
        const server = await startCallbackServer({
          redirectUri: client.redirectUri,
          state,
          timeoutMs: flags.timeout * 1000,
          complete: async (callback) => {
            outcome = await loginWithCode({...client, ...callback, store, configDir: dirs.configDir})
          },
        })
        try {
          const url = consentUrl(config, client.clientId, state)
          process.stderr.write(
            `Open this link in a browser and allow access:\n\n  ${url}\n\nWaiting for amoCRM to redirect to ${client.redirectUri} (up to ${formatWait(flags.timeout)}; Ctrl+C to cancel)…\n`,
          )
          if (flags.browser) open(url).catch(() => process.stderr.write('(could not open a browser: open the link yourself)\n'))
          await server.done
        } finally {
          await server.close()
        }
      }
      await this.saveClientSettings(config, outcome!, {
        clientSecretFrom: config.values.AMOCRM_CLIENT_SECRET.source,
        clientSecret: client.clientSecret,
        store,
      })
    }
    const {result} = outcome!

    const expiry = result.expiresAt ? `, expires ${result.expiresAt}` : ''
    this.log(
      `Logged in to amoCRM account "${result.account.name}" (${result.account.subdomain}, id ${result.account.id}) with ${result.tokenKind === 'oauth' ? 'an OAuth token' : 'a long-lived token'}${expiry}.`,
    )
    this.log(`Secrets stored in ${result.storage}.`)
    return result
  }

  /** Prompts on a terminal for what the login cannot do without; elsewhere names the flag to pass. */
  private async askForMissing(
    config: AppConfig,
    need: {needClient: boolean; haveSecret: boolean},
  ): Promise<Partial<Record<SettingName, string>>> {
    const missing: Array<{name: SettingName; flag: string; question: string; secret?: boolean}> = []
    if (!config.amocrm.baseUrl && !config.amocrm.subdomain)
      missing.push({
        name: 'AMOCRM_SUBDOMAIN',
        flag: '--subdomain',
        question: 'amoCRM account (clinic, clinic.amocrm.ru or clinic.kommo.com):',
      })
    if (need.needClient && !config.amocrm.clientId)
      missing.push({name: 'AMOCRM_CLIENT_ID', flag: '--client-id', question: 'Integration ID (client id):'})
    if (need.needClient && !need.haveSecret)
      missing.push({name: 'AMOCRM_CLIENT_SECRET', flag: '--client-secret', question: 'Integration secret key:', secret: true})
    if (missing.length === 0) return {}
    if (!process.stdin.isTTY || !process.stderr.isTTY)
      throw new UsageError(
        `${missing.map((m) => m.name).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set and there is no terminal to ask on`,
        `pass ${missing.map((m) => `${m.flag} (or ${m.name} in the environment)`).join(', ')}`,
      )
    const prompt = inquirer.createPromptModule({output: process.stderr})
    const answers: Partial<Record<SettingName, string>> = {}
    for (const m of missing) {
      const {value} = await prompt<{value: string}>([
        m.secret
          ? {type: 'password', name: 'value', message: m.question, mask: '*', validate: (v: string) => v.trim() !== '' || 'required'}
          : {type: 'input', name: 'value', message: m.question, validate: (v: string) => v.trim() !== '' || 'required'},
      ])
      if (m.name === 'AMOCRM_SUBDOMAIN') Object.assign(answers, parseAccountAddress(value))
      else answers[m.name] = value.trim()
    }
    return answers
  }

  /** What the user typed or passed is kept for next time: settings in the config file, the secret in the store. */
  private async saveClientSettings(
    config: AppConfig,
    outcome: LoginOutcome,
    secret: {clientSecretFrom: string; clientSecret: string; store: SecretStore},
  ): Promise<void> {
    this.saveAccountSettings(config, outcome)
    for (const name of ['AMOCRM_CLIENT_ID', 'AMOCRM_REDIRECT_URI'] as const)
      if (config.values[name].source === 'flag') setConfigValue(this.config.configDir, name, config.values[name].value!)
    if (secret.clientSecretFrom === 'flag') await secret.store.set(SECRET_KEYS.clientSecret, secret.clientSecret)
  }

  private saveAccountSettings(config: AppConfig, outcome: LoginOutcome): void {
    if (outcome.accountAddress) {
      // amoCRM told us which account the user chose
      setConfigValue(this.config.configDir, 'AMOCRM_SUBDOMAIN', outcome.accountAddress.subdomain)
      setConfigValue(
        this.config.configDir,
        'AMOCRM_DOMAIN',
        outcome.accountAddress.domain === 'amocrm.ru' ? '' : outcome.accountAddress.domain,
      )
      return
    }
    for (const name of ['AMOCRM_SUBDOMAIN', 'AMOCRM_DOMAIN'] as const)
      if (config.values[name].source === 'flag') setConfigValue(this.config.configDir, name, config.values[name].value!)
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function formatWait(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`
}
