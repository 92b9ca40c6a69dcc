import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {type DealLink, DealState} from '../../../src/sync/deals/state.js'
import {stateFilePath, SyncState} from '../../../src/sync/state.js'

function dataDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'ident-amo-deal-state-')), 'data')
}

function dealLink(receptionId: string, overrides: Partial<DealLink> = {}): DealLink {
  return {
    receptionId,
    patientId: '7',
    dealId: Number(receptionId) + 3000,
    payloadHash: 'p1',
    fieldHashes: {name: 'a'},
    refusedFields: {},
    stageKey: 'booked',
    writtenAt: null,
    ...overrides,
  }
}

describe('deal state (migration 004_deals)', () => {
  it('a state of the version before deals keeps its contact links and gains the deal tables', async () => {
    const dir = dataDir()
    const first = await SyncState.open(dir)
    await first.recordWritten([
      {
        patientId: '7',
        contactId: 1007,
        payloadHash: 'x',
        fieldHashes: {},
        writtenPhones: [],
        writtenEmails: [],
        refusedFields: {},
        writtenAt: null,
      },
    ])
    await first.close()
    const old = new Database(stateFilePath(dir))
    old.exec("drop table deal_links; drop table deal_failures; delete from knex_migrations where name = '004_deals'")
    old.close()

    const state = await SyncState.open(dir)
    try {
      expect((await state.getLink('7'))!.contactId).to.equal(1007)
      const deals = new DealState(state)
      await deals.recordWritten([dealLink('1001')])
      expect((await deals.getLinks(['1001'])).get('1001')).to.include({dealId: 4001, stageKey: 'booked'})
    } finally {
      await state.close()
    }
  })

  it('keeps one link per reception (the last write wins), failures with their attempts until a write clears them, and the clock', async () => {
    const state = await SyncState.open(dataDir())
    try {
      const deals = new DealState(state)
      await deals.recordWritten([dealLink('1001'), dealLink('1002')])
      await deals.recordWritten([dealLink('1001', {stageKey: 'came', fieldHashes: {name: 'b'}, refusedFields: {doctor: 'h'}})])
      const links = await deals.getLinks(['1001', '1002', '1003'])
      expect([...links.keys()].sort()).to.deep.equal(['1001', '1002'])
      expect(links.get('1001')).to.deep.include({stageKey: 'came', fieldHashes: {name: 'b'}, refusedFields: {doctor: 'h'}})
      expect(await deals.linkTargets()).to.deep.equal(
        new Map([
          ['1001', 4001],
          ['1002', 4002],
        ]),
      )

      await deals.recordFailures([{key: '1003', reason: 'no_contact', detail: 'patient 9 has no contact yet'}])
      await deals.recordFailures([{key: '1003', reason: 'validation', detail: 'refused'}])
      const rows = await state.knex('deal_failures').select()
      expect(rows).to.have.length(1)
      expect(rows[0]).to.include({reception_id: '1003', reason: 'validation', attempts: 2})
      expect(await deals.failedKeys()).to.deep.equal(['1003'])
      // The contacts' failures are another table.
      expect(await state.countFailures()).to.equal(0)
      await deals.recordWritten([dealLink('1003')])
      expect(await deals.countFailures()).to.equal(0)

      expect(await deals.getClock()).to.equal(undefined)
      await deals.setClock('2026-03-15 09:30:00')
      expect(await deals.getClock()).to.equal('2026-03-15 09:30:00')
      await deals.removeLink('1002')
      expect(await deals.countLinks()).to.equal(2)
    } finally {
      await state.close()
    }
  })
})
