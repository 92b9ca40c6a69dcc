import chalk from 'chalk'

export {default as chalk} from 'chalk'
export {Progress, startSpinner} from './progress.js'
export {type Cell, displayWidth, renderPairs, renderTable, type TableOptions, terminalWidth, wrapText} from './table.js'

export const mark = {
  ok: () => chalk.green('✓'),
  fail: () => chalk.red('✗'),
  warn: () => chalk.yellow('!'),
  bool: (ok: boolean) => (ok ? chalk.green('✓') : chalk.red('✗')),
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  return `${m} min ${Math.round(s - m * 60)} s`
}
