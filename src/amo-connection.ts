import {type Account, type AmoClient, amoClientFromConfig} from './amocrm/index.js'
import type {AppConfig} from './config/index.js'
import type {Logger} from './log/index.js'
import {createTokenProvider} from './secrets/index.js'

export interface Dirs {
  configDir: string
  dataDir: string
}

/**
 * The amoCRM client for the configured account: its base URL, the shared rate limiter, and tokens from
 * the environment or the keychain (refreshed as needed). Sends nothing until it is used.
 */
export function createAmoApi(config: AppConfig, dirs: Dirs, options: {logger?: Logger} = {}): AmoClient {
  const tokens = createTokenProvider({config, dirs})
  return amoClientFromConfig(config, {tokens, ...(options.logger ? {logger: options.logger} : {})})
}

/** The client plus the account it talks to (one request: `GET /api/v4/account`). */
export async function connectAmo(
  config: AppConfig,
  dirs: Dirs,
  options: {logger?: Logger} = {},
): Promise<{api: AmoClient; account: Account; timezone: string}> {
  const api = createAmoApi(config, dirs, options)
  const account = await api.getAccount()
  const timezone = account._embedded?.datetime_settings?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'
  return {api, account, timezone}
}
