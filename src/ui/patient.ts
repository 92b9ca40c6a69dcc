import type {FieldDiff} from '../fields/index.js'
import type {DealFieldDiff, ReceptionInspection} from '../sync/index.js'
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

const DEAL_ACTION_TEXT = {
  create: 'create',
  update: 'update',
  link: 'link',
  unchanged: 'nothing',
  skip: 'skip',
} as const

/** What a sync would do with a reception's deal, in a few words. */
export function dealActionText(r: ReceptionInspection): string {
  if (r.action === 'skip') return r.skipReason === 'no_contact' ? 'after the contact' : `skip (${r.skipReason})`
  return DEAL_ACTION_TEXT[r.action] + (r.moves ? ' + move' : '')
}

/** `patient test` with deals: one row per reception in the window — its deal, what differs, what a sync would do. */
export function patientDealsTable(receptions: ReceptionInspection[]): string {
  return renderTable(
    ['reception', 'start', 'IDENT stage', 'deal', 'differs', 'a sync would'],
    receptions.map((r) => {
      const differing = r.fields.filter((f) => !f.equal).map((f) => f.key)
      return [
        r.receptionId,
        dateTimeText(r.start),
        r.stage,
        r.dealId === null ? '—' : `${r.dealId} (${r.match})`,
        r.dealId === null ? '' : differing.length === 0 ? mark.ok() : differing.join(', '),
        dealActionText(r),
      ]
    }),
  )
}

/** One reception's deal side by side: each value as IDENT would send it, what the deal holds, ✓ or ✗. */
export function dealFieldsTable(fields: DealFieldDiff[]): string {
  return renderTable(
    ['deal', 'IDENT (as sent)', 'amoCRM', ''],
    fields.map((f) => [f.name, f.ident, f.amo, mark.bool(f.equal)]),
  )
}

/** Naive `YYYY-MM-DD HH:MM:SS` → `DD.MM.YYYY HH:MM`. */
function dateTimeText(naive: string): string {
  return `${naive.slice(8, 10)}.${naive.slice(5, 7)}.${naive.slice(0, 4)} ${naive.slice(11, 16)}`
}
