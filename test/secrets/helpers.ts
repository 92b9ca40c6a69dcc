import type {SecretStore} from '../../src/secrets/index.js'

/**
 * Why the tests that need a real OS keychain cannot run here, or undefined when they can. CI
 * (`.ci/run`) runs them inside `dbus-run-session` with an unlocked gnome-keyring and sets
 * IDENT_AMO_TEST_KEYRING=1: then they always run, and fail loudly if the keychain is broken.
 */
export function keychainTestSkipReason(): string | undefined {
  if (process.env.IDENT_AMO_TEST_KEYRING === '1') return undefined
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS)
    return 'no D-Bus session bus and IDENT_AMO_TEST_KEYRING is not set; run them as CI does: dbus-run-session -- bash -c \'printf x | gnome-keyring-daemon --unlock --components=secrets >/dev/null; IDENT_AMO_TEST_KEYRING=1 npx mocha "test/secrets/**/*.test.ts"\''
  if (process.platform !== 'linux')
    return "the keychain tests run on Linux CI only (set IDENT_AMO_TEST_KEYRING=1 to run them against this machine's keychain)"
  return undefined
}

/** A secret store in memory, recording writes; `failWrites` makes `set` reject. */
export class MemorySecretStore implements SecretStore {
  readonly backend = 'keychain' as const
  readonly values = new Map<string, string>()
  readonly writes: string[] = []
  failWrites = false
  describe(): string {
    return 'memory'
  }
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key)
  }
  async set(key: string, value: string): Promise<void> {
    if (this.failWrites) throw new Error('the keychain refused the write')
    this.writes.push(key)
    this.values.set(key, value)
  }
  async delete(key: string): Promise<boolean> {
    return this.values.delete(key)
  }
}
