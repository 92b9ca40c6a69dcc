import {expect} from 'chai'
import nock from 'nock'

import {AmoBlockedError, AmoOAuthError, AmoOutcomeUnknownError} from '../../src/amocrm/errors.js'
import {buildAuthorizeUrl, consentBaseUrl, exchangeAuthorizationCode, refreshAccessToken} from '../../src/amocrm/oauth.js'
import {type GrantedSend, RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {BASE, rejection} from './helpers.js'

const CLIENT = {
  baseUrl: BASE,
  clientId: '3f2b6c1e-0000-4000-8000-000000000001',
  clientSecret: 'secret',
  redirectUri: 'http://localhost:8080/callback',
}
const TOKENS = {token_type: 'Bearer', expires_in: 86_400, access_token: 'access-2', refresh_token: 'refresh-2'}
const OAUTH_PROBLEM = (hint: string) => ({
  hint,
  title: 'Некорректный запрос',
  type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
  status: 400,
  detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
})

/** A limiter that counts what goes through it. */
class CountingLimiter extends RateLimiter {
  acquired = 0
  constructor() {
    super({rate: 1000})
  }

  override async acquire(): Promise<GrantedSend> {
    this.acquired++
    return super.acquire()
  }
}

const noWait = {sleep: async () => {}}

describe('amocrm/oauth (token endpoint, consent URL)', () => {
  before(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  after(() => nock.enableNetConnect())

  it('exchanges an authorization code through the rate limiter', async () => {
    const scope = nock(BASE)
      .post('/oauth2/access_token', {
        client_id: CLIENT.clientId,
        client_secret: 'secret',
        redirect_uri: CLIENT.redirectUri,
        grant_type: 'authorization_code',
        code: 'code-1',
      })
      .reply(200, {...TOKENS, server_time: 1_767_225_600})
    const limiter = new CountingLimiter()
    const stats = {requests: 0, retries: 0, throttled: 0}
    const tokens = await exchangeAuthorizationCode({...CLIENT, code: 'code-1', limiter, stats, ...noWait})
    expect(tokens).to.deep.equal({
      accessToken: 'access-2',
      refreshToken: 'refresh-2',
      expiresIn: 86_400,
      tokenType: 'Bearer',
      serverTime: 1_767_225_600,
    })
    expect(limiter.acquired).to.equal(1)
    expect(stats.requests).to.equal(1)
    expect(scope.isDone()).to.equal(true)
  })

  it('refreshes, retrying a 429 through the limiter', async () => {
    nock(BASE)
      .post(
        '/oauth2/access_token',
        (body) => body.grant_type === 'refresh_token' && body.refresh_token === 'refresh-1' && body.redirect_uri === CLIENT.redirectUri,
      )
      .reply(429, '<html>429</html>')
      .post('/oauth2/access_token')
      .reply(200, TOKENS)
    const limiter = new CountingLimiter()
    const stats = {requests: 0, retries: 0, throttled: 0}
    const tokens = await refreshAccessToken({...CLIENT, refreshToken: 'refresh-1', limiter, stats, ...noWait})
    expect(tokens.refreshToken).to.equal('refresh-2')
    expect(tokens).not.to.have.property('serverTime')
    expect(limiter.acquired).to.equal(2)
    expect(stats).to.include({requests: 2, retries: 1, throttled: 1})
  })

  for (const hint of [
    'Invalid refresh token',
    'Token has been revoked',
    'Authorization code has expired',
    'Authorization code has been revoked',
  ]) {
    it(`"${hint}" → AmoOAuthError with invalidGrant`, async () => {
      nock(BASE).post('/oauth2/access_token').reply(400, OAUTH_PROBLEM(hint), {'content-type': 'application/problem+json'})
      const error = await rejection(refreshAccessToken({...CLIENT, refreshToken: 'r', limiter: new CountingLimiter(), ...noWait}))
      expect(error).to.be.instanceOf(AmoOAuthError)
      expect((error as AmoOAuthError).serverHint).to.equal(hint)
      expect((error as AmoOAuthError).invalidGrant).to.equal(true)
      expect((error as AmoOAuthError).hint).to.contain('auth login')
      expect(error.message).to.contain(hint)
    })
  }

  for (const hint of ['Redirect URI is not associated with client', 'Check the `client_secret` parameter', 'Invalid account']) {
    it(`"${hint}" → AmoOAuthError that is not an invalid grant`, async () => {
      nock(BASE).post('/oauth2/access_token').reply(400, OAUTH_PROBLEM(hint))
      const error = await rejection(exchangeAuthorizationCode({...CLIENT, code: 'c', limiter: new CountingLimiter(), ...noWait}))
      expect(error).to.be.instanceOf(AmoOAuthError)
      expect((error as AmoOAuthError).invalidGrant).to.equal(false)
      expect((error as AmoOAuthError).hint).to.contain('AMOCRM_REDIRECT_URI')
    })
  }

  it('a 401 without hint from the token endpoint counts as a dead grant', async () => {
    nock(BASE).post('/oauth2/access_token').reply(401, {title: 'Unauthorized', status: 401})
    const error = await rejection(refreshAccessToken({...CLIENT, refreshToken: 'r', limiter: new CountingLimiter(), ...noWait}))
    expect((error as AmoOAuthError).invalidGrant).to.equal(true)
  })

  it('never resends a token request that may have been consumed', async () => {
    const scope = nock(BASE).post('/oauth2/access_token').reply(504).post('/oauth2/access_token').reply(200, TOKENS)
    const error = await rejection(refreshAccessToken({...CLIENT, refreshToken: 'r', limiter: new CountingLimiter(), ...noWait}))
    expect(error).to.be.instanceOf(AmoOutcomeUnknownError)
    expect(scope.pendingMocks()).to.have.length(1)
  })

  it('a 403 block page on the token endpoint → AmoBlockedError', async () => {
    nock(BASE).post('/oauth2/access_token').reply(403, '<html><center><h1>403 Forbidden</h1></center></html>')
    expect(await rejection(refreshAccessToken({...CLIENT, refreshToken: 'r', limiter: new CountingLimiter(), ...noWait}))).to.be.instanceOf(
      AmoBlockedError,
    )
  })

  it('builds the consent URL with client_id, state and mode', () => {
    const url = new URL(buildAuthorizeUrl({baseUrl: 'https://www.amocrm.ru', clientId: 'id-1', state: 's t&x'}))
    expect(url.origin + url.pathname).to.equal('https://www.amocrm.ru/oauth')
    expect(Object.fromEntries(url.searchParams)).to.deep.equal({client_id: 'id-1', state: 's t&x', mode: 'post_message'})
    expect(buildAuthorizeUrl({baseUrl: 'http://127.0.0.1:4010/', clientId: 'c', state: 's', mode: 'popup'})).to.equal(
      'http://127.0.0.1:4010/oauth?client_id=c&state=s&mode=popup',
    )
  })

  it('takes the consent page from AMOCRM_BASE_URL, else from the www host of the domain', () => {
    expect(consentBaseUrl({amocrm: {domain: 'amocrm.ru', baseUrl: 'http://127.0.0.1:4010', redirectUri: '', rateLimit: 7}})).to.equal(
      'http://127.0.0.1:4010',
    )
    expect(consentBaseUrl({amocrm: {domain: 'amocrm.ru', subdomain: 'clinic', redirectUri: '', rateLimit: 7}})).to.equal(
      'https://www.amocrm.ru',
    )
    expect(consentBaseUrl({amocrm: {domain: 'kommo.com', subdomain: 'clinic', redirectUri: '', rateLimit: 7}})).to.equal(
      'https://www.kommo.com',
    )
  })
})
