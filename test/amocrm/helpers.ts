import {once} from 'node:events'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {AmoClient, type AmoClientOptions} from '../../src/amocrm/client.js'
import {RateLimiter} from '../../src/amocrm/rate-limiter.js'
import {staticTokenProvider} from '../../src/amocrm/tokens.js'

export const BASE = 'https://clinic.amocrm.ru'

/** A client whose backoff does not wait (the delays it asked for are in `sleeps`) and whose limiter never holds a unit test up. */
export function testClient(overrides: Partial<AmoClientOptions> = {}): {client: AmoClient; sleeps: number[]} {
  const sleeps: number[] = []
  const client = new AmoClient({
    baseUrl: BASE,
    tokens: staticTokenProvider('token-1'),
    limiter: new RateLimiter({rate: 1000}),
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    random: () => 0,
    ...overrides,
  })
  return {client, sleeps}
}

/** An Error shaped like the ones undici raises, for nock's replyWithError. */
export function socketError(code: string): Error {
  return Object.assign(new Error(`${code.toLowerCase()} (simulated)`), {code})
}

/**
 * A real HTTP server on 127.0.0.1 for what nock cannot fake with fetch (a server that never answers):
 * `handle` gets each request with its 1-based number.
 */
export async function localServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
): Promise<{url: string; requests: () => number; close: () => Promise<void>}> {
  let count = 0
  const server = http.createServer((req, res) => {
    count++
    const n = count
    req.resume()
    req.on('end', () => handle(req, res, n))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export function contact(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Contact ${id}`,
    first_name: '',
    last_name: '',
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    custom_fields_values: null,
    ...extra,
  }
}

/** The error a call rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the call to fail, it succeeded')
}
