import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {readSecretStorageChoice} from '../../src/config/index.js'
import {AppError} from '../../src/errors.js'
import {FileSecretStore, keychainAccount, openSecretStore, SECRET_KEYS} from '../../src/secrets/index.js'
import {keychainFailureReason} from '../../src/secrets/store.js'
import {keychainTestSkipReason} from './helpers.js'

const FIXTURE = path.resolve('test/secrets/fixtures/secret-cli.ts')

interface CliResult {
  status: number | null
  out: Record<string, unknown>
  stderr: string
}

/** Runs the store in a separate process (a fresh keychain connection, its own environment). */
function runStoreProcess(args: string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {env, encoding: 'utf8', timeout: 30_000})
  const line = child.stdout.trim().split('\n').pop() ?? ''
  let out: Record<string, unknown> = {}
  try {
    out = JSON.parse(line) as Record<string, unknown>
  } catch {
    // leave empty: the assertions below show stdout/stderr
  }
  return {status: child.status, out, stderr: `${child.stdout}\n${child.stderr}`}
}

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'ident-amo-secrets-'))
}

describe('secret store', () => {
  describe('keychain account names', () => {
    it('uses the bare key for the default config dir and a per-directory name for any other', () => {
      const home = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config')
      expect(keychainAccount('AMOCRM_TOKENS', path.join(home, 'ident-amo'))).to.equal('AMOCRM_TOKENS')
      expect(keychainAccount('AMOCRM_TOKENS', '/srv/clinic-2')).to.equal('AMOCRM_TOKENS@/srv/clinic-2')
    })
  })

  describe('OS keychain (real Secret Service)', function () {
    const skipReason = keychainTestSkipReason()
    let dir: string
    before(function () {
      if (skipReason) {
        console.warn(`      skipped: ${skipReason}`)
        this.skip()
      }
    })
    beforeEach(() => {
      dir = tempDir()
    })
    afterEach(async () => {
      if (skipReason) return
      const store = await openSecretStore({configDir: dir, dataDir: dir})
      for (const key of Object.values(SECRET_KEYS)) await store.delete(key)
      rmSync(dir, {recursive: true, force: true})
    })

    it('stores, reads back and deletes a secret', async () => {
      const store = await openSecretStore({configDir: dir, dataDir: dir, verifyWrite: true})
      expect(store.backend).to.equal('keychain')
      expect(store.describe()).to.match(/OS keychain/)
      expect(await store.get(SECRET_KEYS.dbPassword)).to.equal(undefined)
      await store.set(SECRET_KEYS.dbPassword, 'p@ss wörd')
      expect(await store.get(SECRET_KEYS.dbPassword)).to.equal('p@ss wörd')
      await store.set(SECRET_KEYS.dbPassword, 'second')
      expect(await store.get(SECRET_KEYS.dbPassword)).to.equal('second')
      expect(await store.delete(SECRET_KEYS.dbPassword)).to.equal(true)
      expect(await store.get(SECRET_KEYS.dbPassword)).to.equal(undefined)
      expect(await store.delete(SECRET_KEYS.dbPassword)).to.equal(false)
      expect(existsSync(path.join(dir, 'secrets.json'))).to.equal(false)
    })

    it('keeps the secret in the Secret Service, where another process finds it, and not in the kernel keyring', async () => {
      const store = await openSecretStore({configDir: dir, dataDir: dir})
      await store.set(SECRET_KEYS.clientSecret, 'from-this-process')
      const other = runStoreProcess(['get', dir, SECRET_KEYS.clientSecret])
      expect(other.status, other.stderr).to.equal(0)
      expect(other.out).to.include({value: 'from-this-process', backend: 'keychain'})
      if (process.platform === 'linux') {
        const keyutils = runStoreProcess(['keyutils-get', dir, SECRET_KEYS.clientSecret])
        expect(keyutils.status, keyutils.stderr).to.equal(0)
        expect(keyutils.out.value).to.equal(null)
      }
      if (hasSecretTool()) {
        const found = execFileSync(
          'secret-tool',
          ['lookup', 'service', 'ident-amo', 'account', keychainAccount(SECRET_KEYS.clientSecret, dir)],
          {encoding: 'utf8'},
        )
        expect(found.trim()).to.equal('from-this-process')
      }
    })

    it('reads in this process what another process stored', async () => {
      const other = runStoreProcess(['set', dir, SECRET_KEYS.tokens, '{"x":1}'])
      expect(other.status, other.stderr).to.equal(0)
      const store = await openSecretStore({configDir: dir, dataDir: dir})
      expect(await store.get(SECRET_KEYS.tokens)).to.equal('{"x":1}')
    })

    it('keeps the entries of two config dirs apart', async () => {
      const second = tempDir()
      try {
        const a = await openSecretStore({configDir: dir, dataDir: dir})
        const b = await openSecretStore({configDir: second, dataDir: second})
        await a.set(SECRET_KEYS.dbPassword, 'clinic-a')
        expect(await b.get(SECRET_KEYS.dbPassword)).to.equal(undefined)
      } finally {
        rmSync(second, {recursive: true, force: true})
      }
    })
  })

  describe('without a keychain', () => {
    const noBus = {...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent'}

    it('names the reason in words a user can act on', () => {
      expect(
        keychainFailureReason(
          new Error('Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory'),
        ),
      ).to.equal('no D-Bus session bus')
      expect(
        keychainFailureReason(
          new Error(
            'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
          ),
        ),
      ).to.equal('no D-Bus session bus')
      expect(keychainFailureReason(new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed"))).to.match(
        /locked/,
      )
      expect(keychainFailureReason(new Error("Couldn't access platform storage: Secret Service: no result found"))).to.match(
        /no default keyring/,
      )
    })

    it('stops when the session bus has no unlocked keyring, instead of writing to the kernel keyring', function () {
      if (process.platform !== 'linux' || !hasCommand('dbus-run-session')) this.skip()
      const dir = tempDir()
      try {
        // a fresh session bus and an empty HOME: no login keyring exists, and none is unlocked
        const child = spawnSync(
          'dbus-run-session',
          ['--', process.execPath, '--import', 'tsx', FIXTURE, 'set', dir, SECRET_KEYS.dbPassword, 'x'],
          {
            env: {
              ...process.env,
              HOME: dir,
              XDG_DATA_HOME: path.join(dir, 'share'),
              XDG_RUNTIME_DIR: dir,
              DBUS_SESSION_BUS_ADDRESS: '',
              GNOME_KEYRING_CONTROL: '',
            },
            encoding: 'utf8',
            timeout: 30_000,
          },
        )
        const out = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {error?: string}
        expect(child.status, `${child.stdout}\n${child.stderr}`).to.equal(1)
        expect(out.error).to.match(/^no OS keychain is available \(/)
        const keyutils = runStoreProcess(['keyutils-get', dir, SECRET_KEYS.dbPassword])
        expect(keyutils.out.value ?? null).to.equal(null)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })

    it('stops with a clear message and exit code 1 instead of falling back silently', function () {
      if (process.platform !== 'linux') this.skip()
      const dir = tempDir()
      try {
        const result = runStoreProcess(['set', dir, SECRET_KEYS.dbPassword, 'x'], noBus)
        expect(result.status, result.stderr).to.equal(1)
        expect(result.out.error).to.match(/^no OS keychain is available \(no D-Bus session bus\)/)
        expect(result.out.hint).to.include('--insecure-storage').and.include(dir).and.include('AMOCRM_ACCESS_TOKEN')
        expect(existsSync(path.join(dir, 'secrets.json'))).to.equal(false)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })

    it('with --insecure-storage keeps secrets in a 0600 file and remembers the choice', function () {
      if (process.platform === 'win32') this.skip()
      const dir = tempDir()
      try {
        const set = runStoreProcess(['set', dir, SECRET_KEYS.dbPassword, 'file-secret', '--insecure'], noBus)
        expect(set.status, set.stderr).to.equal(0)
        expect(set.out.backend).to.equal('file')
        expect(set.out.describe).to.match(/insecure/)
        const file = path.join(dir, 'secrets.json')
        expect(statSync(file).mode & 0o777).to.equal(0o600)
        expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({DB_PASSWORD: 'file-secret'})
        // a later command, without the flag and still without a keychain, uses the file
        const get = runStoreProcess(['get', dir, SECRET_KEYS.dbPassword], noBus)
        expect(get.status, get.stderr).to.equal(0)
        expect(get.out).to.include({value: 'file-secret', backend: 'file'})
        expect(readSecretStorageChoice(dir)).to.equal('file')
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })

  describe('insecure file store', () => {
    let dir: string
    beforeEach(() => {
      dir = tempDir()
    })
    afterEach(() => rmSync(dir, {recursive: true, force: true}))

    it('round-trips secrets and leaves no temporary files behind', async () => {
      const store = new FileSecretStore(path.join(dir, 'secrets.json'))
      await store.set('A', '1')
      await store.set('B', '2')
      expect(await store.get('A')).to.equal('1')
      expect(await store.delete('A')).to.equal(true)
      expect(await store.delete('A')).to.equal(false)
      expect(await store.get('A')).to.equal(undefined)
      expect(store.keys()).to.deep.equal(['B'])
      expect(readdirSync(dir)).to.deep.equal(['secrets.json'])
    })

    it('refuses to read a file others can read', async function () {
      if (process.platform === 'win32') this.skip()
      const file = path.join(dir, 'secrets.json')
      writeFileSync(file, '{"DB_PASSWORD":"x"}')
      chmodSync(file, 0o644)
      const store = new FileSecretStore(file)
      const error = await store.get('DB_PASSWORD').then(
        () => undefined,
        (error_: unknown) => error_,
      )
      expect(error).to.be.instanceOf(AppError)
      expect((error as AppError).message).to.match(/refusing to read .*0644/)
      expect((error as AppError).hint).to.include('chmod 600')
    })

    it('is chosen by openSecretStore once --insecure-storage was given, without touching the keychain', async () => {
      const first = await openSecretStore({configDir: dir, dataDir: dir, insecure: true})
      await first.set(SECRET_KEYS.clientSecret, 's')
      const later = await openSecretStore({configDir: dir, dataDir: dir})
      expect(later.backend).to.equal('file')
      expect(await later.get(SECRET_KEYS.clientSecret)).to.equal('s')
    })
  })
})

function hasSecretTool(): boolean {
  return hasCommand('secret-tool')
}

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version']).error === undefined
}
