import type {ClinicWriter} from './writer.js'

/** A patient written exactly as described (tests with hand-checked expectations, the demo's edits). */
export interface CraftedPatient {
  /** `Persons.ID` = `Patients.ID_Persons`; the next free id when absent. */
  id?: number
  surName?: string | null
  name?: string | null
  patronymic?: string | null
  phone?: string | null
  mobilePhone?: string | null
  email?: string | null
  sex?: number | null
  /** Written as given to `Persons.Birthday` (`ДД.ММ.ГГГГ`, `YYYY-MM-DD`, or anything else on purpose). */
  birthday?: string | null
  inn?: string | null
  snils?: string | null
  patientNumber?: string | null
  cardNumber?: string | null
  comment?: string | null
  firstVisit?: string | null
  status?: number | null
  smsRejection?: boolean
  initialBalance?: number
  /** Archived with this reason (the ArchivingReasons row is created when new). */
  archivingReason?: string
  /** `DateTimeChanged` of the Persons and Patients rows; by default the writer's "now". */
  changedAt?: string
  receptions?: CraftedReception[]
  payments?: CraftedPayment[]
  orders?: CraftedOrder[]
  discountCards?: Array<{percent: number; changedAt: string}>
}

export interface CraftedReception {
  /** `YYYY-MM-DD HH:MM:SS`. */
  planStart: string
  /** `PlanEnd`; not set by default. */
  planEnd?: string
  /** `PatientAppeared` — `true`: at `planStart`; a time: then; absent/false: not set. */
  appeared?: boolean | string
  /** `ReceptionStarted`, like `appeared` (not written in the old shape, which lacks the column). */
  started?: boolean | string
  /** `ReceptionEnded`, like `appeared` (not in the old shape). */
  ended?: boolean | string
  /** `CheckIssued`, like `appeared` (not in the old shape). */
  checkIssued?: boolean | string
  /** `ReceptionCanceled`. */
  canceledAt?: string
  /** `ID_ReceptionCancelReasons`. */
  cancelReason?: number
  /** `CancelReasonComment` (not in the old shape). */
  cancelComment?: string
  /** The chair (`Armchairs`, created when new) and its branch (not in the old shape). */
  chair?: {name: string; branch: string}
  /** Bills of this reception (`Orders.ID_Receptions`). */
  orders?: CraftedReceptionOrder[]
  /** [surname, name, patronymic]; the doctor (a Persons and a Staffs row, or a Staffs row) is created when new. */
  doctor?: readonly [string, string | null, string | null]
  changedAt?: string
}

/** A bill of a reception: what it costs with the discount and (real shape) its services from the price list. */
export interface CraftedReceptionOrder {
  at: string
  amountWithDiscount: number
  branch?: string
  /** Service name, price and count; the price list entry is created for each line. */
  services?: Array<{name: string; price: number; count: number}>
  changedAt?: string
}

export interface CraftedPayment {
  amount: number
  at: string
  /** Branch name (OwnCompanies row created when new). */
  branch?: string
  changedAt?: string
}

export interface CraftedOrder {
  at: string
  amount: number
  /** Defaults to `amount`. */
  amountWithDiscount?: number
  debt?: number
  branch?: string
  changedAt?: string
}

/** Writes one crafted patient with all its rows; `now` is the default `DateTimeChanged`. */
export function writeCraftedPatient(writer: ClinicWriter, patient: CraftedPatient, id: number, now: string): number {
  const changedAt = patient.changedAt ?? now
  writer.addPerson({
    ID: id,
    SurName: patient.surName ?? null,
    Name: patient.name ?? null,
    Patronymic: patient.patronymic ?? null,
    Phone: patient.phone ?? null,
    MobilePhone: patient.mobilePhone ?? null,
    Email: patient.email ?? null,
    Sex: patient.sex ?? null,
    Birthday: patient.birthday ?? null,
    INN: patient.inn ?? null,
    SNILS: patient.snils ?? null,
    DateTimeChanged: changedAt,
  })
  writer.addPatient({
    ID_Persons: id,
    PatientNumber: patient.patientNumber === undefined ? String(id) : patient.patientNumber,
    CardNumber: patient.cardNumber ?? null,
    Comment: patient.comment ?? null,
    FirstVisit: patient.firstVisit ?? null,
    Status: patient.status === undefined ? 1 : patient.status,
    ID_ArchivingReasons: patient.archivingReason === undefined ? null : writer.referenceId('ArchivingReasons', patient.archivingReason),
    SMSRejection: patient.smsRejection ? 1 : 0,
    InitialBalance: patient.initialBalance ?? 0,
    DateTimeChanged: changedAt,
  })
  for (const r of patient.receptions ?? []) writeCraftedReception(writer, id, r, now)
  for (const p of patient.payments ?? []) writeCraftedPayment(writer, id, p, now)
  for (const o of patient.orders ?? []) writeCraftedOrder(writer, id, o, now)
  for (const c of patient.discountCards ?? []) writer.addDiscountCard(id, c.percent, c.changedAt)
  return id
}

export function writeCraftedReception(writer: ClinicWriter, patientId: number, r: CraftedReception, now: string): number {
  const mark = (value: boolean | string | undefined) => (value === true ? r.planStart : typeof value === 'string' ? value : null)
  const id = writer.addReception({
    ID_Patients: patientId,
    ID_Staffs: r.doctor ? writer.doctorId(r.doctor) : null,
    ID_Armchairs:
      r.chair && writer.shape === 'real' ? writer.armchairId(r.chair.name, writer.referenceId('OwnCompanies', r.chair.branch)) : null,
    PlanStart: r.planStart,
    PlanEnd: r.planEnd ?? null,
    PatientAppeared: mark(r.appeared),
    ReceptionStarted: mark(r.started),
    ReceptionEnded: mark(r.ended),
    CheckIssued: mark(r.checkIssued),
    ReceptionCanceled: r.canceledAt ?? null,
    ID_ReceptionCancelReasons: r.cancelReason ?? null,
    CancelReasonComment: r.cancelComment ?? null,
    DateTimeChanged: r.changedAt ?? now,
  })
  for (const o of r.orders ?? []) {
    const lines = o.services ?? []
    // The old shape has no price list: the bill is only its amount there.
    const services =
      writer.shape === 'real'
        ? lines.map((line) => ({priceId: writer.addService(line.name, line.price), count: line.count, discountSum: 0}))
        : []
    const amount = lines.length > 0 ? lines.reduce((sum, line) => sum + line.price * line.count, 0) : o.amountWithDiscount
    writer.addOrder(patientId, id, o.at, o.branch === undefined ? null : writer.referenceId('OwnCompanies', o.branch), o.changedAt ?? now, {
      amount,
      amountWithDiscount: o.amountWithDiscount,
      debt: 0,
      services,
    })
  }
  return id
}

export function writeCraftedPayment(writer: ClinicWriter, patientId: number, p: CraftedPayment, now: string): void {
  writer.addPayment(
    patientId,
    p.amount,
    p.at,
    p.branch === undefined ? null : writer.referenceId('OwnCompanies', p.branch),
    p.changedAt ?? now,
  )
}

export function writeCraftedOrder(writer: ClinicWriter, patientId: number, o: CraftedOrder, now: string): number {
  return writer.addOrder(
    patientId,
    null,
    o.at,
    o.branch === undefined ? null : writer.referenceId('OwnCompanies', o.branch),
    o.changedAt ?? now,
    {
      amount: o.amount,
      amountWithDiscount: o.amountWithDiscount ?? o.amount,
      debt: o.debt ?? 0,
    },
  )
}
