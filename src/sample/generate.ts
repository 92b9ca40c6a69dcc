import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'

import {msToNaive, naiveToMs} from '../ident/time.js'
import {type CraftedPatient, writeCraftedPatient} from './crafted.js'
import {
  ARCHIVING_REASONS,
  ARMCHAIRS,
  BRANCHES,
  CANCEL_COMMENTS,
  CANCEL_REASONS,
  DOCTORS,
  EMAIL_DOMAINS,
  FEMALE_NAMES,
  feminineSurname,
  HYPHENATED_SURNAMES,
  longComment,
  MALE_NAMES,
  PATRONYMICS,
  SERVICES,
  SHORT_COMMENTS,
  SURNAMES,
  translit,
} from './names.js'
import {Random} from './random.js'
import {CLINIC_DDL, CLINIC_INDEXES, type ClinicShape, ClinicWriter, type ServiceLine} from './writer.js'

export interface GenerateClinicOptions {
  /** How many random patients (ids 1…N). */
  patients: number
  seed?: number
  /** The SQLite file to create (replaced if it exists). */
  file: string
  /** The clinic's "now", naive local `YYYY-MM-DD HH:MM:SS`; the machine's local time by default. */
  now?: string
  /** Hand-written patients added after the random ones (ids N+1… unless given). */
  crafted?: CraftedPatient[]
  /** As real IDENT databases are (default), or as this tool first assumed (see `ClinicShape`). */
  shape?: ClinicShape
}

export interface GeneratedClinic {
  file: string
  now: string
  seed: number
  shape: ClinicShape
  /** Ids of the crafted patients, in the order given. */
  craftedIds: number[]
  counts: {patients: number; receptions: number; payments: number; orders: number; discountCards: number; staffs: number; branches: number}
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The machine's local time as naive `YYYY-MM-DD HH:MM:SS` (what SQLite's `datetime('now','localtime')` says). */
export function localNow(d: Date = new Date()): string {
  return msToNaive(d.getTime() - d.getTimezoneOffset() * MINUTE)
}

type PhoneStyle = (d: string) => string
const PHONE_STYLES: ReadonlyArray<readonly [PhoneStyle, number]> = [
  [(d) => `8 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`, 30],
  [(d) => `+7 ${d.slice(0, 3)} ${d.slice(3)}`, 15],
  [(d) => d, 12],
  [(d) => `8-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`, 10],
  [(d) => `+7 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`, 12],
  [(d) => `8${d}`, 8],
  [(d) => `+7${d}`, 8],
  [(d) => `7 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6, 8)} ${d.slice(8)}`, 3],
  [(d) => ` ${d.slice(0, 3)} ${d.slice(3, 6)}-${d.slice(6)} `, 2],
]
const GARBAGE_PHONES = ['нет', '123', '-', 'не даёт', '0', '89', 'см. мобильный'] as const
const MOBILE_CODES = [
  '900',
  '903',
  '905',
  '909',
  '910',
  '915',
  '916',
  '917',
  '919',
  '925',
  '926',
  '929',
  '950',
  '962',
  '964',
  '965',
  '977',
  '985',
  '999',
] as const
const LANDLINE_CODES = ['495', '499', '812', '498'] as const

interface FamilyHead {
  surnameBase: string
  phoneDigits: string
}

/** The seed of the sample clinic when none is given (`demo` and `demo seed` make the same clinic). */
export const DEFAULT_SAMPLE_SEED = 1

/** What one clinic's reference rows got as ids (doctors, chairs by branch, the price list). */
interface Catalogue {
  doctors: number[]
  chairs: number[][]
  prices: Array<{id: number; price: number}>
}

/**
 * Creates a realistic sample IDENT database in the SQLite flavour (docs/ident-schema.md), in the
 * real shape unless told otherwise: deterministic for a seed, a `now` and a shape; about 100,000
 * patients in seconds (one transaction, prepared statements).
 */
export function generateClinic(options: GenerateClinicOptions): GeneratedClinic {
  const seed = options.seed ?? DEFAULT_SAMPLE_SEED
  const now = options.now ?? localNow()
  const nowMs = naiveToMs(now)
  if (Number.isNaN(nowMs)) throw new Error(`now must be YYYY-MM-DD HH:MM:SS, got ${now}`)
  const file = path.resolve(options.file)
  mkdirSync(path.dirname(file), {recursive: true})
  const temp = `${file}.${process.pid}.tmp`
  rmSync(temp, {force: true})
  const db = new Database(temp)
  const shape = options.shape ?? 'real'
  const counts = {patients: 0, receptions: 0, payments: 0, orders: 0, discountCards: 0, staffs: DOCTORS.length, branches: BRANCHES.length}
  const craftedIds: number[] = []
  try {
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.exec(CLINIC_DDL[shape])
    const writer = new ClinicWriter(db)
    const rng = new Random(seed)
    db.transaction(() => {
      const branches = BRANCHES.map((name) => writer.referenceId('OwnCompanies', name))
      for (const name of ARCHIVING_REASONS) writer.referenceId('ArchivingReasons', name)
      const catalogue: Catalogue = {doctors: DOCTORS.map((doctor) => writer.doctorId(doctor)), chairs: [], prices: []}
      if (shape === 'real') {
        for (const name of CANCEL_REASONS) writer.referenceId('ReceptionCancelReasons', name)
        catalogue.chairs = ARMCHAIRS.map((names, i) => names.map((name) => writer.addArmchair(name, branches[i]!)))
        catalogue.prices = SERVICES.map(([name, price]) => ({id: writer.addService(name, price), price}))
      }
      const recent: FamilyHead[] = []
      for (let id = 1; id <= options.patients; id++) {
        const made = generatePatient(writer, rng, id, nowMs, recent, catalogue)
        counts.receptions += made.receptions
        counts.payments += made.payments
        counts.orders += made.orders
        counts.discountCards += made.cards
      }
      counts.patients = options.patients
      let nextId = options.patients + 1
      const defaultChanged = msToNaive(nowMs - DAY)
      for (const crafted of options.crafted ?? []) {
        const id = crafted.id ?? nextId
        nextId = Math.max(nextId, id + 1)
        writeCraftedPatient(writer, crafted, id, defaultChanged)
        craftedIds.push(id)
        counts.patients++
      }
      // Last, so that every other row keeps the id it had before the clinic had a day around `now`.
      const day = generateToday(writer, new Random(seed * 31 + 7), options.patients, nowMs, catalogue)
      counts.receptions += day.receptions
      counts.orders += day.orders
      counts.payments += day.orders
    })()
    db.exec(CLINIC_INDEXES)
    db.pragma('journal_mode = DELETE')
  } finally {
    db.close()
  }
  if (existsSync(file)) rmSync(file)
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, {force: true})
  renameSync(temp, file)
  return {file, now, seed, shape, craftedIds, counts}
}

function generatePatient(
  writer: ClinicWriter,
  rng: Random,
  id: number,
  nowMs: number,
  recent: FamilyHead[],
  catalogue: Catalogue,
): {receptions: number; payments: number; orders: number; cards: number} {
  const real = writer.shape === 'real'
  const family = recent.length > 0 && rng.chance(0.06) ? rng.pick(recent) : undefined
  const female = rng.chance(0.55)
  const sex = rng.weighted<number | null>([
    [female ? 2 : 1, 97],
    [0, 2],
    [null, 1],
  ])
  const surnameBase = family?.surnameBase ?? (rng.chance(0.03) ? rng.pick(HYPHENATED_SURNAMES) : rng.pick(SURNAMES))
  let surname: string | null = female ? feminineSurname(surnameBase) : surnameBase
  let name: string | null = rng.pick(female ? FEMALE_NAMES : MALE_NAMES)
  let patronymic: string | null = rng.pick(PATRONYMICS)[female ? 1 : 0]
  const gaps = rng.next()
  if (gaps < 0.025) patronymic = ''
  else if (gaps < 0.04) patronymic = null
  else if (gaps < 0.045) name = ''
  else if (gaps < 0.055) surname = ` ${surname}  `
  if (id === 7) [surname, name, patronymic] = ['', '', '']

  const ownDigits = rng.chance(0.12) ? rng.pick(LANDLINE_CODES) + rng.digits(7) : rng.pick(MOBILE_CODES) + rng.digits(7)
  const phoneDigits = family?.phoneDigits ?? ownDigits
  const phoneKind = family
    ? 'number'
    : rng.weighted<'number' | 'garbage' | 'empty' | 'null'>([
        ['number', 85],
        ['garbage', 3],
        ['empty', 4],
        ['null', 8],
      ])
  const phone =
    phoneKind === 'number'
      ? rng.weighted(PHONE_STYLES)(phoneDigits)
      : phoneKind === 'garbage'
        ? rng.pick(GARBAGE_PHONES)
        : phoneKind === 'empty'
          ? ''
          : null
  const mobileRoll = rng.next()
  const mobilePhone =
    mobileRoll < 0.3
      ? rng.weighted(PHONE_STYLES)(rng.pick(MOBILE_CODES) + rng.digits(7))
      : mobileRoll < 0.4 && phoneKind === 'number'
        ? rng.weighted(PHONE_STYLES)(phoneDigits)
        : mobileRoll < 0.45
          ? ''
          : null
  if (!family && phoneKind === 'number') {
    recent.push({surnameBase, phoneDigits})
    if (recent.length > 40) recent.shift()
  }

  const emailRoll = rng.next()
  let email: string | null = null
  if (emailRoll < 0.5 && name && surname?.trim()) {
    email = `${translit(name)}.${translit(surname.trim())}${rng.chance(0.5) ? rng.int(1, 99) : ''}@${rng.pick(EMAIL_DOMAINS)}`
    const caseRoll = rng.next()
    if (caseRoll < 0.06) email = email.toUpperCase()
    else if (caseRoll < 0.12) email = email.charAt(0).toUpperCase() + email.slice(1)
  } else if (emailRoll < 0.55) email = ''

  const birthYear = rng.weighted<[number, number] | null>([
    [[1928, 1969], 30],
    [[1970, 2000], 44],
    [[2001, 2022], 22],
    [null, 4],
  ])
  const birthDate = birthYear ? msToNaive(Date.UTC(rng.int(birthYear[0], birthYear[1]), 0, 1) + rng.int(0, 364) * DAY).slice(0, 10) : null
  // Real IDENT keeps text: a few values are not dates at all, a few carry spaces around them.
  const birthdayRoll = rng.next()
  const birthday =
    birthDate === null
      ? real && birthdayRoll < 0.1
        ? ''
        : null
      : real && birthdayRoll < 0.004
        ? rng.pick(BAD_BIRTHDAYS)
        : real && birthdayRoll < 0.015
          ? ` ${writer.birthdayText(birthDate)} `
          : writer.birthdayText(birthDate)
  const inn = rng.chance(0.3) ? rng.pick(['77', '50', '78', '16']) + rng.digits(10) : rng.chance(0.05) ? '' : null
  const snilsDigits = rng.digits(11)
  const snils = rng.chance(0.4)
    ? rng.chance(0.5)
      ? snilsDigits
      : `${snilsDigits.slice(0, 3)}-${snilsDigits.slice(3, 6)}-${snilsDigits.slice(6, 9)} ${snilsDigits.slice(9)}`
    : null

  // Visits, bills and payments.
  const registered = nowMs - rng.int(1, 3650) * DAY
  const homeBranch = rng.weighted([
    [1, 60],
    [2, 25],
    [3, 15],
  ])
  const cardRoll = rng.next()
  const cards: Array<[number, number]> = []
  if (cardRoll < 0.2) {
    cards.push([rng.pick([3, 5, 7, 10, 15]), nowMs - rng.int(200, 900) * DAY])
    if (cardRoll < 0.05) cards.push([rng.pick([10, 15, 20]), nowMs - rng.int(2, 199) * DAY])
  }
  const discount = cards.length > 0 ? cards.reduce((a, b) => (b[1] > a[1] ? b : a))[0] : 0
  const visitCount = rng.weighted<[number, number]>([
    [[0, 0], 10],
    [[1, 3], 40],
    [[4, 8], 35],
    [[9, 20], 15],
  ])
  const receptions = rng.int(visitCount[0], visitCount[1])
  let firstAppeared: number | undefined
  let payments = 0
  let orders = 0
  const clampPast = (ms: number) => Math.min(ms, nowMs - MINUTE - rng.int(0, 3600) * 1000)
  for (let k = 0; k < receptions; k++) {
    const future = rng.chance(0.1)
    const dayMs = future ? nowMs + rng.int(1, 60) * DAY : registered + Math.floor(rng.next() * (nowMs - registered - DAY))
    const start = Math.floor(dayMs / DAY) * DAY + (9 + rng.int(0, 10)) * HOUR + rng.pick([0, 30]) * MINUTE
    const end = start + rng.pick([30, 60, 90]) * MINUTE
    const inPast = start < nowMs
    const status = inPast
      ? rng.weighted<'came' | 'noshow' | 'canceledAt' | 'canceledReason' | 'canceledBoth' | 'cameButReason'>([
          ['came', 78],
          ['noshow', 7],
          ['canceledAt', 6],
          ['canceledReason', 5],
          ['canceledBoth', 3],
          ['cameButReason', 1],
        ])
      : rng.chance(0.1)
        ? 'canceledAt'
        : 'planned'
    const came = status === 'came' || status === 'cameButReason'
    const branch = rng.chance(0.85) ? homeBranch : rng.int(1, BRANCHES.length)
    const billed = status === 'came' && rng.chance(0.75)
    const orderAt = clampPast(start + rng.int(30, 90) * MINUTE)
    // Staff do not always press "пришёл": in the real shape a visit may carry only its start, end or bill.
    const marks = came ? visitMarks(rng, real, start, end, billed ? orderAt : null, clampPast) : NO_MARKS
    const canceledAt = status === 'canceledAt' || status === 'canceledBoth' ? clampPast(start - rng.int(1, 72) * HOUR) : null
    const reason = status === 'canceledReason' || status === 'canceledBoth' || status === 'cameButReason' ? rng.int(1, 4) : null
    const changed = inPast ? clampPast(start + rng.int(10, 300) * MINUTE) : nowMs - rng.int(1, 30 * 24) * HOUR
    const chairs = catalogue.chairs[branch - 1]
    const receptionId = writer.addReception({
      ID_Patients: id,
      ID_Staffs: rng.pick(catalogue.doctors),
      ID_Armchairs: chairs ? rng.pick(chairs) : null,
      PlanStart: msToNaive(start),
      PlanEnd: msToNaive(end),
      PatientAppeared: naiveOrNull(marks.appeared),
      ReceptionStarted: naiveOrNull(marks.started),
      ReceptionEnded: naiveOrNull(marks.ended),
      CheckIssued: naiveOrNull(marks.checkIssued),
      ReceptionCanceled: naiveOrNull(canceledAt),
      ID_ReceptionCancelReasons: reason,
      CancelReasonComment: (canceledAt !== null || reason !== null) && rng.chance(0.3) ? rng.pick(CANCEL_COMMENTS) : null,
      DateTimeAdded: msToNaive(Math.min(start, nowMs) - rng.int(1, 30) * DAY),
      DateTimeChanged: msToNaive(changed),
    })
    if (status !== 'came') continue
    const cameAt = marks.appeared ?? marks.started ?? marks.ended ?? marks.checkIssued!
    if (firstAppeared === undefined || cameAt < firstAppeared) firstAppeared = cameAt
    if (!billed) continue
    const {services, amount, withDiscount} = billOf(rng, catalogue, discount)
    const mode = rng.weighted<'full' | 'partial' | 'none' | 'over' | 'split'>([
      ['full', 80],
      ['partial', 8],
      ['none', 4],
      ['over', 3],
      ['split', 5],
    ])
    const paid =
      mode === 'full' || mode === 'split'
        ? withDiscount
        : mode === 'partial'
          ? Math.round(withDiscount * rng.int(30, 90)) / 100
          : mode === 'over'
            ? withDiscount + 500 * rng.int(2, 10)
            : 0
    writer.addOrder(id, receptionId, msToNaive(orderAt), branch, msToNaive(orderAt), {
      amount,
      amountWithDiscount: withDiscount,
      debt: Math.max(Math.round((withDiscount - paid) * 100) / 100, 0),
      services,
    })
    orders++
    const payAt = clampPast(orderAt + rng.int(0, 10) * MINUTE)
    if (mode === 'split') {
      const first = Math.round(paid * 50) / 100
      writer.addPayment(id, first, msToNaive(payAt), branch, msToNaive(payAt))
      const later = clampPast(payAt + rng.int(1, 30) * DAY)
      writer.addPayment(id, Math.round((paid - first) * 100) / 100, msToNaive(later), branch, msToNaive(later))
      payments += 2
    } else if (paid > 0) {
      writer.addPayment(id, paid, msToNaive(payAt), branch, msToNaive(payAt))
      payments++
    }
  }
  if (rng.chance(0.03)) {
    const at = clampPast(nowMs - rng.int(1, 400) * DAY)
    writer.addPayment(id, 1000 * rng.int(5, 20), msToNaive(at), homeBranch, msToNaive(at))
    payments++
  }
  for (const [percent, changed] of cards) writer.addDiscountCard(id, percent, msToNaive(changed))

  const commentRoll = rng.next()
  const comment =
    id % 1000 === 500 ? longComment(id) : commentRoll < 0.65 ? null : commentRoll < 0.7 ? rng.pick(['', '   ']) : rng.pick(SHORT_COMMENTS)
  const archived = rng.chance(0.04)
    ? rng.weighted([
        [1, 40],
        [2, 10],
        [3, 15],
        [4, 20],
        [5, 15],
      ])
    : null
  const patientChanged = nowMs - rng.int(120, 180 * 24 * 3600) * 1000
  const personChanged = rng.chance(0.7) ? patientChanged : nowMs - rng.int(120, 365 * 24 * 3600) * 1000
  const balanceRoll = rng.next()
  const initialBalance = balanceRoll < 0.9 ? 0 : balanceRoll < 0.95 ? 100 * rng.int(1, 50) : -100 * rng.int(1, 50)

  writer.addPerson({
    ID: id,
    SurName: surname,
    Name: name,
    Patronymic: patronymic,
    Phone: phone,
    MobilePhone: mobilePhone,
    Email: email,
    Sex: sex,
    Birthday: birthday,
    INN: inn,
    SNILS: snils,
    DateTimeChanged: msToNaive(personChanged),
  })
  writer.addPatient({
    ID_Persons: id,
    PatientNumber: String(id),
    CardNumber: rng.chance(0.03) ? null : rng.chance(0.5) ? String(id) : `К-${String(id).padStart(6, '0')}`,
    Comment: comment,
    FirstVisit: firstAppeared === undefined ? (rng.chance(0.3) ? msToNaive(registered) : null) : msToNaive(firstAppeared),
    Status: rng.chance(0.85) ? 1 : 3,
    ID_ArchivingReasons: archived,
    SMSRejection: rng.chance(0.08) ? 1 : 0,
    InitialBalance: initialBalance,
    DateTimeChanged: msToNaive(patientChanged),
  })
  return {receptions, payments, orders, cards: cards.length}
}

type TodayKind = 'paid' | 'done' | 'noShow' | 'inChair' | 'waiting' | 'graceRunning' | 'cancelled' | 'booked'

/**
 * The clinic's day around `now`, one reception of each kind per round (minutes from now): every stage
 * of a deal within the default window — a no-show by time (its end plus the default 2 grace hours
 * passed) and one whose grace is still running, a patient in the chair and one waiting.
 */
const TODAY: ReadonlyArray<{kind: TodayKind; start: number; minutes: number}> = [
  {kind: 'paid', start: -360, minutes: 60},
  {kind: 'done', start: -300, minutes: 30},
  {kind: 'noShow', start: -300, minutes: 60},
  {kind: 'inChair', start: -20, minutes: 60},
  {kind: 'waiting', start: 10, minutes: 30},
  {kind: 'graceRunning', start: -120, minutes: 30},
  {kind: 'cancelled', start: 120, minutes: 60},
  {kind: 'booked', start: 180, minutes: 60},
]

/** Rounds of `TODAY` for a clinic of `patients` random patients: 1 (from 8 patients) to 6. */
function todayRounds(patients: number): number {
  return patients < TODAY.length ? 0 : Math.min(6, Math.max(1, Math.round(patients / 250)))
}

/** Writes the day's receptions (and the bill of the paid ones) for random patients; all status times are before now. */
function generateToday(
  writer: ClinicWriter,
  rng: Random,
  patients: number,
  nowMs: number,
  catalogue: Catalogue,
): {receptions: number; orders: number} {
  const base = Math.floor(nowMs / MINUTE) * MINUTE
  const at = (minutes: number) => base + minutes * MINUTE
  let receptions = 0
  let orders = 0
  for (let round = 0; round < todayRounds(patients); round++) {
    for (const {kind, start, minutes} of TODAY) {
      const patient = rng.int(1, patients)
      const branch = rng.int(1, BRANCHES.length)
      const chairs = catalogue.chairs[branch - 1]
      const end = start + minutes
      const came = kind === 'paid' || kind === 'done' || kind === 'inChair' || kind === 'waiting'
      const marks: VisitMarks = {
        // The waiting patient came a few minutes ago, before the planned start.
        appeared: came ? at(Math.min(start - 5, -5)) : null,
        started: kind === 'paid' || kind === 'done' || kind === 'inChair' ? at(start) : null,
        ended: kind === 'paid' || kind === 'done' ? at(end) : null,
        checkIssued: kind === 'paid' ? at(end + 10) : null,
      }
      const canceled = kind === 'cancelled' ? at(-180) : null
      const booked = at(-rng.int(1, 14) * 24 * 60)
      const latest = Math.max(booked, canceled ?? booked, ...Object.values(marks).filter((m): m is number => m !== null))
      const receptionId = writer.addReception({
        ID_Patients: patient,
        ID_Staffs: rng.pick(catalogue.doctors),
        ID_Armchairs: chairs ? rng.pick(chairs) : null,
        PlanStart: msToNaive(at(start)),
        PlanEnd: msToNaive(at(end)),
        PatientAppeared: naiveOrNull(marks.appeared),
        ReceptionStarted: naiveOrNull(marks.started),
        ReceptionEnded: naiveOrNull(marks.ended),
        CheckIssued: naiveOrNull(marks.checkIssued),
        ReceptionCanceled: naiveOrNull(canceled),
        ID_ReceptionCancelReasons: kind === 'cancelled' && writer.shape === 'real' ? rng.int(1, CANCEL_REASONS.length) : null,
        CancelReasonComment: kind === 'cancelled' ? rng.pick(CANCEL_COMMENTS) : null,
        DateTimeAdded: msToNaive(booked),
        DateTimeChanged: msToNaive(latest),
      })
      receptions++
      if (kind !== 'paid') continue
      const {services, amount, withDiscount} = billOf(rng, catalogue, 0)
      const [billedAt, paidAt] = [msToNaive(at(end + 10)), msToNaive(at(end + 12))]
      writer.addOrder(patient, receptionId, billedAt, branch, billedAt, {amount, amountWithDiscount: withDiscount, debt: 0, services})
      writer.addPayment(patient, withDiscount, paidAt, branch, paidAt)
      orders++
    }
  }
  return {receptions, orders}
}

/**
 * A bill for a visit: services from the price list (real shape) with the patient's discount on each
 * line, adding up to the amount; in the old shape, which has no price list, just an amount.
 */
function billOf(rng: Random, catalogue: Catalogue, discount: number): {services: ServiceLine[]; amount: number; withDiscount: number} {
  const services: ServiceLine[] = []
  let amount = 0
  let withDiscount = 0
  if (catalogue.prices.length > 0) {
    for (let line = rng.int(1, 3); line > 0; line--) {
      const {id: priceId, price} = rng.pick(catalogue.prices)
      const count = rng.chance(0.8) ? 1 : rng.int(2, 4)
      const gross = price * count
      const discountSum = Math.round(gross * discount) / 100
      services.push({priceId, count, discountSum})
      amount += gross
      withDiscount += gross - discountSum
    }
    withDiscount = Math.round(withDiscount * 100) / 100
  } else {
    amount = 500 * rng.int(3, 120)
    withDiscount = Math.round(amount * (100 - discount)) / 100
  }
  return {services, amount, withDiscount}
}

/** Not dates at all, or days that do not exist: what a hand-typed text column collects over the years. */
const BAD_BIRTHDAYS = ['00.00.0000', '31.02.1985', '1985', 'не помнит', '12/05/1980', '15.13.1990', '01.01.19'] as const

interface VisitMarks {
  appeared: number | null
  started: number | null
  ended: number | null
  checkIssued: number | null
}

const NO_MARKS: VisitMarks = {appeared: null, started: null, ended: null, checkIssued: null}

/**
 * The status datetimes of a visit. The old shape has only `PatientAppeared`; in the real shape most
 * visits have all of them, some lack "пришёл" (started/ended only), and a few have just one mark.
 */
function visitMarks(
  rng: Random,
  real: boolean,
  start: number,
  end: number,
  billedAt: number | null,
  clampPast: (ms: number) => number,
): VisitMarks {
  const appeared = clampPast(start - rng.int(0, 15) * MINUTE)
  if (!real) return {...NO_MARKS, appeared}
  const started = clampPast(start + rng.int(0, 10) * MINUTE)
  const ended = clampPast(end + rng.int(-10, 15) * MINUTE)
  const style = rng.weighted<'all' | 'noAppeared' | 'endedOnly' | 'appearedOnly' | 'billOnly'>([
    ['all', 70],
    ['noAppeared', 15],
    ['endedOnly', 5],
    ['appearedOnly', 5],
    ['billOnly', 5],
  ])
  if (style === 'billOnly' && billedAt !== null) return {...NO_MARKS, checkIssued: billedAt}
  if (style === 'appearedOnly') return {...NO_MARKS, appeared, checkIssued: billedAt}
  if (style === 'endedOnly') return {...NO_MARKS, ended, checkIssued: billedAt}
  if (style === 'noAppeared') return {appeared: null, started, ended, checkIssued: billedAt}
  return {appeared, started, ended, checkIssued: billedAt}
}

function naiveOrNull(ms: number | null): string | null {
  return ms === null ? null : msToNaive(ms)
}
