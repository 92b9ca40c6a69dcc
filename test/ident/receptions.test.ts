import {expect} from 'chai'

import {DEAL_FIELD_KEYS, DEAL_STAGE_KEYS} from '../../src/fields/deal-catalogue.js'
import {
  clinicNow,
  DEAL_VALUE_SOURCES,
  IDENT_STATUSES,
  type Reception,
  type ReceptionClock,
  RECEPTION_VALUE_SOURCES,
} from '../../src/ident/index.js'
import {
  BRANCH_BUTOVO,
  BRANCH_KHIMKI,
  CRAFTED,
  craftedClinic,
  DEALS_CLOCK,
  failure,
  readReceptions,
  sqliteConfig,
  tempDir,
  withReader,
} from './helpers.js'
import {expectedReceptions} from './reception-oracle.js'

const CLOCK = DEALS_CLOCK

const DEALS = String(CRAFTED.deals!.id)
const FIRST = String(CRAFTED.firstVisits!.id)

describe('ident reception reader: the receptions of the window, as deals need them', () => {
  let file: string
  let receptions: Reception[]
  const at = (patient: string, planStart: string) => {
    const found = receptions.filter((r) => r.patientId === patient && r.planStart === planStart)
    if (found.length !== 1) throw new Error(`${found.length} receptions of patient ${patient} at ${planStart}`)
    return found[0]!
  }

  before(async () => {
    file = craftedClinic(200).file
    receptions = await withReader(sqliteConfig(file), (r) => readReceptions(r))
  })

  it('reads each reception of the window once, in id order, and counts those before it', async () => {
    const ids = receptions.map((r) => Number(r.id))
    expect(ids).to.deep.equal([...new Set(ids)].sort((a, b) => a - b))
    expect(receptions.every((r) => r.planStart >= '2026-02-13 00:00:00')).to.equal(true)
    // Midnight starting the 30th day back is in, the second before it is not.
    expect(at(DEALS, '2026-02-13 00:00:00').stage).to.equal('no_show')
    expect(receptions.some((r) => r.planStart === '2026-02-12 23:59:59')).to.equal(false)
    await withReader(sqliteConfig(file), async (reader) => {
      expect(await reader.countReceptions(CLOCK)).to.equal(receptions.length)
      expect(await reader.countReceptionsOutOfWindow(CLOCK)).to.equal(expectedReceptions(file, CLOCK).outOfWindow)
    })
  })

  it('a paid visit: its services over both bills, the price in whole rubles, the branch of its chair, the doctor from Persons', () => {
    expect(at(DEALS, '2026-03-10 10:00:00')).to.deep.equal({
      id: at(DEALS, '2026-03-10 10:00:00').id,
      patientId: DEALS,
      patient: {surname: 'Сделкина', name: 'Вера', patronymic: 'Павловна'},
      planStart: '2026-03-10 10:00:00',
      planEnd: '2026-03-10 11:00:00',
      stage: 'paid',
      identStatus: 'Счёт выдан',
      staffId: at(DEALS, '2026-03-10 10:00:00').staffId,
      doctor: 'Ким А.',
      chair: 'Кресло 2',
      // The chair's branch wins over the bills' (Бутово, the main branch).
      branch: BRANCH_KHIMKI,
      // 1 × 1000 and 2 × 450 on one bill, 1 × 450 on the other: the same service adds up.
      services: ['Консультация стоматолога × 1', 'Прицельный рентгеновский снимок × 3'],
      // 1710.50 + 450.00 with the discount: 2160.50 → 2161.
      price: 2161,
      cancelReason: null,
      cancelComment: null,
      // The visit one second before the window came earlier.
      firstVisit: false,
      changedAt: '2026-03-10 11:05:00',
    })
    expect(at(DEALS, '2026-03-10 10:00:00').staffId).to.match(/^\d+$/)
  })

  it('a visit with no chair takes the branch of its bill; a bill without service lines has no services; no end is null', () => {
    expect(at(DEALS, '2026-03-11 10:00:00')).to.include({
      stage: 'done',
      identStatus: 'Приём завершён',
      planEnd: null,
      chair: null,
      branch: BRANCH_BUTOVO,
      price: 3000,
      doctor: 'Новиков О. П.',
    })
    expect(at(DEALS, '2026-03-11 10:00:00').services).to.deep.equal([])
    // A booking with no bill yet: price 0, no services.
    expect(at(DEALS, '2026-04-01 09:00:00')).to.include({stage: 'booked', identStatus: 'Записан', price: 0, doctor: 'Белова И. С.'})
  })

  it('tells "Пришёл" (marked as come) from "На приёме" (started); a started status after DateTimeChanged is the latest change', () => {
    expect(at(DEALS, '2026-03-15 12:30:00')).to.include({stage: 'came', identStatus: 'Пришёл', changedAt: '2026-03-15 11:50:00'})
    expect(at(DEALS, '2026-03-15 11:30:00')).to.include({stage: 'came', identStatus: 'На приёме', changedAt: '2026-03-15 11:31:00'})
  })

  it('cancelled either way, before anything else: the reason by name and the comment; a blank comment is none', () => {
    expect(at(DEALS, '2026-03-16 10:00:00')).to.include({
      stage: 'cancelled',
      identStatus: 'Отменён',
      cancelReason: 'Пациент заболел',
      cancelComment: 'Температура',
    })
    expect(at(DEALS, '2026-03-17 10:00:00')).to.include({stage: 'cancelled', cancelReason: null, cancelComment: null})
    // Ended and billed, but with a cancel reason: cancelled wins.
    expect(at(DEALS, '2026-03-12 10:00:00')).to.include({stage: 'cancelled', cancelReason: 'Перенос по просьбе пациента'})
  })

  it('a no-show by time: the end plus 2 hours at now exactly is one, a second later not yet; without an end, the start counts', () => {
    expect(at(DEALS, '2026-03-15 09:30:00')).to.include({stage: 'no_show', identStatus: 'Не пришёл'})
    expect(at(DEALS, '2026-03-15 09:30:01')).to.include({stage: 'booked', identStatus: 'Записан'})
    expect(at(DEALS, '2026-03-15 09:59:59')).to.include({stage: 'no_show', planEnd: null})
    expect(at(DEALS, '2026-03-15 10:00:01')).to.include({stage: 'booked', planEnd: null})
  })

  it('first visit: no visit of the patient before this one (a cancelled booking is none; the first visit is one itself)', () => {
    expect(
      [at(FIRST, '2026-03-01 10:00:00'), at(FIRST, '2026-03-05 10:00:00'), at(FIRST, '2026-03-20 10:00:00')].map((r) => r.firstVisit),
    ).to.deep.equal([true, true, false])
    expect(at(FIRST, '2026-03-05 10:00:00')).to.include({staffId: null, doctor: null, chair: null, branch: null})
    expect(at(FIRST, '2026-03-05 10:00:00').patient).to.deep.equal({surname: 'Первова', name: 'Нина', patronymic: null})
    expect(receptions.filter((r) => r.patientId === DEALS).every((r) => r.firstVisit === false)).to.equal(true)
  })

  it('covers every stage key and every IDENT status within the window (the sample clinic has a day around now)', () => {
    const generated = receptions.filter((r) => Number(r.patientId) <= 200)
    expect([...new Set(generated.map((r) => r.stage))].sort()).to.deep.equal([...DEAL_STAGE_KEYS].sort())
    expect([...new Set(generated.map((r) => r.identStatus))].sort()).to.deep.equal([...IDENT_STATUSES].sort())
  })

  it('matches an independent computation of every value for every reception', () => {
    const {receptions: expected} = expectedReceptions(file, CLOCK)
    expect(receptions.map((r) => r.id)).to.deep.equal(expected.map((r) => r.id))
    for (const [i, want] of expected.entries()) expect(receptions[i], `reception ${want.id}`).to.deep.equal(want)
    expect(expected.filter((r) => r.services!.length > 0).length).to.be.greaterThan(10)
  })

  it("reads one patient's receptions, some by id (over 1,000 ids at once too), and refuses an id that is not one", async () => {
    await withReader(sqliteConfig(file), async (reader) => {
      expect(await readReceptions(reader, CLOCK, {patientId: FIRST})).to.deep.equal(receptions.filter((r) => r.patientId === FIRST))
      expect(await reader.countReceptions(CLOCK, {patientId: DEALS})).to.equal(receptions.filter((r) => r.patientId === DEALS).length)
      const some = [receptions[5]!, receptions[1]!, receptions[40]!]
      expect(await readReceptions(reader, CLOCK, {ids: some.map((r) => r.id)})).to.deep.equal([
        receptions[1],
        receptions[5],
        receptions[40],
      ])
      // Every id up to 2,500: those in the window come back, the others (older, or no such reception) do not.
      const ids = Array.from({length: 2500}, (_, i) => String(i + 1))
      expect(await readReceptions(reader, CLOCK, {ids})).to.deep.equal(receptions.filter((r) => Number(r.id) <= 2500))
      expect(await reader.countReceptions(CLOCK, {ids})).to.equal(receptions.filter((r) => Number(r.id) <= 2500).length)
      // A patient id and reception ids together: both apply.
      expect(await readReceptions(reader, CLOCK, {patientId: FIRST, ids: some.map((r) => r.id)})).to.deep.equal([])
      for (const bad of [{ids: ['1; drop table Receptions']}, {patientId: 'x'}, {ids: ['99999999999']}])
        expect((await failure(() => readReceptions(reader, CLOCK, bad))).exitCode, JSON.stringify(bad)).to.equal(2)
      expect((await failure(() => readReceptions(reader, {...CLOCK, now: 'today'}))).exitCode).to.equal(2)
    })
  })

  it("computes the window from the clinic's own day: the same instant is another day in another timezone", async () => {
    // 21:30 UTC on 14 March: already the 15th in Moscow (window from 13 February), still the 14th in London (from 12 February).
    const instant = new Date('2026-03-14T21:30:00Z')
    const moscow = {...CLOCK, now: clinicNow('Europe/Moscow', instant)}
    const london = {...CLOCK, now: clinicNow('Europe/London', instant)}
    expect([moscow.now, london.now]).to.deep.equal(['2026-03-15 00:30:00', '2026-03-14 21:30:00'])
    await withReader(sqliteConfig(file), async (reader) => {
      const starts = async (clock: ReceptionClock) => (await readReceptions(reader, clock, {patientId: DEALS})).map((r) => r.planStart)
      expect(await starts(moscow)).not.to.include('2026-02-12 23:59:59')
      expect(await starts(london)).to.include('2026-02-12 23:59:59')
      for (const clock of [moscow, london]) {
        const expected = expectedReceptions(file, clock)
        expect(await reader.countReceptionsOutOfWindow(clock)).to.equal(expected.outOfWindow)
        expect(await reader.countReceptions(clock)).to.equal(expected.receptions.length)
      }
      expect(expectedReceptions(file, london).outOfWindow).to.be.lessThan(expectedReceptions(file, moscow).outOfWindow)
    })
  })

  it("times a no-show by the clinic's clock: 12:00 in Moscow is 14:00 in Yekaterinburg", async () => {
    const instant = new Date('2026-03-15T09:00:00Z')
    await withReader(sqliteConfig(file), async (reader) => {
      const stageIn = async (timeZone: string) => {
        const clock = {...CLOCK, now: clinicNow(timeZone, instant)}
        return (await readReceptions(reader, clock, {patientId: DEALS})).find((r) => r.planStart === '2026-03-15 09:30:01')!.stage
      }
      expect(await stageIn('Europe/Moscow')).to.equal('booked')
      expect(await stageIn('Asia/Yekaterinburg')).to.equal('no_show')
    })
  })

  it('takes the grace hours as set: with 0 a reception is a no-show at its end, with 24 not before a day after it', async () => {
    await withReader(sqliteConfig(file), async (reader) => {
      const stage = async (noShowHours: number, planStart: string) =>
        (await readReceptions(reader, {...CLOCK, noShowHours}, {patientId: DEALS})).find((r) => r.planStart === planStart)!.stage
      expect(await stage(0, '2026-03-15 11:30:00')).to.equal('came')
      expect(await stage(0, '2026-03-15 09:30:01')).to.equal('no_show')
      expect(await stage(24, '2026-03-15 09:30:00')).to.equal('booked')
      expect(await stage(24, '2026-02-13 00:00:00')).to.equal('no_show')
      expect(await stage(1.5, '2026-03-15 10:00:01')).to.equal('no_show')
    })
  })
})

describe('ident reception reader: a clinic in the old shape (PatientAppeared the only mark, no chairs, services or cancel reasons)', () => {
  let file: string
  let receptions: Reception[]

  before(async () => {
    file = craftedClinic(200, `${tempDir()}/old.sqlite`, 'old').file
    receptions = await withReader(sqliteConfig(file), async (reader) => {
      expect(reader.schema.receptions.coreMissing).to.deep.equal([])
      expect(reader.schema.receptions.unavailable.map((u) => u.value)).to.have.members([
        'chair',
        'services',
        'cancelReason',
        'cancelComment',
      ])
      expect(reader.schema.receptions.unavailableFields).to.have.members(['chair', 'services', 'cancel_reason'])
      expect(reader.schema.receptions.partial.find((p) => p.value === 'stage')!.missing).to.have.members([
        'Receptions.CheckIssued',
        'Receptions.ReceptionEnded',
        'Receptions.ReceptionStarted',
      ])
      return readReceptions(reader)
    })
  })

  it('reads what there is: the stage from PatientAppeared, the branch of the latest bill, doctors from Staffs', () => {
    const paid = receptions.find((r) => r.patientId === DEALS && r.planStart === '2026-03-10 10:00:00')!
    expect(paid).to.include({
      stage: 'came',
      identStatus: 'Пришёл',
      branch: 'Стоматология «Улыбка» на Тверской',
      price: 2161,
      doctor: 'Ким А.',
    })
    expect([paid.chair, paid.services, paid.cancelReason, paid.cancelComment]).to.deep.equal([undefined, undefined, undefined, undefined])
    // Only an end was marked: the old shape has no such column, so this is a no-show.
    expect(receptions.find((r) => r.patientId === DEALS && r.planStart === '2026-03-11 10:00:00')!.stage).to.equal('no_show')
  })

  it('matches an independent computation of every value for every reception', () => {
    const {receptions: expected} = expectedReceptions(file, CLOCK)
    expect(receptions.map((r) => r.id)).to.deep.equal(expected.map((r) => r.id))
    for (const [i, want] of expected.entries()) expect(receptions[i], `reception ${want.id}`).to.deep.equal(want)
    expect(new Set(receptions.map((r) => r.stage))).to.include.members(['booked', 'came', 'cancelled', 'no_show'])
  })
})

describe('ident reception reader: deal values', () => {
  it('says for every deal field of the catalogue, and the price, which reception values it is made of', () => {
    expect(Object.keys(DEAL_VALUE_SOURCES)).to.have.members([...DEAL_FIELD_KEYS, 'price'])
    for (const values of Object.values(DEAL_VALUE_SOURCES))
      for (const value of values) expect(RECEPTION_VALUE_SOURCES).to.have.property(value)
  })
})
