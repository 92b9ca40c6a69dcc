import Database from 'better-sqlite3'

import type {Reception} from '../../src/ident/index.js'

type Row = Record<string, unknown>

/** Naive local `YYYY-MM-DD HH:MM:SS` ± hours, worked out with plain Date arithmetic on UTC fields. */
function plusHours(naive: string, hours: number): string {
  const ms = Date.parse(`${naive.replace(' ', 'T')}Z`) + hours * 3_600_000
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * An independent, deliberately plain computation of the receptions of the window straight from the
 * SQLite tables, following docs/ident-schema.md "Receptions" line by line (loops in JS, no SQL beyond
 * `SELECT *`): the window, the stage ladder, the doctor, chair, branch, services, price, cancel reason,
 * first visit. Values whose table or column this file lacks are `undefined`, as the reader promises.
 * Returns the receptions in id order and how many lie before the window.
 */
export function expectedReceptions(
  file: string,
  clock: {now: string; historyDays: number; noShowHours: number},
): {receptions: Reception[]; outOfWindow: number} {
  const db = new Database(file, {readonly: true})
  const columnsOf = (table: string) => new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((c) => c.name as string))
  const all = (table: string): Row[] => (columnsOf(table).size === 0 ? [] : (db.prepare(`SELECT * FROM ${table}`).all() as Row[]))
  const has = (table: string, column: string) => columnsOf(table).has(column)
  const receptionColumns = columnsOf('Receptions')
  const persons = new Map(all('Persons').map((r) => [r.ID as number, r]))
  const staffs = has('Staffs', 'ID_Persons')
    ? new Map(all('Staffs').map((r) => [r.ID_Persons as number, persons.get(r.ID_Persons as number)!]))
    : new Map(all('Staffs').map((r) => [r.ID as number, r]))
  const companies = new Map(all('OwnCompanies').map((r) => [r.ID as number, r.Name]))
  const chairs = new Map(all('Armchairs').map((r) => [r.ID as number, r]))
  const reasons = new Map(all('ReceptionCancelReasons').map((r) => [r.ID as number, r.Name]))
  const items = new Map(all('ServiceItems').map((r) => [r.ID as number, r.Name]))
  const prices = new Map(all('ServiceItemPrices').map((r) => [r.ID as number, r]))
  const lines = all('OrderServiceRelation')
  const journal = all('OrderPaymentsJournal')
  const orders = all('Orders')
  const receptions = all('Receptions').sort((a, b) => (a.ID as number) - (b.ID as number))
  const hasChairs = receptionColumns.has('ID_Armchairs') && columnsOf('Armchairs').size > 0
  const hasServices = columnsOf('ServiceItems').size > 0
  const hasReasons = columnsOf('ReceptionCancelReasons').size > 0
  db.close()

  const str = (v: unknown) => (v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim())
  const initial = (v: string | null) => (v ? `${v[0]!.toUpperCase()}.` : null)
  const set = (r: Row, column: string) => r[column] !== null && r[column] !== undefined
  const marks = ['PatientAppeared', 'ReceptionStarted', 'ReceptionEnded', 'CheckIssued'].filter((c) => receptionColumns.has(c))
  const isVisit = (r: Row) => marks.some((m) => set(r, m)) && !set(r, 'ReceptionCanceled') && !set(r, 'ID_ReceptionCancelReasons')
  const windowStart = plusHours(`${clock.now.slice(0, 10)} 00:00:00`, -24 * clock.historyDays)

  const out: Reception[] = []
  let outOfWindow = 0
  for (const r of receptions) {
    const planStart = r.PlanStart as string | null
    if (planStart === null || planStart < windowStart) {
      outOfWindow++
      continue
    }
    const planEnd = (r.PlanEnd as string | null) ?? null
    let stage: Reception['stage']
    let identStatus: Reception['identStatus']
    if (set(r, 'ReceptionCanceled') || set(r, 'ID_ReceptionCancelReasons')) [stage, identStatus] = ['cancelled', 'Отменён']
    else if (set(r, 'CheckIssued')) [stage, identStatus] = ['paid', 'Счёт выдан']
    else if (set(r, 'ReceptionEnded')) [stage, identStatus] = ['done', 'Приём завершён']
    else if (set(r, 'ReceptionStarted')) [stage, identStatus] = ['came', 'На приёме']
    else if (set(r, 'PatientAppeared')) [stage, identStatus] = ['came', 'Пришёл']
    else if (plusHours(planEnd ?? planStart, clock.noShowHours) <= clock.now) [stage, identStatus] = ['no_show', 'Не пришёл']
    else [stage, identStatus] = ['booked', 'Записан']
    const cancelled = stage === 'cancelled'

    const doctorRow = staffs.get(r.ID_Staffs as number)
    const doctorParts = doctorRow ? [str(doctorRow.SurName), initial(str(doctorRow.Name)), initial(str(doctorRow.Patronymic))] : []
    const doctor = doctorParts.some((p) => p !== null) ? doctorParts.filter((p) => p !== null).join(' ') : null

    const chair = hasChairs ? chairs.get(r.ID_Armchairs as number) : undefined
    const own = orders.filter((o) => o.ID_Receptions === r.ID)
    const latestOrder = own
      .filter((o) => o.ID_OwnCompanies !== null)
      .sort((a, b) =>
        String(a.DateTimeOrder) === String(b.DateTimeOrder)
          ? (b.ID as number) - (a.ID as number)
          : String(a.DateTimeOrder) < String(b.DateTimeOrder)
            ? 1
            : -1,
      )[0]
    const branch =
      str(chair ? companies.get(chair.ID_OwnCompanies as number) : null) ??
      str(latestOrder ? companies.get(latestOrder.ID_OwnCompanies as number) : null)

    const counts = new Map<string, number>()
    for (const o of own)
      for (const line of lines.filter((l) => l.ID_Orders === o.ID)) {
        const price = prices.get(line.ID_ServicePrices as number)
        const name = str(price ? items.get(price.ID_ServiceItems as number) : null)
        if (name !== null) counts.set(name, (counts.get(name) ?? 0) + ((line.CountService as number | null) ?? 1))
      }
    const services = [...counts]
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b, 'ru'))
      .map(([name, n]) => `${name} × ${n}`)

    let billed = 0
    for (const o of own) for (const j of journal.filter((x) => x.ID_Orders === o.ID)) billed += j.AmountWithDiscount as number
    const person = persons.get(r.ID_Patients as number)
    const earlierVisit = receptions.some((v) => v.ID_Patients === r.ID_Patients && isVisit(v) && (v.PlanStart as string) < planStart)
    const changes = [r.DateTimeChanged, ...marks.map((m) => r[m]), r.ReceptionCanceled].filter((x): x is string => typeof x === 'string')

    out.push({
      id: String(r.ID),
      patientId: String(r.ID_Patients),
      patient: {surname: str(person?.SurName), name: str(person?.Name), patronymic: str(person?.Patronymic)},
      planStart,
      planEnd,
      stage,
      identStatus,
      staffId: r.ID_Staffs === null ? null : String(r.ID_Staffs),
      doctor,
      chair: hasChairs ? str(chair?.NameArmchair) : undefined,
      branch,
      services: hasServices ? services : undefined,
      // To the kopeck first (sums of kopecks carry binary noise), then whole rubles.
      price: Math.round(Math.round(billed * 100) / 100),
      cancelReason: hasReasons ? (cancelled ? str(reasons.get(r.ID_ReceptionCancelReasons as number)) : null) : undefined,
      cancelComment: receptionColumns.has('CancelReasonComment') ? (cancelled ? str(r.CancelReasonComment) : null) : undefined,
      firstVisit: !earlierVisit,
      changedAt: changes.sort().at(-1) ?? null,
    })
  }
  return {receptions: out, outOfWindow}
}
