import {copyFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import type {DbCheckReport} from '../../src/ident/index.js'
import {generateClinic} from '../../src/sample/index.js'
import {parseJson, runCli, type TempHome, tempHome, unwrapped} from '../helpers/cli.js'

interface ErrorJson {
  error: {code: string; message: string; hint?: string; exitCode: number}
}

describe('e2e: db check (built CLI)', () => {
  let home: TempHome
  let clinic: string

  before(() => {
    home = tempHome('ident-amo-db-check-')
    clinic = generateClinic({patients: 120, seed: 9, file: path.join(home.root, 'clinic.sqlite')}).file
  })
  after(() => rmSync(home.root, {recursive: true, force: true}))

  const sqliteEnv = (file: string) => ({...home.env, DB_CLIENT: 'sqlite', DB_FILE: file})

  function alteredCopy(name: string, ddl: string): string {
    const file = path.join(home.root, name)
    copyFileSync(clinic, file)
    const db = new Database(file)
    db.exec(ddl)
    db.close()
    return file
  }

  it('checks a sample clinic: exit 0, the column table, counts and the clock', async () => {
    const result = await runCli(['db', 'check'], {env: sqliteEnv(clinic), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include('Persons.MobilePhone')
    expect(result.stdout).to.include('core ★')
    expect(result.stdout).to.match(/database clock\s*│\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/)
    expect(result.stdout).to.match(/Receptions\s*│\s*\d+/)
    expect(result.stdout).to.include('ready to read 120 patients')
  })

  it('says how many birthdays parse, naming a few patients whose birthday does not (ids only), and where doctors come from', async () => {
    const file = alteredCopy(
      'birthdays.sqlite',
      "UPDATE Persons SET Birthday = '12.04.1961' WHERE ID IN (SELECT ID_Persons FROM Patients); " +
        "UPDATE Persons SET Birthday = ' 1961-04-12 ' WHERE ID = 2; UPDATE Persons SET Birthday = '' WHERE ID = 3; " +
        "UPDATE Persons SET Birthday = '31.02.1985' WHERE ID = 17; UPDATE Persons SET Birthday = 'нет' WHERE ID = 5;",
    )
    const result = await runCli(['db', 'check'], {env: sqliteEnv(file), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include('Birthday TEXT: 117 of 119 parse (2 unparseable, e.g. patients 5, 17)')
    expect(result.stdout).to.include("✓ doctors' names come from Persons: Receptions.ID_Staffs is Staffs.ID_Persons")
    expect(result.stdout).to.match(/·\s*│\s*Staffs\.SurName\s*│\s*assumed\s*│\s*missing, not needed \(doctors from Persons\)/)
    expect(result.stdout).not.to.include('31.02.1985')
    expect(result.stdout).not.to.include('нет')
    const report = parseJson<DbCheckReport>(await runCli(['db', 'check', '--json'], {env: sqliteEnv(file), cwd: home.root}))
    expect(report.scan!.birthday).to.deep.equal({type: 'TEXT', values: 119, parsed: 117, unparseable: 2, examples: ['5', '17']})
  })

  it('checks a clinic in the old shape: doctors from Staffs, birthdays as dates, exit 0', async () => {
    const old = generateClinic({patients: 50, seed: 9, file: path.join(home.root, 'old.sqlite'), shape: 'old'}).file
    const result = await runCli(['db', 'check'], {env: sqliteEnv(old), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include("✓ doctors' names come from Staffs' own name columns")
    expect(result.stdout).to.match(/·\s*│\s*Staffs\.ID_Persons\s*│\s*confirmed\s*│\s*missing, not needed \(doctors from Staffs\)/)
    expect(result.stdout).to.match(/!\s*│\s*Receptions\.CheckIssued\s*│\s*confirmed\s*│\s*missing/)
    expect(result.stdout).to.match(/✓ Birthday TEXT: [\d,]+ of [\d,]+ parse\n/)
    expect(result.stdout).to.include('ready to read 50 patients')
  })

  it('says which patient ids a renamed view returns twice, and still exits 0', async () => {
    const file = alteredCopy(
      'repeated.sqlite',
      'CREATE VIEW PatientsTwice AS SELECT * FROM Patients UNION ALL SELECT * FROM Patients WHERE ID_Persons = 11;',
    )
    const set = await runCli(['config', 'set', 'ident.tables.Patients', 'PatientsTwice'], {env: home.env, cwd: home.root})
    expect(set.code, set.stderr).to.equal(0)
    try {
      const twice = await runCli(['db', 'check'], {env: sqliteEnv(file), cwd: home.root})
      expect(twice.code, twice.stderr).to.equal(0)
      expect(twice.stdout).to.include('! 1 patient id is returned more than once (e.g. patient 11): the first row is read')
      expect(twice.stdout).to.include('ready to read 120 patients')
    } finally {
      await runCli(['config', 'set', 'ident.tables.Patients', ''], {env: home.env, cwd: home.root})
    }
  })

  it('takes DB_FILE relative to the working directory, as from .env', async () => {
    const result = await runCli(['db', 'check', '--json'], {
      env: {...home.env, DB_CLIENT: 'sqlite', DB_FILE: 'clinic.sqlite'},
      cwd: home.root,
    })
    expect(result.code, result.stderr).to.equal(0)
    expect(parseJson<DbCheckReport>(result).database.target).to.equal(clinic)
  })

  it('--json prints the report as one document', async () => {
    const result = await runCli(['db', 'check', '--json'], {env: sqliteEnv(clinic), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    const report = parseJson<DbCheckReport>(result)
    expect(report.ok).to.equal(true)
    expect(report.database).to.deep.equal({client: 'sqlite', target: clinic})
    expect(report.clock).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(report.tables.map((t) => t.table)).to.deep.equal([
      'Persons',
      'Patients',
      'ArchivingReasons',
      'Staffs',
      'OwnCompanies',
      'Receptions',
      'PaymentsIn',
      'Orders',
      'OrderPaymentsJournal',
      'DiscountCards',
    ])
    expect(report.tables[0]!.columns[0]).to.deep.equal({
      column: 'ID',
      status: 'core',
      present: true,
      name: 'ID',
      renamed: false,
      type: 'INTEGER',
      needed: true,
    })
    expect(report.doctors.from).to.equal('Persons')
    expect(report.scan!.patients).to.equal(120)
    expect(report.scan!.repeated).to.deep.equal({count: 0, examples: []})
    expect(report.missing).to.deep.equal([])
    expect(report.unavailable).to.deep.equal([])
    expect(report.receptions).to.deep.include({missing: [], coreMissing: [], unavailable: [], unavailableFields: []})
    expect(report.dealsEnabled).to.equal(false)
    expect(report.counts.Patients).to.equal(120)
    expect(report.counts.ServiceItems).to.be.greaterThan(0)
    expect(report.write).to.have.property('canWrite')
  })

  it('lists the values a missing assumed column makes unavailable, and still exits 0', async () => {
    const file = alteredCopy('no-mobile.sqlite', 'ALTER TABLE Persons DROP COLUMN MobilePhone; ALTER TABLE Persons DROP COLUMN Email;')
    const result = await runCli(['db', 'check'], {env: sqliteEnv(file), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/mobilePhone\s*│\s*unavailable\s*│\s*Persons\.MobilePhone/)
    expect(result.stdout).to.match(/email\s*│\s*unavailable\s*│\s*Persons\.Email/)
    // The phone still comes from Persons.Phone; the e-mail field has no source left.
    expect(result.stdout).to.include('amoCRM fields that will not be sent: Email (email)')
    const json = parseJson<DbCheckReport & {unavailableFields: unknown}>(
      await runCli(['db', 'check', '--json'], {env: sqliteEnv(file), cwd: home.root}),
    )
    expect(json.unavailable).to.deep.equal([
      {value: 'mobilePhone', missing: ['Persons.MobilePhone']},
      {value: 'email', missing: ['Persons.Email']},
    ])
    expect(json.unavailableFields).to.deep.equal([{key: 'email', name: 'Email'}])
  })

  it('finds a renamed column through the config file', async () => {
    const file = alteredCopy('cellphone.sqlite', 'ALTER TABLE Persons RENAME COLUMN MobilePhone TO CellPhone;')
    const set = await runCli(['config', 'set', 'ident.columns.Persons.MobilePhone', 'CellPhone'], {env: home.env, cwd: home.root})
    expect(set.code, set.stderr).to.equal(0)
    try {
      const report = parseJson<DbCheckReport>(await runCli(['db', 'check', '--json'], {env: sqliteEnv(file), cwd: home.root}))
      expect(report.unavailable).to.deep.equal([])
      expect(report.tables[0]!.columns.find((c) => c.column === 'MobilePhone')).to.deep.equal({
        column: 'MobilePhone',
        status: 'confirmed',
        present: true,
        name: 'CellPhone',
        renamed: true,
        type: 'TEXT',
        needed: true,
      })
    } finally {
      await runCli(['config', 'set', 'ident.columns.Persons.MobilePhone', ''], {env: home.env, cwd: home.root})
    }
  })

  it('exits 1 with the table and a clear message when a core column is missing', async () => {
    const file = alteredCopy('no-surname.sqlite', 'ALTER TABLE Persons DROP COLUMN SurName;')
    const result = await runCli(['db', 'check'], {env: sqliteEnv(file), cwd: home.root})
    expect(result.code).to.equal(1)
    expect(result.stdout).to.match(/✗\s*│\s*Persons\.SurName\s*│\s*core ★\s*│\s*missing/)
    expect(unwrapped(result.stderr)).to.include('column Persons.SurName')
    expect(unwrapped(result.stderr)).to.include('ident-amo config set ident.columns.Persons.SurName')
    const json = await runCli(['db', 'check', '--json'], {env: sqliteEnv(file), cwd: home.root})
    expect(json.code).to.equal(1)
    expect(parseJson<ErrorJson>(json).error).to.include({code: 'E_IDENT_SCHEMA', exitCode: 1})
  })

  it('lists what deals read in a section of its own, deals on or off, and the deal fields a missing column takes away', async () => {
    const result = await runCli(['db', 'check'], {env: sqliteEnv(clinic), cwd: home.root})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include('Appointments → deals (DEALS off): what the reception reader reads')
    expect(result.stdout).to.match(/✓\s*│\s*Receptions\.PlanStart\s*│\s*core ★ \(deals\)/)
    expect(result.stdout).to.match(/✓\s*│\s*OrderServiceRelation\.CountService\s*│\s*confirmed/)
    expect(result.stdout).to.include('✓ every deal field (11 with the price) can be filled')
    expect(result.stdout).to.match(/ServiceItems\s*│\s*\d+/)

    const file = alteredCopy(
      'no-chairs.sqlite',
      'DROP TABLE Armchairs; DROP TABLE ReceptionCancelReasons; ALTER TABLE Receptions DROP COLUMN CheckIssued;',
    )
    const on = await runCli(['db', 'check'], {env: {...sqliteEnv(file), DEALS: 'on'}, cwd: home.root})
    expect(on.code, on.stderr).to.equal(0)
    expect(on.stdout).to.include('Appointments → deals (DEALS on)')
    expect(on.stdout).to.match(/!\s*│\s*Armchairs\.NameArmchair\s*│\s*confirmed\s*│\s*table Armchairs missing/)
    expect(on.stdout).to.include('! deal field Кресло (chair) is never sent: no Armchairs.ID, Armchairs.NameArmchair')
    // The cancel reason is still written from the comment; the stage ladder skips "paid".
    expect(on.stdout).not.to.include('(cancel_reason) is never sent')
    expect(on.stdout).to.include('! stage, identStatus, firstVisit are read without Receptions.CheckIssued')
    expect(on.stdout).to.include('! branch is read without Armchairs.ID, Armchairs.ID_OwnCompanies')
    const json = parseJson<DbCheckReport>(await runCli(['db', 'check', '--json'], {env: {...sqliteEnv(file), DEALS: 'on'}, cwd: home.root}))
    expect(json).to.include({ok: true, dealsEnabled: true})
    expect(json.receptions.unavailableFields).to.deep.equal(['chair'])
    expect(json.receptions.unavailable.map((u) => u.value)).to.deep.equal(['chair', 'cancelReason'])
    expect(json.receptions.tables.map((t) => t.table)).to.deep.equal([
      'Receptions',
      'ReceptionCancelReasons',
      'Armchairs',
      'OwnCompanies',
      'Orders',
      'OrderPaymentsJournal',
      'OrderServiceRelation',
      'ServiceItemPrices',
      'ServiceItems',
    ])
  })

  it('a missing core column of receptions fails only with deals on (exit 1), otherwise it is a warning (exit 0)', async () => {
    const file = alteredCopy('no-plan-start.sqlite', 'ALTER TABLE Receptions RENAME COLUMN PlanStart TO PlanBegin;')
    const off = await runCli(['db', 'check'], {env: sqliteEnv(file), cwd: home.root})
    expect(off.code, off.stderr).to.equal(0)
    expect(off.stdout).to.match(/!\s*│\s*Receptions\.PlanStart\s*│\s*core ★ \(deals\)\s*│\s*missing/)
    expect(off.stdout).to.include('! deals cannot be turned on until Receptions.PlanStart can be read')
    expect(off.stdout).to.include('ready to read 120 patients')
    const on = await runCli(['db', 'check'], {env: {...sqliteEnv(file), DEALS: 'on'}, cwd: home.root})
    expect(on.code).to.equal(1)
    expect(on.stdout).to.match(/✗\s*│\s*Receptions\.PlanStart\s*│\s*core ★ \(deals\)\s*│\s*missing/)
    expect(unwrapped(on.stderr)).to.include(
      'the IDENT database lacks what appointments → deals cannot work without: column Receptions.PlanStart',
    )
    expect(unwrapped(on.stderr)).to.include('ident-amo config set DEALS off')
    const json = await runCli(['db', 'check', '--json'], {env: {...sqliteEnv(file), DEALS: 'on'}, cwd: home.root})
    expect(json.code).to.equal(1)
    expect(parseJson<ErrorJson>(json).error).to.include({code: 'E_IDENT_SCHEMA', exitCode: 1})
  })

  it('exits 1 with a hint when the SQLite file is missing', async () => {
    const result = await runCli(['db', 'check'], {env: sqliteEnv(path.join(home.root, 'missing.sqlite')), cwd: home.root})
    expect(result.code).to.equal(1)
    expect(unwrapped(result.stderr)).to.include(`the SQLite file ${path.join(home.root, 'missing.sqlite')} does not exist`)
    expect(unwrapped(result.stderr)).to.include('ident-amo demo seed')
    const json = await runCli(['db', 'check', '--json'], {env: sqliteEnv(path.join(home.root, 'missing.sqlite')), cwd: home.root})
    expect(parseJson<ErrorJson>(json).error.code).to.equal('E_IDENT_NO_FILE')
  })

  it('exits 1 with a hint when SQL Server cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer()
      server.listen(0, '127.0.0.1', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const env = {
      ...home.env,
      DB_CLIENT: 'mssql',
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_USER: 'reader',
      DB_PASSWORD: 'secret',
      DB_CONNECT_TIMEOUT_MS: '3000',
    }
    const result = await runCli(['db', 'check', '--json'], {env, cwd: home.root})
    expect(result.code).to.equal(1)
    const {error} = parseJson<ErrorJson>(result)
    expect(error.code).to.equal('E_IDENT_UNREACHABLE')
    expect(error.message).to.include(`127.0.0.1:${port}`)
    expect(error.hint).to.include('DB_HOST')
    expect(result.stdout + result.stderr).not.to.include('secret')
  })
})

describe('e2e: demo seed (built CLI)', () => {
  it('writes a sample clinic that db check accepts, and refuses to overwrite without --force', async () => {
    const home = tempHome('ident-amo-demo-seed-')
    const seeded = await runCli(['demo', 'seed', '--patients', '300', '--out', 'clinic.sqlite', '--seed', '3', '--json'], {
      env: home.env,
      cwd: home.root,
    })
    expect(seeded.code, seeded.stderr).to.equal(0)
    const result = parseJson<{file: string; seed: number; counts: {patients: number}}>(seeded)
    expect(result).to.include({file: path.join(home.root, 'clinic.sqlite'), seed: 3})
    expect(result.counts.patients).to.equal(300)
    const check = parseJson<DbCheckReport>(
      await runCli(['db', 'check', '--json'], {env: {...home.env, DB_CLIENT: 'sqlite', DB_FILE: 'clinic.sqlite'}, cwd: home.root}),
    )
    expect(check.counts.Patients).to.equal(300)
    const again = await runCli(['demo', 'seed', '--patients', '10', '--out', 'clinic.sqlite'], {env: home.env, cwd: home.root})
    expect(again.code).to.equal(2)
    expect(unwrapped(again.stderr)).to.include('already exists')
    const forced = await runCli(['demo', 'seed', '--patients', '10', '--out', 'clinic.sqlite', '--force', '--shape', 'old'], {
      env: home.env,
      cwd: home.root,
    })
    expect(forced.code, forced.stderr).to.equal(0)
    const old = parseJson<DbCheckReport>(
      await runCli(['db', 'check', '--json'], {env: {...home.env, DB_CLIENT: 'sqlite', DB_FILE: 'clinic.sqlite'}, cwd: home.root}),
    )
    expect([old.doctors.from, check.doctors.from]).to.deep.equal(['Staffs', 'Persons'])
    rmSync(home.root, {recursive: true, force: true})
  })
})
