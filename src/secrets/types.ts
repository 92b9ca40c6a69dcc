/**
 * Where secrets live (docs/architecture.md "Secrets and tokens"): the OS keychain through
 * @napi-rs/keyring, or — only when the user chose `--insecure-storage` — a 0600 file in the config dir. Never a store that does not survive
 * a reboot, never silently.
 */
export interface SecretStore {
  readonly backend: 'keychain' | 'file'
  /** For `auth status`: e.g. "OS keychain (Secret Service)" or "file /home/u/.config/ident-amo/secrets.json (insecure)". */
  describe(): string
  get(key: string): Promise<string | undefined>
  set(key: string, value: string): Promise<void>
  delete(key: string): Promise<boolean>
}

/** The amoCRM token set as stored (one JSON secret under `AMOCRM_TOKENS`). */
export interface StoredTokens {
  kind: 'oauth' | 'long-lived'
  accessToken: string
  /** Absent for long-lived tokens. */
  refreshToken?: string
  /** Unix ms. */
  expiresAt?: number
  /** The base URL the tokens belong to. */
  baseUrl: string
  /** When they were obtained (unix ms). */
  obtainedAt: number
}

/** Keys under which secrets are stored. */
export const SECRET_KEYS = {
  tokens: 'AMOCRM_TOKENS',
  clientSecret: 'AMOCRM_CLIENT_SECRET',
  dbPassword: 'DB_PASSWORD',
} as const
