/**
 * Errors that carry what the user should do and the exit code the contract gives them
 * (docs/sync.md "Report"): 1 fatal (auth, database, blocked account, bad config), 2 usage, 3 partial sync.
 */
export class AppError extends Error {
  readonly exitCode: number
  /** One line telling the user what to do about it. */
  readonly hint: string | undefined
  /** A stable machine-readable code, shown in `--json` errors. */
  readonly code: string
  /**
   * What the other side said in its own words (amoCRM's error title and detail, validation texts).
   * It may quote the values sent — a phone, a name, a birthday — so it is shown on the terminal of the
   * run at hand (`terminalMessage`) and never logged or kept in the state; `message` stays free of it.
   */
  readonly serverText: string | undefined

  constructor(message: string, options: {exitCode?: number; hint?: string; code?: string; cause?: unknown; serverText?: string} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.exitCode = options.exitCode ?? 1
    this.hint = options.hint
    this.code = options.code ?? 'E_FATAL'
    this.serverText = options.serverText || undefined
  }
}

/** Bad or missing configuration: exit 1 with the name of the setting at fault. */
export class ConfigError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, {exitCode: 1, code: 'E_CONFIG', ...(hint ? {hint} : {})})
  }
}

/** The command was called wrongly: exit 2. */
export class UsageError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, {exitCode: 2, code: 'E_USAGE', ...(hint ? {hint} : {})})
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/** The message for the person at the terminal: with the other side's own words, which logs and the state never get. */
export function terminalMessage(error: unknown): string {
  const serverText = error instanceof AppError ? error.serverText : undefined
  return serverText ? `${errorMessage(error)} — amoCRM said: ${serverText}` : errorMessage(error)
}
