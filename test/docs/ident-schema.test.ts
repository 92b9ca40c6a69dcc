import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {IDENT_COLUMNS, IDENT_TABLES} from '../../src/ident/index.js'
import {ROOT} from '../helpers/cli.js'

describe('docs: docs/ident-schema.md says what the reader reads', () => {
  it('lists every table and column the reader uses, with its status', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'ident-schema.md'), 'utf8')
    const rows = doc.split('\n').filter((line) => line.startsWith('| '))
    // Rows of one table follow the row that names it; continuation rows leave the table cell empty.
    const rowsOf = new Map<string, string[]>()
    let current = ''
    for (const row of rows) {
      const table = /^\| `(\w+)` \|/.exec(row)?.[1]
      if (table) current = table
      else if (!row.startsWith('| |')) current = ''
      if (current) rowsOf.set(current, [...(rowsOf.get(current) ?? []), row])
    }
    for (const table of IDENT_TABLES) {
      const lines = rowsOf.get(table) ?? []
      expect(lines.length, table).to.be.greaterThan(0)
      for (const [column, status] of Object.entries(IDENT_COLUMNS[table])) {
        const line = lines.find((l) => new RegExp(`\`${column}\`( ★)?[,| ]`).test(l))
        expect(line, `${table}.${column}`).to.be.a('string')
        expect(line, `${table}.${column}`).to.match(new RegExp(`\\| ${status}`))
      }
    }
  })
})
