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
