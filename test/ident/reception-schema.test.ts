import {expect} from 'chai'

import type {AppConfig} from '../../src/config/index.js'
import {checkIdentDatabase, type IdentWarning, openIdent, readCancelReasonNames, type Reception} from '../../src/ident/index.js'
import {CANCEL_REASONS} from '../../src/sample/names.js'
import {alteredCopy, BRANCH_MAIN, CRAFTED, craftedClinic, failure, readAll, readReceptions, sqliteConfig, withReader} from './helpers.js'

function withDeals(config: AppConfig): AppConfig {
  config.deals.enabled = true
  return config
}

const DEALS = String(CRAFTED.deals!.id)

describe('ident reception reader: what a missing table or column takes away', () => {
  let source: string
  let original: Reception[]
  const paidVisit = (receptions: Reception[]) => receptions.find((r) => r.patientId === DEALS && r.planStart === '2026-03-10 10:00:00')!

  before(async () => {
    source = craftedClinic(100).file
    original = await withReader(sqliteConfig(source), async (reader) => {
      expect(reader.schema.receptions).to.deep.include({missing: [], coreMissing: [], unavailable: [], partial: [], unavailableFields: []})
      expect(reader.schema.receptions.warnings).to.deep.equal([])
      return readReceptions(reader)
    })
  })

  /** Reads the altered copy; every reception equals the original except in `changed` values. */
  async function readAltered(ddl: string, changed: Array<keyof Reception>) {
    const file = alteredCopy(source, ddl)
    return withReader(sqliteConfig(file), async (reader) => {
      const receptions = await readReceptions(reader)
      expect(receptions).to.have.length(original.length)
      const blank = Object.fromEntries(changed.map((k) => [k, 0]))
      for (const [i, r] of receptions.entries()) expect({...r, ...blank}, r.id).to.deep.equal({...original[i], ...blank})
      return {receptions, report: reader.schema.receptions}
    })
  }

  it('without ReceptionCancelReasons: no reason names, the comment still; the cancel reason field stays until the comment goes too', async () => {
    const {receptions, report} = await readAltered('DROP TABLE ReceptionCancelReasons;', ['cancelReason'])
    expect(receptions.every((r) => r.cancelReason === undefined)).to.equal(true)
    expect(receptions.find((r) => r.cancelComment === 'Температура')).to.include({stage: 'cancelled'})
    expect(report.unavailable).to.deep.equal([
      {value: 'cancelReason', missing: ['ReceptionCancelReasons.ID', 'ReceptionCancelReasons.Name']},
    ])
    expect(report.unavailableFields).to.deep.equal([])
    expect(report.warnings).to.include('deals: table ReceptionCancelReasons does not exist')
    const both = await readAltered('DROP TABLE ReceptionCancelReasons; ALTER TABLE Receptions DROP COLUMN CancelReasonComment;', [
      'cancelReason',
      'cancelComment',
    ])
    expect(both.report.unavailableFields).to.deep.equal(['cancel_reason'])
  })

  it("reads IDENT's cancel reason names once each, trimmed; none without the table", async () => {
    const file = alteredCopy(
      source,
      "INSERT INTO ReceptionCancelReasons (ID, Name) VALUES (90, '  Болезнь врача '), (91, ''), (92, NULL), (93, 'Не пришёл на связь');",
    )
    const names = await withReader(sqliteConfig(file), (reader) => reader.readCancelReasonNames())
    expect(names).to.have.members([...CANCEL_REASONS, 'Не пришёл на связь'])
    expect(names).to.have.length(CANCEL_REASONS.length + 1)
    const dropped = alteredCopy(source, 'DROP TABLE ReceptionCancelReasons;')
    expect(await readCancelReasonNames(sqliteConfig(dropped))).to.equal(undefined)
    expect(await readCancelReasonNames(sqliteConfig(source))).to.have.members([...CANCEL_REASONS])
  })

  it('without CheckIssued the ladder skips "paid": a billed visit is done, and db check says the stage is read without it', async () => {
    // A reception marked only by its bill is no visit any more either: first visits move.
    const {receptions, report} = await readAltered('ALTER TABLE Receptions DROP COLUMN CheckIssued;', [
      'stage',
      'identStatus',
      'changedAt',
      'firstVisit',
    ])
    expect(paidVisit(receptions)).to.include({stage: 'done', identStatus: 'Приём завершён'})
    expect(receptions.some((r) => r.stage === 'paid')).to.equal(false)
    expect(report.partial).to.deep.include({value: 'stage', missing: ['Receptions.CheckIssued']})
    expect(report.unavailableFields).to.deep.equal([])
  })

  it('without Armchairs: no chair, and the branch comes from the latest bill', async () => {
    const {receptions, report} = await readAltered('DROP TABLE Armchairs;', ['chair', 'branch'])
    expect(paidVisit(receptions)).to.include({chair: undefined, branch: BRANCH_MAIN})
    expect(report.unavailableFields).to.deep.equal(['chair'])
    expect(report.partial).to.deep.include({value: 'branch', missing: ['Armchairs.ID', 'Armchairs.ID_OwnCompanies']})
  })

  it('without PlanEnd: no end, and a no-show is timed from the start', async () => {
    const {receptions, report} = await readAltered('ALTER TABLE Receptions DROP COLUMN PlanEnd;', ['planEnd', 'stage', 'identStatus'])
    expect(receptions.every((r) => r.planEnd === undefined)).to.equal(true)
    // 09:30:01 + 2 hours is before 12:00: a no-show now, where its end (10:00:01) made it not yet one.
    expect(receptions.find((r) => r.patientId === DEALS && r.planStart === '2026-03-15 09:30:01')!.stage).to.equal('no_show')
    expect(report.unavailableFields).to.deep.equal(['end'])
  })

  it('without the service tables or the bills: no services, no price', async () => {
    const services = await readAltered('DROP TABLE ServiceItems;', ['services'])
    expect(services.receptions.every((r) => r.services === undefined)).to.equal(true)
    expect(services.report.unavailableFields).to.deep.equal(['services'])
    const bills = await readAltered('DROP INDEX IX_Orders_Receptions; ALTER TABLE Orders DROP COLUMN ID_Receptions;', [
      'services',
      'price',
      'branch',
    ])
    expect(bills.report.unavailableFields).to.have.members(['services', 'price'])
    expect(bills.report.undetectedChanges).to.deep.equal(['Orders'])
    expect(paidVisit(bills.receptions).branch).to.equal(paidVisit(original).branch)
  })

  it("without a doctor source the doctor's field is unavailable (the patients' visit history only loses the names)", async () => {
    const {receptions, report} = await readAltered('ALTER TABLE Staffs RENAME COLUMN ID_Persons TO PersonID;', ['doctor'])
    expect(receptions.every((r) => r.doctor === undefined && r.staffId !== undefined)).to.equal(true)
    expect(report.unavailableFields).to.deep.equal(['doctor'])
  })

  it('a missing core column of receptions is fatal only with deals on: it names the column, the rename and DEALS off', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Receptions RENAME COLUMN PlanStart TO PlanBegin;')
    // Deals off: patients are read (without the visit history, which needs PlanStart) …
    const patients = await withReader(sqliteConfig(file), async (reader) => {
      expect(reader.schema.receptions.coreMissing).to.deep.equal(['Receptions.PlanStart'])
      const error = await failure(() => readReceptions(reader))
      expect(error).to.include({code: 'E_IDENT_SCHEMA', exitCode: 1})
      return readAll(reader)
    })
    expect(patients.length).to.be.greaterThan(100)
    // … deals on: the reader does not open.
    const error = await failure(() => openIdent(withDeals(sqliteConfig(file))))
    expect(error).to.include({code: 'E_IDENT_SCHEMA', exitCode: 1})
    expect(error.message).to.equal('the IDENT database lacks what appointments → deals cannot work without: column Receptions.PlanStart')
    expect(error.hint).to.include('ident-amo config set ident.columns.Receptions.PlanStart <its name>')
    expect(error.hint).to.include('ident-amo config set DEALS off')
    const report = await checkIdentDatabase(sqliteConfig(file))
    expect(report.receptions.coreMissing).to.deep.equal(['Receptions.PlanStart'])
    // The rename fixes it.
    const renamed = await withReader(withDeals(sqliteConfig(file, {columns: {Receptions: {PlanStart: 'PlanBegin'}}})), (r) =>
      readReceptions(r),
    )
    expect(renamed).to.deep.equal(original)
  })

  it('reads renamed reception tables and columns through the config, and refuses a rename of something it does not read', async () => {
    const file = alteredCopy(
      source,
      'ALTER TABLE Armchairs RENAME TO Chairs; ALTER TABLE Chairs RENAME COLUMN NameArmchair TO Title; ALTER TABLE ServiceItems RENAME TO Services;',
    )
    const config = sqliteConfig(file, {
      tables: {Armchairs: 'Chairs', ServiceItems: 'Services'},
      columns: {Armchairs: {NameArmchair: 'Title'}},
    })
    expect(await withReader(config, (r) => readReceptions(r))).to.deep.equal(original)
    const typo = await failure(() => openIdent(sqliteConfig(source, {columns: {Armchairs: {Name: 'Title'}}})))
    expect(typo.code).to.equal('E_CONFIG')
    expect(typo.message).to.include('Armchairs.Name is not a column ident-amo reads')
  })

  it('a reception returned twice (a renamed view that repeats rows) is read once, with a warning naming its id', async () => {
    const repeated = Number(paidVisit(original).id)
    const file = alteredCopy(
      source,
      `CREATE VIEW ReceptionsTwice AS SELECT * FROM Receptions UNION ALL SELECT * FROM Receptions WHERE ID = ${repeated};`,
    )
    const warnings: IdentWarning[] = []
    const receptions = await withReader(sqliteConfig(file, {tables: {Receptions: 'ReceptionsTwice'}}), async (reader) => {
      reader.onWarning((w) => warnings.push(w))
      await readReceptions(reader)
      return readReceptions(reader)
    })
    expect(receptions.map((r) => r.id)).to.deep.equal(original.map((r) => r.id))
    expect(warnings).to.deep.equal([
      {
        code: 'duplicate_reception_row',
        patientId: DEALS,
        receptionId: String(repeated),
        message: `IDENT returned reception ${repeated} more than once (a table or view that repeats rows?); the first row is used`,
      },
    ])
  })
})
