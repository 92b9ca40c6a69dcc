import type {DealStageKey} from '../fields/deal-catalogue.js'
import type {ReceptionRow, ServiceRow} from './reception-queries.js'
import {formatDoctor, naiveDateTime, text} from './rows.js'
import type {ResolvedSchema} from './schema.js'
import {addHours} from './time.js'
import type {IdentStatus, Reception} from './types.js'

/**
 * Row → Reception: the stage ladder and the values of docs/ident-schema.md "Receptions", with naive
 * local times whichever driver returned them.
 */

/** The status datetimes of a reception (naive local; undefined when the column does not exist). */
export interface ReceptionMarks {
  planStart: string
  planEnd: string | null | undefined
  appeared?: string | null
  started?: string | null
  ended?: string | null
  checkIssued?: string | null
  canceled?: string | null
  /** `ID_ReceptionCancelReasons` is set. */
  cancelReason?: boolean
}

/**
 * The stage key and the IDENT status of a reception, first rule that applies: cancelled (either
 * way), paid (bill issued), done (ended), came (started: `На приёме`; marked as come only: `Пришёл`),
 * no-show (its end — `PlanEnd`, else `PlanStart` — plus `noShowHours` is at or before `now`), booked.
 */
export function receptionStage(marks: ReceptionMarks, now: string, noShowHours: number): {stage: DealStageKey; identStatus: IdentStatus} {
  if (marks.canceled || marks.cancelReason) return {stage: 'cancelled', identStatus: 'Отменён'}
  if (marks.checkIssued) return {stage: 'paid', identStatus: 'Счёт выдан'}
  if (marks.ended) return {stage: 'done', identStatus: 'Приём завершён'}
  if (marks.started) return {stage: 'came', identStatus: 'На приёме'}
  if (marks.appeared) return {stage: 'came', identStatus: 'Пришёл'}
  if (addHours(marks.planEnd ?? marks.planStart, noShowHours) <= now) return {stage: 'no_show', identStatus: 'Не пришёл'}
  return {stage: 'booked', identStatus: 'Записан'}
}

/** `Name × count` lines of one reception's services, sorted by name; lines whose count sums to nothing are left out. */
export function serviceLines(rows: readonly ServiceRow[]): string[] {
  return rows
    .map((row) => ({name: text(row.name), count: Number(row.count ?? 1)}))
    .filter((s): s is {name: string; count: number} => s.name !== null && Number.isFinite(s.count) && s.count > 0)
    .sort((a, b) => a.name.localeCompare(b.name, 'ru'))
    .map((s) => `${s.name} × ${s.count}`)
}

/** A reception row (and its service rows, when services can be read) → Reception, at the clinic's `now`. */
export function receptionFromRow(
  row: ReceptionRow,
  services: ServiceRow[] | undefined,
  schema: ResolvedSchema,
  clock: {now: string; noShowHours: number},
): Reception {
  const has = (key: keyof ReceptionRow) => key in row
  const planStart = naiveDateTime(row.planStart)!
  const planEnd = has('planEnd') ? naiveDateTime(row.planEnd) : undefined
  const status = (key: 'appeared' | 'started' | 'ended' | 'checkIssued' | 'canceled') => (has(key) ? naiveDateTime(row[key]) : undefined)
  const marks: ReceptionMarks = {
    planStart,
    planEnd,
    appeared: status('appeared'),
    started: status('started'),
    ended: status('ended'),
    checkIssued: status('checkIssued'),
    canceled: status('canceled'),
    cancelReason: row.cancelReasonId !== null && row.cancelReasonId !== undefined,
  }
  const {stage, identStatus} = receptionStage(marks, clock.now, clock.noShowHours)
  const cancelled = stage === 'cancelled'
  const available = (value: Parameters<ResolvedSchema['receptionAvailable']>[0]) => schema.receptionAvailable(value)
  const earliestVisit = naiveDateTime(row.earliestVisit)
  const changed = [row.changed, marks.appeared, marks.started, marks.ended, marks.checkIssued, marks.canceled]
    .map(naiveDateTime)
    .filter((x): x is string => x !== null)
    .sort()
  return {
    id: String(row.id),
    patientId: String(row.patientId),
    patient: {surname: text(row.surname), name: text(row.name), patronymic: has('patronymic') ? text(row.patronymic) : undefined},
    planStart,
    planEnd,
    stage,
    identStatus,
    staffId: available('staffId') ? text(row.staffId) : undefined,
    doctor: available('doctor') ? formatDoctor(row.doctorSurname, row.doctorName, row.doctorPatronymic) : undefined,
    chair: available('chair') ? text(row.chair) : undefined,
    branch: available('branch') ? (text(row.chairBranch) ?? text(row.orderBranch)) : undefined,
    services: available('services') ? serviceLines(services ?? []) : undefined,
    price: available('price') ? wholeRubles(row.price) : undefined,
    cancelReason: available('cancelReason') ? (cancelled ? text(row.cancelReason) : null) : undefined,
    cancelComment: available('cancelComment') ? (cancelled ? text(row.cancelComment) : null) : undefined,
    firstVisit: available('firstVisit') ? earliestVisit === null || earliestVisit >= planStart : undefined,
    changedAt: changed.at(-1) ?? null,
  }
}

/** A sum of money as amoCRM's integer price: whole rubles, half away from zero; 0 without a bill. */
export function wholeRubles(value: unknown): number {
  const n = value === null || value === undefined || value === '' ? 0 : Number(value)
  if (!Number.isFinite(n)) return 0
  // The nudge absorbs binary noise such as 1500.4999999999998 for a sum of kopecks that is 1500.50.
  const rubles = Math.round(Math.abs(n) + 1e-6)
  return rubles === 0 ? 0 : Math.sign(n) * rubles
}
