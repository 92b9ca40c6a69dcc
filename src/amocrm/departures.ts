import {AsyncLocalStorage} from 'node:async_hooks'
import {subscribe} from 'node:diagnostics_channel'

import type {GrantedSend} from './rate-limiter.js'

/**
 * When a request really leaves. Node's fetch (undici) publishes `undici:request:create` while it
 * dispatches a request, in the async context of the caller (where `whileSending` put the send), and
 * `undici:client:sendHeaders` when the request's headers are written to the socket: after a new
 * connection is set up, and after whatever kept this thread busy meanwhile (reading a slice of IDENT
 * runs in this thread). amoCRM counts arrivals; the rate limiter then counts that moment, not the grant.
 */
const current = new AsyncLocalStorage<GrantedSend>()
const byRequest = new WeakMap<object, GrantedSend>()
let listening = false

function listen(): void {
  if (listening) return
  listening = true
  subscribe('undici:request:create', (message) => {
    const send = current.getStore()
    if (send) byRequest.set((message as {request: object}).request, send)
  })
  subscribe('undici:client:sendHeaders', (message) => byRequest.get((message as {request: object}).request)?.left())
}

/**
 * Runs one attempt of a send: the send stays in the rate window until its request leaves (or, where
 * no fetch of Node's says so, until the attempt ends).
 */
export async function whileSending<T>(send: GrantedSend, attempt: () => Promise<T>): Promise<T> {
  listen()
  send.departing()
  try {
    return await current.run(send, attempt)
  } finally {
    send.left()
  }
}
