import type {ApiStats} from './api.js'

/**
 * Where the client gets its Bearer token. The secrets area implements it over the stored OAuth tokens
 * (refresh ahead of expiry, one refresh at a time across processes); `staticTokenProvider` covers
 * long-lived tokens. `stats`, when given, is the calling client's counters: a provider that calls the
 * token endpoint passes it on to `refreshAccessToken` so the refresh counts as a request sent.
 */
export interface TokenProvider {
  /** A valid access token (refreshing ahead of expiry if the provider can). */
  getAccessToken(stats?: ApiStats): Promise<string>
  /** Called after a 401 with the token that was refused; returns a new token, or null if it cannot refresh. */
  refreshAfterUnauthorized(rejected: string, stats?: ApiStats): Promise<string | null>
}

/** A token that cannot be refreshed: a long-lived token, AMOCRM_ACCESS_TOKEN. */
export function staticTokenProvider(token: string): TokenProvider {
  return {
    getAccessToken: async () => token,
    refreshAfterUnauthorized: async () => null,
  }
}
