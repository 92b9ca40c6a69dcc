/**
 * Every setting the tool reads, with its environment name (README.md "Configuration", kept compatible with the
 * original design), its default and how it is validated. The one list: config loading, `config show`,
 * `config set`, `config init` and the README's configuration table all read it.
 */
export type SettingKind = 'string' | 'secret' | 'port' | 'boolean' | 'integer' | 'number' | 'enum' | 'url' | 'times' | 'timezone' | 'path'

export interface SettingDef {
  /** Environment variable name, also the key in the config file and for `config set`. */
  readonly env: string
  readonly kind: SettingKind
  readonly describe: string
  readonly default?: string
  /** For `enum`. */
  readonly values?: readonly string[]
  /** For `integer` / `number`: inclusive bounds. */
  readonly min?: number
  readonly max?: number
  /** Greater than zero (for `number`). */
  readonly positive?: boolean
  /** Kept in the OS keychain, never in the config file; masked by `config show`. */
  readonly secret?: boolean
  /**
   * The setting's key in the config file and for `config set` when it is not the environment name
   * (`deals.enabled` for DEALS); `config set` takes either.
   */
  readonly fileKey?: string
  readonly group: 'IDENT database' | 'amoCRM' | 'sync' | 'deals' | 'logs'
}

export const SETTINGS = [
  {
    env: 'DB_CLIENT',
    kind: 'enum',
    values: ['mssql', 'sqlite'],
    default: 'mssql',
    group: 'IDENT database',
    describe: "`mssql` (IDENT's SQL Server) or `sqlite` (sample/test IDENT database)",
  },
  {env: 'DB_HOST', kind: 'string', default: 'localhost', group: 'IDENT database', describe: 'SQL Server host'},
  {
    env: 'DB_PORT',
    kind: 'port',
    default: '1433',
    group: 'IDENT database',
    describe: 'SQL Server port (ignored when DB_INSTANCE is set: the SQL Browser finds it)',
  },
  {env: 'DB_INSTANCE', kind: 'string', group: 'IDENT database', describe: 'named instance, e.g. `PZSQLSERVER`'},
  {env: 'DB_NAME', kind: 'string', default: 'PZ', group: 'IDENT database', describe: 'database name'},
  {env: 'DB_USER', kind: 'string', group: 'IDENT database', describe: 'SQL login (or Windows user name when DB_DOMAIN is set)'},
  {
    env: 'DB_PASSWORD',
    kind: 'secret',
    secret: true,
    group: 'IDENT database',
    describe: 'password of DB_USER (keychain; the environment wins)',
  },
  {env: 'DB_DOMAIN', kind: 'string', group: 'IDENT database', describe: 'Windows domain: switches to a Windows (NTLM) login'},
  {env: 'DB_ENCRYPT', kind: 'boolean', default: 'true', group: 'IDENT database', describe: 'encrypt the connection (TLS)'},
  {
    env: 'DB_TRUST_SERVER_CERTIFICATE',
    kind: 'boolean',
    default: 'false',
    group: 'IDENT database',
    describe: 'accept a self-signed server certificate',
  },
  {
    env: 'DB_CONNECT_TIMEOUT_MS',
    kind: 'integer',
    min: 1000,
    max: 600000,
    default: '15000',
    group: 'IDENT database',
    describe: 'connect timeout, ms',
  },
  {
    env: 'DB_REQUEST_TIMEOUT_MS',
    kind: 'integer',
    min: 1000,
    max: 3600000,
    default: '120000',
    group: 'IDENT database',
    describe: 'query timeout, ms',
  },
  {env: 'DB_FILE', kind: 'path', group: 'IDENT database', describe: 'path of the SQLite file when DB_CLIENT=sqlite'},
  {env: 'AMOCRM_SUBDOMAIN', kind: 'string', group: 'amoCRM', describe: 'account subdomain: `SUB` of `SUB.amocrm.ru`'},
  {env: 'AMOCRM_DOMAIN', kind: 'string', default: 'amocrm.ru', group: 'amoCRM', describe: '`amocrm.ru`, or `kommo.com` for Kommo'},
  {
    env: 'AMOCRM_BASE_URL',
    kind: 'url',
    group: 'amoCRM',
    describe: 'full base URL overriding subdomain+domain (sandbox, proxies); plain `http://` only to this machine (loopback)',
  },
  {
    env: 'AMOCRM_ALLOW_INSECURE_HTTP',
    kind: 'boolean',
    default: 'false',
    group: 'amoCRM',
    describe:
      'let a plain `http://` AMOCRM_BASE_URL reach another machine (the token and patient data travel unencrypted; warned on every run)',
  },
  {env: 'AMOCRM_CLIENT_ID', kind: 'string', group: 'amoCRM', describe: 'integration ID'},
  {
    env: 'AMOCRM_CLIENT_SECRET',
    kind: 'secret',
    secret: true,
    group: 'amoCRM',
    describe: 'integration secret key (keychain; the environment wins)',
  },
  {
    env: 'AMOCRM_REDIRECT_URI',
    kind: 'url',
    default: 'http://localhost:8080/callback',
    group: 'amoCRM',
    describe: 'redirect URI registered in the integration',
  },
  {
    env: 'AMOCRM_ACCESS_TOKEN',
    kind: 'secret',
    secret: true,
    group: 'amoCRM',
    describe: 'a long-lived token; when set, no stored token is used or refreshed',
  },
  {
    env: 'AMOCRM_RATE_LIMIT',
    kind: 'number',
    positive: true,
    max: 50,
    default: '7',
    group: 'amoCRM',
    describe: 'requests per second to amoCRM, shared by the processes of one account (counted in the config directory)',
  },
  {
    env: 'AMOCRM_CONCURRENCY',
    kind: 'integer',
    min: 1,
    max: 16,
    default: '4',
    group: 'amoCRM',
    describe:
      'write requests kept in flight at once (1–16; fewer when amoCRM answers fast), still within AMOCRM_RATE_LIMIT; 1 sends one at a time',
  },
  {
    env: 'AMOCRM_REQUEST_TIMEOUT_MS',
    kind: 'integer',
    min: 1000,
    max: 600_000,
    default: '30000',
    group: 'amoCRM',
    describe:
      'how long to wait for an amoCRM answer, ms; a create left unanswered is not sent again before 1.5 times this has passed (it may still be applied)',
  },
  {
    env: 'SYNC_INTERVAL_MINUTES',
    kind: 'number',
    positive: true,
    default: '2',
    group: 'sync',
    describe: 'incremental interval in `sync watch` (decimals allowed)',
  },
  {env: 'SYNC_DEEP_TIMES', kind: 'times', default: '08:00,20:00', group: 'sync', describe: 'deep sync times, comma-separated `HH:MM`'},
  {
    env: 'SYNC_TIMEZONE',
    kind: 'timezone',
    group: 'sync',
    describe: "clinic timezone for schedules, ages and dates (default: the account's, else the system's)",
  },
  {env: 'SYNC_BATCH_SIZE', kind: 'integer', min: 1, max: 250, default: '50', group: 'sync', describe: 'contacts per write request (1–250)'},
  {
    env: 'DEALS',
    kind: 'boolean',
    default: 'off',
    fileKey: 'deals.enabled',
    group: 'deals',
    describe: 'appointments → deals: every IDENT reception in the window becomes an amoCRM deal (config key `deals.enabled`)',
  },
  {
    env: 'DEALS_HISTORY_DAYS',
    kind: 'integer',
    min: 0,
    max: 3650,
    default: '30',
    group: 'deals',
    describe: 'receptions from this many days back (and all future ones) become deals',
  },
  {
    env: 'DEALS_NO_SHOW_HOURS',
    kind: 'number',
    min: 0,
    max: 720,
    default: '2',
    group: 'deals',
    describe: 'hours after the planned end of a visit with no sign of the patient before the deal moves to "no show"',
  },
  {
    env: 'LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    group: 'logs',
    describe: 'log level',
  },
  {
    env: 'LOG_FILE',
    kind: 'path',
    group: 'logs',
    describe: 'log file (default `<dataDir>/logs/sync.log`), or a device such as `/dev/stderr` (not rotated)',
  },
] as const satisfies readonly SettingDef[]

export type SettingName = (typeof SETTINGS)[number]['env']

export const SETTING_BY_NAME: ReadonlyMap<string, SettingDef> = new Map(SETTINGS.map((s) => [s.env, s as SettingDef]))

/** A setting by its environment name or its config-file key (`DEALS` or `deals.enabled`). */
export function settingByKey(key: string): SettingDef | undefined {
  return SETTING_BY_NAME.get(key) ?? (SETTINGS as readonly SettingDef[]).find((s) => s.fileKey === key)
}

export const SECRET_SETTINGS = SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.env)
