import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {type LinkRecord, stateFilePath, stateKeyPath, SyncState} from '../../src/sync/state.js'

const PHONE = '+79251234567'
const LANDLINE = '+74957654321'
const EMAIL = 'anna.petrova@example.org'

function dataDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'ident-amo-state-')), 'data')
}

function link(patientId: string, phones: string[], emails: string[]): LinkRecord {
  return {
    patientId,
    contactId: Number(patientId) + 1000,
    payloadHash: 'p',
    fieldHashes: {},
    writtenPhones: phones,
    writtenEmails: emails,
    refusedFields: {},
    writtenAt: null,
  }
}

/** Every byte the state left on disk (database, WAL, shared memory, key). */
function stateBytes(dir: string): string {
  return readdirSync(dir)
    .filter((n) => n.startsWith('state.'))
    .map((n) => readFileSync(path.join(dir, n)).toString('latin1'))
    .join('\n')
}

const modeOf = (file: string) => statSync(file).mode & 0o777

describe('sync state: no phone or e-mail in clear, files for the user alone', () => {
  it('keeps written phones and e-mails as keyed hashes that still find the patient', async () => {
    const dir = dataDir()
    const state = await SyncState.open(dir)
    try {
      const {writtenValueKey} = state
      await state.recordWritten([
        link('1', [writtenValueKey('phone', PHONE)], [writtenValueKey('email', EMAIL)]),
        // a caller that passes values in clear gets them hashed all the same
        link('2', [PHONE, LANDLINE], [EMAIL]),
      ])
      const one = await state.getLink('1')
      const two = await state.getLink('2')
      expect(one!.writtenPhones).to.deep.equal([writtenValueKey('phone', PHONE)])
      expect(two!.writtenPhones).to.deep.equal([writtenValueKey('phone', PHONE), writtenValueKey('phone', LANDLINE)])
      expect(two!.writtenEmails).to.deep.equal([writtenValueKey('email', EMAIL)])
      expect(one!.writtenPhones[0]).to.match(/^[0-9a-f]{64}$/)
      expect(writtenValueKey('phone', PHONE), 'kind is part of the hash').to.not.equal(writtenValueKey('email', PHONE))
      // the family rule of incremental runs still counts who shares a phone
      expect((await state.patientsWithPhone(PHONE)).sort()).to.deep.equal(['1', '2'])
      expect(await state.patientsWithPhone(LANDLINE)).to.deep.equal(['2'])
      expect(await state.patientsWithPhone('+79990000000')).to.deep.equal([])
    } finally {
      await state.close()
    }
    const bytes = stateBytes(dir)
    for (const value of [PHONE, LANDLINE, EMAIL, '9251234567']) expect(bytes, value).to.not.include(value)
  })

  it('keeps its key across runs, and a key of another install matches nothing', async () => {
    const dir = dataDir()
    const first = await SyncState.open(dir)
    const hash = first.writtenValueKey('phone', PHONE)
    await first.close()
    const again = await SyncState.open(dir)
    expect(again.writtenValueKey('phone', PHONE)).to.equal(hash)
    await again.close()
    const other = await SyncState.open(dataDir())
    expect(other.writtenValueKey('phone', PHONE)).to.not.equal(hash)
    await other.close()
  })

  it('converts the phones and e-mails an older version kept in clear, leaving none on disk', async () => {
    const dir = dataDir()
    // A state as the previous version left it: the same tables, the last migration not yet applied.
    await (await SyncState.open(dir)).close()
    const old = new Database(stateFilePath(dir))
    old.prepare("delete from knex_migrations where name = '003_hash_written_values'").run()
    const insert = old.prepare(
      "insert into links (patient_id, contact_id, field_hashes, written_phones, written_emails, linked_at, refused_fields) values (?, ?, '{}', ?, ?, '2026-01-01', '{}')",
    )
    insert.run('7', 1007, JSON.stringify([PHONE, LANDLINE]), JSON.stringify([EMAIL]))
    insert.run('8', 1008, JSON.stringify([PHONE]), '[]')
    insert.run('9', 1009, '[]', '[]')
    old.close()
    expect(stateBytes(dir)).to.include(PHONE)

    const state = await SyncState.open(dir)
    try {
      const {writtenValueKey} = state
      expect((await state.getLink('7'))!.writtenPhones).to.deep.equal([writtenValueKey('phone', PHONE), writtenValueKey('phone', LANDLINE)])
      expect((await state.getLink('7'))!.writtenEmails).to.deep.equal([writtenValueKey('email', EMAIL)])
      expect((await state.getLink('8'))!.writtenPhones).to.deep.equal([writtenValueKey('phone', PHONE)])
      expect((await state.getLink('9'))!.writtenPhones).to.deep.equal([])
      expect((await state.patientsWithPhone(PHONE)).sort()).to.deep.equal(['7', '8'])
    } finally {
      await state.close()
    }
    const bytes = stateBytes(dir)
    for (const value of [PHONE, LANDLINE, EMAIL]) expect(bytes, `${value} left on disk`).to.not.include(value)
  })

  it('creates the data dir 0700 and the state, its WAL, shared memory and key 0600', async function () {
    if (process.platform === 'win32') this.skip()
    const dir = dataDir()
    const state = await SyncState.open(dir)
    try {
      await state.recordWritten([link('1', [], [])])
      const file = stateFilePath(dir)
      expect(existsSync(`${file}-wal`), 'WAL open while the state is').to.equal(true)
      expect(modeOf(dir).toString(8)).to.equal('700')
      for (const f of [file, `${file}-wal`, `${file}-shm`, stateKeyPath(dir)]) expect(modeOf(f).toString(8), f).to.equal('600')
    } finally {
      await state.close()
    }
  })
})
