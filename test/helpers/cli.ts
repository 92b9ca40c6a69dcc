import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface TempHome {
  root: string
  configDir: string
  dataDir: string
  /** The environment that points the CLI at this home (and nowhere else). */
  env: Record<string, string>
}

/** A fresh config dir, data dir and working directory (no `.env` from the repository leaks in). */
export function tempHome(prefix = 'ident-amo-e2e-'): TempHome {
  const root = mkdtempSync(path.join(tmpdir(), prefix))
  const configDir = path.join(root, 'config')
  const dataDir = path.join(root, 'data')
  mkdirSync(configDir, {recursive: true})
  mkdirSync(dataDir, {recursive: true})
  return {root, configDir, dataDir, env: {IDENT_AMO_CONFIG_DIR: configDir, IDENT_AMO_DATA_DIR: dataDir}}
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Environment variables of the developer's shell that would change what the CLI does. */
const SCRUB = /^(DB_|AMOCRM_|SYNC_|LOG_|IDENT_AMO_|DEALS)/

export function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!SCRUB.test(k)) env[k] = v
  env.NO_COLOR = '1'
  env.FORCE_COLOR = '0'
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v
  return env
}

/** Runs the built CLI (`bin/run.js`) as a child process and collects its output. */
export function runCli(
  args: string[],
  options: {env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; input?: string} = {},
): Promise<CliResult> {
  return runProgram(process.execPath, [BIN, ...args], {...options, cwd: options.cwd ?? tmpdir(), env: cliEnv(options.env ?? {})})
}

/**
 * Runs a program to its end and collects its output (killed after timeoutMs, 120 s by default). It
 * does not block this process: a sandbox served from the test keeps answering meanwhile.
 */
export function runProgram(
  command: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string} = {},
): Promise<CliResult> {
  const run = startProgram(command, args, {...options, input: options.input ?? ''})
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  return run.exited.finally(() => clearTimeout(timer))
}

export interface StartedProgram {
  child: ChildProcess
  output: () => {stdout: string; stderr: string}
  exited: Promise<CliResult>
}

/**
 * Starts the CLI and returns the child, for tests that signal or kill it mid-run. With `input`, that
 * is written to its standard input, which is then closed; without, it has none.
 */
export function startCli(
  args: string[],
  options: {env?: Record<string, string | undefined>; cwd?: string; input?: string} = {},
): StartedProgram {
  return startProgram(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: cliEnv(options.env ?? {}),
    input: options.input,
  })
}

function startProgram(command: string, args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string}): StartedProgram {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
  })
  if (options.input !== undefined) child.stdin!.end(options.input)
  return {child, output: () => ({stdout, stderr}), exited}
}

/** Parses the single JSON document a `--json` command prints. */
export function parseJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`)
  }
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await predicate()) return
    await new Promise((r) => setTimeout(r, stepMs))
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}

/** Asserts the exit code, showing everything the command printed when it differs. */
export function expectExit(result: CliResult, code: number): void {
  if (result.code !== code)
    throw new Error(
      `expected exit ${code}, got ${result.code} (signal ${result.signal})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    )
}

/** oclif wraps error lines and prefixes them with ›: join them back for matching. */
export function unwrapped(text: string): string {
  return text
    .replaceAll(/\s*›\s*/g, ' ')
    .replaceAll(/\s+/g, ' ')
    .replaceAll(/(\S)- (\S)/g, '$1-$2')
}
