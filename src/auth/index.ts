export {
  accountFromReferer,
  consentUrl,
  DEFAULT_LOGIN_TIMEOUT_MS,
  jwtExpiry,
  loginWithCode,
  loginWithToken,
  newState,
  parsePastedCode,
  startCallbackServer,
  verifyAccount,
} from './login.js'
export type {AuthorizationCallback, CallbackServer, CodeLoginOptions, LoginOutcome, LoginResult} from './login.js'
export {readAuthStatus} from './status.js'
export type {AuthStatus} from './status.js'
