import {createRequire} from 'node:module'
import {Worker} from 'node:worker_threads'

import type {Row} from './connection.js'

/**
 * The worker's whole program, evaluated as a script: its own read-only handle on the file, the same
 * per-connection settings as the pool's (connectIdent), one statement, every row posted back.
 */
const PROGRAM = `
const {parentPort, workerData} = require('node:worker_threads')
const Database = require(workerData.driver)
let db
try {
  db = new Database(workerData.file, {readonly: true, fileMustExist: true})
  db.pragma('cache_size = -2000')
  db.pragma('temp_store = FILE')
  parentPort.postMessage({rows: db.prepare(workerData.sql).all(...workerData.bindings)})
} catch (error) {
  parentPort.postMessage({error: {message: String(error && error.message || error), code: error && error.code}})
} finally {
  if (db) db.close()
}
`

/**
 * Runs one SELECT on a SQLite file in a worker thread. better-sqlite3 runs a statement in the calling
 * thread, which answers nothing else meanwhile; a statement that reads a whole large table (the
 * status datetimes of every reception) can then run beside the pass instead of before it.
 */
export function allInWorker<T extends Row = Row>(file: string, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  return new Promise<T[]>((resolve, reject) => {
    let settled = false
    const worker = new Worker(PROGRAM, {eval: true, workerData: {driver, file, sql, bindings: [...bindings]}})
    worker.once('message', (message: {rows?: T[]; error?: {message: string; code?: string}}) => {
      settled = true
      if (message.rows) resolve(message.rows)
      else reject(Object.assign(new Error(message.error?.message ?? 'the SQLite worker failed'), {code: message.error?.code}))
    })
    worker.once('error', (error) => {
      settled = true
      reject(error)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the SQLite worker exited with code ${code} before answering`))
    })
  })
}
