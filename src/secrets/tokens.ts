import {AmoAuthError, type ApiStats, refreshAccessToken, type TokenProvider} from '../amocrm/index.js'
import {type AppConfig, checkAmoTransport, configuredAmoBaseUrl} from '../config/index.js'
import {acquireTokenLock} from './lock.js'
import {resolveClientSecret} from './resolve.js'
import {openSecretStore} from './store.js'
import {SECRET_KEYS, type SecretStore, type StoredTokens} from './types.js'

/** An OAuth access token with less than this left is refreshed before it is used. */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000

const LOGIN_HINT = 'run `ident-amo auth login`'

export interface RefreshRequest {
  baseUrl: string
  clientId: string
  clientSecret: string
  redirectUri: string
  refreshToken: string
  /** The calling client's counters: the token request counts as a request sent. */
  stats?: ApiStats
}

/** A fresh pair from the token endpoint. */
export interface RefreshedPair {
  accessToken: string
  refreshToken: string
  /** Seconds. */
  expiresIn: number
}

/**
 * Calls the token endpoint with `grant_type=refresh_token`. Rejects with an error whose
 * `invalidGrant` is true when the refresh token is no longer accepted.
 */
export type RefreshTokens = (request: RefreshRequest) => Promise<RefreshedPair>

export interface TokenProviderOptions {
  config: AppConfig
  /** Defaults to `config.paths`. */
  dirs?: {configDir: string; dataDir: string}
  /** Opened on first use when not given. */
  store?: SecretStore
  /** Unix ms; for tests. */
  now?: () => number
  /** The token endpoint call; amoCRM's by default. */
  refresh?: RefreshTokens
}

/** The tool's token provider: where its tokens come from, and what it holds now (for `auth status`). */
export interface AppTokenProvider extends TokenProvider {
  readonly source: 'environment' | 'store'
  /** The tokens in use (after the last read or refresh); undefined for an environment token. */
  currentTokens(): Promise<StoredTokens | undefined>
}

/**
 * Tokens for the amoCRM client (docs/architecture.md "Secrets and tokens"). AMOCRM_ACCESS_TOKEN from the environment is used as
 * is. Otherwise the stored tokens: a long-lived token as is; an OAuth access token is refreshed ahead
 * of its expiry and after a 401 — once per process however many callers ask (single flight), and one
 * process at a time (a lock next to the tokens, in the config dir), writing the new pair to the store before using it.
 */
export function createTokenProvider(options: TokenProviderOptions): AppTokenProvider {
  const token = options.config.amocrm.accessToken
  if (token) return new EnvironmentTokenProvider(token)
  return new StoredTokenProvider(options)
}

class EnvironmentTokenProvider implements AppTokenProvider {
  readonly source = 'environment' as const
  constructor(private readonly token: string) {}
  async getAccessToken(): Promise<string> {
    return this.token
  }
  async refreshAfterUnauthorized(): Promise<string | null> {
    return null
  }
  async currentTokens(): Promise<undefined> {
    return undefined
  }
}

class StoredTokenProvider implements AppTokenProvider {
  readonly source = 'store' as const
  private current: StoredTokens | undefined
  private inflight: Promise<string> | undefined
  private storePromise: Promise<SecretStore> | undefined
  private readonly now: () => number
  private readonly dirs: {configDir: string; dataDir: string}

  constructor(private readonly options: TokenProviderOptions) {
    this.now = options.now ?? Date.now
    this.dirs = options.dirs ?? options.config.paths
    if (options.store) this.storePromise = Promise.resolve(options.store)
  }

  async currentTokens(): Promise<StoredTokens | undefined> {
    return this.current ?? (await this.read())
  }

  async getAccessToken(stats?: ApiStats): Promise<string> {
    const tokens = this.current ?? (await this.readOrFail())
    if (tokens.kind === 'oauth' && this.expiresSoon(tokens)) return this.refresh(tokens.accessToken, stats)
    return tokens.accessToken
  }

  async refreshAfterUnauthorized(rejected: string, stats?: ApiStats): Promise<string | null> {
    // Another process (a refresh there, `auth login` in another terminal) may have stored a newer token.
    const stored = await this.readOrFail()
    if (stored.accessToken !== rejected && !this.expiresSoon(stored)) {
      this.current = stored
      return stored.accessToken
    }
    if (stored.kind === 'long-lived') return null
    return this.refresh(rejected, stats)
  }

  private refresh(using: string, stats: ApiStats | undefined): Promise<string> {
    this.inflight ??= this.refreshUnderLock(using, stats).finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async refreshUnderLock(using: string, stats: ApiStats | undefined): Promise<string> {
    const release = await acquireTokenLock(this.dirs.configDir)
    try {
      // Whoever held the lock before us may have refreshed already: use theirs rather than burn ours.
      const stored = await this.readOrFail({underLock: true})
      if (stored.accessToken !== using && !this.expiresSoon(stored)) {
        this.current = stored
        return stored.accessToken
      }
      if (stored.kind === 'long-lived' || !stored.refreshToken) throw authorizationInvalid()
      let pair: RefreshedPair
      try {
        pair = await this.callTokenEndpoint(stored, stats)
      } catch (error) {
        if (!isInvalidGrant(error)) throw error
        const again = await this.read()
        if (again && again.refreshToken !== stored.refreshToken && !this.expiresSoon(again)) {
          this.current = again
          return again.accessToken
        }
        throw authorizationInvalid(error)
      }
      const obtainedAt = this.now()
      const fresh: StoredTokens = {
        kind: 'oauth',
        accessToken: pair.accessToken,
        refreshToken: pair.refreshToken,
        expiresAt: obtainedAt + pair.expiresIn * 1000,
        baseUrl: stored.baseUrl,
        obtainedAt,
      }
      // The old refresh token is spent: the new pair must be safe before anything uses it.
      await (await this.store()).set(SECRET_KEYS.tokens, JSON.stringify(fresh))
      this.current = fresh
      return fresh.accessToken
    } finally {
      await release()
    }
  }

  private async callTokenEndpoint(stored: StoredTokens, stats: ApiStats | undefined): Promise<RefreshedPair> {
    const {config} = this.options
    const clientId = config.amocrm.clientId
    const clientSecret = await resolveClientSecret(config, await this.store())
    if (!clientId || !clientSecret)
      throw new AmoAuthError(`cannot refresh the amoCRM token: ${clientId ? 'the client secret' : 'AMOCRM_CLIENT_ID'} is not configured`, {
        hint: LOGIN_HINT,
      })
    const refresh = this.options.refresh ?? defaultRefresh
    return refresh({
      baseUrl: stored.baseUrl,
      clientId,
      clientSecret,
      redirectUri: config.amocrm.redirectUri,
      refreshToken: stored.refreshToken!,
      stats,
    })
  }

  private expiresSoon(tokens: StoredTokens): boolean {
    return tokens.kind === 'oauth' && tokens.expiresAt !== undefined && tokens.expiresAt - this.now() < REFRESH_AHEAD_MS
  }

  private store(): Promise<SecretStore> {
    this.storePromise ??= openSecretStore(this.dirs)
    return this.storePromise
  }

  private async read(): Promise<StoredTokens | undefined> {
    return readStoredTokens(await this.store())
  }

  private async readUnderLock(): Promise<StoredTokens | undefined> {
    // a config dir that cannot hold the lock (read-only) has no writer to wait for either
    const release = await acquireTokenLock(this.dirs.configDir).catch(() => undefined)
    if (!release) return undefined
    try {
      return await this.read()
    } finally {
      await release()
    }
  }

  private async readOrFail(options: {underLock?: boolean} = {}): Promise<StoredTokens> {
    let tokens = await this.read()
    // Nothing there may be another process replacing the tokens this very moment (a keychain replaces
    // an entry in two steps): it does so under the token lock, so what is there under the lock counts.
    if (!tokens && !options.underLock) tokens = await this.readUnderLock()
    if (!tokens)
      throw new AmoAuthError('not logged in to amoCRM: no stored token', {
        hint: `${LOGIN_HINT} (or set AMOCRM_ACCESS_TOKEN to a long-lived token)`,
      })
    checkBaseUrl(this.options.config, tokens)
    return tokens
  }
}

function authorizationInvalid(cause?: unknown): AmoAuthError {
  return new AmoAuthError('the stored amoCRM authorization is no longer valid', {hint: LOGIN_HINT, ...(cause === undefined ? {} : {cause})})
}

function isInvalidGrant(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as {invalidGrant?: unknown}).invalidGrant === true
}

/** Tokens obtained for one account must not be sent to another one the configuration now names. */
function checkBaseUrl(config: AppConfig, tokens: StoredTokens): void {
  const configured = configuredAmoBaseUrl(config)
  // nothing configured: the tokens' own base URL is the account (and plain http is refused for it as well)
  if (configured === undefined) return void checkAmoTransport(tokens.baseUrl, config.amocrm.allowInsecureHttp)
  if (normalizeBaseUrl(configured) !== normalizeBaseUrl(tokens.baseUrl))
    throw new AmoAuthError(`the stored amoCRM authorization is for ${tokens.baseUrl}, but the configuration points at ${configured}`, {
      hint: LOGIN_HINT,
    })
}

function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').toLowerCase()
}

/** The stored token set, or undefined when there is none. */
export async function readStoredTokens(store: SecretStore): Promise<StoredTokens | undefined> {
  const raw = await store.get(SECRET_KEYS.tokens)
  if (raw === undefined) return undefined
  try {
    const parsed = JSON.parse(raw) as StoredTokens
    if (
      typeof parsed.accessToken !== 'string' ||
      (parsed.kind !== 'oauth' && parsed.kind !== 'long-lived') ||
      typeof parsed.baseUrl !== 'string'
    )
      throw new Error('missing fields')
    return parsed
  } catch (error) {
    throw new AmoAuthError(`the stored amoCRM tokens in ${store.describe()} are unreadable`, {hint: LOGIN_HINT, cause: error})
  }
}

/** Replaces the stored tokens (after `auth login`), under the token lock so that no refresh overwrites them. */
export async function saveStoredTokens(store: SecretStore, configDir: string, tokens: StoredTokens): Promise<void> {
  const release = await acquireTokenLock(configDir)
  try {
    await store.set(SECRET_KEYS.tokens, JSON.stringify(tokens))
  } finally {
    await release()
  }
}

const defaultRefresh: RefreshTokens = async (request) => {
  const pair = await refreshAccessToken(request)
  return {accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: pair.expiresIn}
}

/** Removes the stored tokens (`auth logout`), under the token lock so that no refresh in flight writes them back. */
export async function deleteStoredTokens(store: SecretStore, configDir: string): Promise<boolean> {
  const release = await acquireTokenLock(configDir)
  try {
    return await store.delete(SECRET_KEYS.tokens)
  } finally {
    await release()
  }
}
