import type {FieldStatus} from '../fields/index.js'
import {chalk, mark} from './index.js'
import {renderTable, tableWidth, terminalWidth} from './table.js'

/**
 * The `fields check` / `fields create` table: one row per mapped field with ✓/✗ and, for a problem,
 * what is wrong and the fix. On a terminal too narrow for every column, the key, name and type share
 * one cell and the problem column wraps.
 */
export function fieldsTable(fields: FieldStatus[], maxWidth = terminalWidth()): string {
  const problem = (f: FieldStatus) =>
    f.enabled ? [f.message, f.fix].filter(Boolean).join('\n→ ') : chalk.dim(`disabled (fields.${f.key} = false): never sent`)
  const state = (f: FieldStatus) => (f.enabled ? mark.bool(f.ok) : chalk.dim('off'))
  const head = ['key', 'name', 'id', 'type', '', 'problem / fix']
  const rows = fields.map((f) => [f.key, f.name, f.id === null ? '' : String(f.id), f.type ?? '', state(f), problem(f)])
  if (maxWidth === undefined || tableWidth(head, rows) <= maxWidth) return renderTable(head, rows, {maxWidth})
  return renderTable(
    ['', 'field', 'problem / fix'],
    fields.map((f) => [state(f), [f.key, f.name, [f.id, f.type].filter(Boolean).join(', ')].filter(Boolean).join('\n'), problem(f)]),
    {maxWidth},
  )
}
