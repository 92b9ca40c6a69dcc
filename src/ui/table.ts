import {stripVTControlCharacters} from 'node:util'

import chalk from 'chalk'
import Table from 'cli-table3'

/** No rule between body rows: long tables stay readable. */
const COMPACT = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

export type Cell = string | number | null | undefined

export interface TableOptions {
  /**
   * Columns the table may take: the terminal's width by default, none when output is not a terminal
   * (a file or a pipe gets every table whole).
   */
  maxWidth?: number
}

/** The width of the terminal standard output goes to, or undefined when it is not a terminal. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY && stream.columns > 0 ? stream.columns : undefined
}

/** Columns a string takes on a terminal (colours removed; one column per character). */
export function displayWidth(text: string): number {
  return Math.max(
    0,
    ...stripVTControlCharacters(text)
      .split('\n')
      .map((line) => [...line].length),
  )
}

/**
 * A cli-table3 table as a string, fitted to `maxWidth`: as it is when it fits; else its widest columns
 * wrapped at word boundaries; else, for a table of one row (a summary of many numbers), folded into
 * several tables of fewer columns; else wrapped anywhere.
 */
export function renderTable(head: string[], rows: Cell[][], options: TableOptions = {}): string {
  const cells = rows.map((row) => row.map(cellText))
  const maxWidth = options.maxWidth ?? terminalWidth()
  if (maxWidth === undefined || tableWidth(head, cells) <= maxWidth) return draw(head, cells)
  const natural = head.map((h, i) => Math.max(displayWidth(h), ...cells.map((row) => displayWidth(row[i] ?? ''))))
  const room = maxWidth - bordersAndPadding(head.length)
  const byWords = shrink(
    natural,
    head.map((h, i) => longestWord([h, ...cells.map((row) => row[i] ?? '')])),
    room,
  )
  if (byWords) return draw(head, cells, {widths: byWords, wordBoundary: true})
  if (cells.length === 1 && head.length > 1) return fold(head, cells[0]!, maxWidth)
  const hard = shrink(
    natural,
    natural.map((w) => Math.min(w, 4)),
    room,
  )
  return hard ? draw(head, cells, {widths: hard, wordBoundary: false}) : draw(head, cells)
}

/** Key/value table (two columns, no header); the values wrap when the terminal is narrow. */
export function renderPairs(pairs: Array<[string, Cell]>, options: TableOptions = {}): string {
  const keys = pairs.map(([k]) => k)
  const values = pairs.map(([, v]) => cellText(v))
  const maxWidth = options.maxWidth ?? terminalWidth()
  const keyWidth = Math.max(0, ...keys.map(displayWidth))
  const valueWidth = Math.max(0, ...values.map(displayWidth))
  const room = maxWidth === undefined ? undefined : maxWidth - bordersAndPadding(2) - keyWidth
  const wrap = room !== undefined && valueWidth > room && room >= 10
  const table = new Table({
    style: {head: [], border: []},
    chars: COMPACT,
    ...(wrap ? {colWidths: [keyWidth + 2, room + 2], wordWrap: true} : {}),
  })
  for (const [i, k] of keys.entries()) table.push({[chalk.bold(k)]: values[i]!})
  return table.toString()
}

/** The width a table takes drawn without limits. */
export function tableWidth(head: string[], rows: string[][]): number {
  const widths = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((row) => displayWidth(row[i] ?? ''))))
  return widths.reduce((a, b) => a + b, 0) + bordersAndPadding(head.length)
}

function cellText(cell: Cell): string {
  return cell === null || cell === undefined ? '' : String(cell)
}

/** A border left of each column and one at the end, one space of padding on each side. */
function bordersAndPadding(columns: number): number {
  return columns + 1 + 2 * columns
}

function longestWord(texts: string[]): number {
  let longest = 1
  for (const text of texts) for (const word of stripVTControlCharacters(text).split(/\s+/)) longest = Math.max(longest, [...word].length)
  return longest
}

/** Narrows the widest columns, one character at a time, until they fit `room`; undefined if they cannot. */
function shrink(natural: number[], minimum: number[], room: number): number[] | undefined {
  const widths = natural.map((w, i) => Math.max(w, minimum[i]!))
  let total = widths.reduce((a, b) => a + b, 0)
  while (total > room) {
    let widest = -1
    for (const [i, w] of widths.entries()) if (w > minimum[i]! && (widest < 0 || w > widths[widest]!)) widest = i
    if (widest < 0) return undefined
    widths[widest]!--
    total--
  }
  return widths
}

/** A one-row table too wide for the terminal: consecutive groups of columns, each group its own table. */
function fold(head: string[], row: string[], maxWidth: number): string {
  const tables: string[] = []
  let start = 0
  while (start < head.length) {
    let end = start + 1
    while (end < head.length && tableWidth(head.slice(start, end + 1), [row.slice(start, end + 1)]) <= maxWidth) end++
    tables.push(draw(head.slice(start, end), [row.slice(start, end)]))
    start = end
  }
  return tables.join('\n')
}

function draw(head: string[], rows: string[][], fit?: {widths: number[]; wordBoundary: boolean}): string {
  const table = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: {head: [], border: []},
    chars: COMPACT,
    ...(fit ? {colWidths: fit.widths.map((w) => w + 2), wordWrap: true, wrapOnWordBoundary: fit.wordBoundary} : {}),
  })
  for (const row of rows) table.push(row)
  return table.toString()
}

/**
 * A long line of prose broken at spaces to fit `maxWidth` (the terminal's by default), continuation
 * lines indented by `indent` spaces; unchanged when output is not a terminal.
 */
export function wrapText(text: string, options: {maxWidth?: number; indent?: number} = {}): string {
  const maxWidth = options.maxWidth ?? terminalWidth()
  if (maxWidth === undefined || displayWidth(text) <= maxWidth) return text
  const pad = ' '.repeat(options.indent ?? 2)
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`
    if (line !== '' && displayWidth(next) > maxWidth) {
      lines.push(line)
      line = pad + word
    } else line = next
  }
  lines.push(line)
  return lines.join('\n')
}
