import {randomBytes} from 'node:crypto'

import type {SandboxClock} from './clock.js'

/** An integration registered in the sandbox account. */
export interface OAuthClient {
  clientId: string
  clientSecret: string
  redirectUri: string
}

/** docs/amocrm.md "Hosts and authorization". */
export const ACCESS_TOKEN_TTL_S = 86_400
export const REFRESH_TOKEN_TTL_S = 90 * 86_400
export const CODE_TTL_MS = 20 * 60_000

/** What `POST /oauth2/access_token` answers on success. */
export interface TokenResponse {
  token_type: 'Bearer'
  expires_in: number
  access_token: string
  refresh_token: string
  server_time: number
}

export interface OAuthProblem {
  hint: string
  title: string
  type: string
  status: number
  detail: string
}

interface CodeRecord {
  clientId: string
  expiresAt: number
  used: boolean
}

interface AccessRecord {
  clientId: string
  expiresAt: number
  /** The refresh token issued with it: using this access token settles that pair. */
  refresh: string
}

interface RefreshRecord {
  clientId: string
  expiresAt: number
  /** The refresh token this one replaced, still valid until this pair is first used (Kommo). */
  parent?: string
}

export interface OAuthSnapshot {
  access: Array<[string, AccessRecord]>
  refresh: Array<[string, RefreshRecord]>
  revoked: string[]
}

export type OAuthOutcome = {ok: true; body: TokenResponse} | {ok: false; status: number; body: OAuthProblem}

/**
 * The account's OAuth 2.0 side: authorization codes (20 min, single use), access tokens (24 h),
 * refresh tokens (90 days) rotated on every use. The old refresh token stays valid until the new pair
 * is first used (Kommo's rule); `strictRefresh` invalidates it at once (amoCRM's threads).
 * Long-lived tokens are plain Bearer strings that never expire here.
 */
export class OAuthServer {
  /** What the consent page does: auto-approve, or answer as if the user declined. */
  consent: 'approve' | 'decline' = 'approve'
  private codes = new Map<string, CodeRecord>()
  private access = new Map<string, AccessRecord>()
  private refresh = new Map<string, RefreshRecord>()
  /** Tokens that existed and were revoked or superseded: they get "Token has been revoked". */
  private revoked = new Set<string>()
  private longLived = new Map<string, {revoked: boolean}>()

  constructor(
    private readonly clock: SandboxClock,
    readonly clients: OAuthClient[],
    private readonly longLivedTokens: string[],
    private readonly strictRefresh: boolean,
    private readonly account: {id: number; subdomain: string; currentUserId: number},
  ) {
    this.reset()
  }

  reset(): void {
    this.consent = 'approve'
    this.codes.clear()
    this.access.clear()
    this.refresh.clear()
    this.revoked.clear()
    this.longLived = new Map(this.longLivedTokens.map((t) => [t, {revoked: false}]))
  }

  snapshot(): OAuthSnapshot {
    return {access: [...this.access.entries()], refresh: [...this.refresh.entries()], revoked: [...this.revoked]}
  }

  restore(s: OAuthSnapshot): void {
    this.access = new Map(s.access ?? [])
    this.refresh = new Map(s.refresh ?? [])
    this.revoked = new Set(s.revoked ?? [])
  }

  addLongLivedToken(token: string): void {
    this.longLived.set(token, {revoked: false})
  }

  /** Uninstalling the integration: every token and code stops working (API 401, refresh "Token has been revoked"). */
  revokeAll(): void {
    for (const t of [...this.access.keys(), ...this.refresh.keys()]) this.revoked.add(t)
    this.access.clear()
    this.refresh.clear()
    this.codes.clear()
    for (const rec of this.longLived.values()) rec.revoked = true
  }

  /** `GET /oauth`: the consent page, auto-answered with a 302 to the client's redirect URI. */
  authorize(params: URLSearchParams): {location: string} | {error: string} {
    const client = this.clients.find((c) => c.clientId === params.get('client_id'))
    if (!client) return {error: `no integration with client_id '${params.get('client_id') ?? ''}' in this account`}
    const target = new URL(client.redirectUri)
    const state = params.get('state')
    const declined = this.consent === 'decline' || params.get('decline') === '1'
    if (declined) {
      target.searchParams.set('error', 'access_denied')
    } else {
      target.searchParams.set('code', this.issueCode(client.clientId))
    }
    if (state !== null) target.searchParams.set('state', state)
    if (!declined) target.searchParams.set('referer', `${this.account.subdomain}.amocrm.ru`)
    target.searchParams.set('client_id', client.clientId)
    return {location: target.toString()}
  }

  issueCode(clientId: string): string {
    const code = `def50200${randomBytes(48).toString('hex')}`
    this.codes.set(code, {clientId, expiresAt: this.clock.now() + CODE_TTL_MS, used: false})
    return code
  }

  /** `POST /oauth2/access_token`. */
  exchange(body: Record<string, unknown>): OAuthOutcome {
    const str = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k] as string) : undefined)
    const client = this.clients.find((c) => c.clientId === str('client_id'))
    if (!client) return fail('Check the `client_id` parameter')
    if (str('client_secret') !== client.clientSecret) return fail('Check the `client_secret` parameter')
    const grant = str('grant_type')
    const redirectUri = str('redirect_uri')
    if (grant === 'authorization_code') {
      if (redirectUri !== client.redirectUri) return fail('Redirect URI is not associated with client')
      const code = str('code')
      if (!code) return fail('Check the `code` parameter')
      const rec = this.codes.get(code)
      if (!rec || rec.clientId !== client.clientId) return fail('Cannot decrypt the authorization code')
      if (rec.used) return fail('Authorization code has been revoked')
      if (this.clock.now() >= rec.expiresAt) return fail('Authorization code has expired')
      rec.used = true
      return {ok: true, body: this.issuePair(client.clientId, undefined)}
    }
    if (grant === 'refresh_token') {
      if (redirectUri !== undefined && redirectUri !== client.redirectUri) return fail('Redirect URI is not associated with client')
      const token = str('refresh_token')
      if (!token) return fail('Check the `refresh_token` parameter')
      if (this.revoked.has(token)) return fail('Token has been revoked')
      const rec = this.refresh.get(token)
      if (!rec || rec.clientId !== client.clientId) return fail('Invalid refresh token')
      if (this.clock.now() >= rec.expiresAt) return fail('Token has expired')
      this.settle(token)
      if (this.strictRefresh) this.kill(token)
      return {ok: true, body: this.issuePair(client.clientId, this.strictRefresh ? undefined : token)}
    }
    return fail('Check the `grant_type` parameter')
  }

  /** A fresh pair for a registered client, skipping the consent page (for tests and demos). */
  issueTokens(clientId = this.clients[0]?.clientId): TokenResponse {
    if (!clientId || !this.clients.some((c) => c.clientId === clientId))
      throw new Error(`no OAuth client '${clientId ?? ''}' is registered in the sandbox`)
    return this.issuePair(clientId, undefined)
  }

  /** True when `token` may call the API now; a first use of a new pair retires the refresh token it replaced. */
  authenticate(token: string | undefined): boolean {
    if (!token) return false
    const ll = this.longLived.get(token)
    if (ll) return !ll.revoked
    const rec = this.access.get(token)
    if (!rec || this.clock.now() >= rec.expiresAt) return false
    this.settle(rec.refresh)
    return true
  }

  private issuePair(clientId: string, parent: string | undefined): TokenResponse {
    const now = this.clock.now()
    const nowS = Math.floor(now / 1000)
    const accessToken = fakeJwt({
      aud: clientId,
      jti: randomBytes(16).toString('hex'),
      iat: nowS,
      nbf: nowS,
      exp: nowS + ACCESS_TOKEN_TTL_S,
      sub: String(this.account.currentUserId),
      account_id: this.account.id,
      base_domain: 'amocrm.ru',
      scopes: ['crm'],
    })
    const refreshToken = `def50200${randomBytes(64).toString('hex')}`
    this.access.set(accessToken, {clientId, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000, refresh: refreshToken})
    this.refresh.set(refreshToken, {clientId, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000, ...(parent ? {parent} : {})})
    return {token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_S, access_token: accessToken, refresh_token: refreshToken, server_time: nowS}
  }

  /**
   * The pair of `refreshToken` is in use: the token it replaced, and any other pair issued from that
   * same token (a second refresh with it), are gone for good. Only one line of tokens lives on.
   */
  private settle(refreshToken: string): void {
    const rec = this.refresh.get(refreshToken)
    const parent = rec?.parent
    if (!rec || !parent) return
    delete rec.parent
    this.kill(parent)
    for (const [t, r] of this.refresh) if (r.parent === parent) this.kill(t)
  }

  private kill(refreshToken: string): void {
    this.refresh.delete(refreshToken)
    this.revoked.add(refreshToken)
  }
}

function fail(hint: string): OAuthOutcome {
  return {
    ok: false,
    status: 400,
    body: {
      hint,
      title: 'Некорректный запрос',
      type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
      status: 400,
      detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
    },
  }
}

/** JWT-shaped like the real ones; the signature is random: nobody may verify it. */
function fakeJwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({typ: 'JWT', alg: 'RS256', jti: payload.jti})}.${part(payload)}.${randomBytes(64).toString('base64url')}`
}
