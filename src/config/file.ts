import {existsSync} from 'node:fs'

import {ConfigError, UsageError} from '../errors.js'
import type {DealStageKey} from '../fields/deal-catalogue.js'
import {dealConfigEntry} from './deals.js'
import {configFilePath, openConfigFile, validateSetting} from './load.js'
import {settingByKey} from './settings.js'

/**
 * Writes one key of the config file, after validating it. Keys are setting names (`DB_HOST`, or the
 * setting's file key such as `deals.enabled`), `fields.<key>.id`, `fields.<key>` (`false` disables a
 * field, `true` enables it again), the deals keys (`deals.pipeline_id`, `deals.stages.<key>`, …,
 * `fields.deal.<key>.id`; see deals.ts), `ident.tables.<Table>` and `ident.columns.<Table>.<Column>`
 * (renames for clinics whose IDENT differs). An empty value removes the key. Secrets are refused here:
 * they belong in the keychain.
 */
export function setConfigValue(configDir: string, key: string, value: string): {key: string; value: unknown} {
  const store = openConfigFile(configDir)
  const remove = value === ''
  const setting = settingByKey(key)
  if (setting) {
    if (setting.secret)
      throw new UsageError(`${key} is a secret and is not kept in the config file`, 'the command stores it in the keychain instead')
    // one place in the file: the file key when the setting has one (DEALS → deals.enabled)
    const path = setting.fileKey ?? setting.env
    if (!remove) validateSetting(setting, value)
    store.delete(setting.env as never)
    if (remove) {
      store.delete(path as never)
      return {key, value: undefined}
    }
    store.set(path as never, value.trim() as never)
    return {key, value: value.trim()}
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
