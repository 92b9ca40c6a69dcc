import {expect} from 'chai'
import nock from 'nock'

import {AmoAddressError} from '../../src/amocrm/index.js'
import {BASE, rejection, socketError, testClient} from './helpers.js'

describe('amoCRM client: an address that does not exist', () => {
  afterEach(() => nock.cleanAll())

  it('fails at once on ENOTFOUND, naming the host: one attempt, no backoff', async () => {
    const scope = nock(BASE).get('/api/v4/account').query(true).times(6).replyWithError(socketError('ENOTFOUND'))
    const {client, sleeps} = testClient()
    const error = (await rejection(client.getAccount())) as AmoAddressError
    expect(error).to.be.instanceOf(AmoAddressError)
    expect(error.message).to.equal('cannot find amoCRM at clinic.amocrm.ru: no such host name')
    expect(error.hint).to.include('AMOCRM_SUBDOMAIN')
    expect(error.code).to.equal('E_AMOCRM_ADDRESS')
    expect(scope.pendingMocks()).to.have.length(1) // five of the six answers were never asked for
    expect(sleeps).to.deep.equal([])
  })

  it('still retries a name server that did not answer (EAI_AGAIN)', async () => {
    nock(BASE)
      .get('/api/v4/account')
      .query(true)
      .replyWithError(socketError('EAI_AGAIN'))
      .get('/api/v4/account')
      .query(true)
      .reply(200, {id: 1, name: 'Клиника', subdomain: 'clinic'})
    const {client, sleeps} = testClient()
    expect((await client.getAccount()).id).to.equal(1)
    expect(sleeps).to.deep.equal([1000])
  })
})
