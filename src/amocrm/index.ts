import type {AppConfig} from '../config/index.js'
import {amoBaseUrl} from '../config/index.js'
import {AmoClient, type AmoClientOptions} from './client.js'
import {getSharedRateLimiter} from './rate-limiter.js'
import {FileSendLedger, sendLedgerPath} from './send-ledger.js'
import type {TokenProvider} from './tokens.js'

export type {AmoApi, ApiStats, ListContactsParams, ListLeadsParams} from './api.js'
export {AmoClient, DEFAULT_TIMEOUT_MS, MAX_BATCH} from './client.js'
export type {AmoClientOptions} from './client.js'
export * from './errors.js'
export {LOST_STATUS_ID, MAX_PIPELINES, MAX_STATUSES_PER_PIPELINE, STATUS_COLORS, WON_STATUS_ID} from './leads.js'
export {buildAuthorizeUrl, consentBaseUrl, exchangeAuthorizationCode, refreshAccessToken} from './oauth.js'
export type {AuthorizeMode, OAuthCallOptions, OAuthClientSettings, OAuthTokens} from './oauth.js'
export {DEFAULT_RATE_LIMIT, getSharedRateLimiter, RATE_WINDOW_MS, RateLimiter} from './rate-limiter.js'
export type {SendLedger} from './rate-limiter.js'
export {FileSendLedger, sendLedgerPath} from './send-ledger.js'
export {DEFAULT_RETRY, retryDelayMs} from './retry.js'
export type {RetryOptions} from './retry.js'
export {staticTokenProvider} from './tokens.js'
export type {TokenProvider} from './tokens.js'
export type * from './types.js'

/**
 * A client for the configured account: its base URL, AMOCRM_REQUEST_TIMEOUT_MS, and AMOCRM_RATE_LIMIT on the process-wide limiter,
 * shared through the config dir with the other processes of the account (amoCRM counts them together).
 */
export function amoClientFromConfig(
  config: AppConfig,
  options: {tokens: TokenProvider} & Omit<AmoClientOptions, 'baseUrl' | 'tokens' | 'rateLimit'>,
): AmoClient {
  const baseUrl = amoBaseUrl(config)
  const limiter =
    options.limiter ?? getSharedRateLimiter(config.amocrm.rateLimit, new FileSendLedger(sendLedgerPath(config.paths.configDir, baseUrl)))
  return new AmoClient({timeoutMs: config.amocrm.requestTimeoutMs, ...options, baseUrl, limiter})
}
