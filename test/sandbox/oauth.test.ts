import {expect} from 'chai'

import {type Sandbox, SANDBOX_TOKEN, startSandbox, type TokenResponse} from '../../src/sandbox/index.js'
import {call} from './helpers.js'

const CLIENT = {
  clientId: 'c0ffee00-0000-4000-8000-000000000001',
  clientSecret: 's3cret',
  redirectUri: 'https://clinic.example/oauth/callback',
}

describe('sandbox: OAuth 2.0', () => {
  let sandbox: Sandbox
  const start = async (options: {strictRefresh?: boolean} = {}) => {
    sandbox = await startSandbox({rateLimit: 0, oauthClients: [CLIENT], now: Date.UTC(2025, 0, 1), ...options})
  }
  afterEach(async () => sandbox?.close())

  const consent = async (query = `client_id=${CLIENT.clientId}&state=xyz&mode=post_message`) => {
    const res = await call(sandbox, 'GET', `/oauth?${query}`, {token: null})
    expect(res.status).to.equal(302)
    return new URL(res.headers.get('location')!)
  }
  const codeOf = async () => (await consent()).searchParams.get('code')!
  const token = (body: Record<string, string>, form = false) =>
    form
      ? call<Record<string, unknown>>(sandbox, 'POST', '/oauth2/access_token', {
          rawBody: new URLSearchParams(body).toString(),
          token: null,
          headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        })
      : call<Record<string, unknown>>(sandbox, 'POST', '/oauth2/access_token', {body, token: null})
  const exchange = (code: string, overrides: Record<string, string> = {}) =>
    token({
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLIENT.redirectUri,
      ...overrides,
    })
  const refresh = (refreshToken: string) =>
    token({
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      redirect_uri: CLIENT.redirectUri,
    })
  const account = (accessToken: string) => call(sandbox, 'GET', '/api/v4/account', {token: accessToken})
  const hint = (res: {body: Record<string, unknown>}) => res.body.hint

  describe('code flow', () => {
    beforeEach(() => start())

    it('the consent page redirects to the registered URI with code, state, referer and client_id', async () => {
      const to = await consent()
      expect(`${to.origin}${to.pathname}`).to.equal(CLIENT.redirectUri)
      expect(to.searchParams.get('code')).to.be.a('string').with.length.above(20)
      expect(to.searchParams.get('state')).to.equal('xyz')
      expect(to.searchParams.get('referer')).to.equal('sandbox.amocrm.ru')
      expect(to.searchParams.get('client_id')).to.equal(CLIENT.clientId)
      const noState = await consent(`client_id=${CLIENT.clientId}`)
      expect(noState.searchParams.has('state')).to.equal(false)
      expect((await call(sandbox, 'GET', '/oauth?client_id=unknown', {token: null})).status).to.equal(400)
    })

    it('a declining user sends error=access_denied (by the consent switch or ?decline=1)', async () => {
      sandbox.oauth.setConsent('decline')
      let to = await consent()
      expect(to.searchParams.get('error')).to.equal('access_denied')
      expect(to.searchParams.get('state')).to.equal('xyz')
      expect(to.searchParams.has('code')).to.equal(false)
      sandbox.oauth.setConsent('approve')
      to = await consent(`client_id=${CLIENT.clientId}&decline=1`)
      expect(to.searchParams.get('error')).to.equal('access_denied')
    })

    it('exchanges a code once (JSON or form) for a 24 h token pair', async () => {
      const res = await exchange(await codeOf())
      expect(res.status).to.equal(200)
      expect(res.body).to.include({token_type: 'Bearer', expires_in: 86400})
      expect(res.body.access_token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/)
      expect(res.body.refresh_token).to.be.a('string')
      expect((await account(res.body.access_token as string)).status).to.equal(200)

      const code = await codeOf()
      const form = await token(
        {
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          grant_type: 'authorization_code',
          code,
          redirect_uri: CLIENT.redirectUri,
        },
        true,
      )
      expect(form.status).to.equal(200)
      const again = await exchange(code)
      expect(again.status).to.equal(400)
      expect(again.body).to.include({
        hint: 'Authorization code has been revoked',
        status: 400,
        title: 'Некорректный запрос',
        type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
      })
    })

    it('codes expire after 20 minutes on the sandbox clock', async () => {
      const late = await codeOf()
      const inTime = await codeOf()
      sandbox.clock.advance(19 * 60_000)
      expect((await exchange(inTime)).status).to.equal(200)
      sandbox.clock.advance(60_000 + 1)
      expect(hint(await exchange(late))).to.equal('Authorization code has expired')
    })

    it('checks client_id, client_secret, redirect_uri (exactly) and the code', async () => {
      const code = await codeOf()
      expect(hint(await exchange(code, {redirect_uri: `${CLIENT.redirectUri}/`}))).to.equal('Redirect URI is not associated with client')
      expect(hint(await exchange(code, {client_secret: 'nope'}))).to.equal('Check the `client_secret` parameter')
      expect(hint(await exchange(code, {client_id: 'nope'}))).to.equal('Check the `client_id` parameter')
      expect(hint(await exchange('garbage'))).to.equal('Cannot decrypt the authorization code')
      expect((await exchange(code)).status).to.equal(200)
    })

    it('access tokens die after 24 h: 401 problem+json', async () => {
      const pair = (await exchange(await codeOf())).body as unknown as TokenResponse
      sandbox.clock.advance(86_400_000 - 1000)
      expect((await account(pair.access_token)).status).to.equal(200)
      sandbox.clock.advance(1000)
      const res = await account(pair.access_token)
      expect(res.status).to.equal(401)
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/)
      expect(res.body).to.include({status: 401, title: 'Unauthorized'})
    })

    it('missing or unknown Bearer → 401; the long-lived token works without expiry', async () => {
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: null})).status).to.equal(401)
      expect((await account('made-up')).status).to.equal(401)
      sandbox.clock.advance(400 * 86_400_000)
      expect((await account(SANDBOX_TOKEN)).status).to.equal(200)
    })
  })

  describe('refresh (Kommo semantics)', () => {
    beforeEach(() => start())

    it('rotates the refresh token; the old one works until the new pair is first used', async () => {
      const first = sandbox.oauth.issueTokens(CLIENT.clientId)
      const second = await refresh(first.refresh_token)
      expect(second.status).to.equal(200)
      expect(second.body.refresh_token).to.not.equal(first.refresh_token)
      // the answer was "lost": the old refresh token still works
      const third = await refresh(first.refresh_token)
      expect(third.status).to.equal(200)
      expect((await account(third.body.access_token as string)).status).to.equal(200)
      // the new pair is in use: the old refresh token, and the pair nobody used, are gone
      expect(hint(await refresh(first.refresh_token))).to.equal('Token has been revoked')
      expect(hint(await refresh(second.body.refresh_token as string))).to.equal('Token has been revoked')
      expect((await refresh(third.body.refresh_token as string)).status).to.equal(200)
    })

    it('using the new refresh token retires the old one too', async () => {
      const first = sandbox.oauth.issueTokens(CLIENT.clientId)
      const second = await refresh(first.refresh_token)
      expect((await refresh(second.body.refresh_token as string)).status).to.equal(200)
      expect(hint(await refresh(first.refresh_token))).to.equal('Token has been revoked')
    })

    it('refuses unknown refresh tokens', async () => {
      expect(hint(await refresh('def502001234'))).to.equal('Invalid refresh token')
    })

    it('revoking everything (uninstall) kills access, refresh and long-lived tokens', async () => {
      const pair = sandbox.oauth.issueTokens(CLIENT.clientId)
      sandbox.revokeAllTokens()
      expect((await account(pair.access_token)).status).to.equal(401)
      expect((await account(SANDBOX_TOKEN)).status).to.equal(401)
      expect(hint(await refresh(pair.refresh_token))).to.equal('Token has been revoked')
      sandbox.reset()
      expect((await account(SANDBOX_TOKEN)).status).to.equal(200)
    })
  })

  describe('strict refresh', () => {
    beforeEach(() => start({strictRefresh: true}))

    it('a refresh token works exactly once', async () => {
      const first = sandbox.oauth.issueTokens(CLIENT.clientId)
      const second = await refresh(first.refresh_token)
      expect(second.status).to.equal(200)
      expect(hint(await refresh(first.refresh_token))).to.equal('Token has been revoked')
      expect((await refresh(second.body.refresh_token as string)).status).to.equal(200)
    })
  })
})
