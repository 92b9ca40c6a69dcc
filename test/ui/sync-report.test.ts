import {stripVTControlCharacters} from 'node:util'

import {expect} from 'chai'

import {type DealCounts, emptyReport, type SyncReport} from '../../src/sync/report.js'
import {renderSyncReport} from '../../src/ui/sync-report.js'

const lines = (text: string) => stripVTControlCharacters(text).split('\n')
const widest = (text: string) => Math.max(...lines(text).map((line) => [...line].length))
/** The cells of the table row that starts with `label`. */
const rowOf = (text: string, label: string) =>
  lines(text)
    .find((line) => line.startsWith(`│ ${label} `))
    ?.split('│')
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '')

const url = (id: number) => `https://clinic.amocrm.ru/contacts/detail/${id}`

function report(deals?: DealCounts): SyncReport {
  const base = emptyReport('full', new Date('2026-11-30T10:00:00Z'))
  return {
    ...base,
    counts: {read: 2000, created: 1990, updated: 3, linked: 7, unchanged: 0, skipped: 0, failed: 0, duplicates: 0},
    api: {requests: 87, retries: 0, throttled: 0},
    durationMs: 12_300,
    ...(deals ? {deals} : {}),
  }
}

const deals: DealCounts = {
  read: 312,
  created: 290,
  updated: 4,
  moved: 9,
  linked: 1,
  unchanged: 15,
  skipped: 2,
  failed: 1,
  duplicates: 0,
  outOfWindow: 5120,
}

describe('ui: the sync summary', () => {
  const columns = (width: number) => {
    const saved = process.stdout.columns
    const savedTty = process.stdout.isTTY
    before(() => {
      process.stdout.columns = width
      process.stdout.isTTY = true
    })
    after(() => {
      process.stdout.columns = saved
      process.stdout.isTTY = savedTty
    })
  }

  describe('on an 80-column terminal', () => {
    columns(80)

    it('with deals: a contacts column beside a deals column, every count in its row, within 80 columns', () => {
      const text = renderSyncReport(report(deals), url)
      expect(widest(text)).to.be.at.most(80)
      expect(rowOf(text, 'read')).to.deep.equal(['read', '2000', '312'])
      expect(rowOf(text, 'created')).to.deep.equal(['created', '1990', '290'])
      expect(rowOf(text, 'moved')).to.deep.equal(['moved', '–', '9'])
      expect(rowOf(text, 'linked')).to.deep.equal(['linked', '7', '1'])
      expect(rowOf(text, 'skipped')).to.deep.equal(['skipped', '0', '2'])
      expect(rowOf(text, 'failed')).to.deep.equal(['failed', '0', '1'])
      expect(rowOf(text, 'out of window')).to.deep.equal(['out of window', '–', '5120'])
      expect(stripVTControlCharacters(text)).to.include('87 API requests, 12.3 s')
    })

    it('without deals: the one row of contact counts it always had, and no deals column', () => {
      const text = stripVTControlCharacters(renderSyncReport(report(), url))
      expect(widest(text)).to.be.at.most(80)
      expect(text).to.include('API requests').and.include('1990')
      expect(text).not.to.include('deals')
    })

    it('lists a failed deal by its reception, apart from the failed patients', () => {
      const r = report(deals)
      r.failures = [
        {patientId: '17', reason: 'api', detail: 'amoCRM answered 500'},
        {receptionId: '90412', reason: 'validation', detail: 'amoCRM refused the deal: price must be an integer'},
      ]
      const text = stripVTControlCharacters(renderSyncReport(r, url))
      expect(widest(text)).to.be.at.most(80)
      expect(text).to.include('failures (1)').and.include('deal failures (1)')
      const dealPart = text.slice(text.indexOf('deal failures'))
      expect(dealPart).to.include('reception').and.include('90412').and.not.include('17 ')
    })

    it('lists deals that carry one reception id apart from contacts that carry one patient id', () => {
      const r = report(deals)
      r.duplicates = [
        {patientId: '42', contactIds: [501, 502]},
        {receptionId: '90413', dealIds: [7001, 7002]},
      ]
      const text = stripVTControlCharacters(renderSyncReport(r, url))
      expect(widest(text)).to.be.at.most(80)
      expect(text).to.include(url(501)).and.include(url(502))
      const dealPart = text.slice(text.indexOf('several deals carry one reception id'))
      expect(dealPart).to.include('90413').and.include('7001, 7002').and.not.include(url(501))
    })
  })
})
