import {expect} from 'chai'
import knexFactory from 'knex'

import {IDENT_COLUMNS, IDENT_TABLES, READ_TABLES} from '../../src/ident/index.js'
import {IdentQueries, introspectionQuery, wantedTableNames} from '../../src/ident/queries.js'
import {type ExistingTables, resolveSchema} from '../../src/ident/schema.js'
import {compiled, schemaWith} from './helpers.js'

/**
 * The exact SQL Server text of every statement the reader sends, compiled by knex's mssql dialect
 * (no SQL Server runs here; the same builders run against SQLite in the other tests). A change here
 * is a change of what runs on the clinic's server: review it as such.
 */

const knex = knexFactory({client: 'mssql'})
const queries = new IdentQueries(knex, schemaWith(), 'mssql')

const PATIENTS_ALL = {
  sql: 'select [pa].[ID_Persons] as [id], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [pe].[Phone] as [phone], [pe].[MobilePhone] as [mobilePhone], [pe].[Email] as [email], [pe].[Sex] as [sex], [pe].[Birthday] as [birthday], [pe].[INN] as [inn], [pe].[SNILS] as [snils], [pa].[PatientNumber] as [patientNumber], [pa].[CardNumber] as [cardNumber], [pa].[Comment] as [comment], [pa].[FirstVisit] as [firstVisit], [pa].[SMSRejection] as [smsRejection], [pa].[ID_ArchivingReasons] as [archivingReasonId], [ar].[Name] as [archiveReason], [pa].[DateTimeChanged] as [patientChanged], [pe].[DateTimeChanged] as [personChanged], [rv].[visitCount] as [visitCount], [rv].[changed] as [receptionsChanged], [rv].[appearedChanged] as [appearedChanged], [rv].[startedChanged] as [startedChanged], [rv].[endedChanged] as [endedChanged], [rv].[checkIssuedChanged] as [checkIssuedChanged], [rv].[canceledChanged] as [canceledChanged], [pa].[InitialBalance] as [initialBalance], [py].[paid] as [paid], [py].[changed] as [paymentsChanged], [bl].[billed] as [billed], [oc].[changed] as [ordersChanged], [obr].[Name] as [orderBranch], [pbr].[Name] as [paymentBranch], [dc].[val] as [discount] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] left join [ArchivingReasons] as [ar] on [ar].[ID] = [pa].[ID_ArchivingReasons] left join (select [r].[ID_Patients] as [pid], count(case when ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null then 1 end) as [visitCount], max([r].[DateTimeChanged]) as [changed], max([r].[PatientAppeared]) as [appearedChanged], max([r].[ReceptionStarted]) as [startedChanged], max([r].[ReceptionEnded]) as [endedChanged], max([r].[CheckIssued]) as [checkIssuedChanged], max([r].[ReceptionCanceled]) as [canceledChanged] from [Receptions] as [r] group by [r].[ID_Patients]) as [rv] on [rv].[pid] = [pa].[ID_Persons] left join (select [p].[ID_Patients] as [pid], sum([p].[Payment]) as [paid], max([p].[DateTimeChanged]) as [changed] from [PaymentsIn] as [p] group by [p].[ID_Patients]) as [py] on [py].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], sum([j].[AmountWithDiscount]) as [billed] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] group by [o].[ID_Patients]) as [bl] on [bl].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], max([o].[DateTimeChanged]) as [changed] from [Orders] as [o] group by [o].[ID_Patients]) as [oc] on [oc].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Patients] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null) as [lo] on [lo].[pid] = [pa].[ID_Persons] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [p].[ID_Patients] as [pid], [p].[ID_OwnCompanies] as [val], row_number() over (partition by [p].[ID_Patients] order by [p].[DateTimePayment] desc, [p].[ID] desc) as [rn] from [PaymentsIn] as [p] where [p].[ID_OwnCompanies] is not null) as [lp] on [lp].[pid] = [pa].[ID_Persons] and [lp].[rn] = 1 left join [OwnCompanies] as [pbr] on [pbr].[ID] = [lp].[val] left join (select [d].[ID_Patients] as [pid], [d].[DiscountPercent] as [val], row_number() over (partition by [d].[ID_Patients] order by [d].[DateTimeChanged] desc, [d].[DiscountPercent] desc) as [rn] from [DiscountCards] as [d]) as [dc] on [dc].[pid] = [pa].[ID_Persons] and [dc].[rn] = 1 order by [pa].[ID_Persons] asc',
  bindings: [],
}

const VISITS_ALL = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null) as [v] where [v].[rn] <= @p0 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [150],
}

const SLICE_END = {
  sql: 'select max([s].[id]) as [upTo], count(*) as [n] from (select top (@p0) [pa].[ID_Persons] as [id] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] where [pa].[ID_Persons] > @p1 order by [pa].[ID_Persons] asc) as [s]',
  bindings: [10000, -1],
}

const PATIENTS_SLICE = {
  sql: 'select [pa].[ID_Persons] as [id], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [pe].[Phone] as [phone], [pe].[MobilePhone] as [mobilePhone], [pe].[Email] as [email], [pe].[Sex] as [sex], [pe].[Birthday] as [birthday], [pe].[INN] as [inn], [pe].[SNILS] as [snils], [pa].[PatientNumber] as [patientNumber], [pa].[CardNumber] as [cardNumber], [pa].[Comment] as [comment], [pa].[FirstVisit] as [firstVisit], [pa].[SMSRejection] as [smsRejection], [pa].[ID_ArchivingReasons] as [archivingReasonId], [ar].[Name] as [archiveReason], [pa].[DateTimeChanged] as [patientChanged], [pe].[DateTimeChanged] as [personChanged], [rv].[visitCount] as [visitCount], [rv].[changed] as [receptionsChanged], [rv].[appearedChanged] as [appearedChanged], [rv].[startedChanged] as [startedChanged], [rv].[endedChanged] as [endedChanged], [rv].[checkIssuedChanged] as [checkIssuedChanged], [rv].[canceledChanged] as [canceledChanged], [pa].[InitialBalance] as [initialBalance], [py].[paid] as [paid], [py].[changed] as [paymentsChanged], [bl].[billed] as [billed], [oc].[changed] as [ordersChanged], [obr].[Name] as [orderBranch], [pbr].[Name] as [paymentBranch], [dc].[val] as [discount] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] left join [ArchivingReasons] as [ar] on [ar].[ID] = [pa].[ID_ArchivingReasons] left join (select [r].[ID_Patients] as [pid], count(case when ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null then 1 end) as [visitCount], max([r].[DateTimeChanged]) as [changed], max([r].[PatientAppeared]) as [appearedChanged], max([r].[ReceptionStarted]) as [startedChanged], max([r].[ReceptionEnded]) as [endedChanged], max([r].[CheckIssued]) as [checkIssuedChanged], max([r].[ReceptionCanceled]) as [canceledChanged] from [Receptions] as [r] where [r].[ID_Patients] > @p0 and [r].[ID_Patients] <= @p1 group by [r].[ID_Patients]) as [rv] on [rv].[pid] = [pa].[ID_Persons] left join (select [p].[ID_Patients] as [pid], sum([p].[Payment]) as [paid], max([p].[DateTimeChanged]) as [changed] from [PaymentsIn] as [p] where [p].[ID_Patients] > @p2 and [p].[ID_Patients] <= @p3 group by [p].[ID_Patients]) as [py] on [py].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], sum([j].[AmountWithDiscount]) as [billed] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] where [o].[ID_Patients] > @p4 and [o].[ID_Patients] <= @p5 group by [o].[ID_Patients]) as [bl] on [bl].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], max([o].[DateTimeChanged]) as [changed] from [Orders] as [o] where [o].[ID_Patients] > @p6 and [o].[ID_Patients] <= @p7 group by [o].[ID_Patients]) as [oc] on [oc].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Patients] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null and [o].[ID_Patients] > @p8 and [o].[ID_Patients] <= @p9) as [lo] on [lo].[pid] = [pa].[ID_Persons] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [p].[ID_Patients] as [pid], [p].[ID_OwnCompanies] as [val], row_number() over (partition by [p].[ID_Patients] order by [p].[DateTimePayment] desc, [p].[ID] desc) as [rn] from [PaymentsIn] as [p] where [p].[ID_OwnCompanies] is not null and [p].[ID_Patients] > @p10 and [p].[ID_Patients] <= @p11) as [lp] on [lp].[pid] = [pa].[ID_Persons] and [lp].[rn] = 1 left join [OwnCompanies] as [pbr] on [pbr].[ID] = [lp].[val] left join (select [d].[ID_Patients] as [pid], [d].[DiscountPercent] as [val], row_number() over (partition by [d].[ID_Patients] order by [d].[DateTimeChanged] desc, [d].[DiscountPercent] desc) as [rn] from [DiscountCards] as [d] where [d].[ID_Patients] > @p12 and [d].[ID_Patients] <= @p13) as [dc] on [dc].[pid] = [pa].[ID_Persons] and [dc].[rn] = 1 where [pa].[ID_Persons] > @p14 and [pa].[ID_Persons] <= @p15 order by [pa].[ID_Persons] asc',
  bindings: [10000, 20000, 10000, 20000, 10000, 20000, 10000, 20000, 10000, 20000, 10000, 20000, 10000, 20000, 10000, 20000],
}

const VISITS_SLICE = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null and [r].[ID_Patients] > @p0 and [r].[ID_Patients] <= @p1) as [v] where [v].[rn] <= @p2 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [10000, 20000, 150],
}

const PATIENTS_ONE = {
  sql: 'select [pa].[ID_Persons] as [id], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [pe].[Phone] as [phone], [pe].[MobilePhone] as [mobilePhone], [pe].[Email] as [email], [pe].[Sex] as [sex], [pe].[Birthday] as [birthday], [pe].[INN] as [inn], [pe].[SNILS] as [snils], [pa].[PatientNumber] as [patientNumber], [pa].[CardNumber] as [cardNumber], [pa].[Comment] as [comment], [pa].[FirstVisit] as [firstVisit], [pa].[SMSRejection] as [smsRejection], [pa].[ID_ArchivingReasons] as [archivingReasonId], [ar].[Name] as [archiveReason], [pa].[DateTimeChanged] as [patientChanged], [pe].[DateTimeChanged] as [personChanged], [rv].[visitCount] as [visitCount], [rv].[changed] as [receptionsChanged], [rv].[appearedChanged] as [appearedChanged], [rv].[startedChanged] as [startedChanged], [rv].[endedChanged] as [endedChanged], [rv].[checkIssuedChanged] as [checkIssuedChanged], [rv].[canceledChanged] as [canceledChanged], [pa].[InitialBalance] as [initialBalance], [py].[paid] as [paid], [py].[changed] as [paymentsChanged], [bl].[billed] as [billed], [oc].[changed] as [ordersChanged], [obr].[Name] as [orderBranch], [pbr].[Name] as [paymentBranch], [dc].[val] as [discount] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] left join [ArchivingReasons] as [ar] on [ar].[ID] = [pa].[ID_ArchivingReasons] left join (select [r].[ID_Patients] as [pid], count(case when ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null then 1 end) as [visitCount], max([r].[DateTimeChanged]) as [changed], max([r].[PatientAppeared]) as [appearedChanged], max([r].[ReceptionStarted]) as [startedChanged], max([r].[ReceptionEnded]) as [endedChanged], max([r].[CheckIssued]) as [checkIssuedChanged], max([r].[ReceptionCanceled]) as [canceledChanged] from [Receptions] as [r] where [r].[ID_Patients] in (@p0) group by [r].[ID_Patients]) as [rv] on [rv].[pid] = [pa].[ID_Persons] left join (select [p].[ID_Patients] as [pid], sum([p].[Payment]) as [paid], max([p].[DateTimeChanged]) as [changed] from [PaymentsIn] as [p] where [p].[ID_Patients] in (@p1) group by [p].[ID_Patients]) as [py] on [py].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], sum([j].[AmountWithDiscount]) as [billed] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] where [o].[ID_Patients] in (@p2) group by [o].[ID_Patients]) as [bl] on [bl].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], max([o].[DateTimeChanged]) as [changed] from [Orders] as [o] where [o].[ID_Patients] in (@p3) group by [o].[ID_Patients]) as [oc] on [oc].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Patients] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null and [o].[ID_Patients] in (@p4)) as [lo] on [lo].[pid] = [pa].[ID_Persons] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [p].[ID_Patients] as [pid], [p].[ID_OwnCompanies] as [val], row_number() over (partition by [p].[ID_Patients] order by [p].[DateTimePayment] desc, [p].[ID] desc) as [rn] from [PaymentsIn] as [p] where [p].[ID_OwnCompanies] is not null and [p].[ID_Patients] in (@p5)) as [lp] on [lp].[pid] = [pa].[ID_Persons] and [lp].[rn] = 1 left join [OwnCompanies] as [pbr] on [pbr].[ID] = [lp].[val] left join (select [d].[ID_Patients] as [pid], [d].[DiscountPercent] as [val], row_number() over (partition by [d].[ID_Patients] order by [d].[DateTimeChanged] desc, [d].[DiscountPercent] desc) as [rn] from [DiscountCards] as [d] where [d].[ID_Patients] in (@p6)) as [dc] on [dc].[pid] = [pa].[ID_Persons] and [dc].[rn] = 1 where [pa].[ID_Persons] in (@p7) order by [pa].[ID_Persons] asc',
  bindings: [42, 42, 42, 42, 42, 42, 42, 42],
}

const VISITS_ONE = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null and [r].[ID_Patients] in (@p0)) as [v] where [v].[rn] <= @p1 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [42, 150],
}

const PATIENTS_SINCE = {
  sql: 'select [pa].[ID_Persons] as [id], [pe].[SurName] as [surname], [pe].[Name] as [name], [pe].[Patronymic] as [patronymic], [pe].[Phone] as [phone], [pe].[MobilePhone] as [mobilePhone], [pe].[Email] as [email], [pe].[Sex] as [sex], [pe].[Birthday] as [birthday], [pe].[INN] as [inn], [pe].[SNILS] as [snils], [pa].[PatientNumber] as [patientNumber], [pa].[CardNumber] as [cardNumber], [pa].[Comment] as [comment], [pa].[FirstVisit] as [firstVisit], [pa].[SMSRejection] as [smsRejection], [pa].[ID_ArchivingReasons] as [archivingReasonId], [ar].[Name] as [archiveReason], [pa].[DateTimeChanged] as [patientChanged], [pe].[DateTimeChanged] as [personChanged], [rv].[visitCount] as [visitCount], [rv].[changed] as [receptionsChanged], [rv].[appearedChanged] as [appearedChanged], [rv].[startedChanged] as [startedChanged], [rv].[endedChanged] as [endedChanged], [rv].[checkIssuedChanged] as [checkIssuedChanged], [rv].[canceledChanged] as [canceledChanged], [pa].[InitialBalance] as [initialBalance], [py].[paid] as [paid], [py].[changed] as [paymentsChanged], [bl].[billed] as [billed], [oc].[changed] as [ordersChanged], [obr].[Name] as [orderBranch], [pbr].[Name] as [paymentBranch], [dc].[val] as [discount] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] left join [ArchivingReasons] as [ar] on [ar].[ID] = [pa].[ID_ArchivingReasons] left join (select [r].[ID_Patients] as [pid], count(case when ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null then 1 end) as [visitCount], max([r].[DateTimeChanged]) as [changed], max([r].[PatientAppeared]) as [appearedChanged], max([r].[ReceptionStarted]) as [startedChanged], max([r].[ReceptionEnded]) as [endedChanged], max([r].[CheckIssued]) as [checkIssuedChanged], max([r].[ReceptionCanceled]) as [canceledChanged] from [Receptions] as [r] group by [r].[ID_Patients]) as [rv] on [rv].[pid] = [pa].[ID_Persons] left join (select [p].[ID_Patients] as [pid], sum([p].[Payment]) as [paid], max([p].[DateTimeChanged]) as [changed] from [PaymentsIn] as [p] group by [p].[ID_Patients]) as [py] on [py].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], sum([j].[AmountWithDiscount]) as [billed] from [Orders] as [o] inner join [OrderPaymentsJournal] as [j] on [j].[ID_Orders] = [o].[ID] group by [o].[ID_Patients]) as [bl] on [bl].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], max([o].[DateTimeChanged]) as [changed] from [Orders] as [o] group by [o].[ID_Patients]) as [oc] on [oc].[pid] = [pa].[ID_Persons] left join (select [o].[ID_Patients] as [pid], [o].[ID_OwnCompanies] as [val], row_number() over (partition by [o].[ID_Patients] order by [o].[DateTimeOrder] desc, [o].[ID] desc) as [rn] from [Orders] as [o] where [o].[ID_OwnCompanies] is not null) as [lo] on [lo].[pid] = [pa].[ID_Persons] and [lo].[rn] = 1 left join [OwnCompanies] as [obr] on [obr].[ID] = [lo].[val] left join (select [p].[ID_Patients] as [pid], [p].[ID_OwnCompanies] as [val], row_number() over (partition by [p].[ID_Patients] order by [p].[DateTimePayment] desc, [p].[ID] desc) as [rn] from [PaymentsIn] as [p] where [p].[ID_OwnCompanies] is not null) as [lp] on [lp].[pid] = [pa].[ID_Persons] and [lp].[rn] = 1 left join [OwnCompanies] as [pbr] on [pbr].[ID] = [lp].[val] left join (select [d].[ID_Patients] as [pid], [d].[DiscountPercent] as [val], row_number() over (partition by [d].[ID_Patients] order by [d].[DateTimeChanged] desc, [d].[DiscountPercent] desc) as [rn] from [DiscountCards] as [d]) as [dc] on [dc].[pid] = [pa].[ID_Persons] and [dc].[rn] = 1 where [pa].[ID_Persons] in (select [ID_Persons] as [pid] from [Patients] where [DateTimeChanged] >= @p0 union all select [ID] as [pid] from [Persons] where [DateTimeChanged] >= @p1 union all select [ID_Patients] as [pid] from [Receptions] where ([DateTimeChanged] >= @p2 or [PatientAppeared] >= @p3 or [ReceptionStarted] >= @p4 or [ReceptionEnded] >= @p5 or [CheckIssued] >= @p6 or [ReceptionCanceled] >= @p7) union all select [ID_Patients] as [pid] from [PaymentsIn] where [DateTimeChanged] >= @p8 union all select [ID_Patients] as [pid] from [Orders] where [DateTimeChanged] >= @p9) order by [pa].[ID_Persons] asc',
  bindings: [
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
  ],
}

const VISITS_SINCE = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null and [r].[ID_Patients] in (select [ID_Persons] as [pid] from [Patients] where [DateTimeChanged] >= @p0 union all select [ID] as [pid] from [Persons] where [DateTimeChanged] >= @p1 union all select [ID_Patients] as [pid] from [Receptions] where ([DateTimeChanged] >= @p2 or [PatientAppeared] >= @p3 or [ReceptionStarted] >= @p4 or [ReceptionEnded] >= @p5 or [CheckIssued] >= @p6 or [ReceptionCanceled] >= @p7) union all select [ID_Patients] as [pid] from [PaymentsIn] where [DateTimeChanged] >= @p8 union all select [ID_Patients] as [pid] from [Orders] where [DateTimeChanged] >= @p9)) as [v] where [v].[rn] <= @p10 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    150,
  ],
}

const VISITS_FIRST_10 = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Persons] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null or [r].[ReceptionStarted] is not null or [r].[ReceptionEnded] is not null or [r].[CheckIssued] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null and [r].[ID_Patients] in (select top (@p0) [pa].[ID_Persons] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] order by [pa].[ID_Persons] asc)) as [v] where [v].[rn] <= @p1 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [10, 150],
}

const CHANGED_IDS = {
  sql: 'select distinct top (@p0) [c].[pid] from (select [ID_Persons] as [pid] from [Patients] where [DateTimeChanged] >= @p1 union all select [ID] as [pid] from [Persons] where [DateTimeChanged] >= @p2 union all select [ID_Patients] as [pid] from [Receptions] where ([DateTimeChanged] >= @p3 or [PatientAppeared] >= @p4 or [ReceptionStarted] >= @p5 or [ReceptionEnded] >= @p6 or [CheckIssued] >= @p7 or [ReceptionCanceled] >= @p8) union all select [ID_Patients] as [pid] from [PaymentsIn] where [DateTimeChanged] >= @p9 union all select [ID_Patients] as [pid] from [Orders] where [DateTimeChanged] >= @p10) as [c] order by [c].[pid] asc',
  bindings: [
    1001,
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
  ],
}

const COUNT = {
  sql: 'select count(distinct [pa].[ID_Persons]) as [n] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons]',
  bindings: [],
}

const COUNT_FIRST_5 = {
  sql: 'select count(*) as [n] from (select top (@p0) [pa].[ID_Persons] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] order by [pa].[ID_Persons] asc) as [x]',
  bindings: [5],
}

const CLOCK = {
  sql: 'select convert(varchar(19), sysdatetime(), 120) as [now]',
  bindings: [],
}

const TABLE_COUNTS = {
  sql: 'select (select count(*) from [Persons]) as [Persons], (select count(*) from [Patients]) as [Patients], (select count(*) from [ArchivingReasons]) as [ArchivingReasons], (select count(*) from [Staffs]) as [Staffs], (select count(*) from [OwnCompanies]) as [OwnCompanies], (select count(*) from [Receptions]) as [Receptions], (select count(*) from [PaymentsIn]) as [PaymentsIn], (select count(*) from [Orders]) as [Orders], (select count(*) from [OrderPaymentsJournal]) as [OrderPaymentsJournal], (select count(*) from [DiscountCards]) as [DiscountCards], (select count(*) from [ReceptionCancelReasons]) as [ReceptionCancelReasons], (select count(*) from [Armchairs]) as [Armchairs], (select count(*) from [OrderServiceRelation]) as [OrderServiceRelation], (select count(*) from [ServiceItemPrices]) as [ServiceItemPrices], (select count(*) from [ServiceItems]) as [ServiceItems]',
  bindings: [],
}

const WRITE_PERMISSIONS = {
  sql: "select has_perms_by_name(db_name(), 'DATABASE', 'INSERT') as [INSERT], has_perms_by_name(db_name(), 'DATABASE', 'UPDATE') as [UPDATE], has_perms_by_name(db_name(), 'DATABASE', 'DELETE') as [DELETE], has_perms_by_name(db_name(), 'DATABASE', 'ALTER') as [ALTER], has_perms_by_name(db_name(), 'DATABASE', 'CREATE TABLE') as [CREATE TABLE], has_perms_by_name(@p0, 'OBJECT', 'UPDATE') as [UPDATE Patients]",
  bindings: ['Patients'],
}

const INTROSPECTION = {
  sql: 'select [c].[TABLE_SCHEMA] as [tableSchema], [c].[TABLE_NAME] as [tableName], [c].[COLUMN_NAME] as [columnName], [c].[DATA_TYPE] as [dataType] from [INFORMATION_SCHEMA].[COLUMNS] as [c] where [c].[TABLE_CATALOG] = db_name() and ([c].[TABLE_SCHEMA] = schema_name() or [c].[TABLE_SCHEMA] = @p0) and [c].[TABLE_NAME] in (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15) order by case when [c].[TABLE_SCHEMA] = schema_name() then 0 else 1 end, [c].[TABLE_NAME] asc, [c].[ORDINAL_POSITION] asc',
  bindings: [
    'dbo',
    'Persons',
    'Patients',
    'ArchivingReasons',
    'Staffs',
    'OwnCompanies',
    'Receptions',
    'PaymentsIn',
    'Orders',
    'OrderPaymentsJournal',
    'DiscountCards',
    'ReceptionCancelReasons',
    'Armchairs',
    'OrderServiceRelation',
    'ServiceItemPrices',
    'ServiceItems',
  ],
}

const PATIENT_SCAN = {
  sql: 'select [pa].[ID_Persons] as [id], [pe].[Birthday] as [birthday] from [Patients] as [pa] inner join [Persons] as [pe] on [pe].[ID] = [pa].[ID_Persons] order by [pa].[ID_Persons] asc',
  bindings: [],
}

const VISITS_OLD_SHAPE = {
  sql: 'select [v].[pid], [v].[at], [v].[doctorSurname], [v].[doctorName], [v].[doctorPatronymic] from (select [r].[ID_Patients] as [pid], [r].[PlanStart] as [at], row_number() over (partition by [r].[ID_Patients] order by [r].[PlanStart] desc, [r].[ID] desc) as [rn], [d].[SurName] as [doctorSurname], [d].[Name] as [doctorName], [d].[Patronymic] as [doctorPatronymic] from [Receptions] as [r] left join [Staffs] as [d] on [d].[ID] = [r].[ID_Staffs] where ([r].[PatientAppeared] is not null) and [r].[ReceptionCanceled] is null and [r].[ID_ReceptionCancelReasons] is null) as [v] where [v].[rn] <= @p0 order by [v].[pid] asc, [v].[rn] asc',
  bindings: [150],
}

const CHANGED_IDS_BY_CHANGES = {
  sql: 'select distinct top (@p0) [c].[pid] from (select [ID_Persons] as [pid] from [Patients] where [DateTimeChanged] >= @p1 union all select [ID] as [pid] from [Persons] where [DateTimeChanged] >= @p2 union all select [ID_Patients] as [pid] from [Receptions] where [DateTimeChanged] >= @p3 union all select [ID_Patients] as [pid] from [PaymentsIn] where [DateTimeChanged] >= @p4 union all select [ID_Patients] as [pid] from [Orders] where [DateTimeChanged] >= @p5) as [c] order by [c].[pid] asc',
  bindings: [1001, '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00'],
}

const CHANGED_IDS_BY_STATUSES = {
  sql: 'select distinct top (@p0) [c].[pid] from (select [ID_Patients] as [pid] from [Receptions] where ([PatientAppeared] >= @p1 or [ReceptionStarted] >= @p2 or [ReceptionEnded] >= @p3 or [CheckIssued] >= @p4 or [ReceptionCanceled] >= @p5)) as [c] order by [c].[pid] asc',
  bindings: [1001, '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00', '2026-11-20T10:00:00'],
}

const CHANGED_SINCE_OLD_SHAPE = {
  sql: 'select [ID_Persons] as [pid] from [Patients] where [DateTimeChanged] >= @p0 union all select [ID] as [pid] from [Persons] where [DateTimeChanged] >= @p1 union all select [ID_Patients] as [pid] from [Receptions] where ([DateTimeChanged] >= @p2 or [PatientAppeared] >= @p3 or [ReceptionCanceled] >= @p4) union all select [ID_Patients] as [pid] from [PaymentsIn] where [DateTimeChanged] >= @p5 union all select [ID_Patients] as [pid] from [Orders] where [DateTimeChanged] >= @p6',
  bindings: [
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
    '2026-11-20T10:00:00',
  ],
}

describe('ident SQL (SQL Server text, pinned)', () => {
  it('the patient statements unfiltered (what every read narrows): one for patients, one for their visit history', () => {
    const {patients, visits} = queries.patientQueries({})
    expect(compiled(patients)).to.deep.equal(PATIENTS_ALL)
    expect(compiled(visits!)).to.deep.equal(VISITS_ALL)
  })

  it('every patient, a slice at a time: where the slice of 10,000 ends, then the statements above with the id range in every grouped subquery too', () => {
    expect(compiled(queries.sliceEnd(-1, 10_000))).to.deep.equal(SLICE_END)
    const {patients, visits} = queries.patientQueries({idRange: {after: 10_000, upTo: 20_000}})
    expect(compiled(patients)).to.deep.equal(PATIENTS_SLICE)
    expect(compiled(visits!)).to.deep.equal(VISITS_SLICE)
  })

  it('one patient: the same statements filtered by id, in every grouped subquery too', () => {
    const {patients, visits} = queries.patientQueries({ids: [42]})
    expect(compiled(patients)).to.deep.equal(PATIENTS_ONE)
    expect(compiled(visits!)).to.deep.equal(VISITS_ONE)
  })

  it('changed since a watermark: a UNION ALL of per-table ranges (receptions also by their status datetimes), the time in the ISO form any DATEFORMAT reads', () => {
    const {patients, visits} = queries.patientQueries({since: '2026-11-20 10:00:00'})
    expect(compiled(patients)).to.deep.equal(PATIENTS_SINCE)
    expect(compiled(visits!)).to.deep.equal(VISITS_SINCE)
  })

  it('which patients changed since a watermark: their ids alone, each once, in order, at most N (then they are read by id)', () => {
    expect(compiled(queries.changedPatientIds('2026-11-20 10:00:00', 1001))).to.deep.equal(CHANGED_IDS)
  })

  it("the same in two parts, sent at once (an incremental pass without a limit): the tables' DateTimeChanged ranges, and apart the receptions' status datetimes, which no index covers", () => {
    expect(compiled(queries.changedPatientIds('2026-11-20 10:00:00', 1001, 'changes'))).to.deep.equal(CHANGED_IDS_BY_CHANGES)
    expect(compiled(queries.changedPatientIds('2026-11-20 10:00:00', 1001, 'statuses'))).to.deep.equal(CHANGED_IDS_BY_STATUSES)
  })

  it('the first N patients and the counts', () => {
    expect(compiled(queries.visitRows({limit: 10}))).to.deep.equal(VISITS_FIRST_10)
    expect(compiled(queries.countPatients({}))).to.deep.equal(COUNT)
    expect(compiled(queries.countPatients({limit: 5}))).to.deep.equal(COUNT_FIRST_5)
  })

  it('db check reads every patient id and birthday once, to parse them and find repeated ids', () => {
    expect(compiled(queries.patientScan())).to.deep.equal(PATIENT_SCAN)
  })

  it('a database in the old shape: doctors named in Staffs, PatientAppeared the only mark, DateTimeChanged the only change', () => {
    const old = new IdentQueries(
      knex,
      schemaWith({drop: ['Staffs.ID_Persons', 'Receptions.ReceptionStarted', 'Receptions.ReceptionEnded', 'Receptions.CheckIssued']}),
      'mssql',
    )
    expect(compiled(old.visitRows({}))).to.deep.equal(VISITS_OLD_SHAPE)
    expect(compiled(old.changedSince('2026-11-20 10:00:00'))).to.deep.equal(CHANGED_SINCE_OLD_SHAPE)
  })

  it('the clock, the table counts, the write permissions and the introspection', () => {
    expect(compiled(queries.clock())).to.deep.equal(CLOCK)
    expect(compiled(queries.tableCounts()!)).to.deep.equal(TABLE_COUNTS)
    expect(compiled(queries.writePermissions())).to.deep.equal(WRITE_PERMISSIONS)
    // Both readers' tables: the patients' and those only deals read.
    expect(wantedTableNames({tables: {}})).to.deep.equal(READ_TABLES)
    expect(compiled(introspectionQuery(knex, 'mssql', wantedTableNames({tables: {}})))).to.deep.equal(INTROSPECTION)
  })

  it('every statement is a SELECT', () => {
    for (const q of [
      PATIENTS_ALL,
      VISITS_ALL,
      PATIENTS_ONE,
      VISITS_ONE,
      PATIENTS_SINCE,
      VISITS_SINCE,
      VISITS_FIRST_10,
      COUNT,
      COUNT_FIRST_5,
      CLOCK,
      TABLE_COUNTS,
      WRITE_PERMISSIONS,
      INTROSPECTION,
      PATIENT_SCAN,
      VISITS_OLD_SHAPE,
      CHANGED_SINCE_OLD_SHAPE,
      CHANGED_IDS,
      CHANGED_IDS_BY_CHANGES,
      CHANGED_IDS_BY_STATUSES,
    ])
      expect(q.sql).to.match(/^select /)
  })

  it("uses the clinic's names and leaves out what is missing", () => {
    const existing: ExistingTables = new Map()
    for (const table of IDENT_TABLES) {
      const name = table === 'OwnCompanies' ? 'Filials' : table
      const columns = Object.keys(IDENT_COLUMNS[table]).map((c) => (table === 'Persons' && c === 'MobilePhone' ? 'CellPhone' : c))
      existing.set(name.toLowerCase(), {name, columns})
    }
    const clinic = new IdentQueries(
      knex,
      resolveSchema(existing, {tables: {OwnCompanies: 'Filials'}, columns: {Persons: {MobilePhone: 'CellPhone'}}}),
      'mssql',
    )
    const sql = compiled(clinic.patientRows({})).sql
    expect(sql).to.include('[pe].[CellPhone] as [mobilePhone]')
    expect(sql).to.include('left join [Filials] as [obr] on [obr].[ID] = [lo].[val]')
    expect(sql).not.to.include('[OwnCompanies]')

    const reduced = new IdentQueries(
      knex,
      schemaWith({drop: ['Persons.Email', 'DiscountCards.ID_Patients', 'DiscountCards.DiscountPercent', 'DiscountCards.DateTimeChanged']}),
      'mssql',
    )
    const sqlReduced = compiled(reduced.patientRows({})).sql
    expect(sqlReduced).not.to.include('[email]')
    expect(sqlReduced).not.to.include('[DiscountCards]')
    expect(sqlReduced).to.include('[pe].[Phone] as [phone]')
  })
})
