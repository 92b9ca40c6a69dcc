import {createHash} from 'node:crypto'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {IDENT_COLUMNS, IDENT_TABLES} from '../../src/ident/index.js'
import {generateClinic, STAFF_PERSON_IDS_FROM} from '../../src/sample/index.js'
import {readAll, sqliteConfig, tempDir, withReader} from './helpers.js'

const NOW = '2026-06-01 12:00:00'

function dump(file: string): string {
  const db = new Database(file, {readonly: true})
  const hash = createHash('sha256')
  for (const table of IDENT_TABLES)
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).raw().all()) hash.update(JSON.stringify(row))
  db.close()
  return hash.digest('hex')
}

describe('sample clinic generator', () => {
  let file: string
  let db: Database.Database
  const rows = <T = Record<string, unknown>>(sql: string) => db.prepare(sql).all() as T[]
  const count = (sql: string) => (db.prepare(sql).get() as {n: number}).n

  before(() => {
    file = generateClinic({patients: 2000, seed: 1, file: path.join(tempDir(), 'clinic.sqlite'), now: NOW}).file
    db = new Database(file, {readonly: true})
  })
  after(() => db.close())

  it('is deterministic for a seed and a now', () => {
    const again = generateClinic({patients: 2000, seed: 1, file: path.join(tempDir(), 'again.sqlite'), now: NOW}).file
    const other = generateClinic({patients: 2000, seed: 2, file: path.join(tempDir(), 'other.sqlite'), now: NOW}).file
    expect(dump(again)).to.equal(dump(file))
    expect(dump(other)).not.to.equal(dump(file))
  })

  it('has every table and column the reader reads in the real shape, typed as the SQLite flavour says', () => {
    const columnsOf = (table: string) => new Set(rows<{name: string}>(`PRAGMA table_info(${table})`).map((c) => c.name))
    for (const table of IDENT_TABLES) {
      const columns = columnsOf(table)
      for (const column of Object.keys(IDENT_COLUMNS[table])) {
        // Real IDENT: Staffs(ID_Persons, Archive), the doctors' names in Persons.
        const expected = table !== 'Staffs' || column === 'ID_Persons'
        expect(columns.has(column), `${table}.${column}`).to.equal(expected)
      }
    }
    expect([...columnsOf('Staffs')]).to.deep.equal(['ID_Persons', 'Archive'])
    const types = new Map(rows<{name: string; type: string}>('PRAGMA table_info(Patients)').map((c) => [c.name, c.type]))
    expect([types.get('ID_Persons'), types.get('InitialBalance'), types.get('FirstVisit'), types.get('SMSRejection')]).to.deep.equal([
      'INTEGER',
      'REAL',
      'TEXT',
      'INTEGER',
    ])
    for (const column of ['PlanStart', 'PatientAppeared', 'ReceptionStarted', 'ReceptionEnded', 'CheckIssued', 'ReceptionCanceled'])
      expect(
        count(
          `SELECT COUNT(*) AS n FROM Receptions WHERE ${column} IS NOT NULL AND ${column} NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]'`,
        ),
        column,
      ).to.equal(0)
  })

  it('keeps birthdays as text ДД.ММ.ГГГГ like real IDENT: a few with spaces around, a few that are no date at all', () => {
    const dotted = "'[0-3][0-9].[01][0-9].[12][0-9][0-9][0-9]'"
    const all = count("SELECT COUNT(*) AS n FROM Persons p JOIN Patients pa ON pa.ID_Persons = p.ID WHERE TRIM(Birthday) <> ''")
    expect(count(`SELECT COUNT(*) AS n FROM Persons WHERE Birthday GLOB ${dotted}`) / all).to.be.greaterThan(0.95)
    expect(count(`SELECT COUNT(*) AS n FROM Persons WHERE Birthday <> TRIM(Birthday) AND TRIM(Birthday) GLOB ${dotted}`)).to.be.greaterThan(
      5,
    )
    expect(count(`SELECT COUNT(*) AS n FROM Persons WHERE TRIM(Birthday) <> '' AND TRIM(Birthday) NOT GLOB ${dotted}`)).to.be.within(1, 30)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE Birthday = ''")).to.be.greaterThan(3)
  })

  it('names the doctors in Persons through Staffs.ID_Persons; they are no patients', () => {
    const doctors = rows<{ID: number; SurName: string}>('SELECT p.ID, p.SurName FROM Staffs s JOIN Persons p ON p.ID = s.ID_Persons')
    expect(doctors).to.have.length(12)
    expect(doctors.map((d) => d.ID).every((id) => id >= STAFF_PERSON_IDS_FROM)).to.equal(true)
    expect(count('SELECT COUNT(*) AS n FROM Patients WHERE ID_Persons IN (SELECT ID_Persons FROM Staffs)')).to.equal(0)
    expect(count('SELECT COUNT(*) AS n FROM Receptions WHERE ID_Staffs NOT IN (SELECT ID_Persons FROM Staffs)')).to.equal(0)
  })

  it('marks visits as staff do: some without "пришёл", with only a start, an end or a bill', () => {
    const visit = 'ReceptionCanceled IS NULL AND ID_ReceptionCancelReasons IS NULL'
    expect(
      count(
        `SELECT COUNT(*) AS n FROM Receptions WHERE ${visit} AND PatientAppeared IS NULL AND (ReceptionStarted IS NOT NULL OR ReceptionEnded IS NOT NULL)`,
      ),
    ).to.be.greaterThan(200)
    expect(
      count(
        `SELECT COUNT(*) AS n FROM Receptions WHERE ${visit} AND CheckIssued IS NOT NULL AND PatientAppeared IS NULL AND ReceptionStarted IS NULL AND ReceptionEnded IS NULL`,
      ),
    ).to.be.greaterThan(20)
    // A bill is issued for a reception that has an order; every order belongs to a reception.
    expect(
      count(
        'SELECT COUNT(*) AS n FROM Receptions r WHERE CheckIssued IS NOT NULL AND NOT EXISTS (SELECT 1 FROM Orders o WHERE o.ID_Receptions = r.ID)',
      ),
    ).to.equal(0)
    expect(count('SELECT COUNT(*) AS n FROM Orders WHERE ID_Receptions IS NULL')).to.equal(0)
  })

  it('has what deals will read: cancel reasons, chairs of branches, services on every bill adding up to it', () => {
    expect(count('SELECT COUNT(*) AS n FROM ReceptionCancelReasons')).to.equal(4)
    expect(
      count('SELECT COUNT(*) AS n FROM Receptions WHERE ID_ReceptionCancelReasons NOT IN (SELECT ID FROM ReceptionCancelReasons)'),
    ).to.equal(0)
    expect(count('SELECT COUNT(*) AS n FROM Receptions WHERE CancelReasonComment IS NOT NULL')).to.be.greaterThan(20)
    expect(count('SELECT COUNT(DISTINCT ID_OwnCompanies) AS n FROM Armchairs')).to.equal(3)
    expect(count('SELECT COUNT(*) AS n FROM Receptions WHERE ID_Armchairs NOT IN (SELECT ID FROM Armchairs)')).to.equal(0)
    expect(
      count(`SELECT COUNT(*) AS n FROM Receptions WHERE PlanStart > '${NOW}' AND PlanStart < date('${NOW}', '+30 days')`),
    ).to.be.greaterThan(50)
    const bills = rows<{amount: number; withDiscount: number; gross: number; discounts: number; lines: number}>(`
      SELECT j.Amount AS amount, j.AmountWithDiscount AS withDiscount, SUM(p.Price * s.CountService) AS gross,
             SUM(s.DiscountSum) AS discounts, COUNT(*) AS lines
      FROM Orders o JOIN OrderPaymentsJournal j ON j.ID_Orders = o.ID
      JOIN OrderServiceRelation s ON s.ID_Orders = o.ID JOIN ServiceItemPrices p ON p.ID = s.ID_ServicePrices
      GROUP BY o.ID`)
    expect(bills).to.have.length(count('SELECT COUNT(*) AS n FROM Orders'))
    for (const b of bills) {
      expect(b.gross).to.be.closeTo(b.amount, 0.001)
      expect(b.amount - b.discounts).to.be.closeTo(b.withDiscount, 0.011)
    }
    expect(bills.filter((b) => b.discounts > 0).length).to.be.greaterThan(50)
    expect(count('SELECT COUNT(*) AS n FROM ServiceItems')).to.equal(count('SELECT COUNT(*) AS n FROM ServiceItemPrices'))
  })

  it("has a day at the clinic around now: patients in the chair and waiting, a no-show by time and one whose grace runs, today's bills", () => {
    const today = `PlanStart >= datetime('${NOW}', '-1 day') AND PlanStart <= datetime('${NOW}', '+1 day')`
    const open = 'ReceptionCanceled IS NULL AND ID_ReceptionCancelReasons IS NULL'
    const unmarked = `${open} AND PatientAppeared IS NULL AND ReceptionStarted IS NULL AND ReceptionEnded IS NULL AND CheckIssued IS NULL`
    const kinds = {
      inChair: `${open} AND ReceptionStarted IS NOT NULL AND ReceptionEnded IS NULL AND PlanStart <= '${NOW}' AND PlanEnd > '${NOW}'`,
      waiting: `${open} AND PatientAppeared < '${NOW}' AND ReceptionStarted IS NULL AND PlanStart > '${NOW}'`,
      noShow: `${unmarked} AND datetime(PlanEnd, '+2 hours') <= '${NOW}'`,
      graceRunning: `${unmarked} AND PlanEnd <= '${NOW}' AND datetime(PlanEnd, '+2 hours') > '${NOW}'`,
      paid: `${open} AND CheckIssued IS NOT NULL AND ID IN (SELECT o.ID_Receptions FROM Orders o JOIN OrderServiceRelation s ON s.ID_Orders = o.ID)`,
      cancelled: `ReceptionCanceled IS NOT NULL AND ID_ReceptionCancelReasons IS NOT NULL AND CancelReasonComment IS NOT NULL`,
      booked: `${unmarked} AND PlanStart > '${NOW}'`,
    }
    // 2,000 patients: six rounds of the day's eight receptions.
    for (const [kind, where] of Object.entries(kinds))
      expect(count(`SELECT COUNT(*) AS n FROM Receptions WHERE ${today} AND ${where}`), kind).to.be.at.least(6)
    for (const column of ['PatientAppeared', 'ReceptionStarted', 'ReceptionEnded', 'CheckIssued', 'ReceptionCanceled'])
      expect(count(`SELECT COUNT(*) AS n FROM Receptions WHERE ${column} >= '${NOW}'`), column).to.equal(0)
  })

  it('has Russian names with ё, hyphenated surnames, empty parts and one patient with no name at all', () => {
    expect(
      count("SELECT COUNT(*) AS n FROM Persons WHERE SurName LIKE '%ё%' OR Name LIKE '%ё%' OR Patronymic LIKE '%ё%'"),
    ).to.be.greaterThan(20)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE SurName LIKE '%-%'")).to.be.greaterThan(10)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE Patronymic = '' OR Patronymic IS NULL")).to.be.greaterThan(10)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE TRIM(SurName) = '' AND Name = '' AND Patronymic = ''")).to.equal(1)
    expect(
      rows<{SurName: string}>("SELECT SurName FROM Persons WHERE SurName LIKE '%-%ова-%' OR SurName LIKE '%ова-%ова'").length,
    ).to.be.greaterThan(0)
  })

  it('types phones in every format, with landlines, garbage, and families sharing a number', () => {
    const phones = rows<{Phone: string | null; MobilePhone: string | null}>('SELECT Phone, MobilePhone FROM Persons')
    const all = phones.flatMap((p) => [p.Phone, p.MobilePhone]).filter((x): x is string => x !== null)
    const formats: Array<[string, RegExp]> = [
      ['8 (925) 123-45-67', /^8 \(\d{3}\) \d{3}-\d{2}-\d{2}$/],
      ['+7 925 1234567', /^\+7 \d{3} \d{7}$/],
      ['9251234567', /^9\d{9}$/],
      ['8-925-123-45-67', /^8-\d{3}-\d{3}-\d{2}-\d{2}$/],
      ['landline 8 (495) 123-45-67', /^8 \(49[589]\) \d{3}-\d{2}-\d{2}$/],
      ['garbage', /^(нет|123|-)$/],
    ]
    for (const [name, pattern] of formats) expect(all.filter((p) => pattern.test(p)).length, name).to.be.greaterThan(3)
    expect(phones.filter((p) => p.Phone && p.MobilePhone).length).to.be.greaterThan(100)
    // Families: the same number (however typed) on several patients.
    const digits = phones.map((p) => (p.Phone ?? '').replace(/\D/g, '').slice(-10)).filter((d) => d.length === 10)
    const seen = new Map<string, number>()
    for (const d of digits) seen.set(d, (seen.get(d) ?? 0) + 1)
    const sharing = digits.filter((d) => seen.get(d)! > 1).length / 2000
    expect(sharing).to.be.within(0.05, 0.2)
  })

  it('has emails in several cases and empty, sexes 1/2/other, birthdays before 1970 and missing, INN and SNILS both ways', () => {
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE Email = UPPER(Email) AND Email LIKE '%@%'")).to.be.greaterThan(10)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE Email = ''")).to.be.greaterThan(10)
    expect(count('SELECT COUNT(DISTINCT COALESCE(Sex, -1)) AS n FROM Persons')).to.equal(4)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE SUBSTR(TRIM(Birthday), 7, 4) < '1970'")).to.be.greaterThan(300)
    expect(count('SELECT COUNT(*) AS n FROM Persons WHERE Birthday IS NULL')).to.be.greaterThan(20)
    expect(
      count("SELECT COUNT(*) AS n FROM Persons WHERE SNILS GLOB '[0-9][0-9][0-9]-[0-9][0-9][0-9]-[0-9][0-9][0-9] [0-9][0-9]'"),
    ).to.be.greaterThan(100)
    expect(count("SELECT COUNT(*) AS n FROM Persons WHERE LENGTH(SNILS) = 11 AND SNILS NOT GLOB '*[^0-9]*'")).to.be.greaterThan(100)
    expect(count('SELECT COUNT(*) AS n FROM Persons WHERE LENGTH(INN) = 12')).to.be.greaterThan(300)
  })

  it('has archived patients, long comments and recent changes', () => {
    expect(count('SELECT COUNT(*) AS n FROM Patients p JOIN ArchivingReasons a ON a.ID = p.ID_ArchivingReasons')).to.be.greaterThan(30)
    expect(count('SELECT COUNT(*) AS n FROM Patients WHERE LENGTH(Comment) > 5000')).to.be.at.least(2)
    for (const table of ['Patients', 'Persons', 'Receptions', 'PaymentsIn', 'Orders'])
      expect(count(`SELECT COUNT(*) AS n FROM ${table} WHERE DateTimeChanged >= '${NOW}'`), table).to.equal(0)
    expect(count("SELECT COUNT(*) AS n FROM Patients WHERE DateTimeChanged >= '2026-05-01'")).to.be.greaterThan(100)
  })

  it('has past, future and cancelled (both ways) appointments, debtors, advances and discount cards', async () => {
    expect(count(`SELECT COUNT(*) AS n FROM Receptions WHERE PlanStart > '${NOW}' AND PatientAppeared IS NULL`)).to.be.greaterThan(100)
    expect(
      count('SELECT COUNT(*) AS n FROM Receptions WHERE ReceptionCanceled IS NOT NULL AND ID_ReceptionCancelReasons IS NULL'),
    ).to.be.greaterThan(50)
    expect(
      count('SELECT COUNT(*) AS n FROM Receptions WHERE ReceptionCanceled IS NULL AND ID_ReceptionCancelReasons IS NOT NULL'),
    ).to.be.greaterThan(50)
    expect(
      count('SELECT COUNT(*) AS n FROM Receptions WHERE PatientAppeared IS NOT NULL AND ID_ReceptionCancelReasons IS NOT NULL'),
    ).to.be.greaterThan(0)
    expect(count('SELECT COUNT(*) AS n FROM DiscountCards')).to.be.greaterThan(200)
    const patients = await withReader(sqliteConfig(file), (r) => readAll(r))
    expect(patients.filter((p) => p.debt! > 0).length).to.be.greaterThan(50)
    expect(patients.filter((p) => p.advance! > 0).length).to.be.greaterThan(50)
    expect(patients.filter((p) => p.discount! > 0).length).to.be.greaterThan(200)
    expect(new Set(patients.map((p) => p.branch)).size).to.equal(4)
  })

  it('in the old shape: birthdays as dates, doctors named in Staffs, PatientAppeared the only mark', () => {
    const old = new Database(
      generateClinic({patients: 300, seed: 1, file: path.join(tempDir(), 'old.sqlite'), now: NOW, shape: 'old'}).file,
      {readonly: true},
    )
    try {
      const columns = (table: string) => (old.prepare(`PRAGMA table_info(${table})`).all() as Array<{name: string}>).map((c) => c.name)
      expect(columns('Staffs')).to.deep.equal(['ID', 'SurName', 'Name', 'Patronymic'])
      expect(columns('Receptions')).not.to.include.members(['ReceptionStarted'])
      expect(columns('Receptions')).not.to.include.members(['CheckIssued'])
      const birthdays = old.prepare('SELECT Birthday FROM Persons WHERE Birthday IS NOT NULL').all() as Array<{Birthday: string}>
      expect(birthdays.length).to.be.greaterThan(250)
      for (const {Birthday} of birthdays) expect(Birthday).to.match(/^\d{4}-\d{2}-\d{2}$/)
      expect((old.prepare('SELECT COUNT(*) AS n FROM Staffs').get() as {n: number}).n).to.equal(12)
      expect((old.prepare('SELECT COUNT(*) AS n FROM Persons WHERE ID >= ?').get(STAFF_PERSON_IDS_FROM) as {n: number}).n).to.equal(0)
    } finally {
      old.close()
    }
  })

  it('adds crafted patients after the random ones', () => {
    const clinic = generateClinic({
      patients: 3,
      seed: 1,
      file: path.join(tempDir(), 'crafted.sqlite'),
      now: NOW,
      crafted: [{surName: 'А'}, {id: 50, surName: 'Б'}, {surName: 'В'}],
    })
    expect(clinic.craftedIds).to.deep.equal([4, 50, 51])
    expect(clinic.counts.patients).to.equal(6)
  })
})
