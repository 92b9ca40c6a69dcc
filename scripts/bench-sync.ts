/**
 * `npm run bench`: what a first import and the incremental passes cost against the sandbox held to
 * amoCRM's limits (7 requests/second, 50 ms added to every answer).
 *
 *   N patients (default 20,000; BENCH_PATIENTS) → `sync full --batch-size 250` (BENCH_BATCH), then `sync incremental`
 *   with nothing changed, then with 100 patients changed. For each: requests sent, the theoretical
 *   minimum, wall time, patients/s and the CLI's peak RSS, next to the original design's cost
 *   (3 requests per patient at 7 requests/second).
 *
 * Then, apart (`benchDeals`, skipped with BENCH_DEALS=off), the same clinic with deals on: `sync full`
 * (contacts, then a deal for every reception in the window), `sync incremental` with nothing changed,
 * then with 100 receptions marked as come (a status datetime only). For each: the requests under
 * `/api/v4/leads` against the minimum of README "What it costs" (setup reads, one read of the pipeline's deals
 * per 250, one create or update per batch), and all requests.
 *
 * The built CLI runs as a child process (as an operator would run it); the sandbox runs here.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadConfig} from '../src/config/index.js'
import {openIdent} from '../src/ident/index.js'
import {generateClinic, localNow, setReceptionStatus, upcomingBookings, updatePatient} from '../src/sample/index.js'
import {SANDBOX_TOKEN, startSandbox} from '../src/sandbox/index.js'
import type {DealCounts} from '../src/sync/index.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const N = Number(process.env.BENCH_PATIENTS ?? 20_000)
const BATCH = Number(process.env.BENCH_BATCH ?? 250)
const RATE = 7
const LATENCY_MS = 50

interface Measured {
  code: number | null
  wallMs: number
  peakRssMb: number
  report: {
    counts: Record<string, number>
    api: {requests: number; retries: number; throttled: number}
    deals?: DealCounts
  }
}

/** Runs the CLI and samples its peak resident memory from /proc (VmHWM) while it runs. */
function runCli(args: string[], env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {
      env: {...process.env, ...env, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let peakKb = 0
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakKb = Math.max(peakKb, Number(m[1]))
      } catch {
        // exited
      }
    }
    const timer = setInterval(sample, 50)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(timer)
      const wallMs = performance.now() - started
      try {
        resolve({code, wallMs, peakRssMb: peakKb / 1024, report: JSON.parse(stdout)})
      } catch {
        reject(new Error(`\`${args.join(' ')}\` exited ${code}:\n${stdout}\n${stderr}`))
      }
    })
  })
}

function row(label: string, m: Measured, minimum: number, patients: number): string[] {
  const s = m.wallMs / 1000
  return [
    label,
    String(m.report.api.requests),
    String(minimum),
    `${s.toFixed(1)} s`,
    patients ? `${Math.round(patients / s)}` : '—',
    `${m.peakRssMb.toFixed(0)} MB`,
  ]
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

/**
 * A fresh sample clinic of N patients (the incremental runs change it), a fresh home for the CLI and
 * a sandbox held to amoCRM's limits, with the CLI's environment for them.
 */
async function benchSetup(name: string, extraEnv: Record<string, string> = {}) {
  const cacheDir = path.join(tmpdir(), 'ident-amo-bench')
  mkdirSync(cacheDir, {recursive: true})
  const clinicFile = path.join(cacheDir, `${name}-${N}.sqlite`)
  console.log(`generating ${N.toLocaleString('en')} patients…`)
  generateClinic({patients: N, seed: 2026, file: clinicFile})
  if (!existsSync(path.join(ROOT, 'dist', 'commands'))) throw new Error('run `npm run build` first')
  const home = mkdtempSync(path.join(tmpdir(), 'ident-amo-bench-home-'))
  const sandbox = await startSandbox({port: 0, rateLimit: RATE, latencyMs: LATENCY_MS})
  const env = {
    IDENT_AMO_CONFIG_DIR: path.join(home, 'config'),
    IDENT_AMO_DATA_DIR: path.join(home, 'data'),
    DB_CLIENT: 'sqlite',
    DB_FILE: clinicFile,
    AMOCRM_BASE_URL: sandbox.url,
    AMOCRM_ACCESS_TOKEN: SANDBOX_TOKEN,
    AMOCRM_RATE_LIMIT: String(RATE),
    ...extraEnv,
  }
  return {clinicFile, home, sandbox, env}
}

async function main(): Promise<void> {
  const {clinicFile, sandbox, env} = await benchSetup('sync-clinic')
  try {
    await runCli(['fields', 'create', '--json'], env)
    console.log(`sandbox ${sandbox.url}: ${RATE} req/s, +${LATENCY_MS} ms per answer; sync full --batch-size ${BATCH}…`)
    sandbox.resetStats()
    const full = await runCli(['sync', 'full', '--batch-size', String(BATCH), '--json'], env)
    const fullMax = sandbox.maxRequestsInWindow(1000)
    // account + custom fields + one (empty) page of contacts + one create per 250 patients
    const fullMin = Math.ceil(N / BATCH) + 3
    const idle = await runCli(['sync', 'incremental', '--batch-size', String(BATCH), '--json'], env)
    for (let id = 1; id <= 100; id++) updatePatient(clinicFile, id * Math.floor(N / 100), {patients: {Comment: `bench change ${id}`}})
    const changed = await runCli(['sync', 'incremental', '--batch-size', String(BATCH), '--json'], env)

    const original = (3 * N) / RATE
    console.log('')
    console.log(
      table(
        ['run', 'requests', 'minimum', 'wall time', 'patients/s', 'peak RSS'],
        [
          row(`sync full, ${N.toLocaleString('en')} patients`, full, fullMin, N),
          row('sync incremental, nothing changed', idle, 0, 0),
          row('sync incremental, 100 changed', changed, Math.ceil(100 / BATCH), 100),
        ],
      ),
    )
    console.log('')
    console.log(
      `full: created ${full.report.counts.created}, failed ${full.report.counts.failed}, retries ${full.report.api.retries}, 429s ${full.report.api.throttled}; most requests in any 1 s window at the sandbox: ${fullMax} (limit ${RATE})`,
    )
    console.log(`incremental, 100 changed: updated ${changed.report.counts.updated}`)
    console.log(
      `original design: 3 requests per patient = ${(3 * N).toLocaleString('en')} requests ≈ ${(original / 3600).toFixed(1)} h at ${RATE} req/s; ident-amo: ${full.report.api.requests} requests in ${(full.wallMs / 1000).toFixed(1)} s (${Math.round(original / (full.wallMs / 1000))}× faster)`,
    )
    if (full.report.counts.created !== N || full.code !== 0) process.exitCode = 1
  } finally {
    await sandbox.close()
  }
}

/**
 * The deals part: requests under `/api/v4/leads` (deals, pipelines, deal fields, loss reasons) against
 * the minimum of README "What it costs", beside all requests of the pass (the contacts' part included).
 */
async function benchDeals(): Promise<void> {
  const {clinicFile, home, sandbox, env} = await benchSetup('deals-clinic', {
    DEALS: 'on',
    // The sample clinic's bookings are in this machine's local time.
    SYNC_TIMEZONE: Intl.DateTimeFormat().resolvedOptions().timeZone,
  })
  const config = loadConfig({configDir: env.IDENT_AMO_CONFIG_DIR, dataDir: env.IDENT_AMO_DATA_DIR, env, cwd: home})
  const leadRequests = () => sandbox.apiRequestCount({pathPrefix: '/api/v4/leads'})
  try {
    const reader = await openIdent(config)
    const inWindow = await reader
      .countReceptions({now: localNow(), historyDays: config.deals.historyDays, noShowHours: config.deals.noShowHours})
      .finally(() => reader.close())
    await runCli(['fields', 'create', '--json'], env)
    console.log(`deals: ${inWindow.toLocaleString('en')} receptions in the window; sync full --batch-size ${BATCH} with DEALS=on…`)
    sandbox.resetStats()
    const full = await runCli(['sync', 'full', '--batch-size', String(BATCH), '--json'], env)
    const fullLeads = leadRequests()
    sandbox.resetStats()
    const idle = await runCli(['sync', 'incremental', '--batch-size', String(BATCH), '--json'], env)
    const idleLeads = leadRequests()
    const bookings = await upcomingBookings(config, 100)
    for (const b of bookings) setReceptionStatus(clinicFile, b.receptionId, {appeared: true})
    sandbox.resetStats()
    const changed = await runCli(['sync', 'incremental', '--batch-size', String(BATCH), '--json'], env)
    const changedLeads = leadRequests()

    const dealRow = (label: string, m: Measured, leads: number, minimum: number): string[] => [
      label,
      String(m.report.deals?.read ?? '—'),
      String(leads),
      String(minimum),
      String(m.report.api.requests),
      `${(m.wallMs / 1000).toFixed(1)} s`,
      `${m.peakRssMb.toFixed(0)} MB`,
    ]
    console.log('')
    console.log(
      table(
        ['run, deals on', 'receptions', 'lead requests', 'minimum', 'all requests', 'wall time', 'peak RSS'],
        [
          // pipelines + deal fields + loss reasons, one (empty) page of the pipeline's deals, one create per batch
          dealRow(`sync full, ${N.toLocaleString('en')} patients`, full, fullLeads, 3 + 1 + Math.ceil(inWindow / BATCH)),
          dealRow('sync incremental, nothing changed', idle, idleLeads, 0),
          dealRow(`sync incremental, ${bookings.length} came`, changed, changedLeads, Math.ceil(bookings.length / BATCH)),
        ],
      ),
    )
    console.log('')
    const d = full.report.deals
    console.log(
      d
        ? `deals, full: created ${d.created}, failed ${d.failed}, out of window ${d.outOfWindow}; incremental, ${bookings.length} came: moved ${changed.report.deals?.moved ?? 0}`
        : 'deals: the report has no deals block — the sync did not run the deals',
    )
    if (!d || d.created !== inWindow || d.failed > 0 || full.code !== 0) process.exitCode = 1
  } finally {
    await sandbox.close()
  }
}

await main()
if (process.env.BENCH_DEALS !== 'off') await benchDeals()
