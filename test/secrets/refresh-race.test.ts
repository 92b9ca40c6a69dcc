import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {type Sandbox, SANDBOX_ACCOUNT_ID, startSandbox} from '../../src/sandbox/index.js'
import {openSecretStore, readStoredTokens, SECRET_KEYS, type SecretStore} from '../../src/secrets/index.js'
import {keychainTestSkipReason} from './helpers.js'

const FIXTURE = path.resolve('test/secrets/fixtures/refresh-race.ts')
const CLIENT = {clientId: 'race-client', clientSecret: 'race-secret', redirectUri: 'http://localhost:8080/callback'}

interface Racer {
  /** Resolves once the process has loaded everything and waits for `go`. */
  ready: Promise<void>
  go(): void
  done: Promise<{code: number | null; stdout: string; stderr: string}>
}

/** A racing process: started now, let go by `go()` so that both racers ask for a token at the same moment. */
function startRacer(env: NodeJS.ProcessEnv): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {env, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout.on('data', (d) => {
    stdout += d
    if (stdout.startsWith('ready\n')) markReady()
  })
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<{code: number | null; stdout: string; stderr: string}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      markReady()
      resolve({code, stdout: stdout.replace(/^ready\n/, ''), stderr})
    })
  })
  return {ready, go: () => child.stdin.end('go\n'), done}
}

describe('token refresh across processes', () => {
  const backends = [
    {name: 'insecure file', insecure: true, skip: undefined as string | undefined},
    {name: 'OS keychain', insecure: false, skip: keychainTestSkipReason()},
  ]

  for (const backend of backends) {
    describe(`with the ${backend.name}`, () => {
      let sandbox: Sandbox
      let dir: string
      let store: SecretStore

      before(function () {
        if (backend.skip) {
          console.warn(`      skipped: ${backend.skip}`)
          this.skip()
        }
      })
      beforeEach(async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'ident-amo-race-'))
        sandbox = await startSandbox({strictRefresh: true, rateLimit: 0, oauthClients: [CLIENT]})
        store = await openSecretStore({configDir: path.join(dir, 'config'), dataDir: path.join(dir, 'data'), insecure: backend.insecure})
      })
      afterEach(async () => {
        if (backend.skip) return
        await store.delete(SECRET_KEYS.tokens)
        await sandbox.close()
        rmSync(dir, {recursive: true, force: true})
      })

      /** Two processes start refreshing the same about-to-expire token at once, each with its data dir. */
      async function race(dataDirs: [string, string]) {
        const pair = sandbox.oauth.issueTokens(CLIENT.clientId)
        // about to expire: each process wants to refresh it ahead of expiry as soon as it starts
        await store.set(
          SECRET_KEYS.tokens,
          JSON.stringify({
            kind: 'oauth',
            accessToken: pair.access_token,
            refreshToken: pair.refresh_token,
            expiresAt: Date.now() + 60_000,
            baseUrl: sandbox.url,
            obtainedAt: Date.now(),
          }),
        )
        sandbox.resetStats()
        const env = (dataDir: string) => ({
          ...process.env,
          IDENT_AMO_CONFIG_DIR: path.join(dir, 'config'),
          IDENT_AMO_DATA_DIR: dataDir,
          AMOCRM_BASE_URL: sandbox.url,
          AMOCRM_CLIENT_ID: CLIENT.clientId,
          AMOCRM_CLIENT_SECRET: CLIENT.clientSecret,
          AMOCRM_REDIRECT_URI: CLIENT.redirectUri,
        })
        const racers = [startRacer(env(dataDirs[0]!)), startRacer(env(dataDirs[1]!))] as const
        await Promise.all(racers.map((r) => r.ready))
        for (const r of racers) r.go()
        const [a, b] = await Promise.all([racers[0].done, racers[1].done])
        expect(a.code, a.stderr).to.equal(0)
        expect(b.code, b.stderr).to.equal(0)
        const first = JSON.parse(a.stdout) as {token: string; accountId: number}
        const second = JSON.parse(b.stdout) as {token: string; accountId: number}
        expect(first.accountId).to.equal(SANDBOX_ACCOUNT_ID)
        expect(second.token).to.equal(first.token)
        expect(first.token).to.not.equal(pair.access_token)
        expect(sandbox.apiRequestCount({method: 'POST', pathPrefix: '/oauth2/access_token'})).to.equal(1)
        const stored = await readStoredTokens(store)
        expect(stored?.accessToken).to.equal(first.token)
        expect(stored?.refreshToken).to.not.equal(pair.refresh_token)
      }

      it('two processes refreshing at once both end with a working token, and amoCRM sees one refresh', async function () {
        this.timeout(60_000)
        await race([path.join(dir, 'data'), path.join(dir, 'data')])
      })

      it('…also when they keep their state in different data dirs but share one config (the lock is next to the tokens)', async function () {
        this.timeout(60_000)
        await race([path.join(dir, 'data-watch'), path.join(dir, 'data-test')])
      })
    })
  }
})
