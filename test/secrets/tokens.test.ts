import {existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {AmoAuthError, AmoOAuthError} from '../../src/amocrm/errors.js'
import {type AppConfig, loadConfig} from '../../src/config/index.js'
import {
  acquireTokenLock,
  createTokenProvider,
  readStoredTokens,
  REFRESH_AHEAD_MS,
  type RefreshTokens,
  SECRET_KEYS,
  type StoredTokens,
  tokenLockPath,
} from '../../src/secrets/index.js'
import {MemorySecretStore} from './helpers.js'

const BASE_URL = 'https://sandbox.test'
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const HOUR = 3600 * 1000

describe('token lifecycle', () => {
  let dir: string
  let store: MemorySecretStore
  let refreshCalls: Array<{refreshToken: string; clientId: string; clientSecret: string; baseUrl: string}>
  let issued: number

  const configWith = (env: Record<string, string> = {}): AppConfig =>
    loadConfig({
      configDir: path.join(dir, 'config'),
      dataDir: path.join(dir, 'data'),
      cwd: dir,
      env: {AMOCRM_BASE_URL: BASE_URL, AMOCRM_CLIENT_ID: 'client-1', AMOCRM_CLIENT_SECRET: 'secret-1', ...env},
    })

  /** A token endpoint that hands out access-N / refresh-N and accepts each refresh token once. */
  const fakeEndpoint: RefreshTokens = async (request) => {
    refreshCalls.push({
      refreshToken: request.refreshToken,
      clientId: request.clientId,
      clientSecret: request.clientSecret,
      baseUrl: request.baseUrl,
    })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const stored = await readStoredTokens(store)
    if (stored?.refreshToken !== request.refreshToken) throw new AmoOAuthError(400, 'Invalid refresh token')
    issued += 1
    return {accessToken: `access-${issued}`, refreshToken: `refresh-${issued}`, expiresIn: 86_400}
  }

  const storeTokens = (tokens: Partial<StoredTokens> = {}): StoredTokens => {
    const value: StoredTokens = {
      kind: 'oauth',
      accessToken: 'access-0',
      refreshToken: 'refresh-0',
      expiresAt: NOW + 20 * HOUR,
      baseUrl: BASE_URL,
      obtainedAt: NOW - 4 * HOUR,
      ...tokens,
    }
    store.values.set(SECRET_KEYS.tokens, JSON.stringify(value))
    return value
  }

  const provider = (config = configWith(), refresh: RefreshTokens = fakeEndpoint) =>
    createTokenProvider({config, store, now: () => NOW, refresh})

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ident-amo-tokens-'))
    store = new MemorySecretStore()
    refreshCalls = []
    issued = 0
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('uses AMOCRM_ACCESS_TOKEN from the environment as is, without reading or refreshing anything', async () => {
    storeTokens({accessToken: 'stored'})
    const tokens = provider(configWith({AMOCRM_ACCESS_TOKEN: 'env-token'}))
    expect(tokens.source).to.equal('environment')
    expect(await tokens.getAccessToken()).to.equal('env-token')
    expect(await tokens.refreshAfterUnauthorized('env-token')).to.equal(null)
    expect(refreshCalls).to.have.length(0)
  })

  it('asks for `auth login` when nothing is stored', async () => {
    const error = await provider()
      .getAccessToken()
      .catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(AmoAuthError)
    expect((error as AmoAuthError).message).to.match(/not logged in/)
    expect((error as AmoAuthError).hint).to.include('ident-amo auth login')
  })

  it('uses a fresh OAuth access token without refreshing it', async () => {
    storeTokens()
    expect(await provider().getAccessToken()).to.equal('access-0')
    expect(refreshCalls).to.have.length(0)
  })

  it('refreshes an OAuth access token that expires within 5 minutes, and stores the new pair', async () => {
    storeTokens({expiresAt: NOW + REFRESH_AHEAD_MS - 1000})
    expect(await provider().getAccessToken()).to.equal('access-1')
    expect(refreshCalls).to.deep.equal([{refreshToken: 'refresh-0', clientId: 'client-1', clientSecret: 'secret-1', baseUrl: BASE_URL}])
    const stored = await readStoredTokens(store)
    expect(stored).to.include({
      kind: 'oauth',
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      expiresAt: NOW + 86_400_000,
      baseUrl: BASE_URL,
      obtainedAt: NOW,
    })
  })

  it('takes the client secret from the store when the environment has none', async () => {
    storeTokens({expiresAt: NOW - 1})
    store.values.set(SECRET_KEYS.clientSecret, 'stored-secret')
    await provider(configWith({AMOCRM_CLIENT_SECRET: ''})).getAccessToken()
    expect(refreshCalls[0]?.clientSecret).to.equal('stored-secret')
  })

  it('does not use a new pair it could not store', async () => {
    storeTokens({expiresAt: NOW - 1})
    store.failWrites = true
    const error = await provider()
      .getAccessToken()
      .catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(Error)
    expect((error as Error).message).to.match(/refused the write/)
    expect(refreshCalls).to.have.length(1)
    expect((await readStoredTokens(store))?.accessToken).to.equal('access-0')
  })

  it('refreshes after a 401 and hands out the new token', async () => {
    storeTokens()
    const tokens = provider()
    const first = await tokens.getAccessToken()
    expect(await tokens.refreshAfterUnauthorized(first)).to.equal('access-1')
    expect(await tokens.getAccessToken()).to.equal('access-1')
    expect(refreshCalls).to.have.length(1)
  })

  it('refreshes once for ten concurrent callers', async () => {
    storeTokens({expiresAt: NOW + 60_000})
    const tokens = provider()
    const results = await Promise.all(Array.from({length: 10}, () => tokens.getAccessToken()))
    expect(new Set(results)).to.deep.equal(new Set(['access-1']))
    expect(refreshCalls).to.have.length(1)
    const after401 = await Promise.all(Array.from({length: 10}, () => tokens.refreshAfterUnauthorized('access-1')))
    expect(new Set(after401)).to.deep.equal(new Set(['access-2']))
    expect(refreshCalls).to.have.length(2)
  })

  it('after a 401, picks up a token another process stored instead of refreshing', async () => {
    storeTokens()
    const tokens = provider()
    await tokens.getAccessToken()
    storeTokens({accessToken: 'from-auth-login', refreshToken: 'r-login'})
    expect(await tokens.refreshAfterUnauthorized('access-0')).to.equal('from-auth-login')
    expect(refreshCalls).to.have.length(0)
  })

  it('ahead of expiry, uses the pair another process refreshed in the meantime', async () => {
    storeTokens({expiresAt: NOW + 60_000})
    const tokens = provider()
    // the provider read the expiring token; then another process refreshed it
    await tokens.currentTokens()
    storeTokens({accessToken: 'other-process', refreshToken: 'r-other', expiresAt: NOW + 24 * HOUR})
    expect(await tokens.getAccessToken()).to.equal('other-process')
    expect(refreshCalls).to.have.length(0)
  })

  it('on "Invalid refresh token", re-reads the store and uses what another process stored', async () => {
    storeTokens({expiresAt: NOW - 1})
    const racing: RefreshTokens = async (request) => {
      refreshCalls.push({
        refreshToken: request.refreshToken,
        clientId: request.clientId,
        clientSecret: request.clientSecret,
        baseUrl: request.baseUrl,
      })
      // a process that does not take the lock (an older version, another machine) won the race
      storeTokens({accessToken: 'winner', refreshToken: 'r-winner', expiresAt: NOW + 24 * HOUR})
      throw new AmoOAuthError(400, 'Invalid refresh token')
    }
    expect(await provider(configWith(), racing).getAccessToken()).to.equal('winner')
  })

  it('on "Token has been revoked" with nothing newer stored, asks for `auth login`', async () => {
    storeTokens({expiresAt: NOW - 1})
    const revoked: RefreshTokens = async () => {
      throw new AmoOAuthError(400, 'Token has been revoked')
    }
    const error = await provider(configWith(), revoked)
      .getAccessToken()
      .catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(AmoAuthError)
    expect((error as AmoAuthError).message).to.equal('the stored amoCRM authorization is no longer valid')
    expect((error as AmoAuthError).hint).to.include('ident-amo auth login')
    expect((await readStoredTokens(store))?.accessToken).to.equal('access-0')
  })

  it('passes other token-endpoint failures through (a wrong client secret is not "log in again")', async () => {
    storeTokens({expiresAt: NOW - 1})
    const wrongSecret: RefreshTokens = async () => {
      throw new AmoOAuthError(400, 'Check the `client_secret` parameter')
    }
    const error = await provider(configWith(), wrongSecret)
      .getAccessToken()
      .catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(AmoOAuthError)
    expect((error as AmoOAuthError).invalidGrant).to.equal(false)
  })

  it('uses a long-lived token as is; after a 401 it takes a newer stored one or gives up', async () => {
    storeTokens({kind: 'long-lived', accessToken: 'llt-1', refreshToken: undefined, expiresAt: NOW - HOUR})
    const tokens = provider()
    expect(await tokens.getAccessToken()).to.equal('llt-1')
    expect(await tokens.refreshAfterUnauthorized('llt-1')).to.equal(null)
    storeTokens({kind: 'long-lived', accessToken: 'llt-2', refreshToken: undefined, expiresAt: undefined})
    expect(await tokens.refreshAfterUnauthorized('llt-1')).to.equal('llt-2')
    expect(refreshCalls).to.have.length(0)
  })

  it('takes over a lock left behind (next to the tokens, in the config dir) by a process that died while refreshing, and releases its own', async () => {
    storeTokens({expiresAt: NOW - 1})
    const lock = tokenLockPath(path.join(dir, 'config'))
    mkdirSync(lock, {recursive: true})
    const longAgo = new Date(Date.now() - 120_000)
    utimesSync(lock, longAgo, longAgo)
    expect(await provider().getAccessToken()).to.equal('access-1')
    expect(existsSync(lock)).to.equal(false)
  })

  it('finding no token while another process is replacing it (under the lock), waits for the lock and uses the new one', async () => {
    // a keychain replaces an entry in two steps: a reader in between finds nothing
    const writer = await acquireTokenLock(path.join(dir, 'config'))
    const reading = provider().getAccessToken()
    await new Promise((resolve) => setTimeout(resolve, 100))
    storeTokens({accessToken: 'replaced'})
    await writer()
    expect(await reading).to.equal('replaced')
    expect(refreshCalls).to.have.length(0)
  })

  it('refuses tokens stored for another account than the configured one', async () => {
    storeTokens({baseUrl: 'https://other.amocrm.ru'})
    const error = await provider()
      .getAccessToken()
      .catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(AmoAuthError)
    expect((error as AmoAuthError).message).to.include('https://other.amocrm.ru')
  })
})
