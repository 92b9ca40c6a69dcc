import type {DealStageKey} from '../fields/deal-catalogue.js'

/**
 * A patient as the IDENT reader delivers it: derived values already computed (docs/ident-schema.md
 * "Derived values"), datetimes as naive local clinic time strings.
 *
 * Value convention for everything that does not come from a core (★) column:
 *   `undefined` — the column (or table) does not exist in this IDENT: the value is unavailable and the
 *                 mapped field is never sent (`PATIENT_VALUE_SOURCES` says which columns each value needs);
 *   `null`      — the column exists and is empty for this patient: the mapped field is cleared.
 * Only `id`, `surname`, `name` and `changedAt` come from core columns and are never `undefined`.
 */
export interface Patient {
  /** `Patients.ID_Persons` as a decimal string. */
  id: string
  surname: string | null
  name: string | null
  patronymic: string | null | undefined
  phone: string | null | undefined
  mobilePhone: string | null | undefined
  email: string | null | undefined
  /** 1 male, 2 female, anything else unknown. */
  sex: number | null | undefined
  /**
   * `YYYY-MM-DD`, read from a date column, ISO text or `ДД.ММ.ГГГГ` text; `UNPARSEABLE` when
   * `Persons.Birthday` holds something else (amoCRM's birthday and age are then left as they are).
   */
  birthday: string | Unparseable | null | undefined
  inn: string | null | undefined
  snils: string | null | undefined
  patientNumber: string | null | undefined
  cardNumber: string | null | undefined
  comment: string | null | undefined
  /** Naive local `YYYY-MM-DD HH:MM:SS`. */
  firstVisit: string | null | undefined
  smsRejection: boolean | undefined
  /** `Patients.ID_ArchivingReasons` is set. */
  archived: boolean | undefined
  /** `ArchivingReasons.Name` when archived (null when active or the reason is unknown). */
  archiveReason: string | null | undefined
  /** Most recent visits first (at most `MAX_VISITS_READ`), see `Visit`. */
  visits: Visit[] | undefined
  /** Number of visits (not only those in `visits`). */
  totalVisits: number | undefined
  branch: string | null | undefined
  /** InitialBalance + payments − billed (with discount), rounded to kopecks. */
  balance: number | undefined
  /** max(balance, 0). */
  advance: number | undefined
  /** max(−balance, 0). */
  debt: number | undefined
  /** Percent 0–100; 0 when there is no card. */
  discount: number | undefined
  /** Latest `DateTimeChanged` over the patient's rows (naive local), for diagnostics. */
  changedAt: string | null
}

/** A value IDENT holds that is not what the column should hold; the value itself is not kept. */
export interface Unparseable {
  unparseable: true
}

export const UNPARSEABLE: Unparseable = Object.freeze({unparseable: true})

export interface Visit {
  /** `Receptions.PlanStart`, naive local `YYYY-MM-DD HH:MM:SS`. */
  at: string
  /** `Фамилия И. О.` of the doctor, null when unknown. */
  doctor: string | null
}

/** How many recent visits the reader brings per patient (enough to fill a 4,000-character field). */
export const MAX_VISITS_READ = 150

/**
 * What the `Статус в IDENT` deal field says (docs/ident-schema.md "Receptions"): the stage key in words,
 * with "came" told apart — `Пришёл` (marked as come, not yet in the chair) and `На приёме` (started).
 */
export const IDENT_STATUSES = ['Записан', 'Пришёл', 'На приёме', 'Приём завершён', 'Счёт выдан', 'Отменён', 'Не пришёл'] as const
export type IdentStatus = (typeof IDENT_STATUSES)[number]

/**
 * A reception (`Receptions` row) as the reception reader delivers it for its deal: derived values
 * computed (docs/ident-schema.md "Receptions"), datetimes as naive local clinic time strings.
 * Same value convention as `Patient`: `undefined` — the columns are missing in this IDENT (the deal
 * field is never sent); `null` — empty for this reception. `id`, `patientId`, `planStart`, `stage`,
 * `identStatus` and `patient` come from core columns and are always there.
 */
export interface Reception {
  /** `Receptions.ID` as a decimal string: the deal's identity. */
  id: string
  /** `Receptions.ID_Patients` as a decimal string. */
  patientId: string
  /** The patient's name parts (`Persons`), for the deal's name; null when the Persons row is missing. */
  patient: {surname: string | null; name: string | null; patronymic: string | null | undefined}
  /** `PlanStart`, naive local `YYYY-MM-DD HH:MM:SS`. */
  planStart: string
  /** `PlanEnd`, naive local. */
  planEnd: string | null | undefined
  /** The stage key of the IDENT state (first rule that applies: cancelled, paid, done, came, no_show, booked). */
  stage: DealStageKey
  identStatus: IdentStatus
  /** `Receptions.ID_Staffs` as a decimal string (the key of `deals.users.<staff id>`). */
  staffId: string | null | undefined
  /** `Фамилия И. О.` of the doctor. */
  doctor: string | null | undefined
  /** `Armchairs.NameArmchair`. */
  chair: string | null | undefined
  /** The chair's branch (`OwnCompanies.Name`), else that of the reception's latest order naming one. */
  branch: string | null | undefined
  /** `Name × count`, one per service billed on the reception's orders, sorted by name; [] without a bill. */
  services: string[] | undefined
  /** Σ `OrderPaymentsJournal.AmountWithDiscount` of the reception's orders in whole rubles; 0 without a bill. */
  price: number | undefined
  /** `ReceptionCancelReasons.Name` when cancelled with a reason; null otherwise. */
  cancelReason: string | null | undefined
  /** `CancelReasonComment` when cancelled; null otherwise. */
  cancelComment: string | null | undefined
  /** No visit of this patient has an earlier `PlanStart`. */
  firstVisit: boolean | undefined
  /** The latest of `DateTimeChanged` and the status datetimes (naive local), for diagnostics. */
  changedAt: string | null
}
