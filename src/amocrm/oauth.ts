import type {Logger} from 'pino'

import type {AppConfig} from '../config/index.js'
import type {ApiStats} from './api.js'
import {DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, realSleep} from './client.js'
import {AmoHttpError, AmoOAuthError} from './errors.js'
import {AmoHttp} from './http.js'
import {getSharedRateLimiter, type RateLimiter} from './rate-limiter.js'
import {retryOptions, type RetryOptions} from './retry.js'

/** What the token endpoint gives (docs/amocrm.md "Hosts and authorization"). */
export interface OAuthTokens {
  accessToken: string
  refreshToken: string
  /** Seconds (86400 for amoCRM). */
  expiresIn: number
  tokenType: string
  /** Unix seconds, when the server sends it (Kommo). */
  serverTime?: number
}

export interface OAuthClientSettings {
  /** The account host, `https://SUB.amocrm.ru` or AMOCRM_BASE_URL: the token endpoint lives there. */
  baseUrl: string
  clientId: string
  clientSecret: string
  /** Exactly as registered in the integration (trailing slash included). */
  redirectUri: string
}

/** How the call is made; everything defaults to what the API client uses. */
export interface OAuthCallOptions {
  /** The process-wide limiter by default: token calls count against amoCRM's limit too. */
  limiter?: RateLimiter
  /** The calling client's counters, when the call is made on its behalf. */
  stats?: ApiStats
  timeoutMs?: number
  retry?: Partial<RetryOptions>
  logger?: Logger
  sleep?: (ms: number) => Promise<void>
}

/**
 * Exchanges the `code` from the consent redirect (valid 20 minutes, single use) for tokens.
 * Throws `AmoOAuthError` when amoCRM refuses (its `hint` in `serverHint`), `AmoOutcomeUnknownError`
 * when the request went out and no answer came back.
 */
export async function exchangeAuthorizationCode(settings: OAuthClientSettings & {code: string} & OAuthCallOptions): Promise<OAuthTokens> {
  return tokenRequest(settings, {grant_type: 'authorization_code', code: settings.code})
}

/**
 * Trades a refresh token for a new pair. amoCRM rotates the refresh token on every use: store the new
 * pair before using it. `AmoOAuthError.invalidGrant` says the refresh token is dead (used, expired,
 * revoked); `AmoOutcomeUnknownError` means it may have been consumed without our hearing the answer.
 */
export async function refreshAccessToken(settings: OAuthClientSettings & {refreshToken: string} & OAuthCallOptions): Promise<OAuthTokens> {
  return tokenRequest(settings, {grant_type: 'refresh_token', refresh_token: settings.refreshToken})
}

async function tokenRequest(settings: OAuthClientSettings & OAuthCallOptions, grant: Record<string, string>): Promise<OAuthTokens> {
  const http = new AmoHttp({
    limiter: settings.limiter ?? getSharedRateLimiter(),
    timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: retryOptions(settings.retry),
    userAgent: DEFAULT_USER_AGENT,
    logger: settings.logger,
    sleep: settings.sleep ?? realSleep,
    stats: settings.stats ?? {requests: 0, retries: 0, throttled: 0},
  })
  const response = await http.send({
    method: 'POST',
    url: `${settings.baseUrl.replace(/\/+$/, '')}/oauth2/access_token`,
    json: {client_id: settings.clientId, client_secret: settings.clientSecret, redirect_uri: settings.redirectUri, ...grant},
    // a code is single use and a refresh token rotates: never resend one that may have been consumed
    repeatable: false,
  })
  const body = (response.body && typeof response.body === 'object' ? response.body : {}) as Record<string, unknown>
  if (response.status >= 400) {
    const text = (key: string) => (typeof body[key] === 'string' && body[key] !== '' ? (body[key] as string) : undefined)
    const hint = text('hint') ?? text('error_description')
    throw new AmoOAuthError(
      response.status,
      hint,
      text('detail') ?? text('title') ?? (typeof response.body === 'string' ? 'an HTML page' : undefined),
      {oauthError: text('error')},
    )
  }
  const {
    access_token: accessToken,
    refresh_token: refreshToken,
    expires_in: expiresIn,
    token_type: tokenType,
    server_time: serverTime,
  } = body
  if (
    typeof accessToken !== 'string' ||
    !accessToken ||
    typeof refreshToken !== 'string' ||
    !refreshToken ||
    !Number.isFinite(Number(expiresIn))
  )
    throw new AmoHttpError(response.status, 'the token endpoint answered without access_token, refresh_token and expires_in', undefined)
  return {
    accessToken,
    refreshToken,
    expiresIn: Number(expiresIn),
    tokenType: typeof tokenType === 'string' ? tokenType : 'Bearer',
    ...(Number.isFinite(Number(serverTime)) && serverTime !== undefined && serverTime !== null ? {serverTime: Number(serverTime)} : {}),
  }
}

export type AuthorizeMode = 'popup' | 'post_message'

/**
 * The consent page URL: `<baseUrl>/oauth?client_id=…&state=…&mode=…`. `baseUrl` is the consent host,
 * not the account host: see `consentBaseUrl()`. There is no scope and no redirect_uri parameter: both
 * are fixed in the integration settings.
 */
export function buildAuthorizeUrl(options: {baseUrl: string; clientId: string; state: string; mode?: AuthorizeMode}): string {
  const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/oauth`)
  url.searchParams.set('client_id', options.clientId)
  url.searchParams.set('state', options.state)
  url.searchParams.set('mode', options.mode ?? 'post_message')
  return url.href
}

/**
 * Where the consent page lives (docs/amocrm.md "Hosts and authorization"): AMOCRM_BASE_URL when set (sandbox, proxy), else the
 * `www` host of the domain — `https://www.amocrm.ru`, or `https://www.kommo.com` for AMOCRM_DOMAIN=kommo.com.
 */
export function consentBaseUrl(config: Pick<AppConfig, 'amocrm'>): string {
  if (config.amocrm.baseUrl) return config.amocrm.baseUrl.replace(/\/+$/, '')
  return `https://www.${config.amocrm.domain.replace(/^www\./, '')}`
}
