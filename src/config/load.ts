import {existsSync, readFileSync} from 'node:fs'
import {BlockList, isIP} from 'node:net'
import path from 'node:path'

import Conf from 'conf'
import {parse as parseDotenv} from 'dotenv'

import {AppError, ConfigError, UsageError} from '../errors.js'
import type {DealFieldKey} from '../fields/deal-catalogue.js'
import {type DealFieldSetting, type DealsConfig, readDealFields, readDealsConfig} from './deals.js'
import {SETTINGS, type SettingDef, type SettingName} from './settings.js'

export type SettingSource = 'flag' | 'env' | '.env' | 'file' | 'default' | 'unset'

/** A field's entry in the config file: its amoCRM id, or `false` to never send it. */
export type FieldSetting = {id?: number} | false

export interface IdentRenames {
  /** Our table name → the clinic's. */
  tables: Record<string, string>
  /** Our table name → (our column name → the clinic's). */
  columns: Record<string, Record<string, string>>
}

export interface AppConfig {
  db: {
    client: 'mssql' | 'sqlite'
    host: string
    port: number
    instance?: string
    name: string
    user?: string
    /** Only from the environment / `.env` here; the keychain is read by the secrets area. */
    password?: string
    domain?: string
    encrypt: boolean
    trustServerCertificate: boolean
    connectTimeoutMs: number
    requestTimeoutMs: number
    file?: string
  }
  amocrm: {
    subdomain?: string
    domain: string
    /** Explicit AMOCRM_BASE_URL, if any; see `amoBaseUrl()`. */
    baseUrl?: string
    /** AMOCRM_ALLOW_INSECURE_HTTP: a plain-http base URL may name another machine (warned on every run). */
    allowInsecureHttp?: boolean
    clientId?: string
    clientSecret?: string
    redirectUri: string
    accessToken?: string
    rateLimit: number
    /** AMOCRM_CONCURRENCY: the most write requests in flight (always set by loading; 1 when absent). */
    concurrency?: number
    /** AMOCRM_REQUEST_TIMEOUT_MS: per attempt (always set by loading; the client's default when absent). */
    requestTimeoutMs?: number
  }
  sync: {
    intervalMinutes: number
    deepTimes: string[]
    timezone?: string
    batchSize: number
  }
  log: {level: string; file: string}
  /** Appointments → deals (DEALS*, `deals.*`). */
  deals: DealsConfig
  /** Contact fields: `fields.<key>`. */
  fields: Record<string, FieldSetting>
  /** Deal fields: `fields.deal.<key>`. */
  dealFields: Partial<Record<DealFieldKey, DealFieldSetting>>
  ident: IdentRenames
  paths: {configDir: string; dataDir: string; configFile: string}
  /**
   * Every setting's raw value and where it came from (for `config show`); `invalid` says what is wrong
   * with a value a lenient load let through (the default was used in its place).
   */
  values: Record<SettingName, {value: string | undefined; source: SettingSource; invalid?: string}>
}

export interface LoadConfigOptions {
  configDir: string
  dataDir: string
  /** Where `.env` is looked for; the working directory by default. */
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Values given on the command line, by setting name; they win over everything. */
  flags?: Partial<Record<SettingName, string | number | boolean | undefined>>
  /** The flag each of `flags` was given as (`--interval`), for messages. */
  flagNames?: Partial<Record<SettingName, string>>
  /**
   * Do not stop at an invalid value: note it in `values` and use the default instead (`config show`
   * must run to show what is wrong).
   */
  lenient?: boolean
}

interface StoredConfig {
  fields?: Record<string, FieldSetting> & {deal?: unknown}
  deals?: Record<string, unknown>
  ident?: Partial<IdentRenames>
  [setting: string]: unknown
}

/** The config file (`<configDir>/config.json`, mode 0600, no secrets). */
export function openConfigFile(configDir: string): Conf<StoredConfig> {
  return new Conf<StoredConfig>({cwd: configDir, configName: 'config', projectName: 'ident-amo', configFileMode: 0o600})
}

export function configFilePath(configDir: string): string {
  return path.join(configDir, 'config.json')
}

/** Reads `.env` from `cwd` without touching `process.env`. */
export function readDotenv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env')
  if (!existsSync(file)) return {}
  try {
    return parseDotenv(readFileSync(file))
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`)
  }
}

/**
 * Configuration with the precedence of README.md "Configuration":
 * flags > environment > `.env` in the working directory > config file > defaults.
 */
export function loadConfig(options: LoadConfigOptions): AppConfig {
  const env = options.env ?? process.env
  const dotenv = readDotenv(options.cwd ?? process.cwd())
  const stored = existsSync(configFilePath(options.configDir)) ? readStored(options.configDir) : {}

  const values = {} as AppConfig['values']
  const effective = {} as Record<SettingName, string | undefined>
  for (const setting of SETTINGS) {
    const name = setting.env
    const flag = options.flags?.[name]
    let value: string | undefined
    let source: SettingSource
    if (flag !== undefined && flag !== '') [value, source] = [String(flag), 'flag']
    else if (env[name] !== undefined && env[name] !== '') [value, source] = [env[name], 'env']
    else if (dotenv[name] !== undefined && dotenv[name] !== '') [value, source] = [dotenv[name], '.env']
    else if (!('secret' in setting) && storedValue(stored, setting) !== undefined) [value, source] = [storedValue(stored, setting)!, 'file']
    else if ('default' in setting) [value, source] = [setting.default, 'default']
    else [value, source] = [undefined, 'unset']
    values[name] = {value, source}
    effective[name] = value
    if (value === undefined) continue
    try {
      validateSetting(setting, value)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      const located = invalidValueError(error, name, source, options)
      if (!options.lenient) throw located
      values[name].invalid = located.message
      effective[name] = 'default' in setting ? setting.default : undefined
    }
  }

  const v = (name: SettingName): string | undefined => effective[name]
  const str = (name: SettingName): string | undefined => v(name)?.trim() || undefined
  const num = (name: SettingName): number => Number(v(name))
  const bool = (name: SettingName): boolean => parseBoolean(v(name) ?? 'false') ?? false

  const dataDir = options.dataDir
  const config: AppConfig = {
    db: {
      client: v('DB_CLIENT') as 'mssql' | 'sqlite',
      host: str('DB_HOST') ?? 'localhost',
      port: num('DB_PORT'),
      instance: str('DB_INSTANCE'),
      name: str('DB_NAME') ?? 'PZ',
      user: str('DB_USER'),
      password: v('DB_PASSWORD'),
      domain: str('DB_DOMAIN'),
      encrypt: bool('DB_ENCRYPT'),
      trustServerCertificate: bool('DB_TRUST_SERVER_CERTIFICATE'),
      connectTimeoutMs: num('DB_CONNECT_TIMEOUT_MS'),
      requestTimeoutMs: num('DB_REQUEST_TIMEOUT_MS'),
      file: str('DB_FILE') ? path.resolve(options.cwd ?? process.cwd(), str('DB_FILE')!) : undefined,
    },
    amocrm: {
      subdomain: str('AMOCRM_SUBDOMAIN'),
      domain: str('AMOCRM_DOMAIN') ?? 'amocrm.ru',
      baseUrl: str('AMOCRM_BASE_URL')?.replace(/\/+$/, ''),
      allowInsecureHttp: bool('AMOCRM_ALLOW_INSECURE_HTTP'),
      clientId: str('AMOCRM_CLIENT_ID'),
      clientSecret: v('AMOCRM_CLIENT_SECRET'),
      redirectUri: str('AMOCRM_REDIRECT_URI') ?? 'http://localhost:8080/callback',
      accessToken: str('AMOCRM_ACCESS_TOKEN'),
      rateLimit: num('AMOCRM_RATE_LIMIT'),
      concurrency: num('AMOCRM_CONCURRENCY'),
      requestTimeoutMs: num('AMOCRM_REQUEST_TIMEOUT_MS'),
    },
    sync: {
      intervalMinutes: num('SYNC_INTERVAL_MINUTES'),
      deepTimes: parseTimes(v('SYNC_DEEP_TIMES') ?? ''),
      timezone: str('SYNC_TIMEZONE'),
      batchSize: num('SYNC_BATCH_SIZE'),
    },
    log: {
      level: v('LOG_LEVEL') ?? 'info',
      file: str('LOG_FILE') ? path.resolve(options.cwd ?? process.cwd(), str('LOG_FILE')!) : path.join(dataDir, 'logs', 'sync.log'),
    },
    deals: readDealsConfig(stored.deals, {
      enabled: bool('DEALS'),
      historyDays: num('DEALS_HISTORY_DAYS'),
      noShowHours: num('DEALS_NO_SHOW_HOURS'),
    }),
    fields: validateFields(stored.fields ?? {}),
    dealFields: readDealFields(stored.fields?.deal),
    ident: {tables: {...stored.ident?.tables}, columns: {...stored.ident?.columns}},
    paths: {configDir: options.configDir, dataDir, configFile: configFilePath(options.configDir)},
    values,
  }
  return config
}

/** A setting's value in the config file, under its name or its `fileKey` (`deals.enabled`); undefined when empty. */
function storedValue(stored: StoredConfig, setting: SettingDef): string | undefined {
  let value: unknown = stored[setting.env]
  if ((value === undefined || value === null || value === '') && setting.fileKey)
    value = setting.fileKey
      .split('.')
      .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), stored)
  return value === undefined || value === null || value === '' ? undefined : String(value)
}

/**
 * The error for an invalid value, saying where it came from: a flag is a usage error (exit 2); the
 * environment, `.env` or the config file a configuration error with the way to correct it there.
 */
function invalidValueError(error: ConfigError, name: SettingName, source: SettingSource, options: LoadConfigOptions): AppError {
  switch (source) {
    case 'flag': {
      const flag = options.flagNames?.[name]
      return new UsageError(
        flag ? error.message.replace(name, flag) : `${error.message} (given on the command line)`,
        '`--help` shows what the flag takes',
      )
    }
    case 'env':
      return new ConfigError(
        `${error.message} (from the environment)`,
        `correct ${name} in the environment (or \`unset ${name}\` to use the config file and defaults)`,
      )
    case '.env': {
      const file = path.join(options.cwd ?? process.cwd(), '.env')
      return new ConfigError(`${error.message} (from ${file})`, `correct or remove the ${name} line of ${file}`)
    }
    case 'file':
      return new ConfigError(
        `${error.message} (from the config file ${configFilePath(options.configDir)})`,
        `set it again with \`ident-amo config set ${name} <value>\`, or remove it with \`ident-amo config set ${name} ""\``,
      )
    default:
      return error
  }
}

/** A valid value that is probably not what the user wants, in words; undefined when there is none. */
export function settingWarning(name: SettingName, value: string): string | undefined {
  if (name === 'AMOCRM_RATE_LIMIT' && Number(value) > 7)
    return `AMOCRM_RATE_LIMIT ${value} is above amoCRM's limit of 7 requests per second: amoCRM blocks integrations that exceed it (403); more is for the built-in sandbox or a proxy only`
  return undefined
}

function readStored(configDir: string): StoredConfig {
  try {
    return openConfigFile(configDir).store
  } catch (error) {
    throw new ConfigError(
      `the config file ${configFilePath(configDir)} is not valid: ${(error as Error).message}`,
      'fix the file by hand or remove it and run `ident-amo config init`',
    )
  }
}

/** Whether anything says where the IDENT database is: a first run has every DB_ setting at its default. */
export function identConfigured(config: AppConfig): boolean {
  const where: SettingName[] = ['DB_CLIENT', 'DB_HOST', 'DB_PORT', 'DB_INSTANCE', 'DB_NAME', 'DB_USER', 'DB_FILE']
  return where.some((name) => config.values[name].source !== 'default' && config.values[name].source !== 'unset')
}

/**
 * The amoCRM base URL: AMOCRM_BASE_URL, else `https://SUB.DOMAIN`. A plain-http base URL naming
 * another machine is refused here, before anything connects (see `checkAmoTransport`).
 */
export function amoBaseUrl(config: Pick<AppConfig, 'amocrm'>): string {
  const configured = configuredAmoBaseUrl(config)
  if (configured === undefined)
    throw new ConfigError(
      'AMOCRM_SUBDOMAIN is not set',
      'run `ident-amo config set AMOCRM_SUBDOMAIN yourclinic` (the part before .amocrm.ru) or `ident-amo config init`',
    )
  return configured
}

/** `amoBaseUrl`, or undefined when no account is configured at all (a plain-http refusal still throws). */
export function configuredAmoBaseUrl(config: Pick<AppConfig, 'amocrm'>): string | undefined {
  if (config.amocrm.baseUrl) return checkAmoTransport(config.amocrm.baseUrl, config.amocrm.allowInsecureHttp)
  if (!config.amocrm.subdomain) return undefined
  return `https://${config.amocrm.subdomain}.${config.amocrm.domain}`
}

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** This machine: `localhost`, 127.0.0.0/8 or ::1 (an IPv4-mapped 127.x included). Other names are not trusted to resolve there. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  if (host === 'localhost') return true
  const family = isIP(host)
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

const insecureWarned = new Set<string>()

/**
 * The bearer token and patient data must not cross a network in clear: a plain `http://` URL is
 * accepted for this machine only (the sandbox, a local proxy), unless AMOCRM_ALLOW_INSECURE_HTTP /
 * `--allow-insecure-http` says otherwise — and then every run says so on stderr. Returns the URL.
 */
export function checkAmoTransport(url: string, allowInsecureHttp = false): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError(`AMOCRM_BASE_URL must be a URL such as https://clinic.amocrm.ru, got '${url}'`)
  }
  if (parsed.protocol !== 'http:' || isLoopbackHost(parsed.hostname)) return url
  if (!allowInsecureHttp)
    throw new ConfigError(
      `refusing plain HTTP to ${parsed.host}: AMOCRM_BASE_URL ${url} would send the amoCRM token and patient data unencrypted across the network`,
      'use https:// (amoCRM itself is https only); plain http:// is accepted for this machine only (localhost, 127.0.0.1, ::1) — or, knowingly, set AMOCRM_ALLOW_INSECURE_HTTP=true or pass --allow-insecure-http',
    )
  if (!insecureWarned.has(url)) {
    insecureWarned.add(url)
    process.stderr.write(
      `Warning: AMOCRM_BASE_URL ${url} is plain HTTP to another machine: the amoCRM token and patient data travel unencrypted (allowed by AMOCRM_ALLOW_INSECURE_HTTP / --allow-insecure-http)\n`,
    )
  }
  return url
}

export function parseBoolean(raw: string): boolean | undefined {
  const s = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on', 'y'].includes(s)) return true
  if (['0', 'false', 'no', 'off', 'n'].includes(s)) return false
  return undefined
}

function parseTimes(raw: string): string[] {
  return raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => (t.length === 4 ? `0${t}` : t))
}

/** Throws a ConfigError naming the setting when `raw` is not acceptable for it. */
export function validateSetting(setting: SettingDef, raw: string): void {
  const name = setting.env
  const got = `got '${raw}'`
  const fail = (what: string): never => {
    throw new ConfigError(`${name} must be ${what}, ${got}`)
  }
  switch (setting.kind) {
    case 'port': {
      if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 65535) fail('a port number')
      break
    }
    case 'boolean': {
      if (parseBoolean(raw) === undefined) fail('true or false')
      break
    }
    case 'integer': {
      const n = Number(raw)
      if (!/^-?\d+$/.test(raw.trim())) fail(`a whole number${rangeText(setting)}`)
      if ((setting.min !== undefined && n < setting.min) || (setting.max !== undefined && n > setting.max))
        fail(`a whole number${rangeText(setting)}`)
      break
    }
    case 'number': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) fail(`a number${rangeText(setting)}`)
      if (setting.positive && n <= 0) fail(`a number greater than 0${rangeText(setting)}`)
      if ((setting.min !== undefined && n < setting.min) || (setting.max !== undefined && n > setting.max))
        fail(`a number${rangeText(setting)}`)
      break
    }
    case 'enum': {
      if (!setting.values?.includes(raw.trim())) fail(`one of ${setting.values?.join(', ')}`)
      break
    }
    case 'url': {
      try {
        const url = new URL(raw.trim())
        if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('an http(s) URL')
      } catch {
        fail('a URL such as https://example.amocrm.ru')
      }
      break
    }
    case 'times': {
      for (const t of parseTimes(raw)) {
        const m = /^(\d{2}):(\d{2})$/.exec(t)
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) fail('comma-separated times HH:MM, e.g. 08:00,20:00')
      }
      break
    }
    case 'timezone': {
      try {
        new Intl.DateTimeFormat('en-US', {timeZone: raw.trim()})
      } catch {
        fail('an IANA timezone such as Europe/Moscow')
      }
      break
    }
    default:
      break
  }
}

function rangeText(setting: SettingDef): string {
  if (setting.min !== undefined && setting.max !== undefined) return ` from ${setting.min} to ${setting.max}`
  if (setting.max !== undefined) return ` up to ${setting.max}`
  return ''
}

function validateFields(fields: Record<string, unknown>): Record<string, FieldSetting> {
  const out: Record<string, FieldSetting> = {}
  for (const [key, value] of Object.entries(fields)) {
    // `fields.deal` holds the deal fields (readDealFields)
    if (key === 'deal') continue
    if (value === false) {
      out[key] = false
      continue
    }
    if (value === true || value === null || value === undefined) {
      out[key] = {}
      continue
    }
    if (typeof value !== 'object') throw new ConfigError(`fields.${key} must be false or {"id": N}, got '${JSON.stringify(value)}'`)
    const id = (value as {id?: unknown}).id
    if (id !== undefined && id !== null && (!Number.isInteger(Number(id)) || Number(id) <= 0))
      throw new ConfigError(`fields.${key}.id must be a positive whole number, got '${String(id)}'`)
    out[key] = id === undefined || id === null ? {} : {id: Number(id)}
  }
  return out
}
