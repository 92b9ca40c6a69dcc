import ora, {type Ora} from 'ora'

/**
 * An ora spinner on stderr that leaves the terminal alone. ora's default (`discardStdin`) puts the
 * terminal in raw mode and reads Ctrl+C as a key, which it never sees while the event loop is busy or
 * stdin is not flowing, so a typed Ctrl+C did nothing; with the terminal left as it is, the kernel
 * turns Ctrl+C into SIGINT, exactly as `kill -INT` does.
 */
export function startSpinner(text: string): Ora {
  return ora({text, stream: process.stderr, discardStdin: false}).start()
}

/**
 * Progress for long work: a spinner on a TTY, a plain line every `plainEveryMs` otherwise
 * (so that a log file or CI output gets a heartbeat without a flood).
 */
export class Progress {
  private spinner: Ora | undefined
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
