import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import {
  type Account,
  AmoAuthError,
  AmoClient,
  buildAuthorizeUrl,
  consentBaseUrl,
  exchangeAuthorizationCode,
  type OAuthTokens,
  staticTokenProvider,
} from '../amocrm/index.js'
import type {AppConfig} from '../config/index.js'
import {AppError, errorMessage, UsageError} from '../errors.js'
import {saveStoredTokens, type SecretStore, type StoredTokens} from '../secrets/index.js'

/** How long `auth login` waits for the browser by default. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60 * 1000

/** What `auth login` reports (its `--json`). */
export interface LoginResult {
  account: {id: number; name: string; subdomain: string}
  tokenKind: StoredTokens['kind']
  /** ISO-8601, or null for a token without a known expiry. */
  expiresAt: string | null
  /** Where the secrets went (`SecretStore.describe()`). */
  storage: string
}

export interface LoginOutcome {
  result: LoginResult
  /** The account amoCRM named in its redirect (`referer`), when the login followed it. */
  accountAddress?: {subdomain: string; domain: string}
}

/** Stores a private integration's long-lived token once amoCRM accepts it. */
export async function loginWithToken(options: {
  token: string
  baseUrl: string
  store: SecretStore
  /** Where the token lock is (next to the tokens). */
  configDir: string
  now?: number
}): Promise<LoginOutcome> {
  if (!options.token) throw new UsageError('--token is empty', 'pass the long-lived token from the integration\'s "Keys and access" tab')
  const account = await verifyAccount(options.baseUrl, options.token)
  const tokens = longLivedTokensToStored(options.token, options.baseUrl, options.now)
  await saveStoredTokens(options.store, options.configDir, tokens)
  return {result: loginResult(account, tokens, options.store)}
}

export interface CodeLoginOptions {
  baseUrl: string
  clientId: string
  clientSecret: string
  redirectUri: string
  code: string
  /** amoCRM's `referer` from the redirect. */
  referer?: string
  /** Use the account named by `referer` rather than `baseUrl` (not when AMOCRM_BASE_URL is explicit). */
  followReferer: boolean
  store: SecretStore
  /** Where the token lock is (next to the tokens). */
  configDir: string
}

/** Exchanges an authorization code, verifies the token with `GET /api/v4/account`, then stores the pair. */
export async function loginWithCode(options: CodeLoginOptions): Promise<LoginOutcome> {
  const referred = options.followReferer ? accountFromReferer(options.referer) : undefined
  const baseUrl = referred?.baseUrl ?? options.baseUrl
  const pair = await exchangeAuthorizationCode({
    baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUri: options.redirectUri,
    code: options.code,
  })
  const account = await verifyAccount(baseUrl, pair.accessToken)
  const tokens = oauthTokensToStored(pair, baseUrl)
  await saveStoredTokens(options.store, options.configDir, tokens)
  return {
    result: loginResult(account, tokens, options.store),
    ...(referred ? {accountAddress: {subdomain: referred.subdomain, domain: referred.domain}} : {}),
  }
}

function loginResult(account: Account, tokens: StoredTokens, store: SecretStore): LoginResult {
  return {
    account: {id: account.id, name: account.name, subdomain: account.subdomain},
    tokenKind: tokens.kind,
    expiresAt: tokens.expiresAt === undefined ? null : new Date(tokens.expiresAt).toISOString(),
    storage: store.describe(),
  }
}

/** The consent page link for this login. */
export function consentUrl(config: Pick<AppConfig, 'amocrm'>, clientId: string, state: string): string {
  return buildAuthorizeUrl({baseUrl: consentBaseUrl(config), clientId, state})
}

/** `GET /api/v4/account` with a token not yet stored: a token is saved only once amoCRM accepts it. */
export async function verifyAccount(baseUrl: string, accessToken: string): Promise<Account> {
  const client = new AmoClient({baseUrl, tokens: staticTokenProvider(accessToken), retry: {maxAttempts: 3}})
  try {
    return await client.getAccount()
  } catch (error) {
    if (error instanceof AmoAuthError)
      throw new AmoAuthError(`amoCRM (${baseUrl}) refused the token`, {
        hint: 'check that the token belongs to this account and has not expired or been revoked (Settings → Integrations → your integration → Keys and access)',
        cause: error,
      })
    throw error
  }
}

export function oauthTokensToStored(pair: OAuthTokens, baseUrl: string, now = Date.now()): StoredTokens {
  return {
    kind: 'oauth',
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: now + pair.expiresIn * 1000,
    baseUrl,
    obtainedAt: now,
  }
}

/** A private integration's long-lived token; its expiry from the JWT `exp` claim when it has one. */
export function longLivedTokensToStored(token: string, baseUrl: string, now = Date.now()): StoredTokens {
  const expiresAt = jwtExpiry(token)
  return {kind: 'long-lived', accessToken: token, ...(expiresAt === undefined ? {} : {expiresAt}), baseUrl, obtainedAt: now}
}

/** Unix ms of a JWT's `exp`, or undefined for a token that is not a JWT or has none. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1]
  if (!payload || token.split('.').length !== 3) return undefined
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {exp?: unknown}).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

/**
 * The account address amoCRM put in `referer` on the redirect (`clinic.amocrm.ru`, `clinic.kommo.com`):
 * the account the user actually chose on the consent page, whatever subdomain was typed before.
 */
export function accountFromReferer(referer: string | undefined): {subdomain: string; domain: string; baseUrl: string} | undefined {
  const match = /^([a-z\d][a-z\d-]*)\.(amocrm\.ru|amocrm\.com|kommo\.com)$/i.exec(referer?.trim() ?? '')
  if (!match) return undefined
  const subdomain = match[1]!.toLowerCase()
  const domain = match[2]!.toLowerCase()
  return {subdomain, domain, baseUrl: `https://${subdomain}.${domain}`}
}

/** `--code` accepts the bare code or the whole address the browser landed on. */
export function parsePastedCode(pasted: string): {code: string; referer?: string} {
  const text = pasted.trim()
  if (/^https?:\/\//i.test(text) || text.startsWith('?') || text.includes('code=')) {
    const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text
    const params = new URLSearchParams(query)
    const code = params.get('code')
    if (!code)
      throw new UsageError('no `code` parameter in the pasted address', 'paste the value of `code=` from the address amoCRM redirected to')
    const referer = params.get('referer') ?? undefined
    return referer ? {code, referer} : {code}
  }
  if (!text) throw new UsageError('--code is empty', 'paste the value of `code=` from the address amoCRM redirected to')
  return {code: text}
}

export function newState(): string {
  return randomBytes(16).toString('hex')
}

/** What the browser brought back: the code, and amoCRM's `referer` (the account host). */
export interface AuthorizationCallback {
  code: string
  referer?: string
}

export interface CallbackServerOptions {
  redirectUri: string
  state: string
  timeoutMs: number
  /**
   * Exchanges and verifies the code, then saves; the browser's page shows how it went. What it
   * resolves with becomes the result of `done`.
   */
  complete: (callback: AuthorizationCallback) => Promise<void>
}

export interface CallbackServer {
  /** Resolves once the code was exchanged and saved; rejects on denial, a wrong state, a failure or the timeout. */
  done: Promise<void>
  close(): Promise<void>
}

/**
 * A one-shot HTTP server on 127.0.0.1 at the redirect URI's port and path, for amoCRM's redirect
 * after consent (`?code=…&state=…&referer=…`, or `?error=access_denied`). Only loopback: nothing on
 * the network can reach it.
 */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const target = loopbackRedirect(options.redirectUri)
  let settle!: {resolve: () => void; reject: (error: unknown) => void}
  const done = new Promise<void>((resolve, reject) => {
    settle = {resolve, reject}
  })
  let finished = false
  let busy = false
  const finish = (error?: unknown) => {
    if (finished) return
    finished = true
    if (error === undefined) settle.resolve()
    else settle.reject(error)
  }

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (request.method !== 'GET' || url.pathname !== target.path) {
      sendPage(response, 404, 'Not found', 'Страница не найдена.', 'Nothing here.')
      return
    }
    if (finished || busy) {
      sendPage(
        response,
        409,
        'Already handled',
        'Этот вход уже обработан. Вернитесь в терминал.',
        'This login was already handled. Return to the terminal.',
      )
      return
    }
    const params = url.searchParams
    const error = params.get('error')
    if (params.get('state') !== options.state) {
      sendFailure(
        response,
        400,
        'Ответ не относится к этому входу (state не совпадает). Запустите вход заново.',
        'The answer does not belong to this login (state mismatch). Start the login again.',
      )
      finish(
        new AppError("the authorization answer did not carry the state of this login (an old browser tab, or someone else's link)", {
          code: 'E_OAUTH_STATE',
          hint: 'run `ident-amo auth login` again and use the newest link',
        }),
      )
      return
    }
    if (error) {
      const denied = error === 'access_denied'
      sendFailure(
        response,
        denied ? 403 : 400,
        denied ? 'Доступ не предоставлен: на странице amoCRM нажали «Отказать».' : `amoCRM вернула ошибку: ${error}`,
        denied ? 'Access was not granted: the amoCRM consent page was declined.' : `amoCRM returned an error: ${error}`,
      )
      finish(
        denied
          ? new AppError('access was denied on the amoCRM consent page', {
              code: 'E_OAUTH_DENIED',
              hint: 'run `ident-amo auth login` again and allow access (the user must be an account administrator)',
            })
          : new AppError(`amoCRM returned an error instead of a code: ${error}`, {
              code: 'E_OAUTH',
              hint: 'check the integration settings in amoCRM and run `ident-amo auth login` again',
            }),
      )
      return
    }
    const code = params.get('code')
    if (!code) {
      sendPage(response, 400, 'No code', 'В адресе нет кода авторизации.', 'The address carries no authorization code.')
      return
    }
    busy = true
    const referer = params.get('referer') ?? undefined
    options.complete(referer ? {code, referer} : {code}).then(
      () => {
        sendPage(
          response,
          200,
          'ident-amo: готово / done',
          'Вход выполнен. Окно можно закрыть и вернуться в терминал.',
          'You are logged in. You can close this window and return to the terminal.',
          true,
        )
        finish()
      },
      (error_: unknown) => {
        sendFailure(
          response,
          500,
          `Не удалось завершить вход: ${errorMessage(error_)}`,
          `The login could not be completed: ${errorMessage(error_)}`,
        )
        finish(error_)
      },
    )
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new AppError(
              `port ${target.port} on 127.0.0.1 is in use, so the login cannot receive amoCRM's redirect to ${options.redirectUri}`,
              {
                code: 'E_PORT_IN_USE',
                hint: 'stop what is listening there (another `auth login`?), or register another redirect URI in the integration and pass it with --redirect-uri, or use --code',
              },
            )
          : error,
      )
    })
    server.listen(target.port, '127.0.0.1', () => resolve())
  })

  const timer = setTimeout(() => {
    finish(
      new AppError(`no answer from the browser within ${Math.round(options.timeoutMs / 1000)} s`, {
        code: 'E_LOGIN_TIMEOUT',
        hint: 'run `ident-amo auth login` again (or with --no-browser, open the link anywhere and pass the `code` from the address it lands on with --code)',
      }),
    )
  }, options.timeoutMs)

  const close = async () => {
    clearTimeout(timer)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {done, close}
}

/** The redirect URI's port and path, refusing one this machine cannot serve. */
export function loopbackRedirect(redirectUri: string): {port: number; path: string} {
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    throw new UsageError(
      `the redirect URI '${redirectUri}' is not a URL`,
      'pass it with --redirect-uri exactly as registered in the integration, e.g. http://localhost:8080/callback',
    )
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '::1'].includes(host))
    throw new UsageError(
      `the redirect URI ${redirectUri} is not a plain-http address on this machine, so the login cannot catch amoCRM's redirect itself`,
      'open the consent link, allow access, then run `ident-amo auth login --code <code>` with the `code` from the address the browser lands on',
    )
  return {port: url.port ? Number(url.port) : 80, path: url.pathname || '/'}
}

function sendFailure(response: ServerResponse, status: number, russian: string, english: string): void {
  sendPage(response, status, 'ident-amo: ошибка / error', russian, english)
}

function sendPage(response: ServerResponse, status: number, title: string, russian: string, english: string, ok = false): void {
  const color = ok ? '#1a7f37' : '#cf222e'
  const body = `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}h1{color:${color};font-size:1.4rem}p.en{color:#555}</style>
</head><body><h1>ident-amo</h1><p>${escapeHtml(russian)}</p><p class="en" lang="en">${escapeHtml(english)}</p></body></html>
`
  response.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close'})
  response.end(body)
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}
