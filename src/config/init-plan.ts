import path from 'node:path'

import {AMO_ACCOUNT_HOST, parseAccountAddress} from './account.js'
import {setConfigValue, storedSettingNames} from './file.js'
import {type AppConfig, validateSetting} from './load.js'
import {SETTING_BY_NAME, type SettingName} from './settings.js'

/** What `config init` asks. Empty secrets keep the stored ones. */
export interface InitAnswers {
  dbClient: 'mssql' | 'sqlite'
  dbFile?: string
  dbHost?: string
  /** Named instance; empty for none (then the port is used). */
  dbInstance?: string
  dbPort?: string
  dbName?: string
  dbAuth?: 'sql' | 'windows'
  dbUser?: string
  dbDomain?: string
  dbPassword?: string
  dbEncrypt?: boolean
  dbTrustServerCertificate?: boolean
  /** `clinic`, `clinic.kommo.com`, `https://clinic.amocrm.ru`, or any other base URL (a proxy, the sandbox). */
  amoAccount?: string
  amoClientId?: string
  amoClientSecret?: string
  amoRedirectUri?: string
}

/** The secrets `config init` asks for; their names are also their keys in the secret store. */
export type InitSecretName = Extract<SettingName, 'DB_PASSWORD' | 'AMOCRM_CLIENT_SECRET'>

export interface InitPlan {
  /** Config-file settings in the order they are written; an empty value removes the key. */
  settings: Array<{name: SettingName; value: string}>
  /** Secret-store entries. */
  secrets: Array<{key: InitSecretName; value: string}>
}

/** What `applyConfigInit` did. */
export interface InitWritten {
  /** Settings given a value in the config file. */
  settings: SettingName[]
  /** Settings the answers made meaningless, removed from the config file where they were. */
  removed: SettingName[]
  /** Secrets written to the secret store. */
  secrets: InitSecretName[]
}

/**
 * Where each answer goes: secrets to the secret store, everything else to the config file, with the
 * settings that an answer makes meaningless removed (a port when a named instance is used, the
 * Windows domain for a SQL login, AMOCRM_BASE_URL when a plain account is given).
 */
export function planConfigInit(answers: InitAnswers): InitPlan {
  const settings: InitPlan['settings'] = []
  const secrets: InitPlan['secrets'] = []
  const put = (name: SettingName, value: string | boolean | undefined) => {
    if (value !== undefined) settings.push({name, value: String(value).trim()})
  }

  put('DB_CLIENT', answers.dbClient)
  if (answers.dbClient === 'sqlite') {
    // relative to where `config init` ran, not to wherever a later command runs
    put('DB_FILE', answers.dbFile?.trim() ? path.resolve(answers.dbFile.trim()) : undefined)
  } else {
    put('DB_HOST', answers.dbHost)
    put('DB_INSTANCE', answers.dbInstance ?? '')
    if (!answers.dbInstance?.trim()) put('DB_PORT', answers.dbPort)
    put('DB_NAME', answers.dbName)
    put('DB_USER', answers.dbUser)
    put('DB_DOMAIN', answers.dbAuth === 'windows' ? answers.dbDomain : '')
    put('DB_ENCRYPT', answers.dbEncrypt)
    put('DB_TRUST_SERVER_CERTIFICATE', answers.dbTrustServerCertificate)
    if (answers.dbPassword) secrets.push({key: 'DB_PASSWORD', value: answers.dbPassword})
  }

  if (answers.amoAccount?.trim()) {
    const account = answers.amoAccount.trim()
    const url = /^https?:\/\//i.test(account) ? new URL(account) : undefined
    if (url && !AMO_ACCOUNT_HOST.test(url.hostname)) {
      put('AMOCRM_BASE_URL', account.replace(/\/+$/, ''))
    } else {
      const parsed = parseAccountAddress(account)
      put('AMOCRM_SUBDOMAIN', parsed.AMOCRM_SUBDOMAIN)
      put('AMOCRM_DOMAIN', parsed.AMOCRM_DOMAIN && parsed.AMOCRM_DOMAIN !== 'amocrm.ru' ? parsed.AMOCRM_DOMAIN : '')
      put('AMOCRM_BASE_URL', '')
    }
  }
  put('AMOCRM_CLIENT_ID', answers.amoClientId)
  put('AMOCRM_REDIRECT_URI', answers.amoRedirectUri)
  if (answers.amoClientSecret) secrets.push({key: 'AMOCRM_CLIENT_SECRET', value: answers.amoClientSecret})
  return {settings, secrets}
}

/**
 * Writes the plan: every value is validated first, so that a bad answer leaves the config file as it
 * was; then the settings, then the secrets (to `store`, the keychain or the insecure file).
 */
export async function applyConfigInit(
  plan: InitPlan,
  options: {configDir: string; store: {set(key: string, value: string): Promise<void>}},
): Promise<InitWritten> {
  for (const {name, value} of plan.settings) if (value !== '') validateSetting(SETTING_BY_NAME.get(name)!, value)
  const before = new Set(storedSettingNames(options.configDir))
  for (const {name, value} of plan.settings) setConfigValue(options.configDir, name, value)
  for (const {key, value} of plan.secrets) await options.store.set(key, value)
  return {
    settings: plan.settings.filter((s) => s.value !== '').map((s) => s.name),
    removed: plan.settings.filter((s) => s.value === '' && before.has(s.name)).map((s) => s.name),
    secrets: plan.secrets.map((s) => s.key),
  }
}

/** The current answers, as defaults for the questions. */
export function currentInitAnswers(config: AppConfig): InitAnswers {
  const v = (name: SettingName) => config.values[name].value
  const account =
    config.amocrm.baseUrl ??
    (config.amocrm.subdomain
      ? config.amocrm.domain === 'amocrm.ru'
        ? config.amocrm.subdomain
        : `${config.amocrm.subdomain}.${config.amocrm.domain}`
      : undefined)
  return {
    dbClient: config.db.client,
    dbFile: v('DB_FILE'),
    dbHost: config.db.host,
    dbInstance: config.db.instance ?? '',
    dbPort: String(config.db.port),
    dbName: config.db.name,
    dbAuth: config.db.domain ? 'windows' : 'sql',
    dbUser: config.db.user,
    dbDomain: config.db.domain,
    dbEncrypt: config.db.encrypt,
    dbTrustServerCertificate: config.db.trustServerCertificate,
    amoAccount: account,
    amoClientId: config.amocrm.clientId,
    amoRedirectUri: config.amocrm.redirectUri,
  }
}
