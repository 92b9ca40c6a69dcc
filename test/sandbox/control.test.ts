import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'
import {call, type ContactBody, type ListBody} from './helpers.js'

describe('sandbox: persistence and the /_sandbox/ control API', () => {
  describe('dataFile', () => {
    let dir: string
    let sandbox: Sandbox | undefined
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-sandbox-'))
    })
    afterEach(async () => {
      await sandbox?.close()
      sandbox = undefined
      rmSync(dir, {recursive: true, force: true})
    })

    it('keeps contacts, fields, ids and OAuth tokens across restarts, written atomically', async () => {
      const file = path.join(dir, 'nested', 'sandbox.json')
      sandbox = await startSandbox({rateLimit: 0, dataFile: file})
      const created = await call(sandbox, 'POST', '/api/v4/contacts/custom_fields', {body: [{name: 'ID пациента IDENT', type: 'text'}]})
      const fieldId = (created.body as {_embedded: {custom_fields: Array<{id: number}>}})._embedded.custom_fields[0]!.id
      await call(sandbox, 'POST', '/api/v4/contacts', {
        body: [{name: 'Первый', custom_fields_values: [{field_id: fieldId, values: [{value: '17'}]}]}],
      })
      const pair = sandbox.oauth.issueTokens()
      const firstId = sandbox.store.listContacts()[0]!.id
      await sandbox.close()
      expect(readdirSync(path.dirname(file))).to.deep.equal(['sandbox.json'])
      expect(() => JSON.parse(readFileSync(file, 'utf8'))).to.not.throw()
      if (process.platform !== 'win32') {
        // it holds tokens: for the user alone
        expect((statSync(file).mode & 0o777).toString(8)).to.equal('600')
        expect((statSync(path.dirname(file)).mode & 0o777).toString(8)).to.equal('700')
      }

      sandbox = await startSandbox({rateLimit: 0, dataFile: file})
      const c = await call<ContactBody>(sandbox, 'GET', `/api/v4/contacts/${firstId}`)
      expect(c.body.name).to.equal('Первый')
      expect(c.body.custom_fields_values![0]).to.include({field_id: fieldId, field_name: 'ID пациента IDENT'})
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: pair.access_token})).status).to.equal(200)
      const second = await call(sandbox, 'POST', '/api/v4/contacts', {body: [{name: 'Второй'}]})
      expect((second.body as {_embedded: {contacts: Array<{id: number}>}})._embedded.contacts[0]!.id).to.equal(firstId + 1)
      expect(sandbox.store.listFields()).to.have.length(4)
    })

    it('refuses a corrupt data file with a clear error', async () => {
      const file = path.join(dir, 'bad.json')
      writeFileSync(file, '{not json')
      let error: Error | undefined
      await startSandbox({dataFile: file}).catch((e: Error) => (error = e))
      expect(error?.message).to.include('cannot be read')
      expect(readFileSync(file, 'utf8')).to.equal('{not json')
    })
  })

  describe('control API', () => {
    let sandbox: Sandbox
    beforeEach(async () => {
      sandbox = await startSandbox({rateLimit: 1})
    })
    afterEach(() => sandbox.close())
    const control = <T = Record<string, unknown>>(method: string, p: string, body?: unknown) =>
      call<T>(sandbox, method, `/_sandbox${p}`, {body, token: null, headers: {'Content-Type': 'application/json'}})

    /** A raw request with the Host and body a web page (or DNS rebinding) would send. */
    const raw = (method: string, p: string, options: {host?: string; contentType?: string; body?: string} = {}) =>
      new Promise<{status: number; body: string}>((resolve, reject) => {
        const headers: Record<string, string> = {host: options.host ?? `127.0.0.1:${sandbox.port}`}
        if (options.contentType) headers['content-type'] = options.contentType
        const request = httpRequest(
          {host: '127.0.0.1', port: sandbox.port, method, path: p.startsWith('/api/') ? p : `/_sandbox${p}`, headers},
          (response) => {
            let body = ''
            response.on('data', (d) => (body += d))
            response.on('end', () => resolve({status: response.statusCode!, body}))
          },
        )
        request.on('error', reject)
        request.end(options.body)
      })

    it('answers only requests addressed to this machine: another Host (DNS rebinding) is refused', async () => {
      sandbox.store.createContacts([{name: 'остаётся'}])
      for (const host of [`evil.example:${sandbox.port}`, 'attacker.test', `192.168.1.5:${sandbox.port}`]) {
        const stats = await raw('GET', '/stats', {host})
        expect(stats.status, host).to.equal(403)
        expect(stats.body).to.include('only requests addressed to this machine')
        expect((await raw('POST', '/reset', {host, contentType: 'application/json', body: '{}'})).status, host).to.equal(403)
      }
      expect(sandbox.store.countContacts()).to.equal(1)
      for (const host of [`localhost:${sandbox.port}`, `127.0.0.1:${sandbox.port}`, `[::1]:${sandbox.port}`, 'localhost'])
        expect((await raw('GET', '/stats', {host})).status, host).to.equal(200)
      // the API itself is unaffected: it has its tokens
      expect((await raw('GET', '/api/v4/account', {host: 'clinic.example'})).status).to.equal(401)
    })

    it('takes changes only as JSON: a form or text/plain POST (what a page can send unasked) changes nothing', async () => {
      sandbox.store.createContacts([{name: 'остаётся'}])
      for (const contentType of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const answer = await raw('POST', '/reset', {contentType, body: contentType ? '{}' : undefined})
        expect(answer.status, contentType).to.equal(415)
        expect(answer.body).to.include('Content-Type: application/json')
      }
      expect((await raw('POST', '/faults', {contentType: 'text/plain', body: '{"kind":"500"}'})).status).to.equal(415)
      expect(sandbox.store.countContacts()).to.equal(1)
      expect(sandbox.stats().faults, 'no fault was queued').to.deep.equal([])
      expect((await raw('POST', '/reset', {contentType: 'application/json; charset=utf-8', body: '{}'})).status).to.equal(200)
      expect(sandbox.store.countContacts()).to.equal(0)
    })

    it('is neither authenticated, rate-limited nor recorded', async () => {
      const answers = await Promise.all(Array.from({length: 10}, () => control('GET', '/stats')))
      expect(answers.every((a) => a.status === 200)).to.equal(true)
      expect(sandbox.apiRequestCount()).to.equal(0)
      const index = await control<{routes: Array<{route: string}>}>('GET', '')
      expect(index.body.routes.map((r) => r.route)).to.include('POST /_sandbox/faults')
    })

    it('seeds contacts as a manager would (phones as typed), trashes and restores them', async () => {
      sandbox.settings.rateLimit = 0
      const seeded = await control<ContactBody[]>('POST', '/contacts', [
        {name: 'Смирнова Ольга', custom_fields_values: [{field_code: 'PHONE', values: [{value: '8 (925) 765-43-21'}]}]},
      ])
      expect(seeded.status).to.equal(200)
      const id = seeded.body[0]!.id
      expect(seeded.body[0]!.custom_fields_values![0]!.values[0]!.value).to.equal('8 (925) 765-43-21')
      const found = await call<ListBody>(sandbox, 'GET', '/api/v4/contacts?query=%2B79257654321')
      expect(found.body._embedded.contacts.map((c) => c.id)).to.deep.equal([id])
      expect(sandbox.store.getContact(id)!.created_by).to.not.equal(sandbox.store.account.currentUserId)

      const edited = await control<ContactBody[]>('PATCH', '/contacts', [
        {id, custom_fields_values: [{field_code: 'EMAIL', values: [{value: 'olga@example.com'}]}]},
      ])
      expect(edited.body[0]!.custom_fields_values).to.have.length(2)

      expect((await control('DELETE', `/contacts/${id}`)).status).to.equal(200)
      expect((await call(sandbox, 'GET', `/api/v4/contacts/${id}`)).status).to.equal(204)
      expect((await control('DELETE', `/contacts/${id}`)).status).to.equal(404)
      const trash = await control<ContactBody[]>('GET', '/contacts?deleted=only')
      expect(trash.body.map((c) => c.id)).to.deep.equal([id])
      expect((await control('POST', `/contacts/${id}/restore`)).status).to.equal(200)
      expect(sandbox.store.getContact(id)?.is_deleted).to.equal(false)

      const invalid = await control('POST', '/contacts', [{custom_fields_values: [{field_code: 'NOPE', values: [{value: 'x'}]}]}])
      expect(invalid.status).to.equal(400)
      expect(invalid.body).to.have.property('validation-errors')
    })

    it('queues and clears faults, moves the clock, reports stats', async () => {
      sandbox.settings.rateLimit = 0
      const queued = await control<unknown[]>('POST', '/faults', [
        {kind: '502', path: '/api/v4/account'},
        {kind: '500', pathRegex: '^/api/v4/contacts', method: 'POST', times: 2},
      ])
      expect(queued.body).to.have.length(2)
      expect((await call(sandbox, 'GET', '/api/v4/account')).status).to.equal(502)
      expect((await control('DELETE', '/faults')).status).to.equal(200)
      expect((await call(sandbox, 'POST', '/api/v4/contacts', {body: [{name: 'x'}]})).status).to.equal(200)
      expect((await control('POST', '/faults', {kind: 'sparks'})).status).to.equal(400)

      const set = await control<{now: number; frozen: boolean}>('POST', '/clock', {set: Date.UTC(2030, 0, 1)})
      expect(set.body).to.deep.equal({now: Date.UTC(2030, 0, 1), frozen: true})
      const moved = await control<{now: number}>('POST', '/clock', {advance: 86_400_000})
      expect(moved.body.now).to.equal(Date.UTC(2030, 0, 2))
      expect(sandbox.clock.now()).to.equal(Date.UTC(2030, 0, 2))

      const stats = await control<{
        requests: number
        byRoute: Record<string, number>
        byStatus: Record<string, number>
        contacts: number
        maxRequestsPerSecond: number
      }>('GET', '/stats')
      expect(stats.body).to.include({requests: 2, contacts: 1, maxRequestsPerSecond: 2})
      expect(stats.body.byRoute).to.deep.equal({'GET /api/v4/account': 1, 'POST /api/v4/contacts': 1})
      expect(stats.body.byStatus).to.deep.equal({502: 1, 200: 1})
      await control('DELETE', '/stats')
      expect(sandbox.requests).to.have.length(0)
    })

    it('revokes tokens, adds long-lived ones, issues OAuth pairs, resets the account', async () => {
      sandbox.settings.rateLimit = 0
      expect((await control('POST', '/revoke')).status).to.equal(200)
      expect((await call(sandbox, 'GET', '/api/v4/account')).status).to.equal(401)
      await control('POST', '/tokens', {token: 'extra-token'})
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: 'extra-token'})).status).to.equal(200)
      const pair = await control<{access_token: string}>('POST', '/oauth/tokens', {})
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: pair.body.access_token})).status).to.equal(200)
      await control('POST', '/oauth/consent', {consent: 'decline'})
      const declined = await call(sandbox, 'GET', '/oauth?client_id=sandbox-client-id&state=s', {token: null})
      expect(new URL(declined.headers.get('location')!).searchParams.get('error')).to.equal('access_denied')

      sandbox.store.createContacts([{name: 'будет стёрт'}])
      expect((await control('POST', '/reset')).status).to.equal(200)
      expect(sandbox.store.countContacts()).to.equal(0)
      expect(sandbox.store.listFields().map((f) => f.code)).to.deep.equal(['POSITION', 'PHONE', 'EMAIL'])
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: SANDBOX_TOKEN})).status).to.equal(200)
      expect((await call(sandbox, 'GET', '/api/v4/account', {token: pair.body.access_token})).status).to.equal(401)
    })

    it('changes settings at run time', async () => {
      const res = await control<{rateLimit: number; html429: boolean}>('PATCH', '/settings', {rateLimit: 0, html429: true})
      expect(res.body).to.include({rateLimit: 0, html429: true})
      const answers = await Promise.all(Array.from({length: 5}, () => call(sandbox, 'GET', '/api/v4/account')))
      expect(answers.every((a) => a.status === 200)).to.equal(true)
    })
  })
})
