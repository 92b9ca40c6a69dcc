import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {IDENT_COLUMNS, RECEPTION_COLUMNS} from '../../src/ident/index.js'
import {ROOT} from '../helpers/cli.js'

const RECEPTIONS_HEADING = '## Receptions (appointments → deals)'

/** The rows of the markdown tables in `text`, by the table they describe (continuation rows leave the table cell empty). */
function rowsByTable(text: string): Map<string, string[]> {
  const rowsOf = new Map<string, string[]>()
  let current = ''
  for (const row of text.split('\n').filter((line) => line.startsWith('| '))) {
    const table = /^\| `(\w+)` \|/.exec(row)?.[1]
    if (table) current = table
    else if (!row.startsWith('| |')) current = ''
    if (current) rowsOf.set(current, [...(rowsOf.get(current) ?? []), row])
  }
  return rowsOf
}

function expectListed(rowsOf: Map<string, string[]>, columns: Record<string, Record<string, string>>): void {
  for (const [table, ofTable] of Object.entries(columns)) {
    const lines = rowsOf.get(table) ?? []
    expect(lines.length, table).to.be.greaterThan(0)
    for (const [column, status] of Object.entries(ofTable)) {
      const line = lines.find((l) => new RegExp(`\`${column}\`( ★)?[,| ]`).test(l))
      expect(line, `${table}.${column}`).to.be.a('string')
      expect(line, `${table}.${column}`).to.match(new RegExp(`\\| ${status}`))
    }
  }
}

describe('docs: docs/ident-schema.md says what the reader reads', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'ident-schema.md'), 'utf8')
  const start = doc.indexOf(RECEPTIONS_HEADING)
  const end = doc.indexOf('\n## ', start + RECEPTIONS_HEADING.length)

  it('lists every table and column the patient reader uses, with its status', () => {
    expectListed(rowsByTable(doc.slice(0, start)), IDENT_COLUMNS)
  })

  it('lists every table and column the reception reader uses, with its status for deals', () => {
    expect(start, RECEPTIONS_HEADING).to.be.greaterThan(0)
    expectListed(rowsByTable(doc.slice(start, end)), RECEPTION_COLUMNS)
  })
})
