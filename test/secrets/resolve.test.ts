import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {loadConfig} from '../../src/config/index.js'
import {resolveClientSecret, resolveDbPassword, resolveSecret, SECRET_KEYS} from '../../src/secrets/index.js'
import {MemorySecretStore} from './helpers.js'

describe('secrets resolution: the environment wins, else the store', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ident-amo-resolve-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))
  const config = (env: Record<string, string>) => loadConfig({configDir: dir, dataDir: dir, cwd: dir, env})

  it('takes DB_PASSWORD and AMOCRM_CLIENT_SECRET from the environment over the store', async () => {
    const store = new MemorySecretStore()
    store.values.set(SECRET_KEYS.dbPassword, 'stored-db')
    store.values.set(SECRET_KEYS.clientSecret, 'stored-client')
    const c = config({DB_PASSWORD: 'env-db', AMOCRM_CLIENT_SECRET: 'env-client'})
    expect(await resolveDbPassword(c, store)).to.equal('env-db')
    expect(await resolveClientSecret(c, store)).to.equal('env-client')
    expect(await resolveSecret(c, SECRET_KEYS.dbPassword, store)).to.deep.equal({value: 'env-db', source: 'environment'})
  })

  it('falls back to the store, and says when neither has it', async () => {
    const store = new MemorySecretStore()
    store.values.set(SECRET_KEYS.dbPassword, 'stored-db')
    const c = config({})
    expect(await resolveSecret(c, SECRET_KEYS.dbPassword, store)).to.deep.equal({value: 'stored-db', source: 'store'})
    expect(await resolveSecret(c, SECRET_KEYS.clientSecret, store)).to.deep.equal({value: undefined, source: 'none'})
  })

  it('needs no password, and opens no store, for a SQLite IDENT', async () => {
    const store = new MemorySecretStore()
    store.values.set(SECRET_KEYS.dbPassword, 'stored-db')
    expect(await resolveDbPassword(config({DB_CLIENT: 'sqlite', DB_FILE: 'x.sqlite'}), store)).to.equal(undefined)
  })
})
