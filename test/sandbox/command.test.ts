import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {ROOT, startCli, waitFor} from '../helpers/cli.js'

const BUILT = path.join(ROOT, 'dist', 'commands', 'sandbox', 'index.js')

describe('ident-amo sandbox (built CLI, e2e)', function () {
  this.timeout(60_000)
  let dir: string

  before(function () {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`)
  })
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-sandbox-cli-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('prints its URL and token, serves the API, and exits 130 on Ctrl+C', async () => {
    const cli = startCli(['sandbox', '--port', '0', '--token', 'e2e-token'], {cwd: dir})
    let url = ''
    try {
      // The lines may arrive in separate chunks: wait for the last one asserted on, not the first.
      await waitFor(() => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output().stdout)
        if (m) url = m[1]!
        return url !== '' && cli.output().stdout.includes(' ident-amo auth status')
      })
      expect(cli.output().stdout).to.include(`AMOCRM_BASE_URL=${url} AMOCRM_ACCESS_TOKEN=e2e-token`)
      const res = await fetch(`${url}/api/v4/account?with=datetime_settings`, {headers: {Authorization: 'Bearer e2e-token'}})
      expect(res.status).to.equal(200)
      const account = (await res.json()) as {subdomain: string; _embedded: {datetime_settings: {timezone: string}}}
      expect(account.subdomain).to.equal('sandbox')
      expect(account._embedded.datetime_settings.timezone).to.equal('Europe/Moscow')
      expect((await fetch(`${url}/api/v4/account`, {headers: {Authorization: 'Bearer wrong'}})).status).to.equal(401)
    } finally {
      cli.child.kill('SIGINT')
    }
    const done = await cli.exited
    expect(done.code, done.stderr).to.equal(130)
    expect(done.stdout).to.include('sandbox stopped')
    expect(
      await fetch(`${url}/api/v4/account`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).to.equal('refused')
  })

  it('with --json prints one JSON document at start, keeps --data across runs, exits 143 on SIGTERM like every other command', async () => {
    const data = path.join(dir, 'sandbox.json')
    const run = async (check: (url: string) => Promise<void>) => {
      const cli = startCli(['sandbox', '--port', '0', '--json', '--data', data], {cwd: dir})
      let info: {url: string; token: string; dataFile: string} | undefined
      try {
        await waitFor(() => {
          try {
            info = JSON.parse(cli.output().stdout) as typeof info
            return true
          } catch {
            return false
          }
        })
        await check(info!.url)
      } finally {
        cli.child.kill('SIGTERM')
      }
      const done = await cli.exited
      expect(done.code, done.stderr).to.equal(143)
      expect(JSON.parse(done.stdout)).to.deep.equal(info)
      return info!
    }
    const first = await run(async (url) => {
      const res = await fetch(`${url}/api/v4/contacts`, {
        method: 'POST',
        headers: {Authorization: 'Bearer sandbox-long-lived-token', 'Content-Type': 'application/json'},
        body: JSON.stringify([{name: 'Сохранённый'}]),
      })
      expect(res.status).to.equal(200)
    })
    expect(first.token).to.equal('sandbox-long-lived-token')
    expect(first.dataFile).to.equal(data)
    await run(async (url) => {
      const res = await fetch(`${url}/api/v4/contacts`, {headers: {Authorization: 'Bearer sandbox-long-lived-token'}})
      const body = (await res.json()) as {_embedded: {contacts: Array<{name: string}>}}
      expect(body._embedded.contacts.map((c) => c.name)).to.deep.equal(['Сохранённый'])
    })
  })

  it('refuses a port in use with exit code 2', async () => {
    const first = startCli(['sandbox', '--port', '0'], {cwd: dir})
    let port = ''
    try {
      await waitFor(() => {
        port = /127\.0\.0\.1:(\d+)/.exec(first.output().stdout)?.[1] ?? ''
        return port !== ''
      })
      const second = startCli(['sandbox', '--port', port], {cwd: dir})
      const done = await second.exited
      expect(done.code).to.equal(2)
      expect(done.stderr).to.include(`port ${port}`)
    } finally {
      first.child.kill('SIGTERM')
      await first.exited
    }
  })
})
