import {AppError} from '../errors.js'
import type {ValidationProblem} from './types.js'

/**
 * Any failure talking to amoCRM. `message` is ours and safe to log and keep; amoCRM's own words go to
 * `serverText` (see `AppError.serverText`) because they may quote the values sent.
 */
export class AmoError extends AppError {
  readonly status: number | undefined
  constructor(
    message: string,
    options: {status?: number; hint?: string; code?: string; cause?: unknown; exitCode?: number; serverText?: string} = {},
  ) {
    super(message, {
      exitCode: options.exitCode ?? 1,
      code: options.code ?? 'E_AMOCRM',
      hint: options.hint,
      cause: options.cause,
      serverText: options.serverText,
    })
    this.status = options.status
  }
}

/**
 * Fatal for a run: nothing more should be sent until a person acts (401 after a refresh, 402, 403).
 * The sync stops cleanly when it meets one.
 */
export class AmoFatalError extends AmoError {}

/** 401 that a token refresh did not cure, or no usable token at all. */
export class AmoAuthError extends AmoFatalError {
  constructor(message = 'amoCRM refused the access token', options: {cause?: unknown; hint?: string} = {}) {
    super(message, {
      status: 401,
      code: 'E_AUTH',
      hint: options.hint ?? 'run `ident-amo auth login` (or set AMOCRM_ACCESS_TOKEN to a valid long-lived token)',
      cause: options.cause,
    })
  }
}

/**
 * The amoCRM host name does not exist (ENOTFOUND): a wrong address in the configuration, which no
 * retry can cure, so it is reported at once.
 */
export class AmoAddressError extends AmoFatalError {
  constructor(host: string, cause?: unknown) {
    super(`cannot find amoCRM at ${host}: no such host name`, {
      code: 'E_AMOCRM_ADDRESS',
      hint: 'check AMOCRM_SUBDOMAIN (clinic of clinic.amocrm.ru), AMOCRM_DOMAIN and AMOCRM_BASE_URL: `ident-amo config show` lists them',
      cause,
    })
  }
}

/** 402: the account's subscription is unpaid. */
export class AmoPaymentRequiredError extends AmoFatalError {
  constructor() {
    super('amoCRM answered 402 Payment Required: the account subscription has lapsed', {
      status: 402,
      code: 'E_PAYMENT_REQUIRED',
      hint: 'pay for the amoCRM account (Settings → Billing), then run the command again',
    })
  }
}

/** 403: the API is blocked for this IP/account (often an HTML page), or rights are missing. */
export class AmoBlockedError extends AmoFatalError {
  /** `htmlPage`: the gateway's HTML block page; `serverText`: the detail of a JSON 403. */
  constructor(answer: {htmlPage?: boolean; serverText?: string} = {}) {
    super(
      `amoCRM answered 403 Forbidden${answer.htmlPage ? ' (an HTML block page)' : ''}: API access is blocked for this IP or account, or the user lacks rights`,
      {
        status: 403,
        code: 'E_BLOCKED',
        hint: 'stop all integrations for this account, then write to amoCRM support with your IP and subdomain to lift the block; no further requests will be sent',
        serverText: answer.serverText,
      },
    )
  }
}

/**
 * 400 with `validation-errors`: nothing from the batch was applied. Each problem's `code` and `path`
 * are safe to log and keep (`describeProblems`); its `detail` is amoCRM's text, which may quote the
 * refused value, so it goes only where `serverText` goes (`describeProblems(…, {withText: true})`).
 */
export class AmoValidationError extends AmoError {
  /** request_id → problems. */
  readonly problems: Map<string, ValidationProblem[]>
  constructor(problems: Map<string, ValidationProblem[]>, serverText?: string) {
    const all = [...problems.values()].flat()
    super(
      `amoCRM rejected the request (${problems.size} element(s) with errors: ${describeProblems(all.slice(0, 5))}${all.length > 5 ? '; …' : ''})`,
      {
        status: 400,
        code: 'E_VALIDATION',
        serverText: [serverText, describeProblems(all.slice(0, 5), {withText: true})].filter(Boolean).join(': '),
      },
    )
    this.problems = problems
  }
}

/**
 * Validation problems in words: `code at path` (safe for logs and the state), or with amoCRM's own
 * text after each (`withText`, for the terminal of the run at hand only).
 */
export function describeProblems(problems: ValidationProblem[], options: {withText?: boolean} = {}): string {
  return problems
    .map((p) => `${p.code || 'error'} at ${p.path || 'the element'}${options.withText && p.detail ? `: ${p.detail}` : ''}`)
    .join('; ')
}

/**
 * A write was sent and no reliable answer came back (timeout, connection dropped, 5xx after sending):
 * it may or may not have been applied. For creates the caller must reconcile before retrying.
 */
export class AmoOutcomeUnknownError extends AmoError {
  constructor(message: string, options: {status?: number; cause?: unknown} = {}) {
    super(`outcome unknown: ${message}`, {status: options.status, code: 'E_OUTCOME_UNKNOWN', cause: options.cause})
  }
}

/** A transient failure that retries did not cure (429 storm, 5xx, network down). */
export class AmoUnavailableError extends AmoError {
  constructor(message: string, options: {status?: number; cause?: unknown} = {}) {
    super(message, {
      status: options.status,
      code: 'E_AMOCRM_UNAVAILABLE',
      hint: 'amoCRM or the network is unavailable; the next run retries',
      cause: options.cause,
    })
  }
}

/** Any other HTTP error (404 on a path, 405, 422, unexpected 4xx). */
export class AmoHttpError extends AmoError {
  readonly body: unknown
  /** `message` is ours; `serverText` amoCRM's title and detail, if any. */
  constructor(status: number, message: string, body?: unknown, serverText?: string) {
    super(`amoCRM answered ${status}: ${message}`, {status, code: 'E_HTTP', serverText})
    this.body = body
  }
}

/** A request refused before sending because it cannot be right (a batch over 250, a write without ids…). */
export class AmoInvalidRequestError extends AmoError {
  constructor(message: string) {
    super(message, {code: 'E_AMOCRM_INVALID_REQUEST'})
  }
}

/** Hints of the token endpoint that mean the code or refresh token is dead: only a new login helps. */
const DEAD_GRANT_HINTS = [
  /invalid refresh token/i,
  /token has been revoked/i,
  /authorization code has expired/i,
  /authorization code has been revoked/i,
  /cannot decrypt the authorization code/i,
]

/**
 * The token endpoint (`/oauth2/access_token`) refused the exchange. `serverHint` is amoCRM's `hint`
 * ("Invalid refresh token", "Redirect URI is not associated with client"…); `invalidGrant` is true when
 * the code or refresh token itself is dead (expired, used, revoked) so the user must log in again,
 * false when the integration settings are wrong (client id/secret, redirect URI, account).
 */
export class AmoOAuthError extends AmoError {
  readonly serverHint: string | undefined
  readonly invalidGrant: boolean
  constructor(status: number, serverHint: string | undefined, detail?: string, options: {oauthError?: string} = {}) {
    const invalidGrant =
      options.oauthError === 'invalid_grant' ||
      (serverHint !== undefined && DEAD_GRANT_HINTS.some((re) => re.test(serverHint))) ||
      (serverHint === undefined && status === 401)
    super(`amoCRM refused the token request (${status}): ${serverHint ?? detail ?? 'no reason given'}`, {
      status,
      code: invalidGrant ? 'E_AUTH' : 'E_OAUTH',
      hint: invalidGrant
        ? 'run `ident-amo auth login` to authorize the integration again'
        : 'check AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI (exactly as in the integration settings, trailing slash included) and the account address',
    })
    this.serverHint = serverHint
    this.invalidGrant = invalidGrant
  }
}
