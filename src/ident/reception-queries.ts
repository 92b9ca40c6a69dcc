import type {Knex} from 'knex'

import {SchemaQueries} from './queries.js'
import {type ColumnRef, VISIT_MARKS} from './schema.js'

/**
 * The reception reader's statements (appointments → deals), built with knex for SQL Server and SQLite
 * alike from the resolved names. All of them are SELECTs; reading any selection of receptions costs
 * two statements (receptions, their services), whatever the number of receptions.
 */

/** Which receptions to read: always those of the window, narrowed by the rest. Times are naive local. */
export interface ReceptionSelection {
  /** The window: `PlanStart` at or after this. */
  windowStart: string
  /** Changed at or after this (the reception, its status datetimes, its orders, its patient's name) … */
  since?: string
  /** … or no-shows whose end (`PlanEnd`, else `PlanStart`) lies in `(after, upTo]` (bounds already moved back by the grace hours). */
  noShowEnds?: {after: string; upTo: string}
  patientId?: number
  ids?: readonly number[]
}

/** A row of the reception query: only the keys whose columns exist are selected. */
export interface ReceptionRow {
  id: number
  patientId: unknown
  planStart: unknown
  planEnd?: unknown
  appeared?: unknown
  started?: unknown
  ended?: unknown
  checkIssued?: unknown
  canceled?: unknown
  cancelReasonId?: unknown
  cancelReason?: unknown
  cancelComment?: unknown
  staffId?: unknown
  doctorSurname?: unknown
  doctorName?: unknown
  doctorPatronymic?: unknown
  surname: unknown
  name: unknown
  patronymic?: unknown
  chair?: unknown
  chairBranch?: unknown
  orderBranch?: unknown
  price?: unknown
  earliestVisit?: unknown
  changed?: unknown
}

/** One service of a reception: its name and how many were billed, over all of the reception's orders. */
export interface ServiceRow {
  rid: number
  name: unknown
  count: unknown
}

/** The status columns of a reception, by row key (docs/ident-schema.md, the stage ladder). */
export const RECEPTION_STATUS_KEYS = {
  appeared: 'Receptions.PatientAppeared',
  started: 'Receptions.ReceptionStarted',
  ended: 'Receptions.ReceptionEnded',
  checkIssued: 'Receptions.CheckIssued',
  canceled: 'Receptions.ReceptionCanceled',
  cancelReasonId: 'Receptions.ID_ReceptionCancelReasons',
} as const satisfies Partial<Record<keyof ReceptionRow, ColumnRef>>

export class ReceptionQueries extends SchemaQueries {
  /** The receptions and their services for a selection: two set-based statements (one without services). */
  receptionQueries(selection: ReceptionSelection): {receptions: Knex.QueryBuilder; services: Knex.QueryBuilder | undefined} {
    return {
      receptions: this.receptionRows(selection),
      services: this.schema.receptionAvailable('services') ? this.serviceRows(selection) : undefined,
    }
  }

  /**
   * One row per reception, in `ID` order: its own columns, its patient's and doctor's names, the chair
   * and branches, and grouped subqueries for the price (its orders' bills) and the patient's first visit.
   */
  receptionRows(selection: ReceptionSelection): Knex.QueryBuilder {
    const {knex, schema} = this
    const rid = this.c('r', 'Receptions', 'ID')
    const q = knex.from({r: this.t('Receptions')}).select({
      id: rid,
      patientId: this.c('r', 'Receptions', 'ID_Patients'),
      planStart: this.c('r', 'Receptions', 'PlanStart'),
    })
    if (this.has('Receptions', 'PlanEnd')) q.select({planEnd: this.c('r', 'Receptions', 'PlanEnd')})
    for (const [key, ref] of Object.entries(RECEPTION_STATUS_KEYS)) if (schema.has(ref)) q.select({[key]: this.ref('r', ref)})
    if (schema.receptionAvailable('cancelReason')) {
      q.leftJoin(
        {cr: this.t('ReceptionCancelReasons')},
        this.c('cr', 'ReceptionCancelReasons', 'ID'),
        this.c('r', 'Receptions', 'ID_ReceptionCancelReasons'),
      )
      q.select({cancelReason: this.c('cr', 'ReceptionCancelReasons', 'Name')})
    }
    if (this.has('Receptions', 'CancelReasonComment')) q.select({cancelComment: this.c('r', 'Receptions', 'CancelReasonComment')})
    if (this.has('Receptions', 'ID_Staffs')) {
      q.select({staffId: this.c('r', 'Receptions', 'ID_Staffs')})
      this.joinDoctors(q)
    }

    // The patient's name (the deal's name); a reception whose Persons row is missing still has its deal.
    q.leftJoin({pe: this.t('Persons')}, this.c('pe', 'Persons', 'ID'), this.c('r', 'Receptions', 'ID_Patients'))
    q.select({surname: this.c('pe', 'Persons', 'SurName'), name: this.c('pe', 'Persons', 'Name')})
    if (this.has('Persons', 'Patronymic')) q.select({patronymic: this.c('pe', 'Persons', 'Patronymic')})

    const branches = schema.receptionAvailable('branch')
    if (schema.receptionAvailable('chair') || (branches && this.has('Armchairs', 'ID', 'ID_OwnCompanies'))) {
      q.leftJoin({ch: this.t('Armchairs')}, this.c('ch', 'Armchairs', 'ID'), this.c('r', 'Receptions', 'ID_Armchairs'))
      if (schema.receptionAvailable('chair')) q.select({chair: this.c('ch', 'Armchairs', 'NameArmchair')})
      if (branches && this.has('Armchairs', 'ID_OwnCompanies')) {
        q.leftJoin({chb: this.t('OwnCompanies')}, this.c('chb', 'OwnCompanies', 'ID'), this.c('ch', 'Armchairs', 'ID_OwnCompanies'))
        q.select({chairBranch: this.c('chb', 'OwnCompanies', 'Name')})
      }
    }
    if (branches && this.has('Orders', 'ID_Receptions', 'ID_OwnCompanies')) {
      const order = this.has('Orders', 'DateTimeOrder') ? 'DateTimeOrder' : 'ID'
      const lo = this.latestPer('Orders', 'o', 'ID_Receptions', 'ID_OwnCompanies', order, 'ID')
      q.leftJoin(lo.as('lo'), (on) => on.on('lo.pid', '=', rid).andOn('lo.rn', '=', knex.raw('1')))
      q.leftJoin({obr: this.t('OwnCompanies')}, this.c('obr', 'OwnCompanies', 'ID'), 'lo.val')
      q.select({orderBranch: this.c('obr', 'OwnCompanies', 'Name')})
    }
    if (schema.receptionAvailable('price')) {
      const pr = knex
        .from({o: this.t('Orders')})
        .join({j: this.t('OrderPaymentsJournal')}, this.c('j', 'OrderPaymentsJournal', 'ID_Orders'), this.c('o', 'Orders', 'ID'))
        .select({rid: this.c('o', 'Orders', 'ID_Receptions')})
        .sum({amount: this.c('j', 'OrderPaymentsJournal', 'AmountWithDiscount')})
        .groupBy(this.c('o', 'Orders', 'ID_Receptions'))
      q.leftJoin(pr.as('pr'), 'pr.rid', rid).select({price: 'pr.amount'})
    }
    if (schema.receptionAvailable('firstVisit')) {
      const fv = knex
        .from({v: this.t('Receptions')})
        .select({pid: this.c('v', 'Receptions', 'ID_Patients')})
        .min({first: this.c('v', 'Receptions', 'PlanStart')})
        .groupBy(this.c('v', 'Receptions', 'ID_Patients'))
      this.whereVisit(fv, 'v')
      q.leftJoin(fv.as('fv'), 'fv.pid', this.c('r', 'Receptions', 'ID_Patients')).select({earliestVisit: 'fv.first'})
    }
    if (this.has('Receptions', 'DateTimeChanged')) q.select({changed: this.c('r', 'Receptions', 'DateTimeChanged')})

    this.filter(q, selection)
    return q.orderBy(rid)
  }

  /** Per reception, each service billed on its orders with the count summed, in reception id order. */
  serviceRows(selection: ReceptionSelection): Knex.QueryBuilder {
    const {knex} = this
    const rid = this.c('o', 'Orders', 'ID_Receptions')
    const name = this.c('si', 'ServiceItems', 'Name')
    const q = knex
      .from({o: this.t('Orders')})
      .join({osr: this.t('OrderServiceRelation')}, this.c('osr', 'OrderServiceRelation', 'ID_Orders'), this.c('o', 'Orders', 'ID'))
      .join(
        {sp: this.t('ServiceItemPrices')},
        this.c('sp', 'ServiceItemPrices', 'ID'),
        this.c('osr', 'OrderServiceRelation', 'ID_ServicePrices'),
      )
      .join({si: this.t('ServiceItems')}, this.c('si', 'ServiceItems', 'ID'), this.c('sp', 'ServiceItemPrices', 'ID_ServiceItems'))
      .join({r: this.t('Receptions')}, this.c('r', 'Receptions', 'ID'), rid)
      .select({rid, name})
    // Without the count column every line counts once.
    if (this.has('OrderServiceRelation', 'CountService'))
      q.select(knex.raw('sum(coalesce(??, 1)) as ??', [this.c('osr', 'OrderServiceRelation', 'CountService'), 'count']))
    else q.select(knex.raw('count(*) as ??', ['count']))
    this.filter(q, selection)
    return q.groupBy([rid, name]).orderBy(rid)
  }

  /**
   * The names of IDENT's cancel reasons (`ReceptionCancelReasons.Name`, each once, non-empty), for the
   * loss reasons of the deals; undefined when the table or its columns are missing.
   */
  cancelReasonNames(): Knex.QueryBuilder | undefined {
    if (!this.has('ReceptionCancelReasons', 'ID', 'Name')) return undefined
    const name = this.c('cr', 'ReceptionCancelReasons', 'Name')
    return this.knex
      .from({cr: this.t('ReceptionCancelReasons')})
      .distinct({name})
      .whereNotNull(name)
      .orderBy(name)
  }

  /** How many receptions a selection holds (for progress). */
  countReceptions(selection: ReceptionSelection): Knex.QueryBuilder {
    const q = this.knex.from({r: this.t('Receptions')}).count({n: '*'})
    this.filter(q, selection)
    return q
  }

  /** How many receptions are older than the window (or have no `PlanStart`): the report's `outOfWindow`. */
  countOutOfWindow(windowStart: string): Knex.QueryBuilder {
    const planStart = this.c('r', 'Receptions', 'PlanStart')
    return this.knex
      .from({r: this.t('Receptions')})
      .count({n: '*'})
      .where((w) => w.where(planStart, '<', this.timeValue(windowStart)).orWhereNull(planStart))
  }

  private filter(q: Knex.QueryBuilder, selection: ReceptionSelection): void {
    q.where(this.c('r', 'Receptions', 'PlanStart'), '>=', this.timeValue(selection.windowStart))
    if (selection.ids) q.whereIn(this.c('r', 'Receptions', 'ID'), [...selection.ids])
    if (selection.patientId !== undefined) q.where(this.c('r', 'Receptions', 'ID_Patients'), selection.patientId)
    if (selection.since !== undefined || selection.noShowEnds) q.whereIn(this.c('r', 'Receptions', 'ID'), this.changedReceptions(selection))
  }

  /**
   * Ids of the receptions changed at or after `since` or whose no-show time has just come: a UNION ALL of
   * one statement per source, each a range condition — the reception's own change and status columns
   * (IDENT may set a status without touching `DateTimeChanged`), its orders (the price, the services),
   * its patient's Persons row (the deal's name) — and the no-shows, never an OR across joins.
   */
  changedReceptions(selection: Pick<ReceptionSelection, 'since' | 'noShowEnds'>): Knex.QueryBuilder {
    const {knex} = this
    const parts: Knex.QueryBuilder[] = []
    const col = (ref: ColumnRef) => this.ref('x', ref)
    if (selection.since !== undefined) {
      const since = this.timeValue(selection.since)
      const changed = (['Receptions.DateTimeChanged', ...VISIT_MARKS, 'Receptions.ReceptionCanceled'] as ColumnRef[]).filter((ref) =>
        this.schema.has(ref),
      )
      if (changed.length > 0)
        parts.push(
          knex
            .from({x: this.t('Receptions')})
            .select({rid: col('Receptions.ID')})
            .where((w) => {
              for (const ref of changed) w.orWhere(col(ref), '>=', since)
            }),
        )
      if (this.has('Orders', 'ID_Receptions', 'DateTimeChanged'))
        parts.push(
          knex
            .from({x: this.t('Orders')})
            .select({rid: col('Orders.ID_Receptions')})
            .where(col('Orders.DateTimeChanged'), '>=', since),
        )
      if (this.has('Persons', 'DateTimeChanged'))
        parts.push(
          knex
            .from({x: this.t('Receptions')})
            .join({p: this.t('Persons')}, this.c('p', 'Persons', 'ID'), col('Receptions.ID_Patients'))
            .select({rid: col('Receptions.ID')})
            .where(this.c('p', 'Persons', 'DateTimeChanged'), '>=', since),
        )
    }
    if (selection.noShowEnds) parts.push(this.noShows(selection.noShowEnds))
    // Nothing can be watched (no change columns at all): an empty set, not every reception.
    if (parts.length === 0)
      return knex
        .from({x: this.t('Receptions')})
        .select({rid: col('Receptions.ID')})
        .whereRaw('1 = 0')
    const [first, ...rest] = parts
    // UNION ALL (IN does not mind a repeated id): a plain UNION lets SQLite merge the parts in id order
    // instead of reading the few changed rows through their indexes (0.55 s → 0.37 s at 100,000 patients).
    return rest.length > 0 ? first!.unionAll(rest) : first!
  }

  /** Receptions with no status at all whose end (`PlanEnd`, else `PlanStart`) lies in `(after, upTo]`. */
  private noShows(ends: {after: string; upTo: string}): Knex.QueryBuilder {
    const col = (ref: ColumnRef) => this.ref('x', ref)
    const [after, upTo] = [this.timeValue(ends.after), this.timeValue(ends.upTo)]
    const q = this.knex.from({x: this.t('Receptions')}).select({rid: col('Receptions.ID')})
    for (const ref of Object.values(RECEPTION_STATUS_KEYS)) if (this.schema.has(ref)) q.whereNull(col(ref))
    const planStart = col('Receptions.PlanStart')
    if (!this.has('Receptions', 'PlanEnd')) return q.where(planStart, '>', after).andWhere(planStart, '<=', upTo)
    const planEnd = col('Receptions.PlanEnd')
    return q.where((w) =>
      w
        .where((end) => end.where(planEnd, '>', after).andWhere(planEnd, '<=', upTo))
        .orWhere((start) => start.whereNull(planEnd).andWhere(planStart, '>', after).andWhere(planStart, '<=', upTo)),
    )
  }
}
