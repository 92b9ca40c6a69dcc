import {stripVTControlCharacters} from 'node:util'

import {expect} from 'chai'

import type {StageCount} from '../../src/sample/index.js'
import type {ReceptionInspection} from '../../src/sync/index.js'
import {pipelineTable} from '../../src/ui/deals.js'
import {patientDealsTable} from '../../src/ui/patient.js'

const rowsOf = (table: string) =>
  stripVTControlCharacters(table)
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )

const stages = (counts: number[]): StageCount[] =>
  ['Записан', 'Пациент пришёл', 'Не пришёл', 'Закрыто и не реализовано'].map((name, i) => ({
    name,
    statusId: 100 + i,
    deals: counts[i]!,
    price: name === 'Пациент пришёл' ? counts[i]! * 1500 : 0,
  }))

describe('ui: the deals', () => {
  it('the pipeline: a row per stage in its order, with the total; given the pipeline before, what came and went', () => {
    expect(rowsOf(pipelineTable(stages([5, 1, 0, 2])))).to.deep.equal([
      ['stage', 'deals', 'sum'],
      ['Записан', '5', ''],
      ['Пациент пришёл', '1', `${(1500).toLocaleString('ru-RU')} ₽`],
      ['Не пришёл', '0', ''],
      ['Закрыто и не реализовано', '2', ''],
      ['all', '8', ''],
    ])
    const after = rowsOf(pipelineTable(stages([4, 1, 1, 3]), stages([5, 1, 0, 2])))
    expect(after[0]).to.deep.equal(['stage', 'deals', '±', 'sum'])
    expect(after.map((row) => [row[0], row[2]])).to.deep.equal([
      ['stage', '±'],
      ['Записан', '-1'],
      ['Пациент пришёл', ''],
      ['Не пришёл', '+1'],
      ['Закрыто и не реализовано', '+1'],
      ['all', '+1'],
    ])
  })

  it("patient test's row per reception says what differs and what a sync would do, and fits 80 columns", () => {
    const field = (key: string, equal: boolean) => ({key, name: key, ident: 'a', amo: equal ? 'a' : 'b', equal})
    const base = {start: '2026-12-01 10:00:00', duplicates: [], moves: false}
    const receptions: ReceptionInspection[] = [
      {...base, receptionId: '11', stage: 'booked', dealId: 501, match: 'link', action: 'unchanged', fields: [field('stage', true)]},
      {
        ...base,
        receptionId: '12',
        stage: 'came',
        dealId: 502,
        match: 'link',
        action: 'update',
        moves: true,
        fields: [field('stage', false), field('price', false), field('doctor', true)],
      },
      {...base, receptionId: '13', stage: 'booked', dealId: null, match: 'none', action: 'create', fields: [field('name', false)]},
      {...base, receptionId: '14', stage: 'booked', dealId: null, match: 'none', action: 'skip', skipReason: 'no_contact', fields: []},
    ]
    const saved = {columns: process.stdout.columns, isTTY: process.stdout.isTTY}
    process.stdout.isTTY = true
    try {
      process.stdout.columns = 200
      expect(rowsOf(patientDealsTable(receptions)).slice(1)).to.deep.equal([
        ['11', '01.12.2026 10:00', 'booked', '501 (link)', '✓', 'nothing'],
        ['12', '01.12.2026 10:00', 'came', '502 (link)', 'stage, price', 'update + move'],
        ['13', '01.12.2026 10:00', 'booked', '—', '', 'create'],
        ['14', '01.12.2026 10:00', 'booked', '—', '', 'after the contact'],
      ])
      process.stdout.columns = 80
      const narrow = stripVTControlCharacters(patientDealsTable(receptions))
      expect(Math.max(...narrow.split('\n').map((l) => [...l].length))).to.be.at.most(80)
      for (const word of ['update', 'move', 'stage,', 'price', '502', 'contact']) expect(narrow).to.include(word)
    } finally {
      process.stdout.columns = saved.columns
      process.stdout.isTTY = saved.isTTY
    }
  })
})
