import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {hostname, networkInterfaces} from 'node:os'

import {expect} from 'chai'

import {expectExit, parseJson} from '../helpers/cli.js'
import {type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

/** An address of this machine that is not loopback: a LAN address if there is one, else the host name. */
function nonLoopbackHost(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return hostname()
}

describe('e2e: plain HTTP to another machine is refused before any connection', function () {
  this.timeout(120_000)
  let f: SyncFixture
  let server: Server
  let connections = 0
  let url: string

  before(async () => {
    f = await syncFixture({patients: 5, seed: 3, createFields: false})
    // Listens on every interface and counts connections: the proof that nothing was attempted.
    server = createServer((request, response) => {
      response.writeHead(200, {'content-type': 'application/hal+json'})
      response.end(
        JSON.stringify({id: 1, name: 'LAN proxy', subdomain: 'lan', _embedded: {datetime_settings: {timezone: 'Europe/Moscow'}}}),
      )
    })
    server.on('connection', () => connections++)
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
    url = `http://${nonLoopbackHost()}:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await f.close()
  })

  for (const args of [
    ['auth', 'status', '--json'],
    ['fields', 'check', '--json'],
    ['sync', 'full', '--json'],
    ['patient', 'test', '--patient-id', '1', '--dry-run', '--json'],
  ])
    it(`\`${args.join(' ')}\` exits 1 with a message saying why, and connects nowhere`, async () => {
      connections = 0
      const result = await f.cli(args, {AMOCRM_BASE_URL: url})
      expectExit(result, 1)
      const {error} = parseJson<{error: {code: string; message: string; hint: string}}>(result)
      expect(error.code).to.equal('E_CONFIG')
      expect(error.message).to.include(`refusing plain HTTP to ${new URL(url).host}`)
      expect(error.message).to.include('unencrypted')
      expect(error.hint).to.include('--allow-insecure-http')
      expect(connections, 'connections to the plain-http host').to.equal(0)
    })

  it('--allow-insecure-http (or AMOCRM_ALLOW_INSECURE_HTTP) lets it through, with a warning on every run', async () => {
    connections = 0
    const byFlag = await f.cli(['auth', 'status', '--json', '--allow-insecure-http'], {AMOCRM_BASE_URL: url})
    expectExit(byFlag, 0)
    expect(parseJson<{account: {name: string}}>(byFlag).account.name).to.equal('LAN proxy')
    expect(byFlag.stderr).to.include(`Warning: AMOCRM_BASE_URL ${url} is plain HTTP to another machine`)
    expect(connections).to.be.at.least(1)

    const byEnv = await f.cli(['auth', 'status', '--json'], {AMOCRM_BASE_URL: url, AMOCRM_ALLOW_INSECURE_HTTP: 'true'})
    expectExit(byEnv, 0)
    expect(byEnv.stderr).to.include('is plain HTTP to another machine')
  })
})
