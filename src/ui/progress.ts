import cliTruncate from 'cli-truncate'
import ora, {type Ora} from 'ora'

import {terminalWidth} from './table.js'

/**
 * An ora spinner on stderr that leaves the terminal alone. ora's default (`discardStdin`) puts the
 * terminal in raw mode and reads Ctrl+C as a key, which it never sees while the event loop is busy or
 * stdin is not flowing, so a typed Ctrl+C did nothing; with the terminal left as it is, the kernel
 * turns Ctrl+C into SIGINT, exactly as `kill -INT` does.
 */
export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  return new Spinner(text, stream)
}

/**
 * A spinner whose line always fits the terminal. The text is cut in the middle (a path keeps its file
 * name, a count its number) to the width left after the spinner's mark: a longer line would wrap,
 * and where ora does not animate (`CI` set, `TERM=dumb`) it prints the line as it is.
 * `text` reads back what was set, uncut.
 */
export class Spinner {
  private readonly ora: Ora
  private full: string

  constructor(
    text: string,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.full = text
    this.ora = ora({text: this.fit(text), stream, discardStdin: false}).start()
  }

  get text(): string {
    return this.full
  }

  set text(text: string) {
    this.full = text
    this.ora.text = this.fit(text)
  }

  succeed(text: string): void {
    this.ora.succeed(text)
  }

  fail(text: string): void {
    this.ora.fail(text)
  }

  stop(): void {
    this.ora.stop()
  }

  /** The mark and its space take two columns; one more keeps the cursor off the last column. */
  private fit(text: string): string {
    return cliTruncate(text, Math.max(10, (terminalWidth(this.stream) ?? 80) - 3), {position: 'middle'})
  }
}

/**
 * Progress for long work: a spinner on a TTY, a plain line every `plainEveryMs` otherwise
 * (so that a log file or CI output gets a heartbeat without a flood).
 */
export class Progress {
  private spinner: Spinner | undefined
  private lastPlain = 0

  constructor(private readonly options: {tty: boolean; enabled: boolean; write: (line: string) => void; plainEveryMs?: number}) {}

  start(text: string): void {
    if (!this.options.enabled) return
    if (this.options.tty) this.spinner = startSpinner(text)
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
