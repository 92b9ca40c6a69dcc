import type {Knex} from 'knex'

import type {IdentDialect} from './connection.js'
import {CHANGE_SOURCES, type ColumnOf, type ColumnRef, type IdentTable, READ_TABLES, type ResolvedSchema, VISIT_MARKS} from './schema.js'
import {MAX_VISITS_READ} from './types.js'

/**
 * Every SQL statement the reader sends, built once with knex for both dialects (SQL Server in
 * production, SQLite in tests and the demo) from the resolved names. All of them are SELECTs.
 */

/** Which patients to read. `since` is a naive local `YYYY-MM-DD HH:MM:SS`. */
export interface PatientSelection {
  ids?: readonly number[]
  since?: string
  limit?: number
  /** Patients with `after` < id ≤ `upTo`: one slice of a read of every patient (see `IdentQueries.sliceEnd`). */
  idRange?: {after: number; upTo: number}
}

/**
 * A part of "changed since W": every table's `DateTimeChanged` (`changes`), the receptions' status
 * datetimes (`statuses`, no index covers them: a read of every reception), or both (`all`).
 */
export type ChangePart = 'all' | 'changes' | 'statuses'

export interface PatientQueries {
  /** One row per patient, in `ID_Persons` order (see `PatientRow`). */
  patients: Knex.QueryBuilder
  /** Recent visits, in `ID_Patients` order then newest first; absent when visits are unavailable. */
  visits: Knex.QueryBuilder | undefined
}

/** A row of the patient query: only the keys whose columns exist are selected. */
export interface PatientRow {
  id: number
  surname: unknown
  name: unknown
  patronymic?: unknown
  phone?: unknown
  mobilePhone?: unknown
  email?: unknown
  sex?: unknown
  birthday?: unknown
  inn?: unknown
  snils?: unknown
  patientNumber?: unknown
  cardNumber?: unknown
  comment?: unknown
  firstVisit?: unknown
  smsRejection?: unknown
  archivingReasonId?: unknown
  archiveReason?: unknown
  initialBalance?: unknown
  paid?: unknown
  billed?: unknown
  visitCount?: unknown
  orderBranch?: unknown
  paymentBranch?: unknown
  discount?: unknown
  patientChanged?: unknown
  personChanged?: unknown
  receptionsChanged?: unknown
  appearedChanged?: unknown
  startedChanged?: unknown
  endedChanged?: unknown
  checkIssuedChanged?: unknown
  canceledChanged?: unknown
  paymentsChanged?: unknown
  ordersChanged?: unknown
}

export interface VisitRow {
  pid: number
  at: unknown
  doctorSurname?: unknown
  doctorName?: unknown
  doctorPatronymic?: unknown
}

/** Row keys of the latest status datetime of a patient's receptions, per column: part of "changed". */
export const STATUS_CHANGED_KEYS = {
  'Receptions.PatientAppeared': 'appearedChanged',
  'Receptions.ReceptionStarted': 'startedChanged',
  'Receptions.ReceptionEnded': 'endedChanged',
  'Receptions.CheckIssued': 'checkIssuedChanged',
  'Receptions.ReceptionCanceled': 'canceledChanged',
} as const satisfies Partial<Record<ColumnRef, keyof PatientRow>>

/** A row of the patient scan of `db check`: the id, and the raw birthday when the column exists. */
export interface PatientScanRow {
  id: number
  birthday?: unknown
}

/** Direct columns: the value, its table alias, table and column, the row key. */
const DIRECT = [
  ['patronymic', 'pe', 'Persons', 'Patronymic'],
  ['phone', 'pe', 'Persons', 'Phone'],
  ['mobilePhone', 'pe', 'Persons', 'MobilePhone'],
  ['email', 'pe', 'Persons', 'Email'],
  ['sex', 'pe', 'Persons', 'Sex'],
  ['birthday', 'pe', 'Persons', 'Birthday'],
  ['inn', 'pe', 'Persons', 'INN'],
  ['snils', 'pe', 'Persons', 'SNILS'],
  ['patientNumber', 'pa', 'Patients', 'PatientNumber'],
  ['cardNumber', 'pa', 'Patients', 'CardNumber'],
  ['comment', 'pa', 'Patients', 'Comment'],
  ['firstVisit', 'pa', 'Patients', 'FirstVisit'],
  ['smsRejection', 'pa', 'Patients', 'SMSRejection'],
] as const

/**
 * What every statement builder needs: real names for our names, the columns that exist, and the
 * pieces both readers use (visit marks, the doctor join, the latest row per key).
 */
export class SchemaQueries {
  constructor(
    protected readonly knex: Knex,
    protected readonly schema: ResolvedSchema,
    protected readonly dialect: IdentDialect,
  ) {}

  protected t(table: IdentTable): string {
    return this.schema.table(table)
  }

  /** `alias.RealColumn`; only called for columns the schema says exist. */
  protected c<T extends IdentTable>(alias: string, table: T, column: ColumnOf<T>): string {
    const real = this.schema.column(table, column)
    if (real === undefined) throw new Error(`internal: ${table}.${column} is used but missing`)
    return `${alias}.${real}`
  }

  protected has<T extends IdentTable>(table: T, ...columns: Array<ColumnOf<T>>): boolean {
    return columns.every((c) => this.schema.column(table, c) !== undefined)
  }

  /**
   * Joins the doctor of each reception (alias `d`) from the source this database has — the Persons
   * row of `Staffs.ID_Persons`, or Staffs' own name columns — and selects the name parts it holds.
   */
  protected joinDoctors(receptions: Knex.QueryBuilder): string[] {
    const source = this.schema.doctorSource
    if (!source) return []
    const staffId = this.c('r', 'Receptions', 'ID_Staffs')
    const parts = (
      [
        ['doctorSurname', 0],
        ['doctorName', 1],
        ['doctorPatronymic', 2],
      ] as const
    ).filter(([, i]) => this.schema.has(source.names[i]))
    if (source.from === 'Persons') receptions.leftJoin({d: this.t('Persons')}, this.c('d', 'Persons', 'ID'), staffId)
    else receptions.leftJoin({d: this.t('Staffs')}, this.c('d', 'Staffs', 'ID'), staffId)
    for (const [key, i] of parts) receptions.select({[key]: this.ref('d', source.names[i])})
    return parts.map(([key]) => key)
  }

  /** Only visits (docs/ident-schema.md "visit"): any visit mark this database has, and not cancelled either way. */
  protected whereVisit(receptions: Knex.QueryBuilder, alias: string): void {
    receptions
      .where((w) => {
        for (const mark of this.visitMarks(alias)) w.orWhereNotNull(mark)
      })
      .whereNull(this.c(alias, 'Receptions', 'ReceptionCanceled'))
      .whereNull(this.c(alias, 'Receptions', 'ID_ReceptionCancelReasons'))
  }

  /** The visit marks this database has (docs/ident-schema.md "visit"), qualified by `alias`. */
  protected visitMarks(alias: string): string[] {
    return VISIT_MARKS.filter((ref) => this.schema.has(ref)).map((ref) => this.ref(alias, ref))
  }

  /** `alias.RealColumn` of a `Table.Column` reference that exists. */
  protected ref(alias: string, ref: ColumnRef): string {
    const [table, column] = ref.split('.') as [IdentTable, string]
    return this.c(alias, table, column as ColumnOf<typeof table>)
  }

  /** Per key (a patient, a reception), `val` of the latest row by `orderColumn` (ties by `tieColumn`), as `pid, val, rn`. */
  protected latestPer<T extends 'Orders' | 'PaymentsIn' | 'DiscountCards'>(
    table: T,
    alias: string,
    pidColumn: ColumnOf<T>,
    valueColumn: ColumnOf<T>,
    orderColumn: ColumnOf<T>,
    tieColumn: ColumnOf<T>,
  ): Knex.QueryBuilder {
    const col = (c: ColumnOf<T>) => this.c(alias, table, c)
    const order = [col(orderColumn), ...(this.has(table, tieColumn) && tieColumn !== orderColumn ? [col(tieColumn)] : [])]
    const q = this.knex
      .from({[alias]: this.t(table)})
      .select({pid: col(pidColumn), val: col(valueColumn)})
      .select(
        this.knex.raw(`row_number() over (partition by ?? order by ${order.map(() => '?? desc').join(', ')}) as ??`, [
          col(pidColumn),
          ...order,
          'rn',
        ]),
      )
    if (table !== 'DiscountCards') q.whereNotNull(col(valueColumn))
    return q
  }

  /**
   * A naive local time as a bound value: SQL Server reads `YYYY-MM-DD hh:mm:ss` as year-day-month under
   * a Russian login (DATEFORMAT dmy); the ISO 8601 `T` form is read the same way under every language setting.
   */
  protected timeValue(naive: string): string {
    return this.dialect === 'mssql' ? naive.replace(' ', 'T') : naive
  }
}

/** The patient reader's statements. */
export class IdentQueries extends SchemaQueries {
  /** The patient rows and the visit history for a selection: two set-based queries, whatever N. */
  patientQueries(selection: PatientSelection = {}): PatientQueries {
    return {patients: this.patientRows(selection), visits: this.schema.available('visits') ? this.visitRows(selection) : undefined}
  }

  /** Patients ⋈ Persons with grouped subqueries for visits, money, branch and discount. */
  patientRows(selection: PatientSelection = {}): Knex.QueryBuilder {
    const {knex, schema} = this
    const q = this.patientsFrom().select({
      id: this.c('pa', 'Patients', 'ID_Persons'),
      surname: this.c('pe', 'Persons', 'SurName'),
      name: this.c('pe', 'Persons', 'Name'),
    })
    for (const [key, alias, table, column] of DIRECT) {
      const real = this.schema.column(table, column as ColumnOf<typeof table>)
      if (real !== undefined) q.select({[key]: `${alias}.${real}`})
    }

    if (schema.available('archived')) q.select({archivingReasonId: this.c('pa', 'Patients', 'ID_ArchivingReasons')})
    if (schema.available('archiveReason')) {
      q.leftJoin({ar: this.t('ArchivingReasons')}, this.c('ar', 'ArchivingReasons', 'ID'), this.c('pa', 'Patients', 'ID_ArchivingReasons'))
      q.select({archiveReason: this.c('ar', 'ArchivingReasons', 'Name')})
    }
    q.select({patientChanged: this.c('pa', 'Patients', 'DateTimeChanged')})
    if (this.has('Persons', 'DateTimeChanged')) q.select({personChanged: this.c('pe', 'Persons', 'DateTimeChanged')})

    const countVisits = schema.available('totalVisits')
    const receptionsChanged = this.has('Receptions', 'ID_Patients', 'DateTimeChanged')
    const statusColumns = receptionsChanged
      ? (Object.keys(STATUS_CHANGED_KEYS) as Array<keyof typeof STATUS_CHANGED_KEYS>).filter((ref) => schema.has(ref))
      : []
    if (countVisits || receptionsChanged) {
      const rv = knex
        .from({r: this.t('Receptions')})
        .select({pid: this.c('r', 'Receptions', 'ID_Patients')})
        .groupBy(this.c('r', 'Receptions', 'ID_Patients'))
      this.onlyIds(rv, this.c('r', 'Receptions', 'ID_Patients'), selection)
      if (countVisits) {
        const marks = this.visitMarks('r')
        rv.select(
          knex.raw(`count(case when (${marks.map(() => '?? is not null').join(' or ')}) and ?? is null and ?? is null then 1 end) as ??`, [
            ...marks,
            this.c('r', 'Receptions', 'ReceptionCanceled'),
            this.c('r', 'Receptions', 'ID_ReceptionCancelReasons'),
            'visitCount',
          ]),
        )
      }
      if (receptionsChanged) rv.max({changed: this.c('r', 'Receptions', 'DateTimeChanged')})
      for (const ref of statusColumns) rv.max({[STATUS_CHANGED_KEYS[ref]]: this.ref('r', ref)})
      q.leftJoin(rv.as('rv'), 'rv.pid', this.c('pa', 'Patients', 'ID_Persons'))
      if (countVisits) q.select({visitCount: 'rv.visitCount'})
      if (receptionsChanged) q.select({receptionsChanged: 'rv.changed'})
      for (const ref of statusColumns) q.select({[STATUS_CHANGED_KEYS[ref]]: `rv.${STATUS_CHANGED_KEYS[ref]}`})
    }

    const balance = schema.available('balance')
    const paymentsChanged = this.has('PaymentsIn', 'ID_Patients', 'DateTimeChanged')
    if (balance || paymentsChanged) {
      const py = knex
        .from({p: this.t('PaymentsIn')})
        .select({pid: this.c('p', 'PaymentsIn', 'ID_Patients')})
        .groupBy(this.c('p', 'PaymentsIn', 'ID_Patients'))
      this.onlyIds(py, this.c('p', 'PaymentsIn', 'ID_Patients'), selection)
      if (balance) py.sum({paid: this.c('p', 'PaymentsIn', 'Payment')})
      if (paymentsChanged) py.max({changed: this.c('p', 'PaymentsIn', 'DateTimeChanged')})
      q.leftJoin(py.as('py'), 'py.pid', this.c('pa', 'Patients', 'ID_Persons'))
      if (balance) q.select({initialBalance: this.c('pa', 'Patients', 'InitialBalance'), paid: 'py.paid'})
      if (paymentsChanged) q.select({paymentsChanged: 'py.changed'})
    }
    if (balance) {
      const bl = knex
        .from({o: this.t('Orders')})
        .join({j: this.t('OrderPaymentsJournal')}, this.c('j', 'OrderPaymentsJournal', 'ID_Orders'), this.c('o', 'Orders', 'ID'))
        .select({pid: this.c('o', 'Orders', 'ID_Patients')})
        .sum({billed: this.c('j', 'OrderPaymentsJournal', 'AmountWithDiscount')})
        .groupBy(this.c('o', 'Orders', 'ID_Patients'))
      this.onlyIds(bl, this.c('o', 'Orders', 'ID_Patients'), selection)
      q.leftJoin(bl.as('bl'), 'bl.pid', this.c('pa', 'Patients', 'ID_Persons')).select({billed: 'bl.billed'})
    }
    if (this.has('Orders', 'ID_Patients', 'DateTimeChanged')) {
      const oc = knex
        .from({o: this.t('Orders')})
        .select({pid: this.c('o', 'Orders', 'ID_Patients')})
        .max({changed: this.c('o', 'Orders', 'DateTimeChanged')})
        .groupBy(this.c('o', 'Orders', 'ID_Patients'))
      this.onlyIds(oc, this.c('o', 'Orders', 'ID_Patients'), selection)
      q.leftJoin(oc.as('oc'), 'oc.pid', this.c('pa', 'Patients', 'ID_Persons')).select({ordersChanged: 'oc.changed'})
    }

    if (schema.available('branch')) {
      if (this.has('Orders', 'ID_Patients', 'DateTimeOrder', 'ID_OwnCompanies')) {
        const lo = this.latestPer('Orders', 'o', 'ID_Patients', 'ID_OwnCompanies', 'DateTimeOrder', 'ID')
        this.onlyIds(lo, this.c('o', 'Orders', 'ID_Patients'), selection)
        q.leftJoin(lo.as('lo'), (on) => on.on('lo.pid', '=', this.c('pa', 'Patients', 'ID_Persons')).andOn('lo.rn', '=', knex.raw('1')))
        q.leftJoin({obr: this.t('OwnCompanies')}, this.c('obr', 'OwnCompanies', 'ID'), 'lo.val')
        q.select({orderBranch: this.c('obr', 'OwnCompanies', 'Name')})
      }
      if (this.has('PaymentsIn', 'ID_Patients', 'DateTimePayment', 'ID_OwnCompanies')) {
        const lp = this.latestPer('PaymentsIn', 'p', 'ID_Patients', 'ID_OwnCompanies', 'DateTimePayment', 'ID')
        this.onlyIds(lp, this.c('p', 'PaymentsIn', 'ID_Patients'), selection)
        q.leftJoin(lp.as('lp'), (on) => on.on('lp.pid', '=', this.c('pa', 'Patients', 'ID_Persons')).andOn('lp.rn', '=', knex.raw('1')))
        q.leftJoin({pbr: this.t('OwnCompanies')}, this.c('pbr', 'OwnCompanies', 'ID'), 'lp.val')
        q.select({paymentBranch: this.c('pbr', 'OwnCompanies', 'Name')})
      }
    }
    if (schema.available('discount')) {
      const dc = this.latestPer('DiscountCards', 'd', 'ID_Patients', 'DiscountPercent', 'DateTimeChanged', 'DiscountPercent')
      this.onlyIds(dc, this.c('d', 'DiscountCards', 'ID_Patients'), selection)
      q.leftJoin(dc.as('dc'), (on) => on.on('dc.pid', '=', this.c('pa', 'Patients', 'ID_Persons')).andOn('dc.rn', '=', knex.raw('1')))
      q.select({discount: 'dc.val'})
    }

    this.filter(q, this.c('pa', 'Patients', 'ID_Persons'), selection)
    q.orderBy(this.c('pa', 'Patients', 'ID_Persons'))
    if (selection.limit !== undefined) q.limit(selection.limit)
    return q
  }

  /**
   * The visits (docs/ident-schema.md "visit"), at most `MAX_VISITS_READ` per patient, newest first, with
   * the doctor's name parts — in patient id order so that they merge with the patient stream.
   */
  visitRows(selection: PatientSelection = {}): Knex.QueryBuilder {
    const {knex} = this
    const pid = this.c('r', 'Receptions', 'ID_Patients')
    const planStart = this.c('r', 'Receptions', 'PlanStart')
    const order = this.has('Receptions', 'ID') ? [planStart, this.c('r', 'Receptions', 'ID')] : [planStart]
    const inner = knex
      .from({r: this.t('Receptions')})
      .select({pid, at: planStart})
      .select(
        knex.raw(`row_number() over (partition by ?? order by ${order.map(() => '?? desc').join(', ')}) as ??`, [pid, ...order, 'rn']),
      )
    this.whereVisit(inner, 'r')
    const doctorKeys = this.joinDoctors(inner)
    if (selection.limit !== undefined) inner.whereIn(pid, this.limitedPatientIds(selection))
    else this.filter(inner, pid, selection)

    return knex
      .from(inner.as('v'))
      .select(['v.pid', 'v.at', ...doctorKeys.map((key) => `v.${key}`)])
      .where('v.rn', '<=', MAX_VISITS_READ)
      .orderBy([{column: 'v.pid'}, {column: 'v.rn'}])
  }

  /** How many patients a selection holds (for progress); a patient whose row is repeated counts once. */
  countPatients(selection: PatientSelection = {}): Knex.QueryBuilder {
    const q = this.patientsFrom().countDistinct({n: this.c('pa', 'Patients', 'ID_Persons')})
    this.filter(q, this.c('pa', 'Patients', 'ID_Persons'), selection)
    if (selection.limit === undefined) return q
    return this.knex.from(this.patientIds(selection).limit(selection.limit).as('x')).count({n: '*'})
  }

  /** Every patient's id and raw birthday (when the column exists), in id order: what `db check` parses and counts. */
  patientScan(): Knex.QueryBuilder {
    const q = this.patientsFrom().select({id: this.c('pa', 'Patients', 'ID_Persons')})
    if (this.has('Persons', 'Birthday')) q.select({birthday: this.c('pe', 'Persons', 'Birthday')})
    return q.orderBy(this.c('pa', 'Patients', 'ID_Persons'))
  }

  /** The database's own clock as naive local `YYYY-MM-DD HH:MM:SS` (the incremental watermark). */
  clock(): Knex.Raw {
    if (this.dialect === 'mssql') return this.knex.raw('select convert(varchar(19), sysdatetime(), 120) as ??', ['now'])
    return this.knex.raw("select datetime('now', 'localtime') as ??", ['now'])
  }

  /** Row counts of the tables that exist (read by either reader), in one statement. */
  tableCounts(): Knex.Raw | undefined {
    const {tables, receptions} = this.schema.report
    const present = [...new Map([...tables, ...receptions.tables].filter((t) => t.present).map((t) => [t.table, t])).values()]
    if (present.length === 0) return undefined
    return this.knex.raw(
      `select ${present.map(() => '(select count(*) from ??) as ??').join(', ')}`,
      present.flatMap((t) => [t.name, t.table]),
    )
  }

  /** SQL Server: which write permissions the login holds on the database and on the Patients table. */
  writePermissions(): Knex.Raw {
    const database = ['INSERT', 'UPDATE', 'DELETE', 'ALTER', 'CREATE TABLE']
    const columns = database.map((p) => `has_perms_by_name(db_name(), 'DATABASE', '${p}') as ??`)
    columns.push(`has_perms_by_name(?, 'OBJECT', 'UPDATE') as ??`)
    return this.knex.raw(`select ${columns.join(', ')}`, [...database, this.t('Patients'), 'UPDATE Patients'])
  }

  private patientsFrom(): Knex.QueryBuilder {
    return this.knex
      .from({pa: this.t('Patients')})
      .join({pe: this.t('Persons')}, this.c('pe', 'Persons', 'ID'), this.c('pa', 'Patients', 'ID_Persons'))
  }

  private patientIds(selection: PatientSelection): Knex.QueryBuilder {
    const id = this.c('pa', 'Patients', 'ID_Persons')
    const q = this.patientsFrom().select(id)
    this.filter(q, id, selection)
    return q.orderBy(id)
  }

  private limitedPatientIds(selection: PatientSelection): Knex.QueryBuilder {
    return this.patientIds(selection).limit(selection.limit!)
  }

  /**
   * A read by id also narrows each grouped subquery to those ids: otherwise the database groups every
   * reception, payment and order of the clinic to return a handful of patients (an incremental pass
   * every two minutes). Ids are bound once per subquery, so the reader reads at most 200 ids at a time.
   * A slice's id range narrows them the same way.
   */
  private onlyIds(sub: Knex.QueryBuilder, column: string, selection: PatientSelection): void {
    if (selection.ids) sub.whereIn(column, [...selection.ids])
    this.inRange(sub, column, selection)
  }

  /**
   * Where the next slice of every patient ends: the highest id and the number of the `size` patients
   * after `after` (fewer than `size`: the last slice).
   */
  sliceEnd(after: number, size: number): Knex.QueryBuilder {
    const id = this.c('pa', 'Patients', 'ID_Persons')
    const ids = this.patientsFrom().select({id}).where(id, '>', after).orderBy(id).limit(size)
    return this.knex.from(ids.as('s')).max({upTo: 's.id'}).count({n: '*'})
  }

  private inRange(q: Knex.QueryBuilder, column: string, selection: PatientSelection): void {
    if (selection.idRange) q.where(column, '>', selection.idRange.after).andWhere(column, '<=', selection.idRange.upTo)
  }

  /** Ids of the patients changed at or after `since` (by `part` of the condition), in id order, at most `limit`. */
  changedPatientIds(since: string, limit: number, part: ChangePart = 'all'): Knex.QueryBuilder {
    return this.knex.from(this.changedSince(since, part).as('c')).distinct('c.pid').orderBy('c.pid').limit(limit)
  }

  /** Whether receptions have status datetimes here, the part of "changed since" that `part: 'statuses'` reads. */
  hasStatusChanges(): boolean {
    return this.changeColumns('statuses').length > 0
  }

  private filter(q: Knex.QueryBuilder, column: string, selection: PatientSelection): void {
    this.onlyIds(q, column, selection)
    if (selection.since !== undefined) q.whereIn(column, this.changedSince(selection.since))
  }

  /**
   * Ids of patients with a row changed at or after `since` (docs/ident-schema.md "changed since W"): a
   * UNION ALL of one statement per table, each a range condition on its change columns, not an OR across joins.
   * `part` picks the tables' `DateTimeChanged` alone (`'changes'`), the receptions' status datetimes
   * alone (`'statuses'`), or both.
   */
  changedSince(since: string, part: ChangePart = 'all'): Knex.QueryBuilder {
    const value = this.timeValue(since)
    const parts = this.changeColumns(part).map(({source: s, changed}) => {
      const column = (ref: ColumnRef) => this.schema.column(s.table, ref.split('.')[1] as ColumnOf<typeof s.table>)!
      const q = this.knex.from(this.t(s.table)).select({pid: column(s.id)})
      return changed.length === 1
        ? q.where(column(changed[0]!), '>=', value)
        : q.where((w) => {
            for (const ref of changed) w.orWhere(column(ref), '>=', value)
          })
    })
    const [first, ...rest] = parts
    if (!first) throw new Error(`internal: no ${part} part of "changed since" exists here`)
    // UNION ALL, an id repeated as often as its rows changed (IN and DISTINCT outside do not mind): a
    // plain UNION lets SQLite merge the parts in id order, reading every table through its id index
    // instead of the few changed rows through the DateTimeChanged index (0.1 s, not 0.1 ms, at 100,000).
    return rest.length > 0 ? first.unionAll(rest) : first
  }

  /** The tables that can be watched here, each with the columns of `part` it has (none: left out). */
  private changeColumns(part: ChangePart): Array<{source: (typeof CHANGE_SOURCES)[number]; changed: ColumnRef[]}> {
    return CHANGE_SOURCES.filter((s) => this.schema.has(s.id, s.changed)).flatMap((source) => {
      const statuses = part === 'changes' ? [] : source.statuses.filter((ref) => this.schema.has(ref))
      const changed: ColumnRef[] = part === 'statuses' ? statuses : [source.changed, ...statuses]
      return changed.length > 0 ? [{source, changed}] : []
    })
  }
}

/** Introspection: the columns of the tables that exist (current database; default schema, then dbo). */
export function introspectionQuery(knex: Knex, dialect: IdentDialect, tableNames: readonly string[]): Knex.QueryBuilder | Knex.Raw {
  if (dialect === 'mssql')
    return knex
      .from({c: 'INFORMATION_SCHEMA.COLUMNS'})
      .select({tableSchema: 'c.TABLE_SCHEMA', tableName: 'c.TABLE_NAME', columnName: 'c.COLUMN_NAME', dataType: 'c.DATA_TYPE'})
      .whereRaw('?? = db_name()', ['c.TABLE_CATALOG'])
      .where((w) => w.whereRaw('?? = schema_name()', ['c.TABLE_SCHEMA']).orWhere('c.TABLE_SCHEMA', 'dbo'))
      .whereIn('c.TABLE_NAME', [...tableNames])
      .orderByRaw('case when ?? = schema_name() then 0 else 1 end', ['c.TABLE_SCHEMA'])
      .orderBy(['c.TABLE_NAME', 'c.ORDINAL_POSITION'])
  return knex.raw(
    "select m.name as tableName, p.name as columnName, p.type as dataType from sqlite_master as m join pragma_table_info(m.name) as p where m.type in ('table', 'view') order by m.name, p.cid",
  )
}

/** Our table names after renames, for the introspection filter. */
export function wantedTableNames(renames: {tables: Record<string, string>}): string[] {
  return READ_TABLES.map((t) => renames.tables[t]?.trim() || t)
}
