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

  constructor(message: string, options: {exitCode?: number; hint?: string; code?: string; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.exitCode = options.exitCode ?? 1
    this.hint = options.hint
    this.code = options.code ?? 'E_FATAL'
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
