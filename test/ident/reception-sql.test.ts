import {expect} from 'chai'
import knexFactory from 'knex'

import {ReceptionQueries} from '../../src/ident/reception-queries.js'
import {compiled, schemaWith} from './helpers.js'

/**
 * The exact SQL Server text of every statement the reception reader sends, compiled by knex's mssql
 * dialect (the same builders run against SQLite in the other tests). A change here is a change of
 * what runs on the clinic's server: review it as such.
 */

const knex = knexFactory({client: 'mssql'})
const queries = new ReceptionQueries(knex, schemaWith(), 'mssql')
/** The window of a pass on 2026-11-21 with 30 days of history. */
const WINDOW = '2026-10-22 00:00:00'
/** Changed since 10:00, or a no-show whose end (2 grace hours back) lies in (08:00, 08:05]: a pass at 10:05 after one at 10:00. */
const CHANGED = {windowStart: WINDOW, since: '2026-11-20 10:00:00', noShowEnds: {after: '2026-11-20 08:00:00', upTo: '2026-11-20 08:05:00'}}

/** Every row of the reception query: the reception, its names, chair, branches, price and first visit. */
const RECEPTION_ROWS =
  'select [r].[ID] as [id], [r].[ID_Patients] as [patientId], [r].[PlanStart] as [planStart], [r].[PlanEnd] as [planEnd], [r].[PatientAppeared] as [appeared], [r].[ReceptionStarted] as [started], [r].[ReceptionEnded] as [ended], [r].[CheckIssued] as [checkIssued], [r].[ReceptionCanceled] as [canceled], [r].[ID_ReceptionCancelReasons] as [cancelReasonId], [cr].[Name] as [cancelReason], [r].[CancelReasonComment] as [cancelComment], [r].[ID_Staffs] as [staffId], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [ch].[NameArmchair] as [chair], [chb].[Name] as [chairBranch], [obr].[Name] as [orderBranch], [pr].[amount] as [price], [fv].[first] as [earliestVisit], [r].[DateTimeChanged] as [changed] from [Receptions] as [r] left join [ReceptionCancelReasons] as [cr] on [cr].[ID] = [r].[ID_ReceptionCancelReasons] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] left join [Persons] as [pe] on [pe].[ID] = [r].[ID_Patients] left join [Armchairs] as [ch] on [ch].[ID] = [r].[ID_Armchairs] left join [OwnCompanies] as [chb] on [chb].[ID] = [ch].[ID_OwnCompanies] left join (select [o].[ID_Receptions] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Receptions] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null) as [lo] on [lo].[pid] = [r].[ID] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [o].[ID_Receptions] as [rid], sum([j].[AmountWithDiscount]) as [amount] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] group by [o].[ID_Receptions]) as [pr] on [pr].[rid] = [r].[ID] left join (select [v].[ID_Patients] as [pid], min([v].[PlanStart]) as [first] from [Receptions] as [v] where ([v].[PatientAppeared] is not null or [v].[ReceptionStarted] is not null or [v].[ReceptionEnded] is not null or [v].[CheckIssued] is not null) and [v].[ReceptionCanceled] is null and [v].[ID_ReceptionCancelReasons] is null group by [v].[ID_Patients]) as [fv] on [fv].[pid] = [r].[ID_Patients]'
/** The reception's services, grouped: the bills' lines, their price list entries, the services' names. */
const SERVICE_ROWS =
  'select [o].[ID_Receptions] as [rid], [si].[Name] as [name], sum(coalesce([osr].[CountService], 1)) as [count] from [Orders] as [o] inner join [OrderServiceRelation] as [osr] on [osr].[ID_Orders] = [o].[ID] inner join [ServiceItemPrices] as [sp] on [sp].[ID] = [osr].[ID_ServicePrices] inner join [ServiceItems] as [si] on [si].[ID] = [sp].[ID_ServiceItems] inner join [Receptions] as [r] on [r].[ID] = [o].[ID_Receptions]'
const SERVICES_GROUPED = ' group by [o].[ID_Receptions], [si].[Name] order by [o].[ID_Receptions] asc'
/** Changed since 10:00 (the reception, its status datetimes, its bills, its patient) or a no-show by time. */
const CHANGED_IDS =
  '[r].[ID] in (select [x].[ID] as [rid] from [Receptions] as [x] where ([x].[DateTimeChanged] >= @p1 or [x].[PatientAppeared] >= @p2 or [x].[ReceptionStarted] >= @p3 or [x].[ReceptionEnded] >= @p4 or [x].[CheckIssued] >= @p5 or [x].[ReceptionCanceled] >= @p6) union all select [x].[ID_Receptions] as [rid] from [Orders] as [x] where [x].[DateTimeChanged] >= @p7 union all select [x].[ID] as [rid] from [Receptions] as [x] inner join [Persons] as [p] on [p].[ID] = [x].[ID_Patients] where [p].[DateTimeChanged] >= @p8 union all select [x].[ID] as [rid] from [Receptions] as [x] where [x].[PatientAppeared] is null and [x].[ReceptionStarted] is null and [x].[ReceptionEnded] is null and [x].[CheckIssued] is null and [x].[ReceptionCanceled] is null and [x].[ID_ReceptionCancelReasons] is null and (([x].[PlanEnd] > @p9 and [x].[PlanEnd] <= @p10) or ([x].[PlanEnd] is null and [x].[PlanStart] > @p11 and [x].[PlanStart] <= @p12)))'
const WATERMARK = '2026-11-20T10:00:00'
const CHANGED_BINDINGS = [
  '2026-10-22T00:00:00',
  ...Array<string>(8).fill(WATERMARK),
  '2026-11-20T08:00:00',
  '2026-11-20T08:05:00',
  '2026-11-20T08:00:00',
  '2026-11-20T08:05:00',
]

const RECEPTIONS_WINDOW = {sql: `${RECEPTION_ROWS} where [r].[PlanStart] >= @p0 order by [r].[ID] asc`, bindings: ['2026-10-22T00:00:00']}
const SERVICES_WINDOW = {sql: `${SERVICE_ROWS} where [r].[PlanStart] >= @p0${SERVICES_GROUPED}`, bindings: ['2026-10-22T00:00:00']}
const RECEPTIONS_CHANGED = {
  sql: `${RECEPTION_ROWS} where [r].[PlanStart] >= @p0 and ${CHANGED_IDS} order by [r].[ID] asc`,
  bindings: CHANGED_BINDINGS,
}
const SERVICES_CHANGED = {
  sql: `${SERVICE_ROWS} where [r].[PlanStart] >= @p0 and ${CHANGED_IDS}${SERVICES_GROUPED}`,
  bindings: CHANGED_BINDINGS,
}
const COUNT_CHANGED = {
  sql: `select count(*) as [n] from [Receptions] as [r] where [r].[PlanStart] >= @p0 and ${CHANGED_IDS}`,
  bindings: CHANGED_BINDINGS,
}
const RECEPTIONS_PATIENT = {
  sql: `${RECEPTION_ROWS} where [r].[PlanStart] >= @p0 and [r].[ID_Patients] = @p1 order by [r].[ID] asc`,
  bindings: ['2026-10-22T00:00:00', 42],
}
const SERVICES_PATIENT = {
  sql: `${SERVICE_ROWS} where [r].[PlanStart] >= @p0 and [r].[ID_Patients] = @p1${SERVICES_GROUPED}`,
  bindings: ['2026-10-22T00:00:00', 42],
}
const RECEPTIONS_IDS = {
  sql: `${RECEPTION_ROWS} where [r].[PlanStart] >= @p0 and [r].[ID] in (@p1, @p2) order by [r].[ID] asc`,
  bindings: ['2026-10-22T00:00:00', 7, 9],
}
const OUT_OF_WINDOW = {
  sql: 'select count(*) as [n] from [Receptions] as [r] where ([r].[PlanStart] < @p0 or [r].[PlanStart] is null)',
  bindings: ['2026-10-22T00:00:00'],
}
const CANCEL_REASON_NAMES = {
  sql: 'select distinct [cr].[Name] as [name] from [ReceptionCancelReasons] as [cr] where [cr].[Name] is not null order by [cr].[Name] asc',
  bindings: [],
}
const RECEPTIONS_OLD_SHAPE = {
  sql: 'select [r].[ID] as [id], [r].[ID_Patients] as [patientId], [r].[PlanStart] as [planStart], [r].[PlanEnd] as [planEnd], [r].[PatientAppeared] as [appeared], [r].[ReceptionCanceled] as [canceled], [r].[ID_ReceptionCancelReasons] as [cancelReasonId], [r].[ID_Staffs] as [staffId], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [obr].[Name] as [orderBranch], [pr].[amount] as [price], [fv].[first] as [earliestVisit], [r].[DateTimeChanged] as [changed] from [Receptions] as [r] left join [Staffs] as [d] on [d].[ID] = [r].[ID_Staffs] left join [Persons] as [pe] on [pe].[ID] = [r].[ID_Patients] left join (select [o].[ID_Receptions] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Receptions] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null) as [lo] on [lo].[pid] = [r].[ID] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [o].[ID_Receptions] as [rid], sum([j].[AmountWithDiscount]) as [amount] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] group by [o].[ID_Receptions]) as [pr] on [pr].[rid] = [r].[ID] left join (select [v].[ID_Patients] as [pid], min([v].[PlanStart]) as [first] from [Receptions] as [v] where ([v].[PatientAppeared] is not null) and [v].[ReceptionCanceled] is null and [v].[ID_ReceptionCancelReasons] is null group by [v].[ID_Patients]) as [fv] on [fv].[pid] = [r].[ID_Patients] where [r].[PlanStart] >= @p0 and [r].[ID] in (select [x].[ID] as [rid] from [Receptions] as [x] where ([x].[DateTimeChanged] >= @p1 or [x].[PatientAppeared] >= @p2 or [x].[ReceptionCanceled] >= @p3) union all select [x].[ID_Receptions] as [rid] from [Orders] as [x] where [x].[DateTimeChanged] >= @p4 union all select [x].[ID] as [rid] from [Receptions] as [x] inner join [Persons] as [p] on [p].[ID] = [x].[ID_Patients] where [p].[DateTimeChanged] >= @p5 union all select [x].[ID] as [rid] from [Receptions] as [x] where [x].[PatientAppeared] is null and [x].[ReceptionCanceled] is null and [x].[ID_ReceptionCancelReasons] is null and (([x].[PlanEnd] > @p6 and [x].[PlanEnd] <= @p7) or ([x].[PlanEnd] is null and [x].[PlanStart] > @p8 and [x].[PlanStart] <= @p9))) order by [r].[ID] asc',
  bindings: [
    '2026-10-22T00:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T08:00:00',
    '2026-11-20T08:05:00',
    '2026-11-20T08:00:00',
    '2026-11-20T08:05:00',
  ],
}

describe('ident reception SQL (SQL Server text, pinned)', () => {
  it('the window: one statement for the receptions (price and first visit as grouped subqueries), one for their services', () => {
    expect(compiled(queries.receptionRows({windowStart: WINDOW}))).to.deep.equal(RECEPTIONS_WINDOW)
    expect(compiled(queries.serviceRows({windowStart: WINDOW}))).to.deep.equal(SERVICES_WINDOW)
    expect(compiled(queries.countOutOfWindow(WINDOW))).to.deep.equal(OUT_OF_WINDOW)
  })

  it('changed since a watermark or a no-show since the previous pass: a UNION ALL of range conditions, times in the ISO form', () => {
    expect(compiled(queries.receptionRows(CHANGED))).to.deep.equal(RECEPTIONS_CHANGED)
    expect(compiled(queries.serviceRows(CHANGED))).to.deep.equal(SERVICES_CHANGED)
    expect(compiled(queries.countReceptions(CHANGED))).to.deep.equal(COUNT_CHANGED)
  })

  it("one patient's receptions, and receptions by id", () => {
    expect(compiled(queries.receptionRows({windowStart: WINDOW, patientId: 42}))).to.deep.equal(RECEPTIONS_PATIENT)
    expect(compiled(queries.serviceRows({windowStart: WINDOW, patientId: 42}))).to.deep.equal(SERVICES_PATIENT)
    expect(compiled(queries.receptionRows({windowStart: WINDOW, ids: [7, 9]}))).to.deep.equal(RECEPTIONS_IDS)
  })

  it('a database in the old shape: no chairs, services or cancel reasons, PatientAppeared the only mark, doctors named in Staffs', () => {
    const old = new ReceptionQueries(
      knex,
      schemaWith({
        drop: [
          'ReceptionCancelReasons',
          'Armchairs',
          'OrderServiceRelation',
          'ServiceItemPrices',
          'ServiceItems',
          'Receptions.ReceptionStarted',
          'Receptions.ReceptionEnded',
          'Receptions.CheckIssued',
          'Receptions.CancelReasonComment',
          'Receptions.ID_Armchairs',
          'Staffs.ID_Persons',
        ],
      }),
      'mssql',
    )
    expect(compiled(old.receptionRows(CHANGED))).to.deep.equal(RECEPTIONS_OLD_SHAPE)
    expect(old.receptionQueries(CHANGED).services).to.equal(undefined)
  })

  it("IDENT's cancel reason names (the deals' loss reasons): one statement, none without the table", () => {
    expect(compiled(queries.cancelReasonNames()!)).to.deep.equal(CANCEL_REASON_NAMES)
    expect(new ReceptionQueries(knex, schemaWith({drop: ['ReceptionCancelReasons']}), 'mssql').cancelReasonNames()).to.equal(undefined)
    expect(new ReceptionQueries(knex, schemaWith({drop: ['ReceptionCancelReasons.Name']}), 'mssql').cancelReasonNames()).to.equal(undefined)
  })

  it('every statement is a SELECT', () => {
    for (const q of [
      RECEPTIONS_WINDOW,
      SERVICES_WINDOW,
      RECEPTIONS_CHANGED,
      SERVICES_CHANGED,
      COUNT_CHANGED,
      RECEPTIONS_PATIENT,
      SERVICES_PATIENT,
      RECEPTIONS_IDS,
      OUT_OF_WINDOW,
      RECEPTIONS_OLD_SHAPE,
      CANCEL_REASON_NAMES,
    ])
      expect(q.sql).to.match(/^select /)
  })
})
