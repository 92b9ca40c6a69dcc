import {stripVTControlCharacters} from 'node:util'

import * as pty from '@lydell/node-pty'
import {expect} from 'chai'

import {BIN, cliEnv} from './cli.js'

export interface PtyRun {
  /** Types into the terminal, as a person would (`\x03` is Ctrl+C). */
  type(text: string): void
  /** Everything the terminal showed so far, raw (with escape sequences). */
  screen(): string
  /** The same, escape sequences removed. */
  text(): string
  /** Resolves when the process ends. */
  exited: Promise<{code: number; signal: number}>
  pid: number
}

/**
 * Runs the built CLI on a real pseudo-terminal: its stdin, stdout and stderr are the terminal, which
 * is its controlling terminal, so Ctrl+C typed into it reaches it the way it does for a person (the
 * terminal's line discipline turns it into SIGINT, unless the program put the terminal in raw mode).
 */
export function startOnPty(
  args: string[],
  options: {env?: Record<string, string | undefined>; cwd: string; columns?: number; rows?: number},
): PtyRun {
  const env = cliEnv({TERM: 'xterm-256color', ...options.env}) as Record<string, string>
  const child = pty.spawn(process.execPath, [BIN, ...args], {
    name: 'xterm-256color',
    cols: options.columns ?? 80,
    rows: options.rows ?? 30,
    cwd: options.cwd,
    env,
  })
  let screen = ''
  child.onData((data) => (screen += data))
  const exited = new Promise<{code: number; signal: number}>((resolve) =>
    child.onExit(({exitCode, signal}) => resolve({code: exitCode, signal: signal ?? 0})),
  )
  return {
    type: (text) => child.write(text),
    screen: () => screen,
    text: () => stripVTControlCharacters(screen).replaceAll('\r', ''),
    exited,
    pid: child.pid,
  }
}

/**
 * What a terminal shows of each line. A spinner redraws its line (carriage return or "cursor to
 * column 1"), so only what is drawn last on each line counts.
 */
export function shownLines(raw: string): string[] {
  // eslint-disable-next-line no-control-regex -- ESC [ G, "cursor to column 1", is what a redraw starts with
  const lineStart = /\r|\x1b\[1?G/
  return raw.split('\n').map((line) =>
    stripVTControlCharacters(
      line
        .split(lineStart)
        .filter((part) => stripVTControlCharacters(part) !== '')
        .at(-1) ?? '',
    ),
  )
}

/** Every line of what a terminal of `columns` shows fits in it. */
export function expectNarrow(raw: string, columns: number): void {
  const wide = shownLines(raw).filter((line) => [...line].length > columns)
  expect(wide, `lines wider than ${columns} columns`).to.deep.equal([])
}
