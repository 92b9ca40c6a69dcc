/**
 * IDENT reader benchmark: reads every patient of a 100,000-patient sample clinic (SQLite) through the
 * reader and prints rows/s, the SQL statements issued and the peak RSS.
 *
 *   npm run bench:ident                      # 100,000 patients, cached in the temp dir
 *   npm run bench:ident -- --patients 20000 --fresh
 *
 * The clinic is generated in a child process, so that the RSS measured here is the reader's alone.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {loadConfig} from '../src/config/index.js'
import {openIdent} from '../src/ident/index.js'
import {generateClinic} from '../src/sample/index.js'

const {values} = parseArgs({
  options: {
    patients: {type: 'string', default: '100000'},
    seed: {type: 'string', default: '1'},
    fresh: {type: 'boolean', default: false},
    'generate-only': {type: 'string'},
  },
})
const patients = Number(values.patients)
const seed = Number(values.seed)

if (values['generate-only']) {
  const started = Date.now()
  const clinic = generateClinic({patients, seed, file: values['generate-only']})
  process.stdout.write(JSON.stringify({ms: Date.now() - started, counts: clinic.counts}))
  process.exit(0)
}

const dir = path.join(tmpdir(), 'ident-amo-bench')
mkdirSync(dir, {recursive: true})
// Named after the sample's shape: a file cached by an older generator (another shape) is not reused.
const file = path.join(dir, `clinic-real-shape-${patients}-seed${seed}.sqlite`)
if (values.fresh || !existsSync(file)) {
  console.log(`generating ${patients.toLocaleString('en')} patients into ${file} …`)
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, '--patients', String(patients), '--seed', String(seed), '--generate-only', file],
    {encoding: 'utf8'},
  )
  if (child.status !== 0) throw new Error(`generation failed: ${child.stderr}`)
  const {ms, counts} = JSON.parse(child.stdout) as {ms: number; counts: Record<string, number>}
  console.log(
    `generated in ${(ms / 1000).toFixed(1)} s: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
      .join(', ')}`,
  )
} else {
  console.log(`using the cached clinic ${file} (--fresh to regenerate)`)
}

const root = path.join(dir, 'home')
const config = loadConfig({
  configDir: path.join(root, 'config'),
  dataDir: path.join(root, 'data'),
  cwd: root,
  env: {DB_CLIENT: 'sqlite', DB_FILE: file},
})

let peakRss = process.memoryUsage().rss
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)
const rssBefore = process.memoryUsage().rss
const statements: string[] = []
const started = performance.now()
const reader = await openIdent(config)
reader.onQuery((sql) => statements.push(sql))
let read = 0
let visits = 0
let firstRowMs = 0
for await (const patient of reader.readPatients()) {
  if (read === 0) firstRowMs = performance.now() - started
  read++
  visits += patient.visits?.length ?? 0
  if (read % 5000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
}
const seconds = (performance.now() - started) / 1000
await reader.close()
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage().rss)

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
console.log(`patients read      ${read.toLocaleString('en')} (visit lines ${visits.toLocaleString('en')})`)
console.log(`time               ${seconds.toFixed(2)} s (first patient after ${(firstRowMs / 1000).toFixed(2)} s)`)
console.log(`rate               ${Math.round(read / seconds).toLocaleString('en')} patients/s`)
console.log(
  `SQL statements     ${statements.length} while reading (${statements.map((s) => s.slice(0, 40).replaceAll('`', '')).join(' | ')}…) + 1 introspection`,
)
console.log(
  `RSS                before ${mb(rssBefore)}, peak ${mb(peakRss)} (sampled), maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
)
if (read !== patients) {
  console.error(`expected ${patients} patients, read ${read}`)
  process.exitCode = 1
}
