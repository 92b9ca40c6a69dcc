import {mkdtempSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {amoBaseUrl, isLoopbackHost, loadConfig, setConfigValue} from '../../src/config/index.js'
import {ConfigError, UsageError} from '../../src/errors.js'

function dirs() {
  const root = mkdtempSync(path.join(tmpdir(), 'ident-amo-config-'))
  return {root, configDir: path.join(root, 'config'), dataDir: path.join(root, 'data'), cwd: root}
}

describe('config: precedence and validation', () => {
  it('uses the defaults of product.md §2 when nothing is set', () => {
    const d = dirs()
    const config = loadConfig({...d, env: {}})
    expect(config.db.client).to.equal('mssql')
    expect(config.db.host).to.equal('localhost')
    expect(config.db.port).to.equal(1433)
    expect(config.db.name).to.equal('PZ')
    expect(config.db.encrypt).to.equal(true)
    expect(config.db.trustServerCertificate).to.equal(false)
    expect(config.amocrm.domain).to.equal('amocrm.ru')
    expect(config.amocrm.redirectUri).to.equal('http://localhost:8080/callback')
    expect(config.amocrm.rateLimit).to.equal(7)
    expect(config.sync.intervalMinutes).to.equal(2)
    expect(config.sync.deepTimes).to.deep.equal(['08:00', '20:00'])
    expect(config.sync.batchSize).to.equal(50)
    expect(config.log.level).to.equal('info')
    expect(config.log.file).to.equal(path.join(d.dataDir, 'logs', 'sync.log'))
    expect(config.values.DB_HOST.source).to.equal('default')
  })

  it('applies flags > environment > .env > config file > defaults', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'DB_HOST', 'from-file')
    setConfigValue(d.configDir, 'DB_NAME', 'FILEDB')
    setConfigValue(d.configDir, 'SYNC_BATCH_SIZE', '100')
    setConfigValue(d.configDir, 'AMOCRM_SUBDOMAIN', 'file-clinic')
    writeFileSync(path.join(d.cwd, '.env'), 'DB_HOST=from-dotenv\nDB_NAME=DOTENVDB\nSYNC_BATCH_SIZE=120\n')
    const env = {DB_HOST: 'from-env', SYNC_BATCH_SIZE: '150'}

    const config = loadConfig({...d, env, flags: {SYNC_BATCH_SIZE: 200}})
    expect(config.sync.batchSize).to.equal(200)
    expect(config.values.SYNC_BATCH_SIZE.source).to.equal('flag')
    expect(config.db.host).to.equal('from-env')
    expect(config.values.DB_HOST.source).to.equal('env')
    expect(config.db.name).to.equal('DOTENVDB')
    expect(config.values.DB_NAME.source).to.equal('.env')
    expect(config.amocrm.subdomain).to.equal('file-clinic')
    expect(config.values.AMOCRM_SUBDOMAIN.source).to.equal('file')
    expect(config.db.port).to.equal(1433)
    expect(config.values.DB_PORT.source).to.equal('default')
  })

  it('rejects a bad port with the message the issue asks for', () => {
    const d = dirs()
    expect(() => loadConfig({...d, env: {DB_PORT: 'abc'}}))
      .to.throw(ConfigError, "DB_PORT must be a port number, got 'abc'")
      .with.property('exitCode', 1)
  })

  it('validates every kind of setting with the name of the setting in the message', () => {
    const d = dirs()
    const cases: Array<[Record<string, string>, string]> = [
      [{DB_PORT: '70000'}, 'DB_PORT must be a port number'],
      [{DB_ENCRYPT: 'maybe'}, 'DB_ENCRYPT must be true or false'],
      [{DB_CLIENT: 'postgres'}, 'DB_CLIENT must be one of mssql, sqlite'],
      [{SYNC_BATCH_SIZE: '251'}, 'SYNC_BATCH_SIZE must be a whole number from 1 to 250'],
      [{SYNC_BATCH_SIZE: '2.5'}, 'SYNC_BATCH_SIZE must be a whole number'],
      [{SYNC_INTERVAL_MINUTES: '0'}, 'SYNC_INTERVAL_MINUTES must be a number greater than 0'],
      [{SYNC_DEEP_TIMES: '08:00,25:00'}, 'SYNC_DEEP_TIMES must be comma-separated times HH:MM'],
      [{SYNC_TIMEZONE: 'Mars/Olympus'}, 'SYNC_TIMEZONE must be an IANA timezone'],
      [{AMOCRM_BASE_URL: 'not a url'}, 'AMOCRM_BASE_URL must be a URL'],
      [{AMOCRM_RATE_LIMIT: 'fast'}, 'AMOCRM_RATE_LIMIT must be a number'],
    ]
    for (const [env, message] of cases) expect(() => loadConfig({...d, env}), JSON.stringify(env)).to.throw(ConfigError, message)
  })

  it('names where a bad value came from, and how to correct it there', () => {
    const d = dirs()
    expect(() => loadConfig({...d, env: {SYNC_INTERVAL_MINUTES: 'abc'}}))
      .to.throw(ConfigError, "SYNC_INTERVAL_MINUTES must be a number, got 'abc' (from the environment)")
      .with.property('hint')
      .that.includes('unset SYNC_INTERVAL_MINUTES')
    writeFileSync(path.join(d.root, '.env'), 'SYNC_INTERVAL_MINUTES=abc\n')
    expect(() => loadConfig({...d, env: {}}))
      .to.throw(ConfigError, `(from ${path.join(d.root, '.env')})`)
      .with.property('hint')
      .that.includes(`SYNC_INTERVAL_MINUTES line of ${path.join(d.root, '.env')}`)
    const elsewhere = dirs()
    setConfigValue(elsewhere.configDir, 'SYNC_INTERVAL_MINUTES', '3')
    writeFileSync(path.join(elsewhere.configDir, 'config.json'), JSON.stringify({SYNC_INTERVAL_MINUTES: 'abc'}))
    expect(() => loadConfig({...elsewhere, env: {}}))
      .to.throw(ConfigError, `(from the config file ${path.join(elsewhere.configDir, 'config.json')})`)
      .with.property('hint')
      .that.includes('ident-amo config set SYNC_INTERVAL_MINUTES')
  })

  it('a bad value given as a flag is a usage error (exit 2) naming the flag', () => {
    const d = dirs()
    expect(() => loadConfig({...d, env: {}, flags: {SYNC_INTERVAL_MINUTES: '0'}, flagNames: {SYNC_INTERVAL_MINUTES: '--interval'}}))
      .to.throw(UsageError, "--interval must be a number greater than 0, got '0'")
      .with.property('exitCode', 2)
  })

  it('leniently, marks a bad value and uses the default in its place', () => {
    const d = dirs()
    const config = loadConfig({...d, env: {SYNC_INTERVAL_MINUTES: 'abc'}, lenient: true})
    expect(config.values.SYNC_INTERVAL_MINUTES).to.deep.include({value: 'abc', source: 'env'})
    expect(config.values.SYNC_INTERVAL_MINUTES.invalid).to.include('must be a number')
    expect(config.sync.intervalMinutes).to.equal(2)
  })

  it('accepts decimals for the watch interval and single-digit hours in deep times', () => {
    const d = dirs()
    const config = loadConfig({...d, env: {SYNC_INTERVAL_MINUTES: '0.05', SYNC_DEEP_TIMES: '8:00, 20:30'}})
    expect(config.sync.intervalMinutes).to.equal(0.05)
    expect(config.sync.deepTimes).to.deep.equal(['08:00', '20:30'])
  })

  it('builds the amoCRM base URL from the subdomain unless AMOCRM_BASE_URL is set', () => {
    const d = dirs()
    expect(amoBaseUrl(loadConfig({...d, env: {AMOCRM_SUBDOMAIN: 'smile'}}))).to.equal('https://smile.amocrm.ru')
    expect(amoBaseUrl(loadConfig({...d, env: {AMOCRM_SUBDOMAIN: 'smile', AMOCRM_DOMAIN: 'kommo.com'}}))).to.equal('https://smile.kommo.com')
    expect(amoBaseUrl(loadConfig({...d, env: {AMOCRM_SUBDOMAIN: 'smile', AMOCRM_BASE_URL: 'http://127.0.0.1:8787/'}}))).to.equal(
      'http://127.0.0.1:8787',
    )
    expect(() => amoBaseUrl(loadConfig({...d, env: {}}))).to.throw(ConfigError, 'AMOCRM_SUBDOMAIN is not set')
  })
})

describe('config: plain HTTP only to this machine', () => {
  const base = (env: Record<string, string>) => amoBaseUrl(loadConfig({...dirs(), env}))

  it('knows loopback hosts from everything else', () => {
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.8.9.10', '[::1]', '[::ffff:7f00:1]'])
      expect(isLoopbackHost(host), host).to.equal(true)
    for (const host of [
      '10.0.0.5',
      '192.168.1.2',
      '[::ffff:a00:1]',
      '[fe80::1]',
      'clinic.amocrm.ru',
      'localhost.example.com',
      'my-laptop',
      '0.0.0.0',
    ])
      expect(isLoopbackHost(host), host).to.equal(false)
  })

  it('accepts https anywhere and http to loopback', () => {
    expect(base({AMOCRM_BASE_URL: 'https://proxy.clinic.lan'})).to.equal('https://proxy.clinic.lan')
    expect(base({AMOCRM_BASE_URL: 'http://localhost:8787'})).to.equal('http://localhost:8787')
    expect(base({AMOCRM_BASE_URL: 'http://[::1]:8787'})).to.equal('http://[::1]:8787')
  })

  it('refuses http to another machine, naming the host and the way out', () => {
    for (const url of ['http://10.1.2.3:8080', 'http://proxy.clinic.lan', 'http://2130706433.example'])
      expect(() => base({AMOCRM_BASE_URL: url}), url)
        .to.throw(ConfigError, `refusing plain HTTP to ${new URL(url).host}`)
        .with.property('hint')
        .that.includes('AMOCRM_ALLOW_INSECURE_HTTP=true')
  })

  it('lets it through when allowed, with a warning on stderr', () => {
    const written: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write
    try {
      expect(base({AMOCRM_BASE_URL: 'http://10.9.8.7:8080', AMOCRM_ALLOW_INSECURE_HTTP: 'true'})).to.equal('http://10.9.8.7:8080')
    } finally {
      process.stderr.write = write
    }
    expect(written.join('')).to.match(/Warning: AMOCRM_BASE_URL http:\/\/10\.9\.8\.7:8080 is plain HTTP to another machine/)
  })
})

describe('config file', () => {
  it('is created with mode 0600 and never takes a secret', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'DB_HOST', 'srv')
    expect(statSync(path.join(d.configDir, 'config.json')).mode & 0o777).to.equal(0o600)
    expect(() => setConfigValue(d.configDir, 'DB_PASSWORD', 'x')).to.throw(UsageError, 'DB_PASSWORD is a secret')
  })

  it('ignores secrets written into the file by hand', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'DB_HOST', 'srv')
    const file = path.join(d.configDir, 'config.json')
    writeFileSync(file, JSON.stringify({DB_HOST: 'srv', DB_PASSWORD: 'leaked'}))
    expect(loadConfig({...d, env: {}}).db.password).to.equal(undefined)
  })

  it('validates values before writing them and keeps the old value on error', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'DB_PORT', '1444')
    // typed on the command line: a usage error (exit 2)
    expect(() => setConfigValue(d.configDir, 'DB_PORT', 'abc'))
      .to.throw(UsageError, "DB_PORT must be a port number, got 'abc'")
      .with.property('exitCode', 2)
    expect(loadConfig({...d, env: {}}).db.port).to.equal(1444)
  })

  it('stores field ids, disables fields and renames IDENT columns', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'fields.age.id', '123456')
    setConfigValue(d.configDir, 'fields.inn', 'false')
    setConfigValue(d.configDir, 'ident.columns.Persons.MobilePhone', 'CellPhone')
    setConfigValue(d.configDir, 'ident.tables.DiscountCards', 'Cards')
    const config = loadConfig({...d, env: {}})
    expect(config.fields.age).to.deep.equal({id: 123456})
    expect(config.fields.inn).to.equal(false)
    expect(config.ident.columns.Persons?.MobilePhone).to.equal('CellPhone')
    expect(config.ident.tables.DiscountCards).to.equal('Cards')
    expect(() => setConfigValue(d.configDir, 'fields.age.id', 'x')).to.throw(UsageError, 'fields.age.id must be a positive whole number')
    expect(() => setConfigValue(d.configDir, 'NO_SUCH_KEY', '1')).to.throw(UsageError, "unknown configuration key 'NO_SUCH_KEY'")
  })

  it('stores a path absolute, relative to where the command ran, like config init', () => {
    const d = dirs()
    expect(setConfigValue(d.configDir, 'DB_FILE', './x.sqlite', {cwd: d.root}).value).to.equal(path.join(d.root, 'x.sqlite'))
    const config = loadConfig({...d, cwd: tmpdir(), env: {}})
    expect(config.db.file).to.equal(path.join(d.root, 'x.sqlite'))
  })

  it('stores an account address typed as AMOCRM_SUBDOMAIN as its subdomain and domain, as auth login --subdomain does', () => {
    const d = dirs()
    expect(setConfigValue(d.configDir, 'AMOCRM_SUBDOMAIN', 'https://clinic.kommo.com/')).to.deep.include({
      value: 'clinic',
      also: {key: 'AMOCRM_DOMAIN', value: 'kommo.com'},
    })
    expect(amoBaseUrl(loadConfig({...d, env: {}}))).to.equal('https://clinic.kommo.com')
    setConfigValue(d.configDir, 'AMOCRM_SUBDOMAIN', 'https://smile.amocrm.ru/leads/')
    expect(amoBaseUrl(loadConfig({...d, env: {}}))).to.equal('https://smile.amocrm.ru')
    setConfigValue(d.configDir, 'AMOCRM_SUBDOMAIN', 'dental')
    expect(amoBaseUrl(loadConfig({...d, env: {}}))).to.equal('https://dental.amocrm.ru')
    expect(() => setConfigValue(d.configDir, 'AMOCRM_SUBDOMAIN', 'not an address')).to.throw(UsageError, 'is not an amoCRM account')
  })

  it('warns that a rate above 7 requests per second gets the integration blocked', () => {
    const d = dirs()
    expect(setConfigValue(d.configDir, 'AMOCRM_RATE_LIMIT', '7').warning).to.equal(undefined)
    expect(setConfigValue(d.configDir, 'AMOCRM_RATE_LIMIT', '12').warning).to.match(/above amoCRM's limit of 7 .* blocks integrations/)
  })

  it('reports a damaged config file clearly', () => {
    const d = dirs()
    setConfigValue(d.configDir, 'DB_HOST', 'srv')
    writeFileSync(path.join(d.configDir, 'config.json'), '{not json')
    expect(() => loadConfig({...d, env: {}})).to.throw(ConfigError, 'is not valid')
  })
})
