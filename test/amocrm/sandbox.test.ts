import {expect} from 'chai'

import {AmoClient, type AmoClientOptions} from '../../src/amocrm/client.js'
import {AmoAuthError, AmoValidationError} from '../../src/amocrm/errors.js'
import {buildAuthorizeUrl, exchangeAuthorizationCode, refreshAccessToken} from '../../src/amocrm/oauth.js'
import {RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {staticTokenProvider, type TokenProvider} from '../../src/amocrm/tokens.js'
import type {ContactWrite} from '../../src/amocrm/types.js'
import {
  type FaultKind,
  type Sandbox,
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  SANDBOX_REDIRECT_URI,
  SANDBOX_TOKEN,
  startSandbox,
} from '../../src/sandbox/index.js'
import {mostInWindow} from '../helpers/windows.js'

describe('amocrm/AmoClient against the sandbox (real HTTP)', function () {
  let sandbox: Sandbox

  afterEach(async () => {
    await sandbox?.close()
  })

  /** A client on its own limiter, so that other tests' use of the shared one does not count here. */
  function client(options: Partial<AmoClientOptions> = {}): AmoClient {
    return new AmoClient({
      baseUrl: sandbox.url,
      tokens: staticTokenProvider(SANDBOX_TOKEN),
      limiter: new RateLimiter({rate: 7}),
      ...options,
    })
  }

  it('pages through 1,000 contacts by _links.next', async () => {
    sandbox = await startSandbox()
    for (let start = 0; start < 1000; start += 250)
      sandbox.store.createContacts(Array.from({length: 250}, (_, i) => ({first_name: 'Пациент', last_name: `№${start + i}`})))
    const api = client()
    const pages: number[][] = []
    for await (const page of api.listContacts({order: {field: 'id', direction: 'asc'}})) pages.push(page.map((c) => c.id))
    expect(pages.map((p) => p.length)).to.deep.equal([250, 250, 250, 250])
    const ids = pages.flat()
    expect(new Set(ids).size).to.equal(1000)
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b))
    expect(ids.sort()).to.deep.equal(
      sandbox.store
        .listContacts()
        .map((c) => c.id)
        .sort(),
    )
    // four pages; whatever the sandbox does after the last one (204 or no next link) costs at most one request
    expect(api.stats.requests).to.be.within(4, 5)
    expect(sandbox.apiRequestCount({method: 'GET', pathPrefix: '/api/v4/contacts'})).to.equal(api.stats.requests)
  })

  it('reads every contact once with several pages in flight while a manager creates and edits contacts', async () => {
    // How many requests the sandbox holds unanswered, seen as each one is answered.
    let answered = 0
    let mostInFlight = 0
    sandbox = await startSandbox({
      rateLimit: 7,
      latencyMs: 300,
      onRequest: () => {
        mostInFlight = Math.max(mostInFlight, sandbox.requests.length - answered)
        answered++
      },
    })
    for (let start = 0; start < 2000; start += 250)
      sandbox.store.createContacts(Array.from({length: 250}, (_, i) => ({first_name: 'Пациент', last_name: `№${start + i}`})))
    const before = sandbox.store.listContacts().map((c) => c.id)
    // A manager works while the pages are read: a new contact and an edit of an old one per page read.
    let edited = 0
    const api = client()
    const read: number[] = []
    for await (const page of api.listEveryContact()) {
      read.push(...page.map((c) => c.id))
      sandbox.store.createContacts([{first_name: 'Новый', last_name: `в пути ${read.length}`}])
      sandbox.store.updateContacts([{id: before[edited++ * 97]!, name: `Правка ${edited}`}])
    }
    // Every contact that was there when the listing began, exactly once; nothing read twice.
    expect(new Set(read).size).to.equal(read.length)
    expect(read.filter((id) => before.includes(id)).sort((a, b) => a - b)).to.deep.equal(before)
    expect(mostInFlight).to.be.greaterThan(1)
    // (The 7-a-second bound is asserted where the sandbox runs apart from the client: test/e2e/deep-reads.)
  })

  it('asks for at most one page past the end when told how many contacts to expect', async () => {
    sandbox = await startSandbox({rateLimit: 7, latencyMs: 300})
    for (let start = 0; start < 1000; start += 250)
      sandbox.store.createContacts(Array.from({length: 250}, (_, i) => ({first_name: 'Пациент', last_name: `№${start + i}`})))
    const exact = client()
    let read = 0
    for await (const page of exact.listEveryContact({expected: 1000})) read += page.length
    expect(read).to.equal(1000)
    expect(exact.stats.requests).to.be.within(4, 5)
    // Fewer expected than there are: the rest is still read, every contact once.
    const low = client()
    const ids: number[] = []
    for await (const page of low.listEveryContact({expected: 300})) ids.push(...page.map((c) => c.id))
    expect(new Set(ids).size).to.equal(1000)
    expect(low.stats.requests).to.be.within(4, 6)
  })

  it('a batch with one bad element fails whole, naming its request_id; the rest then goes through', async () => {
    sandbox = await startSandbox()
    const api = client()
    const batch: ContactWrite[] = [
      {
        first_name: 'Анна',
        last_name: 'Петрова',
        custom_fields_values: [{field_code: 'PHONE', values: [{value: '+79990000001', enum_code: 'MOB'}]}],
      },
      {first_name: 'Иван', last_name: 'Сидоров', custom_fields_values: [{field_id: 987_654_321, values: [{value: 'no such field'}]}]},
      {first_name: 'Олег', last_name: 'Иванов'},
    ]
    let error: unknown
    try {
      await api.createContacts(batch)
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(AmoValidationError)
    const problems = (error as AmoValidationError).problems
    expect([...problems.keys()]).to.deep.equal(['1'])
    expect(problems.get('1')![0]!.path).to.match(/^custom_fields_values\.0/)
    expect(sandbox.store.countContacts()).to.equal(0)

    const rest = [
      {...batch[0]!, request_id: '0'},
      {...batch[2]!, request_id: '2'},
    ]
    const results = await api.createContacts(rest)
    expect(results.map((r) => r.request_id)).to.deep.equal(['0', '2'])
    expect(results.map((r) => sandbox.store.getContact(r.id)?.last_name)).to.deep.equal(['Петрова', 'Иванов'])
    expect(sandbox.store.countContacts()).to.equal(2)
  })

  it('refreshes after a 401 and retries with the new token', async () => {
    sandbox = await startSandbox()
    const refreshed: string[] = []
    const tokens: TokenProvider = {
      getAccessToken: async () => 'a-token-amoCRM-no-longer-knows',
      refreshAfterUnauthorized: async (rejected) => {
        refreshed.push(rejected)
        return SANDBOX_TOKEN
      },
    }
    const api = client({tokens})
    const account = await api.getAccount()
    expect(account.subdomain).to.equal(sandbox.store.account.subdomain)
    expect(account._embedded?.datetime_settings?.timezone).to.equal('Europe/Moscow')
    expect(refreshed).to.deep.equal(['a-token-amoCRM-no-longer-knows'])
    expect(sandbox.requests.map((r) => r.status)).to.deep.equal([401, 200])
  })

  it('gives up with AmoAuthError when the refreshed token is refused too, and sends nothing more', async () => {
    sandbox = await startSandbox()
    sandbox.revokeAllTokens()
    const api = client({
      tokens: {getAccessToken: async () => SANDBOX_TOKEN, refreshAfterUnauthorized: async () => SANDBOX_TOKEN},
    })
    let error: unknown
    try {
      await api.getAccount()
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(AmoAuthError)
    expect(await api.getContact(1).catch((e: unknown) => e)).to.be.instanceOf(AmoAuthError)
    expect(sandbox.requests.map((r) => r.status)).to.deep.equal([401, 401])
  })

  it('logs in through the consent page and the token endpoint, then refreshes the pair', async () => {
    sandbox = await startSandbox()
    const settings = {
      baseUrl: sandbox.url,
      clientId: SANDBOX_CLIENT_ID,
      clientSecret: SANDBOX_CLIENT_SECRET,
      redirectUri: SANDBOX_REDIRECT_URI,
      limiter: new RateLimiter({rate: 7}),
    }
    const consent = await fetch(buildAuthorizeUrl({baseUrl: sandbox.url, clientId: settings.clientId, state: 'state-123'}), {
      redirect: 'manual',
    })
    expect(consent.status).to.equal(302)
    const back = new URL(consent.headers.get('location')!)
    expect(back.searchParams.get('state')).to.equal('state-123')
    const first = await exchangeAuthorizationCode({...settings, code: back.searchParams.get('code')!})
    expect(first.expiresIn).to.equal(86_400)
    const second = await refreshAccessToken({...settings, refreshToken: first.refreshToken})
    expect(second.refreshToken).not.to.equal(first.refreshToken)
    const account = await client({tokens: staticTokenProvider(second.accessToken)}).getAccount()
    expect(account.id).to.equal(sandbox.store.account.id)
  })

  it('never exceeds the rate limit: 500 requests, 4 at a time, with injected 429s and 5xx retried', async function () {
    this.timeout(240_000)
    // The sandbox shares this process's event loop: on a loaded machine its arrival times bunch up and
    // would say more about the machine than about the limiter. What is checked is what the limiter
    // let go, on its own clock, and that every request the server counted went through it.
    sandbox = await startSandbox({rateLimit: 0})
    const seeded = sandbox.store.createContacts(Array.from({length: 50}, (_, i) => ({first_name: 'Пациент', last_name: `№${i}`})))
    const paced = countingLimiter(7)
    const api = client({retry: {maxAttempts: 8, maxDelayMs: 4000}, limiter: paced.limiter})
    const TOTAL = 500
    const injected: Record<FaultKind, number> = {} as Record<FaultKind, number>
    const inject = (kind: FaultKind, method: string, path: string) => {
      sandbox.faults.add({kind, method, path})
      injected[kind] = (injected[kind] ?? 0) + 1
    }

    const operation = async (i: number): Promise<void> => {
      const contact = seeded[i % seeded.length]!
      // in every hundred, five operations in a row (one of each kind) meet a fault on their own route;
      // creates only meet 429s (a create that got a 5xx is never resent: the caller reconciles instead)
      const faulty = Math.floor(i / 5) % 20 === 7
      switch (i % 5) {
        case 0: {
          if (faulty) inject(Math.floor(i / 100) % 2 === 0 ? '429' : '429-html', 'POST', '/api/v4/contacts')
          const [made] = await api.createContacts([{first_name: 'Новый', last_name: `№${i}`}])
          expect(made!.id).to.be.a('number')
          return
        }
        case 1: {
          if (faulty) inject('503', 'PATCH', '/api/v4/contacts')
          await api.updateContacts([{id: contact.id, first_name: `Правка ${i}`}])
          return
        }
        case 2: {
          if (faulty) inject('502', 'GET', `/api/v4/contacts/${contact.id}`)
          expect((await api.getContact(contact.id))?.id).to.equal(contact.id)
          return
        }
        case 3: {
          if (faulty) inject('504', 'GET', '/api/v4/contacts?')
          for await (const page of api.listContacts({ids: [contact.id]})) expect(page.map((c) => c.id)).to.deep.equal([contact.id])
          return
        }
        default: {
          if (faulty) inject('429', 'GET', '/api/v4/account')
          await api.getAccount()
        }
      }
    }

    // Warm up first: in one process the sandbox shares our event loop, and the first connections and
    // first runs of each code path stall it for 50–150 ms, which delays when the sandbox sees the first
    // requests and says nothing about the limiter. What is measured starts warm.
    await Promise.all(Array.from({length: 10}, (_, i) => operation(i)))
    sandbox.resetStats()
    const warmup = {...api.stats}
    paced.granted.length = 0

    let next = 0
    const worker = async () => {
      while (next < TOTAL) await operation(next++)
    }
    await Promise.all(Array.from({length: 4}, () => worker()))
    const burst = {
      requests: api.stats.requests - warmup.requests,
      retries: api.stats.retries - warmup.retries,
      throttled: api.stats.throttled - warmup.throttled,
    }

    const faults = Object.values(injected).reduce((a, b) => a + b, 0)
    const answered429 = sandbox.requests.filter((r) => r.status === 429).length
    expect(faults).to.equal(25)
    expect(sandbox.stats().faults).to.deep.equal([]) // every injected fault was met
    expect(answered429).to.equal(injected['429']! + injected['429-html']!)
    expect(burst).to.deep.equal({requests: TOTAL + faults, retries: faults, throttled: answered429})
    expect(sandbox.apiRequestCount({pathPrefix: '/api/v4/'})).to.equal(TOTAL + faults)
    // every request the server counted, retries included, was let go by the limiter: at most 7 a second
    expect(paced.granted).to.have.length(TOTAL + faults)
    expect(mostInWindow(paced.granted, 1000)).to.be.at.most(7)
  })
})

/** A limiter that notes the moment, on its own clock, it let each request go. */
function countingLimiter(rate: number): {limiter: RateLimiter; granted: number[]} {
  let clock = 0
  const granted: number[] = []
  const limiter = new RateLimiter({rate, now: () => (clock = performance.now())})
  const acquire = limiter.acquire.bind(limiter)
  limiter.acquire = async () => {
    const send = await acquire()
    granted.push(clock)
    return send
  }
  return {limiter, granted}
}
