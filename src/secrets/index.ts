export type {SecretStore, StoredTokens} from './types.js'
export {SECRET_KEYS} from './types.js'
export {FileSecretStore, KEYCHAIN_SERVICE, KeychainUnavailableError, keychainAccount, openSecretStore, secretsFilePath} from './store.js'
export type {OpenSecretStoreOptions} from './store.js'
export {resolveClientSecret, resolveDbPassword, resolveSecret} from './resolve.js'
export type {ResolvedSecret, SecretSource} from './resolve.js'
export {REFRESH_AHEAD_MS, createTokenProvider, deleteStoredTokens, readStoredTokens, saveStoredTokens} from './tokens.js'
export type {AppTokenProvider, RefreshTokens, TokenProviderOptions} from './tokens.js'
export {acquireTokenLock, tokenLockPath} from './lock.js'
export {
  accountFromReferer,
  consentUrl,
  DEFAULT_LOGIN_TIMEOUT_MS,
  jwtExpiry,
  loginWithCode,
  loginWithToken,
  newState,
  parseAccountAddress,
  parsePastedCode,
  startCallbackServer,
  verifyAccount,
} from './login.js'
export type {AuthorizationCallback, CallbackServer, CodeLoginOptions, LoginOutcome, LoginResult} from './login.js'
export {readAuthStatus} from './status.js'
export type {AuthStatus} from './status.js'
