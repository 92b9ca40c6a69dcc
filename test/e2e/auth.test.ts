import {existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'

import {expect} from 'chai'

import {type Sandbox, SANDBOX_ACCOUNT_ID, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'
import {type CliResult, parseJson, runCli, startCli, type TempHome, tempHome, waitFor} from '../helpers/cli.js'
import {keychainTestSkipReason} from '../secrets/helpers.js'

const CLIENT_ID = 'e2e-client'
const CLIENT_SECRET = 'e2e-secret'
const DAY = 24 * 3600 * 1000

interface LoginJson {
  account: {id: number; name: string; subdomain: string}
  tokenKind: string
  expiresAt: string | null
  storage: string
}
interface StatusJson {
  account: {id: number; name: string; subdomain: string; timezone: string | null}
  token: {kind: string; expiresAt: string | null; obtainedAt: string | null}
  storage: {backend: string; description: string}
}
interface ErrorJson {
  error: {message: string; hint?: string; exitCode: number}
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

/** The consent link `auth login` prints on stderr. */
function consentLink(stderr: string): string | undefined {
  return /(https?:\/\/\S+\/oauth\?\S+)/.exec(stderr)?.[1]
}

/** What a browser does with the consent link: the sandbox approves and redirects to the callback, which is followed. */
async function approveInBrowser(link: string): Promise<{status: number; page: string; callback: string}> {
  const consent = await fetch(link, {redirect: 'manual'})
  expect(consent.status).to.equal(302)
  const callback = consent.headers.get('location')!
  const answer = await fetch(callback)
  return {status: answer.status, page: await answer.text(), callback}
}

describe('e2e: auth login / status / logout against the sandbox', function () {
  this.timeout(90_000)
  const keychainSkip = keychainTestSkipReason()
  /** The real keychain when this machine has one (CI does), else the insecure file. */
  const storageFlags = keychainSkip ? ['--insecure-storage'] : []
  let sandbox: Sandbox
  let home: TempHome
  let redirectUri: string
  let env: Record<string, string>

  before(async () => {
    if (keychainSkip) console.warn(`      the OAuth flow runs with --insecure-storage: ${keychainSkip}`)
    const port = await freePort()
    redirectUri = `http://localhost:${port}/callback`
    sandbox = await startSandbox({
      rateLimit: 0,
      accountName: 'Клиника Улыбка',
      subdomain: 'smile',
      timezone: 'Asia/Yekaterinburg',
      oauthClients: [{clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri}],
    })
  })
  after(async () => {
    await sandbox?.close()
  })
  beforeEach(() => {
    sandbox.reset()
    home = tempHome()
    env = {...home.env, AMOCRM_BASE_URL: sandbox.url}
  })
  afterEach(async () => {
    await runCli(['auth', 'logout', '--all'], {env})
    rmSync(home.root, {recursive: true, force: true})
  })

  const cli = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => runCli(args, {env: {...env, ...extra}})

  it('logs in through the browser flow, shows the account, refreshes a day later, and logs out', async () => {
    const login = startCli(
      [
        'auth',
        'login',
        '--no-browser',
        '--client-id',
        CLIENT_ID,
        '--client-secret',
        CLIENT_SECRET,
        '--redirect-uri',
        redirectUri,
        '--json',
        ...storageFlags,
      ],
      {env},
    )
    await waitFor(() => consentLink(login.output().stderr) !== undefined || login.child.exitCode !== null)
    const link = consentLink(login.output().stderr)
    expect(link, login.output().stderr).to.be.a('string')
    expect(link).to.match(new RegExp(`^${sandbox.url}/oauth\\?`))
    expect(new URL(link!).searchParams.get('client_id')).to.equal(CLIENT_ID)
    expect(new URL(link!).searchParams.get('state')).to.match(/^[\da-f]{32}$/)

    const browser = await approveInBrowser(link!)
    expect(browser.status).to.equal(200)
    expect(browser.page).to.include('Вход выполнен').and.include('You are logged in')
    const done = await login.exited
    expect(done.code, done.stderr).to.equal(0)
    const result = parseJson<LoginJson>(done)
    expect(result.account).to.deep.equal({id: SANDBOX_ACCOUNT_ID, name: 'Клиника Улыбка', subdomain: 'smile'})
    expect(result.tokenKind).to.equal('oauth')
    expect(Date.parse(result.expiresAt!) - Date.now()).to.be.within(DAY - 60_000, DAY + 60_000)
    expect(result.storage).to.match(keychainSkip ? /insecure/ : /OS keychain/)

    // settings were kept for next time; the secret is not in the config file
    const configFile = readFileSync(path.join(home.configDir, 'config.json'), 'utf8')
    expect(JSON.parse(configFile)).to.include({AMOCRM_CLIENT_ID: CLIENT_ID, AMOCRM_REDIRECT_URI: redirectUri})
    expect(configFile).to.not.include(CLIENT_SECRET)

    const status = await cli(['auth', 'status', '--json'])
    expect(status.code, status.stderr).to.equal(0)
    const shown = parseJson<StatusJson>(status)
    expect(shown.account).to.deep.equal({
      id: SANDBOX_ACCOUNT_ID,
      name: 'Клиника Улыбка',
      subdomain: 'smile',
      timezone: 'Asia/Yekaterinburg',
    })
    expect(shown.token.kind).to.equal('oauth')
    expect(shown.storage.backend).to.equal(keychainSkip ? 'file' : 'keychain')
    // for people: the expiry in this computer's time, labelled with its zone
    const human = await cli(['auth', 'status'], {TZ: 'Asia/Vladivostok'})
    expect(human.code, human.stderr).to.equal(0)
    const expiresLocal = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Asia/Vladivostok',
      dateStyle: 'short',
      timeStyle: 'short',
    }).format(new Date(shown.token.expiresAt!))
    expect(human.stdout).to.include(`${expiresLocal} Asia/Vladivostok (in 24 h)`)
    const tokenCalls = sandbox.apiRequestCount({method: 'POST', pathPrefix: '/oauth2/access_token'})

    // a day later amoCRM refuses the access token: status refreshes it and still works
    sandbox.clock.advance(DAY + 60_000)
    const later = await cli(['auth', 'status', '--json'])
    expect(later.code, later.stderr).to.equal(0)
    const refreshed = parseJson<StatusJson>(later)
    expect(refreshed.account.id).to.equal(SANDBOX_ACCOUNT_ID)
    expect(sandbox.apiRequestCount({method: 'POST', pathPrefix: '/oauth2/access_token'})).to.equal(tokenCalls + 1)
    expect(Date.parse(refreshed.token.obtainedAt!)).to.be.greaterThan(Date.parse(shown.token.obtainedAt!))
    // and the refreshed pair was stored: the next command needs no refresh
    const again = await cli(['auth', 'status', '--json'])
    expect(again.code, again.stderr).to.equal(0)
    expect(sandbox.apiRequestCount({method: 'POST', pathPrefix: '/oauth2/access_token'})).to.equal(tokenCalls + 1)

    const logout = await cli(['auth', 'logout', '--json'])
    expect(logout.code, logout.stderr).to.equal(0)
    expect(parseJson<{removed: string[]}>(logout).removed).to.have.members(['AMOCRM_TOKENS', 'AMOCRM_CLIENT_SECRET'])
    const gone = await cli(['auth', 'status'])
    expect(gone.code).to.equal(1)
    expect(gone.stderr)
      .to.match(/not logged in/)
      .and.include('ident-amo auth login')
  })

  it('exchanges a pasted code (--code), then replaces it with a long-lived token (--token)', async () => {
    const consent = await fetch(`${sandbox.url}/oauth?client_id=${CLIENT_ID}&state=pasted&mode=post_message`, {redirect: 'manual'})
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!
    const login = await cli([
      'auth',
      'login',
      '--code',
      code,
      '--client-id',
      CLIENT_ID,
      '--client-secret',
      CLIENT_SECRET,
      '--redirect-uri',
      redirectUri,
      '--json',
      ...storageFlags,
    ])
    expect(login.code, login.stderr).to.equal(0)
    expect(parseJson<LoginJson>(login)).to.include({tokenKind: 'oauth'})

    // the same code a second time: amoCRM refuses it, with the reason
    const reused = await cli(['auth', 'login', '--code', code, '--json'])
    expect(reused.code).to.equal(1)
    expect(parseJson<ErrorJson>(reused).error.message).to.include('Authorization code has been revoked')

    // `--token -` reads it from stdin, out of the shell history
    const llt = await runCli(['auth', 'login', '--token', '-', '--json'], {env, input: `${SANDBOX_TOKEN}\n`})
    expect(llt.code, llt.stderr).to.equal(0)
    expect(parseJson<LoginJson>(llt)).to.deep.include({
      tokenKind: 'long-lived',
      expiresAt: null,
      account: {id: SANDBOX_ACCOUNT_ID, name: 'Клиника Улыбка', subdomain: 'smile'},
    })
    const status = parseJson<StatusJson>(await cli(['auth', 'status', '--json']))
    expect(status.token.kind).to.equal('long-lived')
  })

  it('asks for `auth login` once amoCRM revokes the integration (the refresh token is dead too)', async () => {
    const consent = await fetch(`${sandbox.url}/oauth?client_id=${CLIENT_ID}&state=s&mode=post_message`, {redirect: 'manual'})
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!
    const login = await cli([
      'auth',
      'login',
      '--code',
      code,
      '--client-id',
      CLIENT_ID,
      '--client-secret',
      CLIENT_SECRET,
      '--redirect-uri',
      redirectUri,
      ...storageFlags,
    ])
    expect(login.code, login.stderr).to.equal(0)
    sandbox.revokeAllTokens()
    const status = await cli(['auth', 'status', '--json'])
    expect(status.code).to.equal(1)
    const {error} = parseJson<ErrorJson>(status)
    expect(error.message).to.equal('the stored amoCRM authorization is no longer valid')
    expect(error.hint).to.include('ident-amo auth login')
  })

  it('does not store a token amoCRM refuses', async () => {
    const login = await cli(['auth', 'login', '--token', 'not-a-valid-token', '--json', ...storageFlags])
    expect(login.code).to.equal(1)
    const {error} = parseJson<ErrorJson>(login)
    expect(error.message).to.match(/refused the token/)
    const status = await cli(['auth', 'status', '--json'])
    expect(status.code).to.equal(1)
    expect(parseJson<ErrorJson>(status).error.hint).to.include('ident-amo auth login')
  })

  it('says so when the consent page is declined', async () => {
    sandbox.oauth.setConsent('decline')
    const login = startCli(
      [
        'auth',
        'login',
        '--no-browser',
        '--client-id',
        CLIENT_ID,
        '--client-secret',
        CLIENT_SECRET,
        '--redirect-uri',
        redirectUri,
        ...storageFlags,
      ],
      {env},
    )
    await waitFor(() => consentLink(login.output().stderr) !== undefined || login.child.exitCode !== null)
    const browser = await approveInBrowser(consentLink(login.output().stderr)!)
    expect(browser.page).to.include('Access was not granted')
    const done = await login.exited
    expect(done.code).to.equal(1)
    expect(done.stderr).to.include('access was denied on the amoCRM consent page')
  })

  it('refuses an answer that does not carry its state', async () => {
    const login = startCli(
      [
        'auth',
        'login',
        '--no-browser',
        '--client-id',
        CLIENT_ID,
        '--client-secret',
        CLIENT_SECRET,
        '--redirect-uri',
        redirectUri,
        ...storageFlags,
      ],
      {env},
    )
    await waitFor(() => consentLink(login.output().stderr) !== undefined || login.child.exitCode !== null)
    const consent = await fetch(consentLink(login.output().stderr)!, {redirect: 'manual'})
    const forged = new URL(consent.headers.get('location')!)
    forged.searchParams.set('state', 'someone-elses-state')
    const answer = await fetch(forged)
    expect(answer.status).to.equal(400)
    expect(await answer.text()).to.include('state mismatch')
    const done = await login.exited
    expect(done.code).to.equal(1)
    expect(done.stderr).to.include('did not carry the state of this login')
    expect(
      existsSync(path.join(home.configDir, 'secrets.json')) &&
        readFileSync(path.join(home.configDir, 'secrets.json'), 'utf8').includes('AMOCRM_TOKENS'),
    ).to.equal(false)
  })

  it('gives up after --timeout with a clear message', async () => {
    const login = await cli([
      'auth',
      'login',
      '--no-browser',
      '--timeout',
      '1',
      '--client-id',
      CLIENT_ID,
      '--client-secret',
      CLIENT_SECRET,
      '--redirect-uri',
      redirectUri,
      ...storageFlags,
    ])
    expect(login.code).to.equal(1)
    expect(login.stderr).to.include('no answer from the browser within 1 s')
  })

  it('without a terminal, names the flags for what is missing (exit 2)', async () => {
    const login = await cli(['auth', 'login', ...storageFlags])
    expect(login.code).to.equal(2)
    expect(login.stderr).to.include('--client-id').and.include('--client-secret')
  })

  describe('without an OS keychain', () => {
    const noBus = {DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent'}

    it('stops with a clear message, or keeps secrets in a 0600 file with --insecure-storage', async function () {
      if (process.platform !== 'linux') this.skip()
      const refused = await cli(['auth', 'login', '--token', SANDBOX_TOKEN], noBus)
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.include('no OS keychain is available').and.include('--insecure-storage')

      const login = await cli(['auth', 'login', '--token', SANDBOX_TOKEN, '--insecure-storage', '--json'], noBus)
      expect(login.code, login.stderr).to.equal(0)
      expect(parseJson<LoginJson>(login).storage).to.include('insecure')
      const file = path.join(home.configDir, 'secrets.json')
      expect(statSync(file).mode & 0o777).to.equal(0o600)

      // remembered: no flag needed any more, and status shows where the secrets are
      const status = await cli(['auth', 'status', '--json'], noBus)
      expect(status.code, status.stderr).to.equal(0)
      expect(parseJson<StatusJson>(status).storage).to.include({backend: 'file'})

      const logout = await cli(['auth', 'logout', '--all', '--json'], noBus)
      expect(parseJson<{removed: string[]}>(logout).removed).to.deep.equal(['AMOCRM_TOKENS'])
      expect(existsSync(file)).to.equal(false)
    })

    it('a login with --insecure-storage that fails leaves the secret storage as it was', async function () {
      if (process.platform !== 'linux') this.skip()
      const other = tempHome('ident-amo-auth-insecure-')
      const env = {...noBus, ...other.env, AMOCRM_BASE_URL: sandbox.url}
      const failed = await runCli(['auth', 'login', '--token', 'not-a-valid-token', '--insecure-storage', '--json'], {env, cwd: other.root})
      expect(failed.code, failed.stderr).to.equal(1)
      expect(parseJson<{error: {code: string}}>(failed).error.code).to.equal('E_AUTH')
      expect(existsSync(path.join(other.configDir, 'secrets.json'))).to.equal(false)
      // still the keychain: without one, the next command says so instead of reading a file nobody chose
      const status = await runCli(['auth', 'status'], {env, cwd: other.root})
      expect(status.code).to.equal(1)
      expect(status.stderr).to.include('no OS keychain is available')
    })
  })

  it('uses AMOCRM_ACCESS_TOKEN from the environment without any store', async () => {
    const status = await cli(['auth', 'status', '--json'], {
      AMOCRM_ACCESS_TOKEN: SANDBOX_TOKEN,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
    })
    expect(status.code, status.stderr).to.equal(0)
    expect(parseJson<StatusJson>(status)).to.deep.include({
      token: {kind: 'environment', expiresAt: null, obtainedAt: null},
      storage: {backend: 'environment', description: 'AMOCRM_ACCESS_TOKEN in the environment'},
    })
  })
})
