import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {FieldsCheckJson} from '../../src/fields/index.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'
import {parseJson, runCli, tempHome, type TempHome} from '../helpers/cli.js'

/** `fields check --json`; `fields create --json` adds what it created. */
type CheckJson = FieldsCheckJson & {created?: Array<{key: string; id: number}>}

/** Runs the built CLI (`npm run build` first) against an in-process sandbox. */
describe('fields check / fields create (built CLI against the sandbox)', function () {
  this.timeout(120_000)
  let sandbox: Sandbox
  let home: TempHome

  const run = (args: string[]) =>
    runCli(args, {env: {...home.env, AMOCRM_BASE_URL: sandbox.url, AMOCRM_ACCESS_TOKEN: SANDBOX_TOKEN}, cwd: home.root})
  const storedFields = () =>
    (JSON.parse(readFileSync(path.join(home.configDir, 'config.json'), 'utf8')) as {fields?: Record<string, {id: number}>}).fields ?? {}

  beforeEach(async () => {
    sandbox = await startSandbox({rateLimit: 0})
    home = tempHome('ident-amo-fields-e2e-')
  })

  afterEach(async () => {
    await sandbox.close()
    rmSync(home.root, {recursive: true, force: true})
  })

  it('check on an empty account: exit 1, a table with the fix, one JSON document with --json', async () => {
    const human = await run(['fields', 'check'])
    expect(human.code).to.equal(1)
    expect(human.stdout).to.contain('Возраст').and.contain('ident-amo fields create').and.contain('✗')
    expect(human.stderr).to.contain('18 of 20 mapped fields are not usable')

    const json = await run(['fields', 'check', '--json'])
    expect(json.code).to.equal(1)
    const result = parseJson<CheckJson>(json)
    expect(result.ok).to.equal(false)
    expect(result.fields).to.have.length(20)
    expect(result.fields.find((f) => f.key === 'phone')).to.include({ok: true, type: 'multitext', name: 'Телефон'})
    expect(result.fields.find((f) => f.key === 'age')).to.include({ok: false, id: null})
  })

  it('create makes the fields and saves the ids; check then exits 0; a second create makes nothing', async () => {
    const first = await run(['fields', 'create', '--json'])
    expect(first.code, first.stderr).to.equal(0)
    const created = parseJson<CheckJson>(first)
    expect(created.created).to.have.length(18)
    expect(Object.keys(storedFields())).to.have.length(20)

    const check = await run(['fields', 'check'])
    expect(check.code, check.stderr).to.equal(0)
    expect(check.stdout).to.contain('all 20 mapped fields are usable')

    const second = await run(['fields', 'create'])
    expect(second.code).to.equal(0)
    expect(second.stdout).to.contain('nothing created')
  })

  it('check --fix saves the ids of fields found by name', async () => {
    await run(['fields', 'create'])
    rmSync(path.join(home.configDir, 'config.json'))
    const fix = await run(['fields', 'check', '--fix', '--json'])
    expect(fix.code, fix.stderr).to.equal(0)
    expect(Object.keys(parseJson<CheckJson>(fix).saved)).to.have.length(20)
    expect(Object.keys(storedFields())).to.have.length(20)
  })
})
