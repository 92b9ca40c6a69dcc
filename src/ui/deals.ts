import type {StageCount} from '../sample/index.js'
import {renderTable} from './table.js'

/** The deals pipeline as a manager sees it, one row per stage in its order: how many deals, what they are worth. */
export function pipelineTable(stages: StageCount[]): string {
  const rows = stages.map((s) => [s.name, s.deals, s.price === 0 ? '' : `${s.price.toLocaleString('ru-RU')} ₽`])
  const total = stages.reduce((sum, s) => sum + s.deals, 0)
  return renderTable(['stage', 'deals', 'sum'], [...rows, ['all', total, '']])
}
