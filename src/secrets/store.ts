import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {AsyncEntry, type EntryOptions} from '@napi-rs/keyring'

import {readSecretStorageChoice, saveSecretStorageChoice} from '../config/index.js'
import {AppError, errorMessage} from '../errors.js'
import type {SecretStore} from './types.js'

export const KEYCHAIN_SERVICE = 'ident-amo'
/** A probe that finds nothing is quick; a keychain that does not answer in this time is treated as absent. */
const PROBE_TIMEOUT_MS = 3000
/** Real reads and writes may wait for the user to unlock the keychain in a desktop dialog. */
const OPERATION_TIMEOUT_MS = 60_000
const PROBE_ACCOUNT = '__ident-amo-probe__'
/**
 * Pinned so that a secret never silently lands in the kernel keyring (keyutils), which is lost on
 * reboot: @napi-rs/keyring falls back to it whenever the Secret Service is unreachable (README.md
 * "Dependencies that differ from the original design").
 * Ignored on macOS and Windows.
 */
const ENTRY_OPTIONS: EntryOptions = {linux: {store: 'secret-service'}}

export interface OpenSecretStoreOptions {
  configDir: string
  dataDir: string
  /**
   * The user chose `--insecure-storage`: a 0600 file, remembered in the config file for later commands
   * once something is saved in it (a login that fails leaves the choice as it was).
   */
  insecure?: boolean
  /**
   * Also check that the keychain accepts a write (a probe entry written and removed): commands that are
   * about to save something (`auth login`, `config init`) learn of a locked or missing keyring before
   * the user has gone through a browser consent, not after.
   */
  verifyWrite?: boolean
}

/** Thrown when the OS keychain cannot be used and no other store was chosen. */
export class KeychainUnavailableError extends AppError {
  constructor(reason: string, configDir: string, cause?: unknown) {
    super(`no OS keychain is available (${reason})`, {
      exitCode: 1,
      code: 'E_NO_KEYCHAIN',
      hint: `run in a desktop session; or set AMOCRM_ACCESS_TOKEN / DB_PASSWORD in the environment (or .env); or keep secrets in a 0600 file in ${configDir} by logging in once with \`ident-amo auth login --insecure-storage\` (or \`ident-amo config init --insecure-storage\`)`,
      cause,
    })
  }
}

/**
 * The secret store for this configuration (docs/architecture.md "Secrets and tokens"): the OS keychain, probed first; or the
 * 0600 file once the user chose `--insecure-storage` (now or in an earlier command). Never a store
 * that does not survive a reboot, never silently.
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  if (options.insecure)
    return new FileSecretStore(secretsFilePath(options.configDir), {
      onSaved: () => saveSecretStorageChoice(options.configDir, 'file'),
    })
  if (readSecretStorageChoice(options.configDir) === 'file') return new FileSecretStore(secretsFilePath(options.configDir))
  const store = new KeychainSecretStore(options.configDir)
  await store.probe(options.verifyWrite ?? false)
  return store
}

export function secretsFilePath(configDir: string): string {
  return path.join(configDir, 'secrets.json')
}

/**
 * Keychain entries are `service ident-amo, account <KEY>` for the default config dir. A config dir
 * given with IDENT_AMO_CONFIG_DIR (a second clinic on the same machine, tests) gets its own entries,
 * `account <KEY>@<configDir>`, so that two configurations never share tokens.
 */
export function keychainAccount(key: string, configDir: string): string {
  const resolved = path.resolve(configDir)
  return resolved === defaultConfigDir() ? key : `${key}@${resolved}`
}

/** oclif's default config dir for this CLI (what `this.config.configDir` is without IDENT_AMO_CONFIG_DIR). */
function defaultConfigDir(): string {
  const windows = process.platform === 'win32'
  const home = process.env.HOME || (windows && (process.env.USERPROFILE ?? '')) || os.homedir()
  const base = process.env.XDG_CONFIG_HOME || (windows && process.env.LOCALAPPDATA) || path.join(home, '.config')
  return path.resolve(base, 'ident-amo')
}

function keychainName(): string {
  if (process.platform === 'darwin') return 'macOS Keychain'
  if (process.platform === 'win32') return 'Windows Credential Manager'
  return 'Secret Service'
}

export class KeychainSecretStore implements SecretStore {
  readonly backend = 'keychain' as const

  constructor(private readonly configDir: string) {}

  describe(): string {
    return `OS keychain (${keychainName()}, service ${KEYCHAIN_SERVICE})`
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(key, (entry, signal) => entry.getPassword(signal), OPERATION_TIMEOUT_MS)
    return value ?? undefined
  }

  async set(key: string, value: string): Promise<void> {
    await this.run(key, (entry, signal) => entry.setPassword(value, signal), OPERATION_TIMEOUT_MS)
  }

  async delete(key: string): Promise<boolean> {
    return this.run(key, (entry, signal) => entry.deleteCredential(signal), OPERATION_TIMEOUT_MS)
  }

  /** Reading a missing entry proves a bus and a Secret Service; writing one proves an unlocked keyring. */
  async probe(write: boolean): Promise<void> {
    await this.run(PROBE_ACCOUNT, (entry, signal) => entry.getPassword(signal), PROBE_TIMEOUT_MS)
    if (!write) return
    await this.run(PROBE_ACCOUNT, (entry, signal) => entry.setPassword('probe', signal), PROBE_TIMEOUT_MS)
    await this.run(PROBE_ACCOUNT, (entry, signal) => entry.deleteCredential(signal), PROBE_TIMEOUT_MS)
  }

  private async run<T>(key: string, operation: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    try {
      // The constructor already talks to D-Bus on Linux and throws when there is no session bus.
      const entry = new AsyncEntry(KEYCHAIN_SERVICE, keychainAccount(key, this.configDir), ENTRY_OPTIONS)
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort()
          reject(new KeychainTimeoutError(timeoutMs))
        }, timeoutMs)
        timer.unref()
      })
      return await Promise.race([operation(entry, controller.signal), timeout])
    } catch (error) {
      throw new KeychainUnavailableError(keychainFailureReason(error), this.configDir, error)
    } finally {
      clearTimeout(timer)
    }
  }
}

class KeychainTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the keychain did not answer within ${timeoutMs / 1000} s`)
  }
}

/** The keychain's error, in words a user can act on. */
export function keychainFailureReason(error: unknown): string {
  if (error instanceof KeychainTimeoutError) return `${error.message}; it may be locked`
  const message = errorMessage(error)
  if (/DBUS_SESSION_BUS_ADDRESS|autolaunch|Failed to connect to socket|Connection refused|No such file or directory/i.test(message))
    return 'no D-Bus session bus'
  if (/org\.freedesktop\.secrets|ServiceUnknown|was not provided by any \.service/i.test(message))
    return 'no Secret Service (e.g. gnome-keyring) is running'
  if (/prompt was dismissed|locked/i.test(message)) return 'the keyring is locked and could not be unlocked here'
  if (/no result found/i.test(message)) return 'the Secret Service has no default keyring'
  return message.replace(/^Platform failure: /, '')
}

interface SecretsFile {
  [key: string]: string
}

/**
 * Secrets in plain text in `<configDir>/secrets.json`, mode 0600, replaced atomically. Only when the
 * user asked for it; refuses a file others can read (as sfdx does with its key.json).
 */
export class FileSecretStore implements SecretStore {
  readonly backend = 'file' as const

  /** `onSaved`: called after each successful write (remembering the choice of this store). */
  constructor(
    readonly file: string,
    private readonly options: {onSaved?: () => void} = {},
  ) {}

  describe(): string {
    return `file ${this.file} (insecure: plain text, mode 0600)`
  }

  async get(key: string): Promise<string | undefined> {
    return this.read()[key]
  }

  async set(key: string, value: string): Promise<void> {
    const data = this.read()
    data[key] = value
    await this.write(data)
  }

  async delete(key: string): Promise<boolean> {
    const data = this.read()
    if (!(key in data)) return false
    delete data[key]
    await this.write(data)
    return true
  }

  /** Keys present (for `auth logout --all`, which removes the file once it is empty). */
  keys(): string[] {
    return Object.keys(this.read())
  }

  private read(): SecretsFile {
    if (!existsSync(this.file)) return {}
    const mode = statSync(this.file).mode & 0o777
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      throw new AppError(
        `refusing to read ${this.file}: its permissions are ${mode.toString(8).padStart(4, '0')}, others can read the secrets in it`,
        {
          code: 'E_SECRETS_FILE',
          hint: `run \`chmod 600 ${this.file}\` (and consider whether the secrets in it were exposed)`,
        },
      )
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object')
      return parsed as SecretsFile
    } catch (error) {
      throw new AppError(`the secrets file ${this.file} is not valid: ${errorMessage(error)}`, {
        code: 'E_SECRETS_FILE',
        hint: `remove it and log in again (\`ident-amo auth login --insecure-storage\`)`,
      })
    }
  }

  private async write(data: SecretsFile): Promise<void> {
    await mkdir(path.dirname(this.file), {recursive: true})
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    const fd = openSync(temp, 'wx', 0o600)
    try {
      writeSync(fd, `${JSON.stringify(data, null, 2)}\n`)
      fsyncSync(fd)
    } catch (error) {
      closeSync(fd)
      unlinkSync(temp)
      throw error
    }
    closeSync(fd)
    renameSync(temp, this.file)
    this.options.onSaved?.()
  }
}
