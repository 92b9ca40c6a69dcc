import type {StageCount} from '../sample/index.js'
import {chalk} from './index.js'
import {renderTable} from './table.js'

/**
 * The deals pipeline as a manager sees it, one row per stage in its order: how many deals, what they
 * are worth, and — given the pipeline as shown before — how many came or left since.
 */
export function pipelineTable(stages: StageCount[], before?: StageCount[]): string {
  const previous = new Map(before?.map((s) => [s.statusId, s.deals]))
  const change = (s: StageCount): string => {
    const delta = s.deals - (previous.get(s.statusId) ?? 0)
    return delta > 0 ? chalk.green(`+${delta}`) : delta < 0 ? chalk.red(String(delta)) : ''
  }
  const rows = stages.map((s) => [
    s.name,
    s.deals,
    ...(before ? [change(s)] : []),
    s.price === 0 ? '' : `${s.price.toLocaleString('ru-RU')} ₽`,
  ])
  const total = stages.reduce((sum, s) => sum + s.deals, 0)
  const totalBefore = before?.reduce((sum, s) => sum + s.deals, 0) ?? 0
  const totalChange = total - totalBefore
  return renderTable(
    ['stage', 'deals', ...(before ? ['±'] : []), 'sum'],
    [...rows, ['all', total, ...(before ? [totalChange > 0 ? `+${totalChange}` : totalChange < 0 ? String(totalChange) : ''] : []), '']],
  )
}
