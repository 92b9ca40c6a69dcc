import type {AppConfig} from '../config/index.js'
import {openSecretStore} from './store.js'
import {SECRET_KEYS, type SecretStore} from './types.js'

/** Where a secret came from, for `auth status` and messages. */
export type SecretSource = 'environment' | 'store' | 'none'

export interface ResolvedSecret {
  value: string | undefined
  source: SecretSource
}

/**
 * A secret as the rest of the tool should read it (docs/architecture.md "Secrets and tokens"): the environment (or `.env`, or a
 * flag) wins, else the secret store. The store is opened only when the environment has nothing, so
 * a server configured purely by environment never needs a keychain.
 */
export async function resolveSecret(
  config: AppConfig,
  key: (typeof SECRET_KEYS)['clientSecret' | 'dbPassword'],
  store?: SecretStore,
): Promise<ResolvedSecret> {
  const fromEnv = key === SECRET_KEYS.dbPassword ? config.db.password : config.amocrm.clientSecret
  if (fromEnv !== undefined && fromEnv !== '') return {value: fromEnv, source: 'environment'}
  const opened = store ?? (await openSecretStore({configDir: config.paths.configDir, dataDir: config.paths.dataDir}))
  const value = await opened.get(key)
  return value === undefined ? {value: undefined, source: 'none'} : {value, source: 'store'}
}

/**
 * The IDENT database password: DB_PASSWORD from the environment, else the secret store. A SQLite
 * IDENT (tests, the demo) has none, and no keychain is opened for it.
 */
export async function resolveDbPassword(config: AppConfig, store?: SecretStore): Promise<string | undefined> {
  if (config.db.client === 'sqlite') return undefined
  return (await resolveSecret(config, SECRET_KEYS.dbPassword, store)).value
}

/** The integration's secret key: AMOCRM_CLIENT_SECRET from the environment, else the secret store. */
export async function resolveClientSecret(config: AppConfig, store?: SecretStore): Promise<string | undefined> {
  return (await resolveSecret(config, SECRET_KEYS.clientSecret, store)).value
}
