import type {DealResolution, FieldStatus} from '../fields/index.js'
import {chalk, mark} from './index.js'
import {renderTable, tableWidth, terminalWidth} from './table.js'

/** One line of a `fields check` table: something the sync writes with, and its state in the account. */
interface CheckRow {
  key: string
  name: string
  id: number | null
  type: string
  /** `warn`: usable, with something said about it. */
  state: 'ok' | 'fail' | 'warn' | 'off'
  /** What is wrong and the fix (empty when nothing is). */
  problem: string
}

/**
 * The `fields check` / `fields create` table of the contact fields: one row per mapped field with ✓/✗
 * and, for a problem, what is wrong and the fix.
 */
export function fieldsTable(fields: Array<FieldStatus<string>>, maxWidth = terminalWidth()): string {
  return checkTable(fields.map(fieldRow), maxWidth)
}

/**
 * The deals section of `fields check` / `fields create`: the pipeline, the stage of each key, the deal
 * fields and the loss reasons, with ✓/✗ (! for a loss reason IDENT's cancellations can do without).
 */
export function dealsTable(resolution: DealResolution, maxWidth = terminalWidth()): string {
  const problem = (i: {message: string | null; fix: string | null}) => [i.message, i.fix].filter(Boolean).join('\n→ ')
  const state = (i: {ok: boolean; problem: string | null}): CheckRow['state'] => (!i.ok ? 'fail' : i.problem ? 'warn' : 'ok')
  const {pipeline} = resolution
  const rows: CheckRow[] = [
    {key: 'pipeline', name: pipeline.name, id: pipeline.id, type: 'pipeline', state: state(pipeline), problem: problem(pipeline)},
    ...resolution.stages.map((s) => ({key: s.key, name: s.name, id: s.id, type: 'stage', state: state(s), problem: problem(s)})),
    ...resolution.fields.map(fieldRow),
    ...resolution.lossReasons.map((r) => ({
      key: 'loss reason',
      name: r.name,
      id: r.id,
      type: r.source === 'fallback' ? 'fallback' : 'IDENT',
      state: state(r),
      problem: problem(r),
    })),
  ]
  return checkTable(rows, maxWidth)
}

/**
 * The account's pipelines and their stages with ids, to map the deals to a pipeline by hand
 * (`deals.pipeline_id`, `deals.stages.<key>`).
 */
export function pipelinesTable(pipelines: DealResolution['pipelines'], maxWidth = terminalWidth()): string {
  return renderTable(
    ['pipeline', 'id', 'stages (id)'],
    pipelines.map((p) => [p.name, String(p.id), p.stages.map((s) => `${s.name} (${s.id})`).join(', ')]),
    {maxWidth},
  )
}

function fieldRow(f: FieldStatus<string>): CheckRow {
  const disabled = !f.enabled && f.ok
  return {
    key: f.key,
    name: f.name,
    id: f.id,
    type: f.type ?? '',
    state: disabled ? 'off' : f.ok ? 'ok' : 'fail',
    problem: disabled ? chalk.dim(`disabled (${f.setting} = false): never sent`) : [f.message, f.fix].filter(Boolean).join('\n→ '),
  }
}

/** On a terminal too narrow for every column, the key, name and type share one cell and the problem column wraps. */
function checkTable(rows: CheckRow[], maxWidth: number | undefined): string {
  const state = (r: CheckRow) =>
    r.state === 'off' ? chalk.dim('off') : r.state === 'warn' ? mark.warn() : r.state === 'ok' ? mark.ok() : mark.fail()
  const head = ['key', 'name', 'id', 'type', '', 'problem / fix']
  const cells = rows.map((r) => [r.key, r.name, r.id === null ? '' : String(r.id), r.type, state(r), r.problem])
  if (maxWidth === undefined || tableWidth(head, cells) <= maxWidth) return renderTable(head, cells, {maxWidth})
  return renderTable(
    ['', 'field', 'problem / fix'],
    rows.map((r) => [state(r), [r.key, r.name, [r.id, r.type].filter(Boolean).join(', ')].filter(Boolean).join('\n'), r.problem]),
    {maxWidth},
  )
}
