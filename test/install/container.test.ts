import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {generateClinic, updatePatient} from '../../src/sample/index.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {READMES} from '../../scripts/docs/render.js'
import {expectExit, ROOT, waitFor} from '../helpers/cli.js'
import {expectProductionOnly, PRODUCTION_TREE_SCRIPT, type ProductionTree, run} from './run.js'

/**
 * `npm run test:container`: the Dockerfile built with ../shared/tools/container-check.sh (rootful
 * podman, a local stand-in for node:24-bookworm-slim), then the image run the ways the README shows:
 * the demo, and the watcher of compose.yaml — settings from an env file, state in a named volume at
 * /data, `docker compose run --rm ident-amo patient test` beside it, `docker compose stop` (SIGTERM).
 * The amoCRM sandbox runs in this process and the containers reach it on the host network.
 */
const CONTAINER_CHECK = process.env.CONTAINER_CHECK ?? path.resolve(ROOT, '..', 'shared', 'tools', 'container-check.sh')
/** container-check.sh's cache and image storage (its WORK); podman is pointed at the same storage below. */
const WORK = process.env.WORK ?? path.join(homedir(), '.cache', 'container-check')
const IMAGE = 'localhost/ident-amo:test'
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}

const podmanEnv = {
  ...process.env,
  CONTAINERS_STORAGE_CONF: path.join(WORK, 'storage.conf'),
  CONTAINERS_CONF: path.join(WORK, 'containers.conf'),
}
const podman = (args: string[], timeoutMs = 300_000) => run('podman', args, {env: podmanEnv, timeoutMs})

describe('container image: build, run as non-root, the demo, the watcher (npm run test:container)', function () {
  this.timeout(1_800_000)

  before(function () {
    if (!existsSync(CONTAINER_CHECK)) throw new Error(`${CONTAINER_CHECK} is missing: set CONTAINER_CHECK to container-check.sh`)
  })

  it('builds the image, and ident-amo --version runs as a non-root user', async () => {
    const built = await run('bash', [CONTAINER_CHECK, ROOT, '-c', 'echo "uid=$(id -u)"; ident-amo --version'], {
      // The docker image format keeps HEALTHCHECK (the OCI format has no place for it).
      env: {...process.env, WORK, IMG: IMAGE, BUILDAH_FORMAT: 'docker', RUN_OPTS: '--entrypoint sh'},
      timeoutMs: 1_500_000,
    })
    expectExit(built, 0)
    const uid = /^uid=(\d+)$/m.exec(built.stdout)?.[1]
    expect(uid, built.stdout).to.not.equal(undefined)
    expect(Number(uid)).to.not.equal(0)
    expect(built.stdout).to.match(new RegExp(`^ident-amo/${pkg.version.replaceAll('.', '\\.')} linux-x64 node-v24\\.`, 'm'))
  })

  it('holds the production dependencies only, and starts `sync watch` with a health check by default', async () => {
    const tree = await podman([
      'run',
      '--rm',
      '-v',
      `${PRODUCTION_TREE_SCRIPT}:/tmp/production-tree.mjs:ro`,
      '--entrypoint',
      'node',
      IMAGE,
      '/tmp/production-tree.mjs',
      '/opt/ident-amo',
    ])
    expectExit(tree, 0)
    expectProductionOnly(JSON.parse(tree.stdout) as ProductionTree)

    const inspected = await podman(['image', 'inspect', IMAGE])
    expectExit(inspected, 0)
    const [image] = JSON.parse(inspected.stdout) as Array<{
      Config: {User: string; Entrypoint: string[]; Cmd: string[]}
      Healthcheck?: {Test: string[]}
    }>
    expect(image!.Config).to.deep.include({User: 'node', Entrypoint: ['ident-amo'], Cmd: ['sync', 'watch']})
    expect(image!.Healthcheck?.Test).to.deep.equal(['CMD', 'ident-amo', 'sync', 'status', '--check'])
  })

  it('runs the demo', async () => {
    const demo = await podman(['run', '--rm', IMAGE, 'demo'])
    expectExit(demo, 0)
    expect(demo.stdout).to.include('all sample patients synced')
  })

  describe('compose.yaml: one-off commands and the watcher, settings from an env file, state in the /data volume', () => {
    const PATIENTS = 60
    const name = `ident-amo-test-${process.pid}`
    const volume = `ident-amo-test-data-${process.pid}`
    let dir: string
    let sandbox: Sandbox
    /** `podman run` options standing for compose.yaml's: env_file, the volume; plus the clinic and the host network. */
    let options: (envFile?: string) => string[]

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-container-'))
      const clinicDir = path.join(dir, 'clinic')
      generateClinic({patients: PATIENTS, seed: 23, file: path.join(clinicDir, 'clinic.sqlite')})
      // The container's user (uid 1000) reads the clinic through a read-only bind mount.
      chmodSync(dir, 0o755)
      chmodSync(clinicDir, 0o755)
      sandbox = await startSandbox({rateLimit: 0})
      const settings = [
        'DB_CLIENT=sqlite',
        'DB_FILE=/clinic/clinic.sqlite',
        `AMOCRM_BASE_URL=${sandbox.url}`,
        'SYNC_INTERVAL_MINUTES=0.05',
        'SYNC_DEEP_TIMES=03:00',
        'SYNC_BATCH_SIZE=2',
      ]
      writeFileSync(path.join(dir, '.env'), [...settings, `AMOCRM_ACCESS_TOKEN=${SANDBOX_TOKEN}`, ''].join('\n'))
      writeFileSync(path.join(dir, 'no-token.env'), [...settings, ''].join('\n'))
      options = (envFile = '.env') => [
        '--network',
        'host',
        '--env-file',
        path.join(dir, envFile),
        '-v',
        `${volume}:/data`,
        '-v',
        `${clinicDir}:/clinic:ro`,
      ]
    })

    after(async () => {
      await podman(['rm', '--force', name])
      await podman(['volume', 'rm', '--force', volume])
      await sandbox?.close()
      if (dir) rmSync(dir, {recursive: true, force: true})
    })

    /** `docker compose run --rm ident-amo …` */
    const runOnce = (args: string[], envFile?: string) => podman(['run', '--rm', ...options(envFile), IMAGE, ...args])
    /** `docker compose logs` */
    const logs = async () => {
      const out = await podman(['logs', name])
      return out.stdout + out.stderr
    }

    it('db check, fields create and sync full run as one-off containers, as the non-root user on the volume', async () => {
      expectExit(await runOnce(['db', 'check']), 0)
      expectExit(await runOnce(['fields', 'create']), 0)
      expectExit(await runOnce(['sync', 'full']), 0)
      expect(sandbox.store.countContacts()).to.equal(PATIENTS)
    })

    it('the watcher (`docker compose up -d`) does a pass and is healthy; `patient test` runs beside it', async () => {
      // The image's default command: sync watch.
      expectExit(await podman(['run', '-d', '--name', name, ...options(), IMAGE]), 0)
      await waitFor(async () => /incremental pass: read \d+/.test(await logs()), 180_000, 500)

      const health = await podman(['healthcheck', 'run', name])
      expectExit(health, 0)

      const patient = await runOnce(['patient', 'test', '--patient-id', '5'])
      expectExit(patient, 0)
      expect(patient.stdout).to.include('everything is in step: nothing to write')
    })

    it('`docker compose stop` in the middle of a pass (SIGTERM): the batch in flight finishes, exit 143, the next run has no duplicate', async () => {
      // Many changes, slow answers, batches of 2: the pass is still writing when SIGTERM comes.
      for (let id = 20; id < PATIENTS; id++)
        updatePatient(path.join(dir, 'clinic', 'clinic.sqlite'), id, {patients: {Comment: `новый ${id}`}})
      sandbox.settings.latencyMs = 150
      const patchesBefore = sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'})
      await waitFor(() => sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/contacts'}) >= patchesBefore + 3, 120_000)
      expectExit(await podman(['stop', '--time', '120', name]), 0)
      sandbox.settings.latencyMs = 0

      const state = await podman(['inspect', '--format', '{{.State.ExitCode}}', name])
      expect(state.stdout.trim(), await logs()).to.equal('143')
      const output = await logs()
      expect(output).to.include('SIGTERM: finishing the batch in flight and saving state')
      expect(output).to.match(/stopped after \d+ pass\(es\); state saved/)

      const status = await runOnce(['sync', 'status', '--json'])
      expectExit(status, 0)
      expect((JSON.parse(status.stdout) as {runs: Array<{status: string}>}).runs[0]!.status).to.equal('interrupted')

      expectExit(await runOnce(['sync', 'incremental']), 0)
      expect(sandbox.store.countContacts()).to.equal(PATIENTS)
      // A deep pass compares every contact with IDENT: nothing left to create or repair.
      const deep = await runOnce(['sync', 'deep', '--json'])
      expectExit(deep, 0)
      expect((JSON.parse(deep.stdout) as SyncReport).counts).to.include({created: 0, updated: 0, failed: 0})
    })

    it('without AMOCRM_ACCESS_TOKEN: a token stored on the volume with `auth login --insecure-storage` serves later runs', async () => {
      // A deep pass reads every contact from amoCRM: it needs a token.
      const before = await runOnce(['sync', 'deep', '--json'], 'no-token.env')
      expectExit(before, 1)
      // A container has no keychain: the error says so and names both ways out.
      const {error} = JSON.parse(before.stdout) as {error: {code: string; hint: string}}
      expect(error.code).to.equal('E_NO_KEYCHAIN')
      expect(error.hint).to.include('AMOCRM_ACCESS_TOKEN').and.include('auth login --insecure-storage')
      expectExit(await runOnce(['auth', 'login', '--token', SANDBOX_TOKEN, '--insecure-storage'], 'no-token.env'), 0)
      expectExit(await runOnce(['sync', 'deep'], 'no-token.env'), 0)
    })
  })

  for (const {file} of READMES)
    it(`${file}'s container section shows the commands run here, with docker compose`, () => {
      const readme = readFileSync(path.join(ROOT, file), 'utf8')
      for (const command of [
        'docker compose run --rm ident-amo db check',
        'docker compose run --rm ident-amo fields create',
        'docker compose run --rm ident-amo sync full',
        'docker compose up -d',
        'docker compose logs -f',
        'docker compose run --rm ident-amo patient test --patient-id 123',
        'docker compose ps',
        'docker compose stop',
        "docker compose run --rm ident-amo auth login --token 'eyJ0eXAiOiJKV1Qi…' --insecure-storage",
      ])
        expect(readme, command).to.include(command)
    })
})
