import Database from 'better-sqlite3'

import type {Patient} from '../../src/ident/index.js'

type Row = Record<string, unknown>

/**
 * An independent, deliberately plain computation of every patient value straight from the SQLite
 * tables, following ident-schema.md line by line (loops in JS instead of SQL), to check the reader's
 * set-based queries against.
 */
export function expectedPatients(file: string, maxVisits: number): Patient[] {
  const db = new Database(file, {readonly: true})
  const all = (sql: string) => db.prepare(sql).all() as Row[]
  const persons = new Map(all('SELECT * FROM Persons').map((r) => [r.ID as number, r]))
  const patients = all('SELECT * FROM Patients')
  const staffs = new Map(all('SELECT * FROM Staffs').map((r) => [r.ID as number, r]))
  const companies = new Map(all('SELECT * FROM OwnCompanies').map((r) => [r.ID as number, r.Name as string]))
  const reasons = new Map(all('SELECT * FROM ArchivingReasons').map((r) => [r.ID as number, r.Name as string]))
  const journal = new Map<number, number>()
  for (const j of all('SELECT * FROM OrderPaymentsJournal'))
    journal.set(j.ID_Orders as number, (journal.get(j.ID_Orders as number) ?? 0) + (j.AmountWithDiscount as number))
  const byPatient = (sql: string) => {
    const m = new Map<number, Row[]>()
    for (const r of all(sql)) {
      const list = m.get(r.ID_Patients as number) ?? []
      list.push(r)
      m.set(r.ID_Patients as number, list)
    }
    return m
  }
  const receptions = byPatient('SELECT * FROM Receptions')
  const payments = byPatient('SELECT * FROM PaymentsIn')
  const orders = byPatient('SELECT * FROM Orders')
  const cards = byPatient('SELECT * FROM DiscountCards')
  db.close()

  const str = (v: unknown) => (v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim())
  const initial = (v: unknown) => (v ? `${String(v).trim()[0]!.toUpperCase()}.` : null)
  const doctor = (id: unknown) => {
    const s = staffs.get(id as number)
    if (!s) return null
    const parts = [str(s.SurName), initial(str(s.Name)), initial(str(s.Patronymic))].filter((x) => x !== null)
    return parts.length > 0 ? parts.join(' ') : null
  }
  const round = (x: number) => Math.round(x * 100) / 100 || 0
  const desc = (key: string, tie: string) => (a: Row, b: Row) =>
    String(a[key]) < String(b[key]) ? 1 : String(a[key]) > String(b[key]) ? -1 : (b[tie] as number) - (a[tie] as number)

  const out: Patient[] = []
  for (const p of [...patients].sort((a, b) => (a.ID_Persons as number) - (b.ID_Persons as number))) {
    const id = p.ID_Persons as number
    const person = persons.get(id)
    if (!person) continue
    const rs = receptions.get(id) ?? []
    const visits = rs.filter((r) => r.PatientAppeared !== null && r.ReceptionCanceled === null && r.ID_ReceptionCancelReasons === null)
    const os = orders.get(id) ?? []
    const ps = payments.get(id) ?? []
    const lastOrder = os.filter((o) => o.ID_OwnCompanies !== null).sort(desc('DateTimeOrder', 'ID'))[0]
    const lastPayment = ps.filter((x) => x.ID_OwnCompanies !== null).sort(desc('DateTimePayment', 'ID'))[0]
    const branch =
      str(lastOrder ? companies.get(lastOrder.ID_OwnCompanies as number) : null) ??
      str(lastPayment ? companies.get(lastPayment.ID_OwnCompanies as number) : null)
    let balance = (p.InitialBalance as number) ?? 0
    for (const x of ps) balance += x.Payment as number
    for (const o of os) balance -= journal.get(o.ID as number) ?? 0
    balance = round(balance)
    const card = [...(cards.get(id) ?? [])].sort((a, b) =>
      String(a.DateTimeChanged) < String(b.DateTimeChanged)
        ? 1
        : String(a.DateTimeChanged) > String(b.DateTimeChanged)
          ? -1
          : (b.DiscountPercent as number) - (a.DiscountPercent as number),
    )[0]
    const archived = p.ID_ArchivingReasons !== null
    const changes = [
      p.DateTimeChanged,
      person.DateTimeChanged,
      ...rs.map((r) => r.DateTimeChanged),
      ...ps.map((x) => x.DateTimeChanged),
      ...os.map((o) => o.DateTimeChanged),
    ]
      .filter((x): x is string => typeof x === 'string')
      .sort()
    out.push({
      id: String(id),
      surname: str(person.SurName),
      name: str(person.Name),
      patronymic: str(person.Patronymic),
      phone: str(person.Phone),
      mobilePhone: str(person.MobilePhone),
      email: str(person.Email),
      sex: (person.Sex as number | null) ?? null,
      birthday: (person.Birthday as string | null) ?? null,
      inn: str(person.INN),
      snils: str(person.SNILS),
      patientNumber: str(p.PatientNumber),
      cardNumber: str(p.CardNumber),
      comment: str(p.Comment),
      firstVisit: (p.FirstVisit as string | null) ?? null,
      smsRejection: p.SMSRejection === 1,
      archived,
      archiveReason: archived ? str(reasons.get(p.ID_ArchivingReasons as number)) : null,
      visits: [...visits]
        .sort(desc('PlanStart', 'ID'))
        .slice(0, maxVisits)
        .map((r) => ({at: r.PlanStart as string, doctor: doctor(r.ID_Staffs)})),
      totalVisits: visits.length,
      branch,
      balance,
      advance: balance > 0 ? balance : 0,
      debt: balance < 0 ? -balance : 0,
      discount: (card?.DiscountPercent as number | undefined) ?? 0,
      changedAt: changes.at(-1) ?? null,
    })
  }
  return out
}
