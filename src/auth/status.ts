import {AmoAuthError, AmoClient} from '../amocrm/index.js'
import {type AppConfig, amoBaseUrl, checkAmoTransport, configuredAmoBaseUrl} from '../config/index.js'
import {createTokenProvider, openSecretStore, readStoredTokens, type SecretStore} from '../secrets/index.js'
import {jwtExpiry} from './login.js'

/** What `auth status` reports (its `--json`). */
export interface AuthStatus {
  account: {id: number; name: string; subdomain: string; timezone: string | null}
  baseUrl: string
  token: {
    /** `environment`: AMOCRM_ACCESS_TOKEN, used as is. */
    kind: 'oauth' | 'long-lived' | 'environment'
    /** ISO-8601, null when unknown (a long-lived token that is not a JWT). */
    expiresAt: string | null
    /** When the stored token was obtained (login or last refresh); null for an environment token. */
    obtainedAt: string | null
  }
  storage: {backend: 'keychain' | 'file' | 'environment'; description: string}
}

/**
 * Who we are to amoCRM (`GET /api/v4/account?with=datetime_settings`) with the token the tool would
 * use — refreshing it if it is due, as any command would — and where that token lives.
 */
export async function readAuthStatus(config: AppConfig, options: {store?: SecretStore} = {}): Promise<AuthStatus> {
  const envToken = config.amocrm.accessToken
  let store: SecretStore | undefined
  let baseUrl: string
  if (envToken) {
    baseUrl = amoBaseUrl(config)
  } else {
    store = options.store ?? (await openSecretStore(config.paths))
    const stored = await readStoredTokens(store)
    if (!stored)
      throw new AmoAuthError(`not logged in to amoCRM: no token in ${store.describe()}`, {
        hint: 'run `ident-amo auth login` (or set AMOCRM_ACCESS_TOKEN to a long-lived token)',
      })
    baseUrl = configuredAmoBaseUrl(config) ?? checkAmoTransport(stored.baseUrl, config.amocrm.allowInsecureHttp)
  }
  const tokens = createTokenProvider({config, ...(store ? {store} : {})})
  const client = new AmoClient({baseUrl, tokens, rateLimit: config.amocrm.rateLimit})
  const account = await client.getAccount()
  const current = await tokens.currentTokens()
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
  return {
    account: {
      id: account.id,
      name: account.name,
      subdomain: account.subdomain,
      timezone: account._embedded?.datetime_settings?.timezone ?? null,
    },
    baseUrl,
    token: envToken
      ? {kind: 'environment', expiresAt: iso(jwtExpiry(envToken)), obtainedAt: null}
      : {kind: current!.kind, expiresAt: iso(current!.expiresAt), obtainedAt: iso(current!.obtainedAt)},
    storage: store
      ? {backend: store.backend, description: store.describe()}
      : {backend: 'environment', description: 'AMOCRM_ACCESS_TOKEN in the environment'},
  }
}
