import type {FieldDiff} from '../fields/index.js'
import {chalk, mark} from './index.js'
import {renderTable} from './table.js'

export const REFUSED_TEXT = 'refused by amoCRM (dates before 1970)'

/** `patient test`'s side-by-side table: each field as IDENT would send it, what amoCRM holds, ✓ or ✗. */
export function patientFieldsTable(fields: FieldDiff[]): string {
  return renderTable(
    ['field', 'IDENT (as sent)', 'amoCRM', ''],
    fields.map((f) =>
      f.refused && !f.equal ? [f.name, f.desired, chalk.dim(REFUSED_TEXT), mark.warn()] : [f.name, f.desired, f.actual, mark.bool(f.equal)],
    ),
  )
}
