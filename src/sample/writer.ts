import type Database from 'better-sqlite3'

/**
 * The IDENT tables in the SQLite flavour of ident-schema.md (integers and bits INTEGER, money and
 * percents REAL, text TEXT, datetimes TEXT `YYYY-MM-DD HH:MM:SS`, dates TEXT `YYYY-MM-DD`), with the
 * columns of the reference schema — including some the reader does not use, as a real IDENT has them.
 */
export const CLINIC_DDL = `
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
CREATE TABLE Staffs (ID INTEGER PRIMARY KEY, SurName TEXT, Name TEXT, Patronymic TEXT);
CREATE TABLE OwnCompanies (ID INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE Receptions (
  ID INTEGER PRIMARY KEY, ID_Patients INTEGER, ID_Staffs INTEGER, PlanStart TEXT, PlanEnd TEXT,
  PatientAppeared TEXT, ReceptionCanceled TEXT, ID_ReceptionCancelReasons INTEGER, DateTimeChanged TEXT
);
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

/** Indexes a real IDENT has in some form; created after the bulk load, which is faster. */
export const CLINIC_INDEXES = `
CREATE INDEX IX_Receptions_Patients ON Receptions (ID_Patients);
CREATE INDEX IX_Receptions_Changed ON Receptions (DateTimeChanged);
CREATE INDEX IX_PaymentsIn_Patients ON PaymentsIn (ID_Patients);
CREATE INDEX IX_PaymentsIn_Changed ON PaymentsIn (DateTimeChanged);
CREATE INDEX IX_Orders_Patients ON Orders (ID_Patients);
CREATE INDEX IX_Orders_Changed ON Orders (DateTimeChanged);
CREATE INDEX IX_Patients_Changed ON Patients (DateTimeChanged);
CREATE INDEX IX_Persons_Changed ON Persons (DateTimeChanged);
CREATE INDEX IX_DiscountCards_Patients ON DiscountCards (ID_Patients);
`

export interface PersonValues {
  ID: number
  SurName: string | null
  Name: string | null
  Patronymic: string | null
  Phone: string | null
  MobilePhone: string | null
  Email: string | null
  Sex: number | null
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

export interface ReceptionValues {
  ID_Patients: number
  ID_Staffs: number | null
  PlanStart: string
  PlanEnd: string | null
  PatientAppeared: string | null
  ReceptionCanceled: string | null
  ID_ReceptionCancelReasons: number | null
  DateTimeChanged: string | null
}

/** Prepared inserts into a clinic file (better-sqlite3, synchronous, inside the caller's transaction). */
export class ClinicWriter {
  private readonly person: Database.Statement
  private readonly patient: Database.Statement
  private readonly reception: Database.Statement
  private readonly payment: Database.Statement
  private readonly order: Database.Statement
  private readonly journal: Database.Statement
  private readonly card: Database.Statement

  constructor(readonly db: Database.Database) {
    this.person = db.prepare(
      'INSERT INTO Persons (ID, SurName, Name, Patronymic, Phone, MobilePhone, Email, Sex, Birthday, INN, SNILS, DateTimeChanged) VALUES (@ID, @SurName, @Name, @Patronymic, @Phone, @MobilePhone, @Email, @Sex, @Birthday, @INN, @SNILS, @DateTimeChanged)',
    )
    this.patient = db.prepare(
      'INSERT INTO Patients (ID_Persons, PatientNumber, CardNumber, Comment, FirstVisit, Status, ID_ArchivingReasons, SMSRejection, InitialBalance, DateTimeChanged) VALUES (@ID_Persons, @PatientNumber, @CardNumber, @Comment, @FirstVisit, @Status, @ID_ArchivingReasons, @SMSRejection, @InitialBalance, @DateTimeChanged)',
    )
    this.reception = db.prepare(
      'INSERT INTO Receptions (ID_Patients, ID_Staffs, PlanStart, PlanEnd, PatientAppeared, ReceptionCanceled, ID_ReceptionCancelReasons, DateTimeChanged) VALUES (@ID_Patients, @ID_Staffs, @PlanStart, @PlanEnd, @PatientAppeared, @ReceptionCanceled, @ID_ReceptionCancelReasons, @DateTimeChanged)',
    )
    this.payment = db.prepare(
      'INSERT INTO PaymentsIn (ID_Patients, Payment, DateTimePayment, ID_OwnCompanies, DateTimeChanged) VALUES (?, ?, ?, ?, ?)',
    )
    this.order = db.prepare(
      'INSERT INTO Orders (ID_Patients, ID_Receptions, DateTimeOrder, ID_OwnCompanies, DateTimeChanged) VALUES (?, ?, ?, ?, ?)',
    )
    this.journal = db.prepare('INSERT INTO OrderPaymentsJournal (ID_Orders, Amount, AmountWithDiscount, Debt) VALUES (?, ?, ?, ?)')
    this.card = db.prepare('INSERT INTO DiscountCards (ID_Patients, DiscountPercent, DateTimeChanged) VALUES (?, ?, ?)')
  }

  addPerson(values: PersonValues): void {
    this.person.run(values)
  }

  addPatient(values: PatientValues): void {
    this.patient.run(values)
  }

  addReception(values: ReceptionValues): number {
    return Number(this.reception.run(values).lastInsertRowid)
  }

  addPayment(patientId: number, amount: number, at: string, branchId: number | null, changedAt: string | null): void {
    this.payment.run(patientId, amount, at, branchId, changedAt)
  }

  /** An order (bill) and its journal row; returns the order id. */
  addOrder(
    patientId: number,
    receptionId: number | null,
    at: string,
    branchId: number | null,
    changedAt: string | null,
    bill: {amount: number; amountWithDiscount: number; debt: number},
  ): number {
    const id = Number(this.order.run(patientId, receptionId, at, branchId, changedAt).lastInsertRowid)
    this.journal.run(id, bill.amount, bill.amountWithDiscount, bill.debt)
    return id
  }

  addDiscountCard(patientId: number, percent: number, changedAt: string | null): void {
    this.card.run(patientId, percent, changedAt)
  }

  /** The id of a row of a small reference table (staff, branch, archive reason), created if new. */
  referenceId(table: 'OwnCompanies' | 'ArchivingReasons', name: string): number
  referenceId(table: 'Staffs', name: readonly [string, string | null, string | null]): number
  referenceId(
    table: 'OwnCompanies' | 'ArchivingReasons' | 'Staffs',
    name: string | readonly [string, string | null, string | null],
  ): number {
    if (table === 'Staffs') {
      const [surname, first, patronymic] = name as readonly [string, string | null, string | null]
      const found = this.db
        .prepare('SELECT ID FROM Staffs WHERE SurName = ? AND Name IS ? AND Patronymic IS ?')
        .get(surname, first, patronymic) as {ID: number} | undefined
      if (found) return found.ID
      return Number(
        this.db.prepare('INSERT INTO Staffs (SurName, Name, Patronymic) VALUES (?, ?, ?)').run(surname, first, patronymic).lastInsertRowid,
      )
    }
    const found = this.db.prepare(`SELECT ID FROM ${table} WHERE Name = ?`).get(name) as {ID: number} | undefined
    if (found) return found.ID
    return Number(this.db.prepare(`INSERT INTO ${table} (Name) VALUES (?)`).run(name).lastInsertRowid)
  }
}
