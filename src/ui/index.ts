import chalk from 'chalk'
import Table from 'cli-table3'
import ora, {type Ora} from 'ora'

export {default as chalk} from 'chalk'

/** No rule between body rows: long tables stay readable. */
const COMPACT = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

export const mark = {
  ok: () => chalk.green('✓'),
  fail: () => chalk.red('✗'),
  warn: () => chalk.yellow('!'),
  bool: (ok: boolean) => (ok ? chalk.green('✓') : chalk.red('✗')),
}

/** A cli-table3 table as a string; plain borders when output is not a terminal. */
export function renderTable(
  head: string[],
  rows: Array<Array<string | number | null | undefined>>,
  options: {wordWrap?: boolean; colWidths?: Array<number | null>} = {},
): string {
  const table = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: {head: [], border: []},
    chars: COMPACT,
    wordWrap: options.wordWrap ?? true,
    ...(options.colWidths ? {colWidths: options.colWidths} : {}),
  })
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))))
  return table.toString()
}

/** Key/value table (two columns, no header). */
export function renderPairs(pairs: Array<[string, string | number | null | undefined]>): string {
  const table = new Table({style: {head: [], border: []}, chars: COMPACT})
  for (const [k, v] of pairs) table.push({[chalk.bold(k)]: v === null || v === undefined ? '' : String(v)})
  return table.toString()
}

/**
 * Progress for long work: an ora spinner on a TTY, a plain line every `plainEveryMs` otherwise
 * (so that a log file or CI output gets a heartbeat without a flood).
 */
export class Progress {
  private spinner: Ora | undefined
  private lastPlain = 0

  constructor(private readonly options: {tty: boolean; enabled: boolean; write: (line: string) => void; plainEveryMs?: number}) {}

  start(text: string): void {
    if (!this.options.enabled) return
    if (this.options.tty) this.spinner = ora({text, stream: process.stderr}).start()
    else this.options.write(text)
  }

  update(text: string, force = false): void {
    if (!this.options.enabled) return
    if (this.spinner) {
      this.spinner.text = text
      return
    }
    const now = Date.now()
    if (force || now - this.lastPlain >= (this.options.plainEveryMs ?? 5000)) {
      this.lastPlain = now
      this.options.write(text)
    }
  }

  succeed(text: string): void {
    if (!this.options.enabled) return
    if (this.spinner) this.spinner.succeed(text)
    else this.options.write(text)
    this.spinner = undefined
  }

  fail(text: string): void {
    if (!this.options.enabled) return
    if (this.spinner) this.spinner.fail(text)
    else this.options.write(text)
    this.spinner = undefined
  }

  stop(): void {
    this.spinner?.stop()
    this.spinner = undefined
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  return `${m} min ${Math.round(s - m * 60)} s`
}
