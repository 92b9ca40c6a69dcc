import {createHash} from 'node:crypto'
import {readFileSync, statSync} from 'node:fs'

import type BetterSqlite3 from 'better-sqlite3'
import {expect} from 'chai'

import {checkIdentDatabase, openIdent} from '../../src/ident/index.js'
import {connectIdent} from '../../src/ident/connection.js'
import {CRAFTED, craftedClinic, DEALS_CLOCK, readAll, readReceptions, sqliteConfig} from './helpers.js'

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('ident reader: never writes', () => {
  it('opens SQLite read-only: the driver refuses a write on the connection the reader uses', async () => {
    const {file} = craftedClinic(20)
    const connection = connectIdent(sqliteConfig(file))
    try {
      const db = (await connection.knex.client.acquireConnection()) as BetterSqlite3.Database
      try {
        expect(db.readonly).to.equal(true)
        expect(() => db.prepare('UPDATE Patients SET Comment = NULL').run()).to.throw(/readonly/)
      } finally {
        await connection.knex.client.releaseConnection(db)
      }
    } finally {
      await connection.close()
    }
  })

  it('refuses to send anything that is not a SELECT', async () => {
    const {file} = craftedClinic(5)
    const connection = connectIdent(sqliteConfig(file))
    try {
      for (const sql of [
        'delete from Patients',
        'PRAGMA writable_schema = 1',
        'update Persons set Name = 1',
        ' insert into Staffs values (1)',
      ]) {
        let error: unknown
        try {
          await connection.all(connection.knex.raw(sql))
        } catch (e) {
          error = e
        }
        expect(String(error), sql).to.include('refusing to send a statement that is not a SELECT')
      }
    } finally {
      await connection.close()
    }
  })

  it('serves every query with SELECTs only and leaves the file byte for byte as it was', async () => {
    const {file} = craftedClinic(300)
    const before = {hash: sha256(file), mtime: statSync(file).mtimeMs}
    const config = sqliteConfig(file)
    const statements: string[] = []
    const reader = await openIdent(config)
    try {
      reader.onQuery((sql) => statements.push(sql))
      const clock = await reader.readDatabaseClock()
      expect(await readAll(reader)).to.have.length(300 + Object.keys(CRAFTED).length)
      await readAll(reader, {since: '2000-01-01 00:00:00'})
      await readAll(reader, {ids: ['1', '9005']})
      await readAll(reader, {limit: 7})
      await reader.readPatient('9001')
      await reader.countPatients({since: clock})
      await reader.tableCounts()
      await reader.checkWritePermission()
      await reader.scanPatients()
      await readReceptions(reader)
      await readReceptions(reader, DEALS_CLOCK, {changedSince: clock, noShowsAfter: '2026-03-01 00:00:00'})
      await readReceptions(reader, DEALS_CLOCK, {patientId: '9020', ids: ['1', '2']})
      await reader.countReceptions(DEALS_CLOCK)
      await reader.countReceptionsOutOfWindow(DEALS_CLOCK)
    } finally {
      await reader.close()
    }
    await checkIdentDatabase(config)
    expect(statements.length).to.be.greaterThan(18)
    for (const sql of statements) expect(sql, sql).to.match(/^\s*(select|with)\b/i)
    expect(sha256(file)).to.equal(before.hash)
    expect(statSync(file).mtimeMs).to.equal(before.mtime)
  })
})
