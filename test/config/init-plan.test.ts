import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {applyConfigInit, currentInitAnswers, loadConfig, planConfigInit} from '../../src/config/index.js'
import {ConfigError} from '../../src/errors.js'
import {SECRET_KEYS} from '../../src/secrets/index.js'
import {MemorySecretStore} from '../secrets/helpers.js'

describe('config init: answers → config file and secret store', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ident-amo-init-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const load = () => loadConfig({configDir: dir, dataDir: dir, cwd: dir, env: {}})

  it('writes a SQL Server named instance with a Windows login, and keeps both secrets out of the file', async () => {
    const store = new MemorySecretStore()
    const plan = planConfigInit({
      dbClient: 'mssql',
      dbHost: 'clinic-server',
      dbInstance: 'PZSQLSERVER',
      dbPort: '1433',
      dbName: 'PZ',
      dbAuth: 'windows',
      dbDomain: 'CLINIC',
      dbUser: 'reader',
      dbPassword: 'db-secret',
      dbEncrypt: true,
      dbTrustServerCertificate: true,
      amoAccount: 'https://smile.kommo.com/leads',
      amoClientId: 'client-uuid',
      amoClientSecret: 'amo-secret',
      amoRedirectUri: 'http://localhost:8080/callback',
    })
    await applyConfigInit(plan, {configDir: dir, store})
    const config = load()
    expect(config.db).to.include({
      client: 'mssql',
      host: 'clinic-server',
      instance: 'PZSQLSERVER',
      name: 'PZ',
      user: 'reader',
      domain: 'CLINIC',
      encrypt: true,
      trustServerCertificate: true,
    })
    expect(config.db.password).to.equal(undefined)
    expect(config.values.DB_PORT.source).to.equal('default')
    expect(config.amocrm).to.include({
      subdomain: 'smile',
      domain: 'kommo.com',
      baseUrl: undefined,
      clientId: 'client-uuid',
      clientSecret: undefined,
    })
    expect(await store.get(SECRET_KEYS.dbPassword)).to.equal('db-secret')
    expect(await store.get(SECRET_KEYS.clientSecret)).to.equal('amo-secret')
  })

  it('switching to a SQL login on a port removes the instance and the domain; empty passwords keep the stored ones', async () => {
    const store = new MemorySecretStore()
    await applyConfigInit(
      planConfigInit({
        dbClient: 'mssql',
        dbHost: 'h',
        dbInstance: 'PZ1',
        dbName: 'PZ',
        dbAuth: 'windows',
        dbDomain: 'D',
        dbUser: 'u',
        dbPassword: 'old',
        amoAccount: 'clinic',
      }),
      {configDir: dir, store},
    )
    await applyConfigInit(
      planConfigInit({
        dbClient: 'mssql',
        dbHost: 'h',
        dbInstance: '',
        dbPort: '1500',
        dbName: 'PZ',
        dbAuth: 'sql',
        dbUser: 'sa',
        dbPassword: '',
        amoAccount: 'clinic',
        amoClientSecret: '',
      }),
      {
        configDir: dir,
        store,
      },
    )
    const config = load()
    expect(config.db).to.include({instance: undefined, domain: undefined, port: 1500, user: 'sa'})
    expect(await store.get(SECRET_KEYS.dbPassword)).to.equal('old')
    expect(store.values.has(SECRET_KEYS.clientSecret)).to.equal(false)
  })

  it('takes an address that is not an amoCRM account (sandbox, proxy) as AMOCRM_BASE_URL, and a plain subdomain back again', async () => {
    const store = new MemorySecretStore()
    await applyConfigInit(
      planConfigInit({dbClient: 'sqlite', dbFile: path.join(dir, 'ident.sqlite'), amoAccount: 'http://127.0.0.1:4010/'}),
      {configDir: dir, store},
    )
    expect(load().amocrm.baseUrl).to.equal('http://127.0.0.1:4010')
    expect(load().db).to.include({client: 'sqlite', file: path.join(dir, 'ident.sqlite')})
    await applyConfigInit(planConfigInit({dbClient: 'sqlite', dbFile: 'ident.sqlite', amoAccount: 'clinic.amocrm.ru'}), {
      configDir: dir,
      store,
    })
    expect(load().amocrm).to.include({baseUrl: undefined, subdomain: 'clinic', domain: 'amocrm.ru'})
  })

  it('validates every answer before writing any, so a bad one leaves the file as it was', async () => {
    const store = new MemorySecretStore()
    await applyConfigInit(
      planConfigInit({dbClient: 'mssql', dbHost: 'before', dbPort: '1433', dbName: 'PZ', dbUser: 'u', amoAccount: 'clinic'}),
      {configDir: dir, store},
    )
    const bad = planConfigInit({
      dbClient: 'mssql',
      dbHost: 'after',
      dbPort: '99999',
      dbName: 'PZ',
      dbUser: 'u',
      dbPassword: 'p',
      amoAccount: 'clinic',
    })
    const error = await applyConfigInit(bad, {configDir: dir, store}).catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(ConfigError)
    expect((error as ConfigError).message).to.include('DB_PORT')
    expect(load().db.host).to.equal('before')
    expect(store.values.has(SECRET_KEYS.dbPassword)).to.equal(false)
  })

  it('offers the current configuration as the defaults', async () => {
    await applyConfigInit(
      planConfigInit({
        dbClient: 'mssql',
        dbHost: 'srv',
        dbInstance: 'PZSQLSERVER',
        dbName: 'PZ',
        dbAuth: 'windows',
        dbDomain: 'CLINIC',
        dbUser: 'u',
        amoAccount: 'smile.kommo.com',
        amoClientId: 'cid',
      }),
      {
        configDir: dir,
        store: new MemorySecretStore(),
      },
    )
    expect(currentInitAnswers(load())).to.include({
      dbClient: 'mssql',
      dbHost: 'srv',
      dbInstance: 'PZSQLSERVER',
      dbAuth: 'windows',
      dbDomain: 'CLINIC',
      amoAccount: 'smile.kommo.com',
      amoClientId: 'cid',
    })
  })

  it('refuses an account that is not a subdomain, host or URL', () => {
    expect(() => planConfigInit({dbClient: 'sqlite', amoAccount: 'not an account!'})).to.throw(/is not an amoCRM account/)
  })
})
