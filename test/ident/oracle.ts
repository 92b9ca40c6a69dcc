import Database from 'better-sqlite3'

import {type Patient, UNPARSEABLE} from '../../src/ident/index.js'

type Row = Record<string, unknown>

/**
 * `Persons.Birthday` as docs/ident-schema.md says, written out plainly: ISO (a time may follow) or
 * `Д.М.ГГГГ`/`ДД.ММ.ГГГГ` text, spaces around ignored, a day that exists; empty → null.
 */
export function expectedBirthday(raw: unknown): Patient['birthday'] {
  if (raw === null || raw === undefined) return null
  const text = String(raw).trim()
  if (text === '') return null
  let y: number, m: number, d: number
  const iso = text.match(/^(\d{4})-(\d\d)-(\d\d)([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/)
  const dotted = text.match(/^(\d\d?)\.(\d\d?)\.(\d{4})$/)
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  else if (dotted) [y, m, d] = [Number(dotted[3]), Number(dotted[2]), Number(dotted[1])]
  else return UNPARSEABLE
  const daysInMonth = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth[m - 1]!) return UNPARSEABLE
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/**
 * An independent, deliberately plain computation of every patient value straight from the SQLite
 * tables, following docs/ident-schema.md line by line (loops in JS instead of SQL), to check the
 * reader's set-based queries against. Either shape: the doctor is the Persons row of
 * `Staffs.ID_Persons` when Staffs has that column, else the Staffs row itself; a visit is any of the
 * four marks this file has, not cancelled.
 */
export function expectedPatients(file: string, maxVisits: number): Patient[] {
  const db = new Database(file, {readonly: true})
  const all = (sql: string) => db.prepare(sql).all() as Row[]
  const persons = new Map(all('SELECT * FROM Persons').map((r) => [r.ID as number, r]))
  const patients = all('SELECT * FROM Patients')
  const staffColumns = all('PRAGMA table_info(Staffs)').map((c) => c.name as string)
  const staffs = staffColumns.includes('ID_Persons')
    ? new Map(all('SELECT * FROM Staffs').map((r) => [r.ID_Persons as number, persons.get(r.ID_Persons as number)!]))
    : new Map(all('SELECT * FROM Staffs').map((r) => [r.ID as number, r]))
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
    const marked = (r: Row) =>
      [r.PatientAppeared, r.ReceptionStarted, r.ReceptionEnded, r.CheckIssued].some((mark) => mark !== null && mark !== undefined)
    const visits = rs.filter((r) => marked(r) && r.ReceptionCanceled === null && r.ID_ReceptionCancelReasons === null)
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
      ...rs.flatMap((r) => [
        r.DateTimeChanged,
        r.PatientAppeared,
        r.ReceptionStarted,
        r.ReceptionEnded,
        r.CheckIssued,
        r.ReceptionCanceled,
      ]),
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
      birthday: expectedBirthday(person.Birthday),
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
