import type {IdentRenames} from '../config/index.js'
import {AppError, ConfigError} from '../errors.js'
import type {DealFieldKey} from '../fields/deal-catalogue.js'
import type {Patient, Reception} from './types.js'

/**
 * How sure we are that a column exists in a real IDENT (docs/ident-schema.md): `core` (★) columns are
 * required — without them there is no patient to read; `confirmed` ones were seen in real databases;
 * `assumed` ones are our best knowledge. A missing non-core column makes the values that depend on it
 * unavailable (`undefined`), never a crash.
 */
export type ColumnStatus = 'core' | 'confirmed' | 'assumed'

/** Every table and column the reader uses, with its status (docs/ident-schema.md "Tables"). */
export const IDENT_COLUMNS = {
  Persons: {
    ID: 'core',
    SurName: 'core',
    Name: 'core',
    Patronymic: 'confirmed',
    Phone: 'confirmed',
    MobilePhone: 'confirmed',
    Email: 'assumed',
    Sex: 'assumed',
    Birthday: 'confirmed',
    INN: 'assumed',
    SNILS: 'assumed',
    DateTimeChanged: 'assumed',
  },
  Patients: {
    ID_Persons: 'core',
    PatientNumber: 'confirmed',
    CardNumber: 'confirmed',
    Comment: 'confirmed',
    FirstVisit: 'confirmed',
    ID_ArchivingReasons: 'confirmed',
    SMSRejection: 'confirmed',
    InitialBalance: 'confirmed',
    DateTimeChanged: 'core',
  },
  ArchivingReasons: {ID: 'assumed', Name: 'assumed'},
  // Real IDENT: Staffs(ID_Persons, …), the doctor named by Persons. The older assumption — Staffs keyed
  // by ID with name columns of its own — is still read when that is what a database has.
  Staffs: {ID_Persons: 'confirmed', ID: 'assumed', SurName: 'assumed', Name: 'assumed', Patronymic: 'assumed'},
  OwnCompanies: {ID: 'assumed', Name: 'assumed'},
  Receptions: {
    ID: 'confirmed',
    ID_Patients: 'confirmed',
    ID_Staffs: 'confirmed',
    PlanStart: 'confirmed',
    PatientAppeared: 'confirmed',
    ReceptionStarted: 'confirmed',
    ReceptionEnded: 'confirmed',
    CheckIssued: 'confirmed',
    ReceptionCanceled: 'confirmed',
    ID_ReceptionCancelReasons: 'confirmed',
    DateTimeChanged: 'confirmed',
  },
  PaymentsIn: {
    ID: 'confirmed',
    ID_Patients: 'confirmed',
    Payment: 'confirmed',
    DateTimePayment: 'confirmed',
    ID_OwnCompanies: 'confirmed',
    DateTimeChanged: 'confirmed',
  },
  Orders: {
    ID: 'confirmed',
    ID_Patients: 'confirmed',
    DateTimeOrder: 'confirmed',
    ID_OwnCompanies: 'confirmed',
    DateTimeChanged: 'confirmed',
  },
  OrderPaymentsJournal: {ID_Orders: 'confirmed', AmountWithDiscount: 'confirmed'},
  DiscountCards: {ID_Patients: 'assumed', DiscountPercent: 'assumed', DateTimeChanged: 'assumed'},
} as const satisfies Record<string, Record<string, ColumnStatus>>

/**
 * Every table and column the reception reader (appointments → deals) uses, with its status for deals
 * (docs/ident-schema.md "Receptions"): without a `core` column no reception can be read — a fatal error
 * only when deals are on. The patient's and the doctor's names come from Persons and Staffs as above.
 */
export const RECEPTION_COLUMNS = {
  // What the patients' visits read of a reception, its own core, and more.
  Receptions: {
    ...IDENT_COLUMNS.Receptions,
    ID: 'core',
    ID_Patients: 'core',
    PlanStart: 'core',
    PlanEnd: 'confirmed',
    CancelReasonComment: 'confirmed',
    ID_Armchairs: 'confirmed',
  },
  ReceptionCancelReasons: {ID: 'assumed', Name: 'assumed'},
  Armchairs: {ID: 'confirmed', NameArmchair: 'confirmed', ID_OwnCompanies: 'confirmed'},
  OwnCompanies: IDENT_COLUMNS.OwnCompanies,
  Orders: {
    ID: 'confirmed',
    ID_Receptions: 'confirmed',
    DateTimeOrder: 'confirmed',
    ID_OwnCompanies: 'confirmed',
    DateTimeChanged: 'confirmed',
  },
  OrderPaymentsJournal: IDENT_COLUMNS.OrderPaymentsJournal,
  OrderServiceRelation: {ID_Orders: 'confirmed', ID_ServicePrices: 'confirmed', CountService: 'confirmed'},
  ServiceItemPrices: {ID: 'confirmed', ID_ServiceItems: 'confirmed'},
  ServiceItems: {ID: 'confirmed', Name: 'confirmed'},
} as const satisfies Record<string, Record<string, ColumnStatus>>

/** Which reader a table list or report belongs to: each has its own columns and its own core. */
type ColumnMap = Readonly<Record<string, Readonly<Record<string, ColumnStatus>>>>
type ColumnsIn<M, T> = T extends keyof M ? keyof M[T] & string : never

export type IdentTable = keyof typeof IDENT_COLUMNS | keyof typeof RECEPTION_COLUMNS
/** The columns of one of our tables (read by either reader). */
export type ColumnOf<T extends IdentTable> = ColumnsIn<typeof IDENT_COLUMNS, T> | ColumnsIn<typeof RECEPTION_COLUMNS, T>
/** The tables of the patient reader. */
export const IDENT_TABLES = Object.keys(IDENT_COLUMNS) as Array<keyof typeof IDENT_COLUMNS>
/** The tables of the reception reader. */
export const RECEPTION_TABLES = Object.keys(RECEPTION_COLUMNS) as Array<keyof typeof RECEPTION_COLUMNS>
/** Every table either reader reads: what the config may rename, what introspection looks for. */
export const READ_TABLES: IdentTable[] = [...new Set<IdentTable>([...IDENT_TABLES, ...RECEPTION_TABLES])]
/** `Table.Column` in our (IDENT reference) names. */
export type ColumnRef = {[T in IdentTable]: `${T}.${ColumnOf<T>}`}[IdentTable]

/** Every column of a table either reader reads. */
function columnsRead(table: IdentTable): string[] {
  const maps: ColumnMap[] = [IDENT_COLUMNS, RECEPTION_COLUMNS]
  return [...new Set(maps.flatMap((map) => Object.keys(map[table] ?? {})))]
}

/** Every value of `Patient`. */
export type PatientValue = keyof Patient

export interface ValueSource {
  /** All of these must exist, or the value is unavailable. */
  requires: readonly ColumnRef[]
  /** At least one of these groups must exist entirely (e.g. the branch: from orders, else from payments). */
  anyOf?: ReadonlyArray<readonly ColumnRef[]>
  /** Used when present; without them the value is still delivered, less complete. */
  optional?: readonly ColumnRef[]
}

/** A reception counts only when not cancelled either way. */
const NOT_CANCELLED: ColumnRef[] = ['Receptions.ReceptionCanceled', 'Receptions.ID_ReceptionCancelReasons']
/** Any of these set makes a reception a visit (staff do not always press "пришёл"); a missing one narrows the rule. */
export const VISIT_MARKS = [
  'Receptions.PatientAppeared',
  'Receptions.ReceptionStarted',
  'Receptions.ReceptionEnded',
  'Receptions.CheckIssued',
] as const satisfies readonly ColumnRef[]
const VISIT_FILTER: ColumnRef[] = ['Receptions.ID_Patients', ...NOT_CANCELLED]
const ANY_VISIT_MARK = VISIT_MARKS.map((mark) => [mark])
const BALANCE: ColumnRef[] = [
  'Patients.InitialBalance',
  'PaymentsIn.ID_Patients',
  'PaymentsIn.Payment',
  'Orders.ID',
  'Orders.ID_Patients',
  'OrderPaymentsJournal.ID_Orders',
  'OrderPaymentsJournal.AmountWithDiscount',
]
/**
 * Where a patient's rows may have changed (docs/ident-schema.md "changed since W"): each table's
 * `DateTimeChanged`, and for receptions also the status datetimes, which IDENT may set without
 * touching `DateTimeChanged`.
 */
export const CHANGE_SOURCES = [
  {table: 'Patients', id: 'Patients.ID_Persons', changed: 'Patients.DateTimeChanged', statuses: []},
  {table: 'Persons', id: 'Persons.ID', changed: 'Persons.DateTimeChanged', statuses: []},
  {
    table: 'Receptions',
    id: 'Receptions.ID_Patients',
    changed: 'Receptions.DateTimeChanged',
    statuses: [...VISIT_MARKS, 'Receptions.ReceptionCanceled'],
  },
  {table: 'PaymentsIn', id: 'PaymentsIn.ID_Patients', changed: 'PaymentsIn.DateTimeChanged', statuses: []},
  {table: 'Orders', id: 'Orders.ID_Patients', changed: 'Orders.DateTimeChanged', statuses: []},
] as const satisfies ReadonlyArray<{table: IdentTable; id: ColumnRef; changed: ColumnRef; statuses: readonly ColumnRef[]}>

/** Where a reception's doctor is named, in order of preference (docs/ident-schema.md "doctor"). */
export const DOCTOR_SOURCES = [
  {
    from: 'Persons',
    // Receptions.ID_Staffs holds Staffs.ID_Persons: the doctor is that Persons row.
    link: ['Receptions.ID_Staffs', 'Staffs.ID_Persons'],
    names: ['Persons.SurName', 'Persons.Name', 'Persons.Patronymic'],
  },
  {
    from: 'Staffs',
    link: ['Receptions.ID_Staffs', 'Staffs.ID'],
    names: ['Staffs.SurName', 'Staffs.Name', 'Staffs.Patronymic'],
  },
] as const satisfies ReadonlyArray<{from: IdentTable; link: readonly ColumnRef[]; names: readonly ColumnRef[]}>

export type DoctorSource = (typeof DOCTOR_SOURCES)[number]

/**
 * The one source of truth for which IDENT columns each patient value comes from: the reader selects
 * by it, `db check` reports by it, and the field mapping learns from it which fields are unavailable.
 */
export const PATIENT_VALUE_SOURCES: Readonly<Record<PatientValue, ValueSource>> = {
  id: {requires: ['Patients.ID_Persons', 'Persons.ID']},
  surname: {requires: ['Persons.SurName']},
  name: {requires: ['Persons.Name']},
  patronymic: {requires: ['Persons.Patronymic']},
  phone: {requires: ['Persons.Phone']},
  mobilePhone: {requires: ['Persons.MobilePhone']},
  email: {requires: ['Persons.Email']},
  sex: {requires: ['Persons.Sex']},
  birthday: {requires: ['Persons.Birthday']},
  inn: {requires: ['Persons.INN']},
  snils: {requires: ['Persons.SNILS']},
  patientNumber: {requires: ['Patients.PatientNumber']},
  cardNumber: {requires: ['Patients.CardNumber']},
  comment: {requires: ['Patients.Comment']},
  firstVisit: {requires: ['Patients.FirstVisit']},
  smsRejection: {requires: ['Patients.SMSRejection']},
  archived: {requires: ['Patients.ID_ArchivingReasons']},
  archiveReason: {requires: ['Patients.ID_ArchivingReasons', 'ArchivingReasons.ID', 'ArchivingReasons.Name']},
  // The doctors' names are optional too; where they come from is decided by `DOCTOR_SOURCES`.
  visits: {requires: [...VISIT_FILTER, 'Receptions.PlanStart'], anyOf: ANY_VISIT_MARK, optional: ['Receptions.ID']},
  totalVisits: {requires: VISIT_FILTER, anyOf: ANY_VISIT_MARK},
  branch: {
    requires: ['OwnCompanies.ID', 'OwnCompanies.Name'],
    anyOf: [
      ['Orders.ID_Patients', 'Orders.DateTimeOrder', 'Orders.ID_OwnCompanies'],
      ['PaymentsIn.ID_Patients', 'PaymentsIn.DateTimePayment', 'PaymentsIn.ID_OwnCompanies'],
    ],
    optional: ['Orders.ID', 'PaymentsIn.ID'],
  },
  balance: {requires: BALANCE},
  advance: {requires: BALANCE},
  debt: {requires: BALANCE},
  discount: {requires: ['DiscountCards.ID_Patients', 'DiscountCards.DiscountPercent', 'DiscountCards.DateTimeChanged']},
  // The status columns count too when present; without them only their own column warnings are said.
  changedAt: {requires: ['Patients.DateTimeChanged'], optional: CHANGE_SOURCES.flatMap((s) => [s.id, s.changed])},
}

export const PATIENT_VALUES = Object.keys(PATIENT_VALUE_SOURCES) as PatientValue[]

/** Every value of `Reception`. */
export type ReceptionValue = keyof Reception

/** The columns of the stage ladder (docs/ident-schema.md "Receptions"): a missing one skips its rule. */
const STATUS_LADDER: ColumnRef[] = [
  ...NOT_CANCELLED,
  'Receptions.CheckIssued',
  'Receptions.ReceptionEnded',
  'Receptions.ReceptionStarted',
  'Receptions.PatientAppeared',
]
/** A reception's orders (bills). */
const ORDERS_OF_RECEPTION: ColumnRef[] = ['Orders.ID', 'Orders.ID_Receptions']

/** Which IDENT columns each reception value comes from: the reception reader, `db check` and the deals mapping read it. */
export const RECEPTION_VALUE_SOURCES: Readonly<Record<ReceptionValue, ValueSource>> = {
  id: {requires: ['Receptions.ID']},
  patientId: {requires: ['Receptions.ID_Patients']},
  patient: {requires: ['Persons.ID', 'Persons.SurName', 'Persons.Name'], optional: ['Persons.Patronymic']},
  planStart: {requires: ['Receptions.PlanStart']},
  planEnd: {requires: ['Receptions.PlanEnd']},
  // Without PlanEnd a no-show is timed from PlanStart.
  stage: {requires: ['Receptions.PlanStart'], optional: [...STATUS_LADDER, 'Receptions.PlanEnd']},
  identStatus: {requires: ['Receptions.PlanStart'], optional: [...STATUS_LADDER, 'Receptions.PlanEnd']},
  staffId: {requires: ['Receptions.ID_Staffs']},
  // Needs a doctor source too (`DOCTOR_SOURCES`).
  doctor: {requires: ['Receptions.ID_Staffs']},
  chair: {requires: ['Receptions.ID_Armchairs', 'Armchairs.ID', 'Armchairs.NameArmchair']},
  branch: {
    requires: ['OwnCompanies.ID', 'OwnCompanies.Name'],
    anyOf: [
      ['Receptions.ID_Armchairs', 'Armchairs.ID', 'Armchairs.ID_OwnCompanies'],
      ['Orders.ID_Receptions', 'Orders.ID_OwnCompanies'],
    ],
    optional: ['Orders.DateTimeOrder', 'Orders.ID'],
  },
  services: {
    requires: [
      ...ORDERS_OF_RECEPTION,
      'OrderServiceRelation.ID_Orders',
      'OrderServiceRelation.ID_ServicePrices',
      'ServiceItemPrices.ID',
      'ServiceItemPrices.ID_ServiceItems',
      'ServiceItems.ID',
      'ServiceItems.Name',
    ],
    // Without the count each line counts once.
    optional: ['OrderServiceRelation.CountService'],
  },
  price: {requires: [...ORDERS_OF_RECEPTION, 'OrderPaymentsJournal.ID_Orders', 'OrderPaymentsJournal.AmountWithDiscount']},
  cancelReason: {requires: ['Receptions.ID_ReceptionCancelReasons', 'ReceptionCancelReasons.ID', 'ReceptionCancelReasons.Name']},
  cancelComment: {requires: ['Receptions.CancelReasonComment']},
  firstVisit: {requires: [...VISIT_FILTER, 'Receptions.PlanStart'], anyOf: ANY_VISIT_MARK},
  // The latest of the change and status columns there are (what the incremental pass cannot see is said apart).
  changedAt: {requires: ['Receptions.ID']},
}

export const RECEPTION_VALUES = Object.keys(RECEPTION_VALUE_SOURCES) as ReceptionValue[]

/** What a deal needs of a reception: its custom fields and its price. */
export type DealValueKey = DealFieldKey | 'price'

/**
 * The reception values each deal field (and the deal's price) is made of: a field is unavailable when
 * all of its values are (the cancel reason is written from its name, its comment, or both).
 */
export const DEAL_VALUE_SOURCES: Readonly<Record<DealValueKey, readonly ReceptionValue[]>> = {
  reception_id: ['id'],
  start: ['planStart'],
  end: ['planEnd'],
  doctor: ['doctor'],
  chair: ['chair'],
  branch: ['branch'],
  services: ['services'],
  ident_status: ['identStatus'],
  cancel_reason: ['cancelReason', 'cancelComment'],
  first_visit: ['firstVisit'],
  price: ['price'],
}

/**
 * What introspection found: table name (any case) → its real name, real column names and, when the
 * database says, their types (`nvarchar`, `date`, SQLite's declared `TEXT`, …) by real column name.
 */
export type ExistingTables = Map<string, {name: string; columns: string[]; types?: Record<string, string>}>

export interface SchemaColumnReport {
  column: string
  status: ColumnStatus
  present: boolean
  /** The name looked for in this database (differs from `column` when renamed in the config). */
  name: string
  renamed: boolean
  /** The column's type in this database when known (e.g. `nvarchar`, `date`, `TEXT`). */
  type: string | null
  /** False for the columns of the doctor source this database does not use (their absence is no problem). */
  needed: boolean
}

export interface SchemaTableReport {
  table: IdentTable
  present: boolean
  name: string
  renamed: boolean
  columns: SchemaColumnReport[]
}

/** Where the doctors' names come from in this database. */
export interface DoctorsReport {
  /** `Persons`: the Persons row of `Staffs.ID_Persons`; `Staffs`: Staffs' own name columns; null: no names. */
  from: DoctorSource['from'] | null
  /** One line for people (`db check`). */
  description: string
}

/** What exists in this IDENT for one reader and what it means for its values (plain data, for `db check --json`). */
export interface ReaderSchemaReport<V extends string> {
  tables: SchemaTableReport[]
  /** Missing columns that are needed (`Table.Column`, our names), including those of missing tables. */
  missing: ColumnRef[]
  /** The subset of `missing` that is core (★): this reader cannot read anything. */
  coreMissing: ColumnRef[]
  /** Values that cannot be read here, and why. */
  unavailable: Array<{value: V; missing: ColumnRef[]}>
  /** Values read without some of their optional columns (e.g. visits without doctor names). */
  partial: Array<{value: V; missing: ColumnRef[]}>
  /** Tables whose changes the incremental pass cannot see (no id or DateTimeChanged column). */
  undetectedChanges: IdentTable[]
  /** One line per problem, for `db check` and to be logged once per run (the receptions' when deals are on). */
  warnings: string[]
}

/** The patient reader's report, with the reception reader's. */
export interface IdentSchemaReport extends ReaderSchemaReport<PatientValue> {
  doctors: DoctorsReport
  /** The same for the reception reader (appointments → deals), whether deals are on or not. */
  receptions: ReceptionSchemaReport
}

/** The reception reader's report (`db check`'s deals section); its core columns stop only a clinic with deals on. */
export interface ReceptionSchemaReport extends ReaderSchemaReport<ReceptionValue> {
  /** Deal fields (and the deal's price) that cannot be written here: every value they are made of is unavailable. */
  unavailableFields: DealValueKey[]
}

/** The schema resolved against one database: real names for our names, and what is available. */
export class ResolvedSchema {
  constructor(
    readonly report: IdentSchemaReport,
    private readonly names: Map<string, string>,
    /** The doctor source this database supports, if any. */
    readonly doctorSource: DoctorSource | undefined,
  ) {}

  /** The real name of one of our tables. */
  table(table: IdentTable): string {
    return this.names.get(table)!
  }

  /** The real name of a column, undefined when it does not exist here. */
  column<T extends IdentTable>(table: T, column: ColumnOf<T>): string | undefined {
    return this.names.get(`${table}.${column}`)
  }

  has(...refs: ColumnRef[]): boolean {
    return refs.every((ref) => this.names.has(ref))
  }

  available(value: PatientValue): boolean {
    return !this.report.unavailable.some((u) => u.value === value)
  }

  receptionAvailable(value: ReceptionValue): boolean {
    return !this.report.receptions.unavailable.some((u) => u.value === value)
  }
}

/** Checks renames against the tables and columns we know: a typo must not pass silently. */
export function validateRenames(renames: IdentRenames): void {
  for (const table of Object.keys(renames.tables)) {
    if (!READ_TABLES.includes(table as IdentTable))
      throw new ConfigError(
        `ident.tables.${table}: ${table} is not a table ident-amo reads`,
        `tables that can be renamed: ${READ_TABLES.join(', ')}`,
      )
  }
  for (const [table, columns] of Object.entries(renames.columns)) {
    if (!READ_TABLES.includes(table as IdentTable))
      throw new ConfigError(`ident.columns.${table}: ${table} is not a table ident-amo reads`, `tables: ${READ_TABLES.join(', ')}`)
    const known = columnsRead(table as IdentTable)
    for (const column of Object.keys(columns ?? {})) {
      if (!known.includes(column))
        throw new ConfigError(
          `ident.columns.${table}.${column}: ${table}.${column} is not a column ident-amo reads`,
          `columns of ${table}: ${known.join(', ')}`,
        )
    }
  }
}

type FoundTable = {name: string; columns: string[]; types?: Record<string, string>}

/**
 * Matches our tables and columns (after the config's renames) against what exists, case-insensitively
 * as SQL Server and SQLite both compare identifiers by default.
 */
export function resolveSchema(existing: ExistingTables, renames: IdentRenames): ResolvedSchema {
  validateRenames(renames)
  const names = new Map<string, string>()
  const found = new Map<IdentTable, {table?: FoundTable; wanted: string}>()
  for (const table of READ_TABLES) {
    const wanted = renames.tables[table]?.trim() || table
    const match = existing.get(wanted.toLowerCase())
    names.set(table, match?.name ?? wanted)
    found.set(table, {table: match, wanted})
    const columnsFound = new Map((match?.columns ?? []).map((c) => [c.toLowerCase(), c]))
    for (const column of columnsRead(table)) {
      const real = columnsFound.get((renamedColumn(renames, table, column) ?? column).toLowerCase())
      if (real) names.set(`${table}.${column}`, real)
    }
  }
  const exists = (ref: ColumnRef) => names.has(ref)

  const doctorSource = DOCTOR_SOURCES.find((source) => source.link.every(exists) && source.names.some(exists))
  // The columns only the other doctor source would read are not needed here.
  const notNeeded = new Set<ColumnRef>(
    doctorSource
      ? DOCTOR_SOURCES.filter((s) => s !== doctorSource)
          .flatMap((s) => [...s.link, ...s.names])
          .filter(
            (ref) =>
              !(doctorSource.link as readonly ColumnRef[]).includes(ref) && !(doctorSource.names as readonly ColumnRef[]).includes(ref),
          )
      : [],
  )
  const absent = (refs: readonly ColumnRef[]) => refs.filter((r) => !exists(r) && !notNeeded.has(r))
  const describe = (map: ColumnMap) => describeTables(map, names, found, renames, notNeeded)

  // Patients.
  const {tables, missing} = describe(IDENT_COLUMNS)
  const {unavailable, partial} = availability(PATIENT_VALUE_SOURCES, absent, (value) =>
    // Visits are read without doctors when there is no doctor source, or with the names it has.
    value === 'visits' ? (doctorSource ? absent(doctorSource.names) : absent(DOCTOR_SOURCES[0].link)) : [],
  )
  const undetectedChanges = CHANGE_SOURCES.filter((s) => absent([s.id, s.changed]).length > 0).map((s) => s.table)
  const doctors: DoctorsReport = doctorSource
    ? {
        from: doctorSource.from,
        description:
          doctorSource.from === 'Persons'
            ? `doctors' names come from Persons: Receptions.ID_Staffs is Staffs.ID_Persons`
            : `doctors' names come from Staffs' own name columns: Receptions.ID_Staffs is Staffs.ID (Staffs has no ID_Persons)`,
      }
    : {
        from: null,
        description: `the visit history has no doctors' names: neither Staffs.ID_Persons nor Staffs.ID with name columns, or no Receptions.ID_Staffs`,
      }

  const coreMissing = missing.filter((ref) => columnStatus(IDENT_COLUMNS, ref) === 'core')
  const warnings = missingWarnings(tables)
  for (const u of unavailable) warnings.push(`${u.value} is unavailable (no ${u.missing.join(', ')}): its field is never sent`)
  for (const p of partial) warnings.push(`${p.value} is read without ${p.missing.join(', ')}`)
  if (!doctorSource && !unavailable.some((u) => u.value === 'visits')) warnings.push(doctors.description)
  if (undetectedChanges.length > 0)
    warnings.push(
      `changes made only in ${undetectedChanges.join(', ')} are not seen by the incremental pass (the deep pass still sees them)`,
    )

  const report: IdentSchemaReport = {
    tables,
    missing,
    coreMissing,
    unavailable,
    partial,
    doctors,
    undetectedChanges,
    warnings,
    receptions: receptionReport(describe(RECEPTION_COLUMNS), absent, doctorSource),
  }
  return new ResolvedSchema(report, names, doctorSource)
}

/** The reception reader's side of the schema: what deals can be made of here. */
function receptionReport(
  {tables, missing}: {tables: SchemaTableReport[]; missing: ColumnRef[]},
  absent: (refs: readonly ColumnRef[]) => ColumnRef[],
  doctorSource: DoctorSource | undefined,
): ReceptionSchemaReport {
  const {unavailable, partial} = availability(RECEPTION_VALUE_SOURCES, absent, (value) =>
    value === 'doctor' && doctorSource ? absent(doctorSource.names) : [],
  )
  // A doctor's name needs a place to come from, unlike the visit history, which is still worth having without.
  if (!doctorSource && !unavailable.some((u) => u.value === 'doctor'))
    unavailable.push({value: 'doctor', missing: absent(DOCTOR_SOURCES[0].link)})
  const lacking = new Set(unavailable.map((u) => u.value))
  const unavailableFields = (Object.keys(DEAL_VALUE_SOURCES) as DealValueKey[]).filter((key) =>
    DEAL_VALUE_SOURCES[key].every((value) => lacking.has(value)),
  )
  const undetectedChanges: IdentTable[] = []
  if (absent(['Receptions.DateTimeChanged']).length > 0) undetectedChanges.push('Receptions')
  if (absent(['Orders.ID_Receptions', 'Orders.DateTimeChanged']).length > 0) undetectedChanges.push('Orders')
  if (absent(['Persons.DateTimeChanged']).length > 0) undetectedChanges.push('Persons')

  const warnings = missingWarnings(tables).map((w) => `deals: ${w}`)
  for (const u of unavailable) warnings.push(`deals: ${u.value} is unavailable (no ${u.missing.join(', ')})`)
  for (const p of partial) warnings.push(`deals: ${p.value} is read without ${p.missing.join(', ')}`)
  if (unavailableFields.length > 0) warnings.push(`deals: never sent: ${unavailableFields.join(', ')}`)
  if (undetectedChanges.length > 0)
    warnings.push(
      `deals: changes of a reception made only in ${undetectedChanges.join(', ')} are not seen by the incremental pass (the deep pass still sees them)`,
    )
  return {
    tables,
    missing,
    coreMissing: missing.filter((ref) => columnStatus(RECEPTION_COLUMNS, ref) === 'core'),
    unavailable,
    partial,
    unavailableFields,
    undetectedChanges,
    warnings,
  }
}

function renamedColumn(renames: IdentRenames, table: string, column: string): string | undefined {
  return renames.columns[table]?.[column]?.trim() || undefined
}

/** One reader's tables and columns as found (or not) in this database, and the needed columns that are missing. */
function describeTables(
  map: ColumnMap,
  names: Map<string, string>,
  found: Map<IdentTable, {table?: FoundTable; wanted: string}>,
  renames: IdentRenames,
  notNeeded: Set<ColumnRef>,
): {tables: SchemaTableReport[]; missing: ColumnRef[]} {
  const tables: SchemaTableReport[] = []
  const missing: ColumnRef[] = []
  for (const [table, columnsOfTable] of Object.entries(map) as Array<[IdentTable, Record<string, ColumnStatus>]>) {
    const {table: match, wanted} = found.get(table)!
    const columns: SchemaColumnReport[] = []
    for (const [column, status] of Object.entries(columnsOfTable)) {
      const ref = `${table}.${column}` as ColumnRef
      const wantedColumn = renamedColumn(renames, table, column) ?? column
      const real = names.get(ref)
      const needed = !notNeeded.has(ref)
      if (!real && needed) missing.push(ref)
      columns.push({
        column,
        status,
        present: real !== undefined,
        name: real ?? wantedColumn,
        renamed: wantedColumn !== column,
        type: (real && match?.types?.[real]) || null,
        needed,
      })
    }
    tables.push({table, present: match !== undefined, name: match?.name ?? wanted, renamed: wanted !== table, columns})
  }
  return {tables, missing}
}

/**
 * Which values of a reader cannot be read (a required column, or every `anyOf` group, is missing) and
 * which are read without some optional columns (`extraOptional` adds those decided elsewhere).
 */
function availability<V extends string>(
  sources: Readonly<Record<V, ValueSource>>,
  absent: (refs: readonly ColumnRef[]) => ColumnRef[],
  extraOptional: (value: V) => ColumnRef[],
): {unavailable: Array<{value: V; missing: ColumnRef[]}>; partial: Array<{value: V; missing: ColumnRef[]}>} {
  const unavailable: Array<{value: V; missing: ColumnRef[]}> = []
  const partial: Array<{value: V; missing: ColumnRef[]}> = []
  for (const value of Object.keys(sources) as V[]) {
    const source = sources[value]
    const lacking = absent(source.requires)
    const groups = source.anyOf ?? []
    if (groups.length > 0 && groups.every((g) => absent(g).length > 0)) lacking.push(...groups.flatMap((g) => absent(g)))
    if (lacking.length > 0) {
      unavailable.push({value, missing: lacking})
      continue
    }
    const lackingOptional = [...new Set([...absent(source.optional ?? []), ...groups.flatMap((g) => absent(g)), ...extraOptional(value)])]
    if (lackingOptional.length > 0) partial.push({value, missing: lackingOptional})
  }
  return {unavailable, partial}
}

/** `table X does not exist` / `column X.Y does not exist` for what a reader needs and this database lacks. */
function missingWarnings(tables: readonly SchemaTableReport[]): string[] {
  const warnings: string[] = []
  for (const t of tables) {
    if (!t.present) warnings.push(`table ${t.name}${t.renamed ? ` (our ${t.table})` : ''} does not exist`)
    else
      for (const c of t.columns)
        if (!c.present && c.needed)
          warnings.push(`column ${t.name}.${c.name}${c.renamed ? ` (our ${t.table}.${c.column})` : ''} does not exist`)
  }
  return warnings
}

function columnStatus(map: ColumnMap, ref: ColumnRef): ColumnStatus | undefined {
  const [table, column] = ref.split('.') as [IdentTable, string]
  return map[table]?.[column]
}

/**
 * A fatal error for missing core (★) columns, naming them and how to rename; for the reception
 * reader's (`what: 'deals'`) also how to do without deals.
 */
export function missingCoreError(
  report: Pick<IdentSchemaReport, 'coreMissing' | 'tables'>,
  what: 'patients' | 'deals' = 'patients',
): AppError {
  const lines = report.coreMissing.map((ref) => {
    const [table, column] = ref.split('.') as [IdentTable, string]
    const t = report.tables.find((x) => x.table === table)!
    const c = t.columns.find((x) => x.column === column)!
    return t.present ? `column ${t.name}.${c.name}` : `table ${t.name}`
  })
  const first = report.coreMissing[0]!
  const [table, column] = first.split('.') as [IdentTable, string]
  const tableMissing = !report.tables.find((x) => x.table === table)!.present
  const hint = tableMissing
    ? `if this IDENT names the table differently, rename it: ident-amo config set ident.tables.${table} <its name>`
    : `if this IDENT names the column differently, rename it: ident-amo config set ident.columns.${table}.${column} <its name>`
  const missingText = [...new Set(lines)].join(', ')
  if (what === 'deals')
    return new AppError(`the IDENT database lacks what appointments → deals cannot work without: ${missingText}`, {
      code: 'E_IDENT_SCHEMA',
      hint: `${hint}, or turn deals off: ident-amo config set DEALS off (see ident-amo db check)`,
    })
  return new AppError(`the IDENT database lacks what ident-amo cannot work without: ${missingText}`, {
    code: 'E_IDENT_SCHEMA',
    hint: `${hint} (see ident-amo db check)`,
  })
}
