import path from 'node:path'

import type {Contact} from '../../src/amocrm/types.js'
import {loadConfig} from '../../src/config/index.js'
import {diffContact} from '../../src/fields/index.js'
import {openIdent, type Patient} from '../../src/ident/index.js'
import {type ClinicShape, type CraftedPatient, generateClinic, type GeneratedClinic} from '../../src/sample/index.js'
import {type Sandbox, SANDBOX_TOKEN, type SandboxOptions, startSandbox} from '../../src/sandbox/index.js'
import {createFieldsMapper} from '../../src/sync/index.js'
import {type CliResult, runCli, startCli, tempHome, type TempHome, waitFor} from './cli.js'

export interface SyncFixture {
  sandbox: Sandbox
  clinic: GeneratedClinic
  home: TempHome
  env: Record<string, string>
  /** Runs the built CLI against this sandbox, clinic and home. */
  cli(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>
  close(): Promise<void>
}

/** A generated clinic, a sandbox account with the mapped fields created, and a fresh home for the CLI. */
export async function syncFixture(options: {
  patients: number
  seed?: number
  crafted?: CraftedPatient[]
  /** The sample clinic's shape (default: as real IDENT databases are). */
  shape?: ClinicShape
  sandbox?: SandboxOptions
  createFields?: boolean
}): Promise<SyncFixture> {
  const home = tempHome('ident-amo-sync-')
  const clinic = generateClinic({
    patients: options.patients,
    seed: options.seed ?? 42,
    file: path.join(home.root, 'clinic.sqlite'),
    crafted: options.crafted,
    shape: options.shape,
  })
  const sandbox = await startSandbox({rateLimit: 0, ...options.sandbox})
  const env = {
    ...home.env,
    DB_CLIENT: 'sqlite',
    DB_FILE: clinic.file,
    AMOCRM_BASE_URL: sandbox.url,
    AMOCRM_ACCESS_TOKEN: SANDBOX_TOKEN,
    AMOCRM_RATE_LIMIT: '50',
    // a create whose answer is lost waits 1.5 × this before it is reconciled: seconds, not the default 45 s
    AMOCRM_REQUEST_TIMEOUT_MS: '3000',
  }
  const fixture: SyncFixture = {
    sandbox,
    clinic,
    home,
    env,
    cli: (args, extraEnv = {}) => runCli(args, {env: {...env, ...extraEnv}, cwd: home.root}),
    close: () => sandbox.close(),
  }
  if (options.createFields !== false) {
    const created = await fixture.cli(['fields', 'create'])
    if (created.code !== 0) throw new Error(`fields create failed:\n${created.stdout}\n${created.stderr}`)
    sandbox.resetStats()
  }
  return fixture
}

/** Live (not deleted) contacts per "ID пациента IDENT" value. */
export function contactsByPatient(fixture: SyncFixture): Map<string, Contact[]> {
  const mapper = mapperFor(fixture)
  const out = new Map<string, Contact[]>()
  for (const contact of fixture.sandbox.store.listContacts()) {
    const id = mapper.identId(contact)
    if (id === null) continue
    out.set(id, [...(out.get(id) ?? []), contact])
  }
  return out
}

export function mapperFor(fixture: SyncFixture) {
  const config = loadConfig({configDir: fixture.home.configDir, dataDir: fixture.home.dataDir, env: fixture.env, cwd: fixture.home.root})
  return createFieldsMapper(
    {
      accountTimezone: fixture.sandbox.store.account.timezone,
      defs: fixture.sandbox.store.listFields(),
      fetchedAt: new Date().toISOString(),
    },
    {fields: config.fields, clinicTimezone: fixture.sandbox.store.account.timezone},
  )
}

export async function readClinic(fixture: SyncFixture): Promise<Patient[]> {
  const config = loadConfig({configDir: fixture.home.configDir, dataDir: fixture.home.dataDir, env: fixture.env, cwd: fixture.home.root})
  const reader = await openIdent(config)
  try {
    const patients: Patient[] = []
    for await (const p of reader.readPatients()) patients.push(p)
    return patients
  } finally {
    await reader.close()
  }
}

/**
 * Compares every IDENT patient with its contact, field by field, the way a user checking the CRM
 * would: exactly one live contact per patient, every mapped field equal. A birthday before 1970 that
 * amoCRM refused is the one accepted difference (the run reported it).
 */
export async function accountMismatches(fixture: SyncFixture): Promise<string[]> {
  const mapper = mapperFor(fixture)
  const byPatient = contactsByPatient(fixture)
  const problems: string[] = []
  for (const patient of await readClinic(fixture)) {
    const contacts = byPatient.get(patient.id) ?? []
    if (contacts.length !== 1) {
      problems.push(`patient ${patient.id}: ${contacts.length} contacts`)
      continue
    }
    const desired = mapper.desired(patient)
    for (const row of diffContact(desired, contacts[0]!, mapper.resolved, {accountTimezone: mapper.accountTimezone})) {
      if (row.equal) continue
      // Midnight of 01.01.1970 in a zone east of UTC is before the epoch too.
      if (row.key === 'birthday' && row.actual === '' && /\.(1[0-8]\d\d|19[0-6]\d)$|^01\.01\.1970$/.test(row.desired)) continue
      problems.push(`patient ${patient.id} ${row.key}: want '${row.desired}', amoCRM has '${row.actual}'`)
    }
  }
  return problems
}

export function writeRequests(fixture: SyncFixture): number {
  return (
    fixture.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'}) +
    fixture.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'})
  )
}

/**
 * Starts `sync full --batch-size 10` on the fixture and, once amoCRM has received `afterCreates` create
 * requests, sends it `signal` (SIGINT as Ctrl+C, SIGKILL as kill -9): a run stopped mid-way.
 */
export async function stopSyncFull(
  fixture: SyncFixture,
  options: {afterCreates: number; signal: NodeJS.Signals; json?: boolean},
): Promise<CliResult> {
  const run = startCli(['sync', 'full', '--batch-size', '10', ...(options.json ? ['--json'] : [])], {
    env: fixture.env,
    cwd: fixture.home.root,
  })
  await waitFor(() => fixture.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/contacts'}) >= options.afterCreates, 60_000)
  run.child.kill(options.signal)
  return run.exited
}
