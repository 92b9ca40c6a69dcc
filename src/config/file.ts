import {existsSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, UsageError} from '../errors.js'
import type {DealStageKey} from '../fields/deal-catalogue.js'
import {parseAccountAddress} from './account.js'
import {dealConfigEntry} from './deals.js'
import {configFilePath, openConfigFile, settingWarning, validateSetting} from './load.js'
import {SETTING_BY_NAME, settingByKey, type SettingName} from './settings.js'

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
 * Writes one key of the config file, after validating it. Keys are setting names (`DB_HOST`, or the
 * setting's file key such as `deals.enabled`), `fields.<key>.id`, `fields.<key>` (`false` disables a
 * field, `true` enables it again), the deals keys (`deals.pipeline_id`, `deals.stages.<key>`, …,
 * `fields.deal.<key>.id`; see deals.ts), `ident.tables.<Table>` and `ident.columns.<Table>.<Column>`
 * (renames for clinics whose IDENT differs). An empty value removes the key. Secrets are refused here:
 * they belong in the keychain. Paths are stored absolute (relative to `cwd`), an account address as its
 * subdomain and domain. The value was typed on the command line, so a bad one is a usage error (exit 2).
 */
export function setConfigValue(configDir: string, key: string, value: string, options: {cwd?: string} = {}): SetConfigResult {
  try {
    return setValue(configDir, key, value, options.cwd ?? process.cwd())
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, error.hint ?? '`ident-amo config show` lists the settings')
    throw error
  }
}

function setValue(configDir: string, key: string, value: string, cwd: string): SetConfigResult {
  const store = openConfigFile(configDir)
  const remove = value === ''
  const setting = settingByKey(key)
  if (setting) {
    if (setting.secret)
      throw new UsageError(`${key} is a secret and is not kept in the config file`, 'the command stores it in the keychain instead')
    // one place in the file: the file key when the setting has one (DEALS → deals.enabled)
    const fileKey = setting.fileKey ?? setting.env
    if (!remove) validateSetting(setting, value)
    store.delete(setting.env as never)
    if (remove) {
      store.delete(fileKey as never)
      return {key, value: undefined}
    }
    if (setting.env === 'AMOCRM_SUBDOMAIN') {
      // `https://clinic.kommo.com/` as `auth login --subdomain` takes it: subdomain `clinic`, domain `kommo.com`.
      const account = parseAccountAddress(value)
      store.set(fileKey as never, account.AMOCRM_SUBDOMAIN as never)
      if (!account.AMOCRM_DOMAIN) return {key, value: account.AMOCRM_SUBDOMAIN}
      if (account.AMOCRM_DOMAIN === 'amocrm.ru') store.delete('AMOCRM_DOMAIN' as never)
      else store.set('AMOCRM_DOMAIN' as never, account.AMOCRM_DOMAIN as never)
      return {key, value: account.AMOCRM_SUBDOMAIN, also: {key: 'AMOCRM_DOMAIN', value: account.AMOCRM_DOMAIN}}
    }
    const stored = setting.kind === 'path' ? path.resolve(cwd, value.trim()) : value.trim()
    store.set(fileKey as never, stored as never)
    const warning = settingWarning(setting.env as SettingName, stored)
    return {key, value: stored, ...(warning ? {warning} : {})}
  }
  const deal = dealConfigEntry(key, value)
  if (deal) {
    setNested(store, deal.path, deal.value)
    return {key, value: deal.value}
  }
  if (key === 'fields.deal')
    throw new UsageError('fields.deal holds the deal fields', 'set one of them: fields.deal.<key>.id, or fields.deal.<key> false')
  const fieldId = /^fields\.([a-z_]+)\.id$/.exec(key)
  if (fieldId) {
    if (remove) {
      store.delete(`fields.${fieldId[1]}.id` as never)
      return {key, value: undefined}
    }
    if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new ConfigError(`${key} must be a positive whole number, got '${value}'`)
    if (store.get(`fields.${fieldId[1]}` as never) === false) store.set(`fields.${fieldId[1]}` as never, {} as never)
    store.set(key as never, Number(value) as never)
    return {key, value: Number(value)}
  }
  const fieldToggle = /^fields\.([a-z_]+)$/.exec(key)
  if (fieldToggle) {
    const v = value.trim().toLowerCase()
    if (v === 'false' || v === 'off') store.set(key as never, false as never)
    else if (v === 'true' || v === 'on' || remove) store.set(key as never, {} as never)
    else throw new ConfigError(`${key} must be true or false, got '${value}'`)
    return {key, value: store.get(key as never)}
  }
  if (/^ident\.tables\.[A-Za-z_]\w*$/.test(key) || /^ident\.columns\.[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(key)) {
    if (remove) store.delete(key as never)
    else if (!/^[A-Za-z_][\w ]*$/.test(value.trim())) throw new ConfigError(`${key} must be a table or column name, got '${value}'`)
    else store.set(key as never, value.trim() as never)
    return {key, value: remove ? undefined : value.trim()}
  }
  throw new UsageError(
    `unknown configuration key '${key}'`,
    'use a setting name such as DB_HOST (see `ident-amo config show`), fields.<key>.id, a deals key (deals.pipeline_id, deals.stages.<key>, …, fields.deal.<key>.id), ident.tables.<Table> or ident.columns.<Table>.<Column>',
  )
}

/**
 * Sets (or, for undefined, removes) a dotted path by plain objects. conf's own dotted paths would make
 * `deals.users.17` an array with 17 empty slots. An id for a field that was switched off (`false`)
 * switches it back on.
 */
function setNested(store: ReturnType<typeof openConfigFile>, dotted: string, value: unknown): void {
  const [top, ...rest] = dotted.split('.') as [string, ...string[]]
  const root = structuredClone((store.get(top as never) as unknown) ?? {}) as Record<string, unknown>
  let node = root
  for (const part of rest.slice(0, -1)) {
    const child = node[part]
    node = node[part] = typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Record<string, unknown>) : {}
  }
  const last = rest.at(-1)!
  if (value === undefined) delete node[last]
  else node[last] = value
  store.set(top as never, root as never)
}

/** The settings the config file holds a value for. */
export function storedSettingNames(configDir: string): SettingName[] {
  if (!existsSync(configFilePath(configDir))) return []
  return Object.keys(openConfigFile(configDir).store).filter((key): key is SettingName => SETTING_BY_NAME.has(key))
}

/** Saves several field ids at once (for `fields check --fix` and `fields create`): contact fields, or deal fields (`fields.deal.<key>`). */
export function saveFieldIds(configDir: string, ids: Record<string, number>, entity: 'contact' | 'deal' = 'contact'): void {
  const store = openConfigFile(configDir)
  const prefix = entity === 'deal' ? 'fields.deal.' : 'fields.'
  for (const [key, id] of Object.entries(ids)) store.set(`${prefix}${key}` as never, {id} as never)
}

/** Saves the deals pipeline and the stages found or made in it (for `fields check --fix` and `fields create`). */
export function saveDealStages(configDir: string, setup: {pipelineId: number; stages: Partial<Record<DealStageKey, number>>}): void {
  const store = openConfigFile(configDir)
  store.set('deals.pipeline_id' as never, setup.pipelineId as never)
  for (const [key, id] of Object.entries(setup.stages)) if (id !== undefined) store.set(`deals.stages.${key}` as never, id as never)
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
