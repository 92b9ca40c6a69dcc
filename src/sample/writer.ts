import type Database from 'better-sqlite3'

/**
 * Which IDENT a sample clinic looks like:
 * - `real`: as real IDENT databases are (docs/ident-schema.md): `Persons.Birthday` text `ДД.ММ.ГГГГ`,
 *   `Staffs(ID_Persons, Archive)` with the doctors' names in Persons, the four visit marks of
 *   Receptions, and the tables deals read (chairs, cancel reasons, services on orders);
 * - `old`: as this tool first assumed: `Persons.Birthday` a date (`YYYY-MM-DD`), `Staffs(ID, SurName,
 *   Name, Patronymic)`, `PatientAppeared` as the only visit mark. Both must sync correctly.
 */
export type ClinicShape = 'real' | 'old'

/**
 * The IDENT tables in the SQLite flavour (integers and bits INTEGER, money and percents REAL, text
 * TEXT, datetimes TEXT `YYYY-MM-DD HH:MM:SS`), with columns the reader does not use too, as a real
 * IDENT has them.
 */
const COMMON_DDL = `
CREATE TABLE Persons (
  ID INTEGER PRIMARY KEY, SurName TEXT, Name TEXT, Patronymic TEXT, Phone TEXT, MobilePhone TEXT, Email TEXT,
  Sex INTEGER, Birthday TEXT, INN TEXT, SNILS TEXT, DateTimeChanged TEXT
);
CREATE TABLE Patients (
  ID_Persons INTEGER PRIMARY KEY REFERENCES Persons(ID), PatientNumber TEXT, CardNumber TEXT, Comment TEXT,
  FirstVisit TEXT, Status INTEGER, ID_ArchivingReasons INTEGER, SMSRejection INTEGER, InitialBalance REAL,
  DateTimeChanged TEXT
);
CREATE TABLE ArchivingReasons (ID INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE OwnCompanies (ID INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE PaymentsIn (
  ID INTEGER PRIMARY KEY, ID_Patients INTEGER, Payment REAL, DateTimePayment TEXT, ID_OwnCompanies INTEGER,
  DateTimeChanged TEXT
);
CREATE TABLE Orders (
  ID INTEGER PRIMARY KEY, ID_Patients INTEGER, ID_Receptions INTEGER, DateTimeOrder TEXT, ID_OwnCompanies INTEGER,
  DateTimeChanged TEXT
);
CREATE TABLE OrderPaymentsJournal (ID_Orders INTEGER PRIMARY KEY, Amount REAL, AmountWithDiscount REAL, Debt REAL);
CREATE TABLE DiscountCards (ID_Patients INTEGER, DiscountPercent REAL, DateTimeChanged TEXT);
`

export const CLINIC_DDL: Record<ClinicShape, string> = {
  real: `${COMMON_DDL}
CREATE TABLE Staffs (ID_Persons INTEGER PRIMARY KEY REFERENCES Persons(ID), Archive INTEGER);
CREATE TABLE Armchairs (ID INTEGER PRIMARY KEY, NameArmchair TEXT, ID_OwnCompanies INTEGER, Archive INTEGER);
CREATE TABLE ReceptionCancelReasons (ID INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE Receptions (
  ID INTEGER PRIMARY KEY, ID_Patients INTEGER, ID_Staffs INTEGER, ID_Armchairs INTEGER, PlanStart TEXT, PlanEnd TEXT,
  PatientAppeared TEXT, ReceptionStarted TEXT, ReceptionEnded TEXT, CheckIssued TEXT, ReceptionCanceled TEXT,
  ID_ReceptionCancelReasons INTEGER, CancelReasonComment TEXT, DateTimeAdded TEXT, DateTimeChanged TEXT
);
CREATE TABLE ServiceItems (ID INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE ServiceItemPrices (ID INTEGER PRIMARY KEY, ID_ServiceItems INTEGER, Price REAL);
CREATE TABLE OrderServiceRelation (ID_Orders INTEGER, ID_ServicePrices INTEGER, CountService INTEGER, DiscountSum REAL);
`,
  old: `${COMMON_DDL}
CREATE TABLE Staffs (ID INTEGER PRIMARY KEY, SurName TEXT, Name TEXT, Patronymic TEXT);
CREATE TABLE Receptions (
  ID INTEGER PRIMARY KEY, ID_Patients INTEGER, ID_Staffs INTEGER, PlanStart TEXT, PlanEnd TEXT,
  PatientAppeared TEXT, ReceptionCanceled TEXT, ID_ReceptionCancelReasons INTEGER, DateTimeChanged TEXT
);
`,
}

/** Indexes a real IDENT has in some form; created after the bulk load, which is faster. */
export const CLINIC_INDEXES = `
CREATE INDEX IX_Receptions_Patients ON Receptions (ID_Patients);
CREATE INDEX IX_Receptions_Changed ON Receptions (DateTimeChanged);
CREATE INDEX IX_PaymentsIn_Patients ON PaymentsIn (ID_Patients);
CREATE INDEX IX_PaymentsIn_Changed ON PaymentsIn (DateTimeChanged);
CREATE INDEX IX_Orders_Patients ON Orders (ID_Patients);
CREATE INDEX IX_Orders_Changed ON Orders (DateTimeChanged);
CREATE INDEX IX_Orders_Receptions ON Orders (ID_Receptions);
CREATE INDEX IX_Patients_Changed ON Patients (DateTimeChanged);
CREATE INDEX IX_Persons_Changed ON Persons (DateTimeChanged);
CREATE INDEX IX_DiscountCards_Patients ON DiscountCards (ID_Patients);
`

/**
 * Staff members are Persons rows too (real shape); theirs are numbered from here so that patients keep
 * the ids 1…N whatever the number of doctors.
 */
export const STAFF_PERSON_IDS_FROM = 1_000_000_001

export interface PersonValues {
  ID: number
  SurName: string | null
  Name: string | null
  Patronymic: string | null
  Phone: string | null
  MobilePhone: string | null
  Email: string | null
  Sex: number | null
  /** As stored: the caller formats it for the shape (or writes garbage on purpose). */
  Birthday: string | null
  INN: string | null
  SNILS: string | null
  DateTimeChanged: string | null
}

export interface PatientValues {
  ID_Persons: number
  PatientNumber: string | null
  CardNumber: string | null
  Comment: string | null
  FirstVisit: string | null
  Status: number | null
  ID_ArchivingReasons: number | null
  SMSRejection: number
  InitialBalance: number
  DateTimeChanged: string | null
}

/** A reception; the columns the clinic's shape lacks (e.g. `CheckIssued` in the old one) are not written. */
export interface ReceptionValues {
  ID_Patients: number
  ID_Staffs: number | null
  ID_Armchairs?: number | null
  PlanStart: string
  PlanEnd: string | null
  PatientAppeared: string | null
  ReceptionStarted?: string | null
  ReceptionEnded?: string | null
  CheckIssued?: string | null
  ReceptionCanceled: string | null
  ID_ReceptionCancelReasons: number | null
  CancelReasonComment?: string | null
  DateTimeAdded?: string | null
  DateTimeChanged: string | null
}

/** One service line of an order (real shape): a price list entry, how many, the discount on the line. */
export interface ServiceLine {
  priceId: number
  count: number
  discountSum: number
}

type Reference = 'OwnCompanies' | 'ArchivingReasons' | 'ReceptionCancelReasons' | 'ServiceItems'

/** Prepared inserts into a clinic file (better-sqlite3, synchronous, inside the caller's transaction). */
export class ClinicWriter {
  readonly shape: ClinicShape
  private readonly person: Database.Statement
  private readonly patient: Database.Statement
  private readonly reception: Database.Statement
  private readonly payment: Database.Statement
  private readonly order: Database.Statement
  private readonly journal: Database.Statement
  private readonly serviceLine: Database.Statement | undefined
  private readonly card: Database.Statement

  constructor(readonly db: Database.Database) {
    const columns = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{name: string}>).map((c) => c.name)
    // An existing file tells its shape by its Staffs table (the demo and tests edit files made earlier).
    this.shape = columns('Staffs').includes('ID_Persons') ? 'real' : 'old'
    const insert = (table: string) => {
      const names = columns(table)
      return db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`)
    }
    this.person = insert('Persons')
    this.patient = insert('Patients')
    // Only the reception columns this shape has; ID is assigned by SQLite.
    const receptionColumns = columns('Receptions').filter((c) => c !== 'ID')
    this.reception = db.prepare(
      `INSERT INTO Receptions (${receptionColumns.join(', ')}) VALUES (${receptionColumns.map((n) => `@${n}`).join(', ')})`,
    )
    this.payment = db.prepare(
      'INSERT INTO PaymentsIn (ID_Patients, Payment, DateTimePayment, ID_OwnCompanies, DateTimeChanged) VALUES (?, ?, ?, ?, ?)',
    )
    this.order = db.prepare(
      'INSERT INTO Orders (ID_Patients, ID_Receptions, DateTimeOrder, ID_OwnCompanies, DateTimeChanged) VALUES (?, ?, ?, ?, ?)',
    )
    this.journal = db.prepare('INSERT INTO OrderPaymentsJournal (ID_Orders, Amount, AmountWithDiscount, Debt) VALUES (?, ?, ?, ?)')
    this.serviceLine =
      this.shape === 'real'
        ? db.prepare('INSERT INTO OrderServiceRelation (ID_Orders, ID_ServicePrices, CountService, DiscountSum) VALUES (?, ?, ?, ?)')
        : undefined
    this.card = db.prepare('INSERT INTO DiscountCards (ID_Patients, DiscountPercent, DateTimeChanged) VALUES (?, ?, ?)')
  }

  addPerson(values: PersonValues): void {
    this.person.run(values)
  }

  addPatient(values: PatientValues): void {
    this.patient.run(values)
  }

  addReception(values: ReceptionValues): number {
    const row = {
      ID_Armchairs: null,
      ReceptionStarted: null,
      ReceptionEnded: null,
      CheckIssued: null,
      CancelReasonComment: null,
      DateTimeAdded: null,
      ...values,
    }
    return Number(this.reception.run(row).lastInsertRowid)
  }

  addPayment(patientId: number, amount: number, at: string, branchId: number | null, changedAt: string | null): void {
    this.payment.run(patientId, amount, at, branchId, changedAt)
  }

  /** An order (bill), its journal row and (real shape) its service lines; returns the order id. */
  addOrder(
    patientId: number,
    receptionId: number | null,
    at: string,
    branchId: number | null,
    changedAt: string | null,
    bill: {amount: number; amountWithDiscount: number; debt: number; services?: ServiceLine[]},
  ): number {
    const id = Number(this.order.run(patientId, receptionId, at, branchId, changedAt).lastInsertRowid)
    this.journal.run(id, bill.amount, bill.amountWithDiscount, bill.debt)
    for (const line of bill.services ?? []) this.serviceLine?.run(id, line.priceId, line.count, line.discountSum)
    return id
  }

  addDiscountCard(patientId: number, percent: number, changedAt: string | null): void {
    this.card.run(patientId, percent, changedAt)
  }

  /** A chair of a branch (real shape); returns its id. */
  addArmchair(name: string, branchId: number): number {
    return Number(
      this.db.prepare('INSERT INTO Armchairs (NameArmchair, ID_OwnCompanies, Archive) VALUES (?, ?, 0)').run(name, branchId)
        .lastInsertRowid,
    )
  }

  /** The chair of this name in a branch (real shape), created when new; returns its id. */
  armchairId(name: string, branchId: number): number {
    const found = this.db.prepare('SELECT ID FROM Armchairs WHERE NameArmchair = ? AND ID_OwnCompanies = ?').get(name, branchId) as
      {ID: number} | undefined
    return found?.ID ?? this.addArmchair(name, branchId)
  }

  /** A service and its price (real shape); returns the price list entry's id (`ServiceItemPrices.ID`). */
  addService(name: string, price: number): number {
    const item = this.referenceId('ServiceItems', name)
    return Number(this.db.prepare('INSERT INTO ServiceItemPrices (ID_ServiceItems, Price) VALUES (?, ?)').run(item, price).lastInsertRowid)
  }

  /** The next free patient id (staff persons excepted). */
  nextPatientId(): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(ID), 0) + 1 AS id FROM Persons WHERE ID < ?').get(STAFF_PERSON_IDS_FROM) as {
      id: number
    }
    return row.id
  }

  /** The doctor of `Receptions.ID_Staffs` by name, created when new (a Persons and a Staffs row, or a Staffs row). */
  doctorId(name: readonly [string, string | null, string | null]): number {
    const [surname, first, patronymic] = name
    if (this.shape === 'old') {
      const found = this.db
        .prepare('SELECT ID FROM Staffs WHERE SurName = ? AND Name IS ? AND Patronymic IS ?')
        .get(surname, first, patronymic) as {ID: number} | undefined
      if (found) return found.ID
      return Number(
        this.db.prepare('INSERT INTO Staffs (SurName, Name, Patronymic) VALUES (?, ?, ?)').run(surname, first, patronymic).lastInsertRowid,
      )
    }
    const found = this.db
      .prepare('SELECT p.ID FROM Staffs s JOIN Persons p ON p.ID = s.ID_Persons WHERE p.SurName = ? AND p.Name IS ? AND p.Patronymic IS ?')
      .get(surname, first, patronymic) as {ID: number} | undefined
    if (found) return found.ID
    const {id} = this.db.prepare('SELECT COALESCE(MAX(ID_Persons) + 1, ?) AS id FROM Staffs').get(STAFF_PERSON_IDS_FROM) as {id: number}
    this.addPerson({
      ID: id,
      SurName: surname,
      Name: first,
      Patronymic: patronymic,
      Phone: null,
      MobilePhone: null,
      Email: null,
      Sex: null,
      Birthday: null,
      INN: null,
      SNILS: null,
      DateTimeChanged: null,
    })
    this.db.prepare('INSERT INTO Staffs (ID_Persons, Archive) VALUES (?, 0)').run(id)
    return id
  }

  /** The name parts of the first doctor, if any. */
  firstDoctor(): [string, string | null, string | null] | undefined {
    const sql =
      this.shape === 'old'
        ? 'SELECT SurName, Name, Patronymic FROM Staffs ORDER BY ID LIMIT 1'
        : 'SELECT p.SurName, p.Name, p.Patronymic FROM Staffs s JOIN Persons p ON p.ID = s.ID_Persons ORDER BY s.ID_Persons LIMIT 1'
    const row = this.db.prepare(sql).get() as {SurName: string; Name: string | null; Patronymic: string | null} | undefined
    return row ? [row.SurName, row.Name, row.Patronymic] : undefined
  }

  /** The id of a row of a small reference table (branch, archive or cancel reason, service), created if new. */
  referenceId(table: Reference, name: string): number {
    const found = this.db.prepare(`SELECT ID FROM ${table} WHERE Name = ?`).get(name) as {ID: number} | undefined
    if (found) return found.ID
    return Number(this.db.prepare(`INSERT INTO ${table} (Name) VALUES (?)`).run(name).lastInsertRowid)
  }

  /** A birthday as this shape stores it: `ДД.ММ.ГГГГ` text (real) or `YYYY-MM-DD` (old). */
  birthdayText(isoDate: string): string {
    if (this.shape === 'old') return isoDate
    const [y, m, d] = isoDate.split('-')
    return `${d}.${m}.${y}`
  }
}
