import {stripVTControlCharacters} from 'node:util'

import {expect} from 'chai'

import {renderTable, wrapText} from '../../src/ui/index.js'

const widest = (text: string) =>
  Math.max(
    ...stripVTControlCharacters(text)
      .split('\n')
      .map((line) => [...line].length),
  )
const cellsOf = (text: string) => stripVTControlCharacters(text).replaceAll(/[│┌┐└┘├┤┬┴┼─\s]+/g, ' ')

describe('ui: tables fitted to the terminal', () => {
  const head = ['read', 'created', 'updated', 'linked', 'unchanged', 'skipped', 'failed', 'duplicates', 'API requests', 'duration']
  const row = [20000, 19990, 0, 10, 0, 0, 0, 0, 85, '16.8 s']

  it('draws a table that fits as it is', () => {
    const table = renderTable(head, [row], {maxWidth: 200})
    expect(stripVTControlCharacters(table).split('\n')).to.have.length(4)
  })

  it('folds a one-row summary too wide for 80 columns into tables that fit, every value kept', () => {
    const table = renderTable(head, [row], {maxWidth: 80})
    expect(widest(table)).to.be.at.most(80)
    for (const h of head) expect(cellsOf(table)).to.include(h)
    expect(cellsOf(table)).to.include('19990').and.include('16.8 s')
  })

  it('wraps the long column of a longer table at word boundaries', () => {
    const detail = 'amoCRM answered 400: the field ‘Дата рождения’ refused the value, the contact was written without it'
    const table = renderTable(
      ['patient', 'reason', 'detail'],
      [
        ['123', 'validation', detail],
        ['4567', 'api', 'short'],
      ],
      {maxWidth: 60},
    )
    expect(widest(table)).to.be.at.most(60)
    expect(cellsOf(table)).to.include(cellsOf(detail))
  })

  it('wraps prose at spaces, continuation lines indented', () => {
    const text = wrapText('✗ 18 of 20 mapped fields are not usable (not found: age, gender, visits, total_visits)', {maxWidth: 30})
    expect(widest(text)).to.be.at.most(30)
    expect(
      text
        .split('\n')
        .slice(1)
        .every((line) => line.startsWith('  ')),
    ).to.equal(true)
    expect(wrapText('short', {maxWidth: 30})).to.equal('short')
  })
})
