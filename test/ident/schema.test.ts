import path from 'node:path'

import {expect} from 'chai'

import {checkIdentDatabase, openIdent, type Patient, PATIENT_VALUE_SOURCES} from '../../src/ident/index.js'
import {alteredCopy, CRAFTED, craftedClinic, failure, readAll, sqliteConfig, tempDir, withReader} from './helpers.js'

const openError = (config: Parameters<typeof openIdent>[0]) => failure(async () => (await openIdent(config)).close())

describe('ident schema: introspection and renames', () => {
  let source: string
  let original: Patient[]

  before(async () => {
    source = craftedClinic(150).file
    original = await withReader(sqliteConfig(source), (r) => readAll(r))
  })

  it('finds everything in the sample clinic (real shape): doctors named from Persons, no Staffs name columns needed', async () => {
    await withReader(sqliteConfig(source), async (reader) => {
      expect(reader.schema.missing).to.deep.equal([])
      expect(reader.schema.unavailable).to.deep.equal([])
      expect(reader.schema.partial).to.deep.equal([])
      expect(reader.schema.warnings).to.deep.equal([])
      expect(reader.schema.doctors.from).to.equal('Persons')
      const staffs = reader.schema.tables.find((t) => t.table === 'Staffs')!
      expect(staffs.columns.map((c) => [c.column, c.present, c.needed])).to.deep.equal([
        ['ID_Persons', true, true],
        ['ID', false, false],
        ['SurName', false, false],
        ['Name', false, false],
        ['Patronymic', false, false],
      ])
    })
  })

  it('makes the values of a missing assumed column unavailable (undefined), the rest unchanged', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Persons DROP COLUMN MobilePhone; DROP TABLE DiscountCards;')
    const patients = await withReader(sqliteConfig(file), async (reader) => {
      expect(reader.schema.missing).to.include.members([
        'Persons.MobilePhone',
        'DiscountCards.ID_Patients',
        'DiscountCards.DiscountPercent',
        'DiscountCards.DateTimeChanged',
      ])
      expect(reader.schema.unavailable.map((u) => u.value)).to.have.members(['mobilePhone', 'discount'])
      expect(reader.schema.warnings.join('\n')).to.include('mobilePhone is unavailable')
      return readAll(reader)
    })
    expect(patients).to.have.length(original.length)
    for (const [i, p] of patients.entries()) {
      expect(p.mobilePhone).to.equal(undefined)
      expect(p.discount).to.equal(undefined)
      expect({...p, mobilePhone: 0, discount: 0}).to.deep.equal({...original[i], mobilePhone: 0, discount: 0})
    }
  })

  it('db check lists what is missing and which values become unavailable; a missing visit mark narrows the rule', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Persons DROP COLUMN Email; ALTER TABLE Receptions DROP COLUMN CheckIssued;')
    const report = await checkIdentDatabase(sqliteConfig(file))
    expect(report.ok).to.equal(true)
    const persons = report.tables.find((t) => t.table === 'Persons')!
    expect(persons.columns.find((c) => c.column === 'Email')).to.include({present: false, status: 'assumed'})
    expect(persons.columns.find((c) => c.column === 'Phone')).to.include({present: true, status: 'confirmed', type: 'TEXT'})
    expect(report.unavailable).to.deep.equal([{value: 'email', missing: ['Persons.Email']}])
    expect(report.partial).to.deep.equal([
      {value: 'visits', missing: ['Receptions.CheckIssued']},
      {value: 'totalVisits', missing: ['Receptions.CheckIssued']},
    ])
    expect(report.counts.Patients).to.equal(original.length)
    expect(report.clock).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    // The reception marked only by its bill is no longer a visit.
    const marks = await withReader(sqliteConfig(file), (r) => r.readPatient(String(CRAFTED.marks!.id)))
    expect(marks!.totalVisits).to.equal(3)
    expect(marks!.visits!.map((v) => v.at)).to.deep.equal(['2025-04-04 10:00:00', '2025-04-02 10:00:00', '2025-04-01 10:00:00'])
  })

  it('db check counts the birthdays that parse and names a few patients whose birthday does not', async () => {
    const report = await checkIdentDatabase(sqliteConfig(source))
    const birthday = report.scan!.birthday!
    expect(birthday.type).to.equal('TEXT')
    expect(birthday.values).to.equal(birthday.parsed + birthday.unparseable)
    const unparseable = original.filter((p) => typeof p.birthday === 'object' && p.birthday !== null).map((p) => p.id)
    expect(birthday.unparseable).to.equal(unparseable.length)
    expect(birthday.parsed).to.equal(original.filter((p) => typeof p.birthday === 'string').length)
    expect(birthday.examples).to.deep.equal(unparseable.slice(0, 3))
    expect(unparseable).to.include.members([String(CRAFTED.badBirthday!.id), String(CRAFTED.wordBirthday!.id)])
  })

  it('reads doctors named in Staffs in the old shape, and what is left of their names', async () => {
    const old = craftedClinic(20, path.join(tempDir(), 'old.sqlite'), 'old').file
    const file = alteredCopy(old, 'ALTER TABLE Staffs DROP COLUMN Patronymic;')
    const report = await checkIdentDatabase(sqliteConfig(file))
    expect(report.doctors.from).to.equal('Staffs')
    expect(report.tables.find((t) => t.table === 'Staffs')!.columns.find((c) => c.column === 'ID_Persons')).to.include({
      present: false,
      needed: false,
    })
    expect(report.partial.find((p) => p.value === 'visits')!.missing).to.include('Staffs.Patronymic')
    const visits = await withReader(sqliteConfig(file), (r) => r.readPatient(String(CRAFTED.visits!.id)))
    expect(visits!.visits).to.deep.equal([
      {at: '2025-02-10 11:30:00', doctor: 'Ким А.'},
      {at: '2025-01-10 10:00:00', doctor: 'Белова И.'},
    ])
  })

  it('reads Staffs.ID_Persons under another name through the config; without it the history has no doctors', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Staffs RENAME COLUMN ID_Persons TO PersonID;')
    const without = await withReader(sqliteConfig(file), async (reader) => {
      expect(reader.schema.doctors.from).to.equal(null)
      expect(reader.schema.warnings).to.include(reader.schema.doctors.description)
      return reader.readPatient(String(CRAFTED.marks!.id))
    })
    expect(without!.visits!.map((v) => v.doctor)).to.deep.equal([null, null, null, null])
    const renamed = await withReader(sqliteConfig(file, {columns: {Staffs: {ID_Persons: 'PersonID'}}}), (r) => readAll(r))
    expect(renamed).to.deep.equal(original)
  })

  it('stops with a clear error naming a missing core column and how to rename it', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Persons DROP COLUMN SurName;')
    const error = await openError(sqliteConfig(file))
    expect(error.code).to.equal('E_IDENT_SCHEMA')
    expect(error.exitCode).to.equal(1)
    expect(error.message).to.include('Persons.SurName')
    expect(error.hint).to.include('ident-amo config set ident.columns.Persons.SurName')
    const report = await checkIdentDatabase(sqliteConfig(file))
    expect(report.ok).to.equal(false)
    expect(report.coreMissing).to.deep.equal(['Persons.SurName'])
  })

  it('stops when a core table is missing, saying how to rename the table', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Patients RENAME TO Clients;')
    const error = await openError(sqliteConfig(file))
    expect(error.message).to.include('table Patients')
    expect(error.hint).to.include('ident.tables.Patients')
    // …and the rename fixes it.
    const patients = await withReader(sqliteConfig(file, {tables: {Patients: 'Clients'}}), (r) => readAll(r))
    expect(patients).to.deep.equal(original)
  })

  it('reads a renamed column (Persons.MobilePhone called CellPhone) through the config', async () => {
    const file = alteredCopy(source, 'ALTER TABLE Persons RENAME COLUMN MobilePhone TO CellPhone;')
    const without = await withReader(sqliteConfig(file), (r) => readAll(r, {limit: 20}))
    expect(without.every((p) => p.mobilePhone === undefined)).to.equal(true)
    const renamed = await withReader(sqliteConfig(file, {columns: {Persons: {MobilePhone: 'CellPhone'}}}), async (reader) => {
      const persons = reader.schema.tables.find((t) => t.table === 'Persons')!
      expect(persons.columns.find((c) => c.column === 'MobilePhone')).to.include({present: true, renamed: true, name: 'CellPhone'})
      return readAll(reader)
    })
    expect(renamed).to.deep.equal(original)
    expect(renamed.some((p) => typeof p.mobilePhone === 'string')).to.equal(true)
  })

  it('reads a renamed table (OwnCompanies called Branches) through the config', async () => {
    const file = alteredCopy(source, 'ALTER TABLE OwnCompanies RENAME TO Branches;')
    const without = await withReader(sqliteConfig(file), (r) => readAll(r, {limit: 5}))
    expect(without.every((p) => p.branch === undefined)).to.equal(true)
    const renamed = await withReader(sqliteConfig(file, {tables: {OwnCompanies: 'Branches'}}), (r) => readAll(r))
    expect(renamed).to.deep.equal(original)
  })

  it('refuses a rename of something the reader does not read', async () => {
    const error = await openError(sqliteConfig(source, {columns: {Persons: {Mobile: 'CellPhone'}}}))
    expect(error.code).to.equal('E_CONFIG')
    expect(error.message).to.include('Persons.Mobile')
  })

  it('says for every patient value which columns it needs', () => {
    for (const [value, source] of Object.entries(PATIENT_VALUE_SOURCES)) expect(source.requires.length, value).to.be.greaterThan(0)
    expect(PATIENT_VALUE_SOURCES.mobilePhone.requires).to.deep.equal(['Persons.MobilePhone'])
    expect(PATIENT_VALUE_SOURCES.debt.requires).to.include('OrderPaymentsJournal.AmountWithDiscount')
  })
})
