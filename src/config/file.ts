import {existsSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, UsageError} from '../errors.js'
import {parseAccountAddress} from './account.js'
import {configFilePath, isSettingName, openConfigFile, settingWarning, validateSetting} from './load.js'
import {SETTING_BY_NAME, type SettingName} from './settings.js'

export interface SetConfigResult {
  key: string
  /** The value stored (normalised), undefined when the key was removed. */
  value: unknown
  /** Another setting the value changed as well (the domain of an account address). */
  also?: {key: SettingName; value: string | undefined}
  /** Stored, but probably not what the user wants (e.g. a rate amoCRM blocks). */
  warning?: string
}

/**
 * Writes one key of the config file, after validating it. Keys are setting names (`DB_HOST`),
 * `fields.<key>.id`, `fields.<key>` (`false` disables a field, `true` enables it again),
 * `ident.tables.<Table>` and `ident.columns.<Table>.<Column>` (renames for clinics whose IDENT differs).
 * An empty value removes the key. Secrets are refused here: they belong in the keychain. The value
 * was typed on the command line, so a bad one is a usage error (exit 2). Paths are stored absolute
 * (relative to `cwd`), an account address as its subdomain and domain.
 */
export function setConfigValue(configDir: string, key: string, value: string, options: {cwd?: string} = {}): SetConfigResult {
  const store = openConfigFile(configDir)
  const remove = value === ''
  if (isSettingName(key)) {
    const setting = SETTING_BY_NAME.get(key)!
    if (setting.secret)
      throw new UsageError(`${key} is a secret and is not kept in the config file`, 'the command stores it in the keychain instead')
    if (remove) {
      store.delete(key)
      return {key, value: undefined}
    }
    try {
      validateSetting(setting, value)
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message, error.hint ?? `\`ident-amo config show\` lists the settings`)
      throw error
    }
    if (key === 'AMOCRM_SUBDOMAIN') {
      // `https://clinic.kommo.com/` as `auth login --subdomain` takes it: subdomain `clinic`, domain `kommo.com`.
      const account = parseAccountAddress(value)
      store.set(key, account.AMOCRM_SUBDOMAIN!)
      if (!account.AMOCRM_DOMAIN) return {key, value: account.AMOCRM_SUBDOMAIN}
      if (account.AMOCRM_DOMAIN === 'amocrm.ru') store.delete('AMOCRM_DOMAIN')
      else store.set('AMOCRM_DOMAIN', account.AMOCRM_DOMAIN)
      return {key, value: account.AMOCRM_SUBDOMAIN, also: {key: 'AMOCRM_DOMAIN', value: account.AMOCRM_DOMAIN}}
    }
    const stored = setting.kind === 'path' ? path.resolve(options.cwd ?? process.cwd(), value.trim()) : value.trim()
    store.set(key, stored)
    const warning = settingWarning(key, stored)
    return {key, value: stored, ...(warning ? {warning} : {})}
  }
  const fieldId = /^fields\.([a-z_]+)\.id$/.exec(key)
  if (fieldId) {
    if (remove) {
      store.delete(`fields.${fieldId[1]}.id` as never)
      return {key, value: undefined}
    }
    if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new UsageError(`${key} must be a positive whole number, got '${value}'`)
    if (store.get(`fields.${fieldId[1]}` as never) === false) store.set(`fields.${fieldId[1]}` as never, {} as never)
    store.set(key as never, Number(value) as never)
    return {key, value: Number(value)}
  }
  const fieldToggle = /^fields\.([a-z_]+)$/.exec(key)
  if (fieldToggle) {
    const v = value.trim().toLowerCase()
    if (v === 'false' || v === 'off') store.set(key as never, false as never)
    else if (v === 'true' || v === 'on' || remove) store.set(key as never, {} as never)
    else throw new UsageError(`${key} must be true or false, got '${value}'`)
    return {key, value: store.get(key as never)}
  }
  if (/^ident\.tables\.[A-Za-z_]\w*$/.test(key) || /^ident\.columns\.[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(key)) {
    if (remove) store.delete(key as never)
    else if (!/^[A-Za-z_][\w ]*$/.test(value.trim())) throw new UsageError(`${key} must be a table or column name, got '${value}'`)
    else store.set(key as never, value.trim() as never)
    return {key, value: remove ? undefined : value.trim()}
  }
  throw new UsageError(
    `unknown configuration key '${key}'`,
    'use a setting name such as DB_HOST (see `ident-amo config show`), fields.<key>.id, ident.tables.<Table> or ident.columns.<Table>.<Column>',
  )
}

/** The settings the config file holds a value for. */
export function storedSettingNames(configDir: string): SettingName[] {
  if (!existsSync(configFilePath(configDir))) return []
  return Object.keys(openConfigFile(configDir).store).filter(isSettingName)
}

/** Saves several field ids at once (for `fields check --fix` and `fields create`). */
export function saveFieldIds(configDir: string, ids: Record<string, number>): void {
  const store = openConfigFile(configDir)
  for (const [key, id] of Object.entries(ids)) store.set(`fields.${key}` as never, {id} as never)
}

/** Where secrets are kept: the OS keychain (default) or, once the user chose `--insecure-storage`, a 0600 file. */
export type SecretStorageChoice = 'keychain' | 'file'

/** The remembered choice (`secretStorage` in the config file); `keychain` when none was made. */
export function readSecretStorageChoice(configDir: string): SecretStorageChoice {
  if (!existsSync(configFilePath(configDir))) return 'keychain'
  return openConfigFile(configDir).get('secretStorage') === 'file' ? 'file' : 'keychain'
}

/** Remembers the choice so that later commands use the same store without the flag. */
export function saveSecretStorageChoice(configDir: string, choice: SecretStorageChoice): void {
  const store = openConfigFile(configDir)
  if (choice === 'file') store.set('secretStorage', 'file')
  else store.delete('secretStorage')
}
