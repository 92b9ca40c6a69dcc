import {expect} from 'chai'

import {MAX_VISITS_READ, type Patient, UNPARSEABLE} from '../../src/ident/index.js'
import {naiveDateTime, parseBirthday, roundKopecks} from '../../src/ident/rows.js'
import {BRANCH_KHIMKI, CRAFTED, craftedClinic, readAll, sqliteConfig, withReader} from './helpers.js'
import {expectedPatients} from './oracle.js'

describe('ident reader: derived values', () => {
  let file: string
  let patients: Map<string, Patient>

  before(async () => {
    file = craftedClinic(200).file
    patients = new Map((await withReader(sqliteConfig(file), (r) => readAll(r))).map((p) => [p.id, p]))
  })

  const crafted = (key: keyof typeof CRAFTED) => {
    const p = patients.get(String(CRAFTED[key]!.id))
    if (!p) throw new Error(`crafted patient ${key} was not read`)
    return p
  }

  it('reads every patient once, in id order', () => {
    const ids = [...patients.keys()].map(Number)
    expect(ids).to.have.length(200 + Object.keys(CRAFTED).length)
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b))
  })

  it('gives a family two patients with one phone, each with their own values', () => {
    expect(crafted('familyFather')).to.deep.equal({
      id: '9001',
      surname: 'Соколов',
      name: 'Игорь',
      patronymic: 'Петрович',
      phone: '8 (925) 111-22-33',
      mobilePhone: null,
      email: null,
      sex: 1,
      birthday: null,
      inn: null,
      snils: null,
      patientNumber: '9001',
      cardNumber: null,
      comment: null,
      firstVisit: null,
      smsRejection: false,
      archived: false,
      archiveReason: null,
      visits: [],
      totalVisits: 0,
      branch: null,
      balance: 0,
      advance: 0,
      debt: 0,
      discount: 0,
      changedAt: '2026-03-01 10:00:00',
    })
    const mother = crafted('familyMother')
    expect(mother).to.include({surname: 'Соколова', name: 'Анна', phone: '+7 925 1112233', mobilePhone: null, sex: 2})
  })

  it('keeps a birthday before 1970 and trims text, empty text → null', () => {
    expect(crafted('oldBirthday')).to.include({
      surname: 'Ёлкина-Петрова',
      name: 'Алёна',
      birthday: '1961-04-12',
      email: 'ALENA.ELKINA@MAIL.RU',
      snils: '12345678901',
      inn: '770123456789',
      comment: 'Аллергия на лидокаин',
      cardNumber: null,
      smsRejection: true,
    })
  })

  it('marks an archived patient with the reason', () => {
    expect(crafted('archived')).to.include({archived: true, archiveReason: 'Переезд в другой город'})
    expect(crafted('familyFather')).to.include({archived: false, archiveReason: null})
  })

  it('counts only visits: not cancelled (either way), not future, not no-shows; history newest first', () => {
    const p = crafted('visits')
    expect(p.totalVisits).to.equal(2)
    expect(p.visits).to.deep.equal([
      {at: '2025-02-10 11:30:00', doctor: 'Ким А.'},
      {at: '2025-01-10 10:00:00', doctor: 'Белова И. С.'},
    ])
    expect(p.patronymic).to.equal(null)
    // The future appointment was booked (changed) last.
    expect(p.changedAt).to.equal('2026-03-04 10:00:00')
  })

  it('counts a reception with any of the four marks as a visit unless cancelled, doctors named from Persons', () => {
    const p = crafted('marks')
    expect(p.totalVisits).to.equal(4)
    expect(p.visits).to.deep.equal([
      {at: '2025-04-04 10:00:00', doctor: 'Белова И. С.'},
      {at: '2025-04-03 10:00:00', doctor: 'Ким А.'},
      {at: '2025-04-02 10:00:00', doctor: 'Новиков О. П.'},
      {at: '2025-04-01 10:00:00', doctor: 'Ким А.'},
    ])
    // The latest change is a status datetime that no DateTimeChanged reflects.
    expect(p.changedAt).to.equal('2025-04-08 09:00:00')
  })

  it('reads birthdays kept as text ДД.ММ.ГГГГ (spaces around, one-digit parts), ISO; marks the rest unparseable', () => {
    expect(crafted('oldBirthday').birthday).to.equal('1961-04-12')
    expect(crafted('textBirthday').birthday).to.equal('1977-06-05')
    expect(crafted('shortBirthday').birthday).to.equal('2003-02-01')
    expect(crafted('badBirthday').birthday).to.deep.equal(UNPARSEABLE)
    expect(crafted('wordBirthday').birthday).to.deep.equal(UNPARSEABLE)
    expect(crafted('blankBirthday').birthday).to.equal(null)
    expect(crafted('familyFather').birthday).to.equal(null)
  })

  it('turns a negative balance into a debt, to the kopeck', () => {
    // −500 + 5000.55 − 9000 (billed with discount, not the 10000 before it)
    expect(crafted('debtor')).to.include({balance: -4499.45, debt: 4499.45, advance: 0, branch: BRANCH_KHIMKI})
  })

  it('turns a positive balance into an advance, to the kopeck', () => {
    // 100.10 + 3000.20 + 0.10 − 1000.30
    expect(crafted('advance')).to.include({balance: 2100.1, advance: 2100.1, debt: 0})
    // A payment changed after the patient row: changedAt is the latest of all the patient's rows.
    expect(crafted('advance').changedAt).to.equal('2026-03-10 08:00:00')
  })

  it('takes the discount of the most recently changed card, 0 without one', () => {
    expect(crafted('discount').discount).to.equal(15)
    expect(crafted('familyFather').discount).to.equal(0)
  })

  it('takes the branch of the latest order that names one, else of the latest payment', () => {
    // The latest order (07-01) names no branch; the one before names Химки; a later payment at the
    // main branch does not override an order.
    expect(crafted('branchFromOrders').branch).to.equal(BRANCH_KHIMKI)
    expect(crafted('branchFromOrders').balance).to.equal(0)
    expect(crafted('branchFromPayments').branch).to.equal(BRANCH_KHIMKI)
  })

  it('turns empty and blank names into null and trims the others', () => {
    expect(crafted('emptyNames')).to.include({surname: null, name: null, patronymic: null, phone: 'нет'})
    expect(crafted('spaces')).to.include({surname: 'Иванов', patronymic: 'Иванович', email: null})
    const generatedAllEmpty = patients.get('7')!
    expect([generatedAllEmpty.surname, generatedAllEmpty.name, generatedAllEmpty.patronymic]).to.deep.equal([null, null, null])
  })

  it('keeps naive local times as they are stored', () => {
    const p = crafted('naiveTimes')
    expect(p.firstVisit).to.equal('2024-03-31 02:30:00')
    expect(p.changedAt).to.equal('2025-10-26 02:30:00')
    expect(p.visits).to.deep.equal([{at: '2024-03-31 02:30:00', doctor: 'Белова И. С.'}])
  })

  it('matches an independent computation of every value for every patient', () => {
    const expected = expectedPatients(file, MAX_VISITS_READ)
    expect(expected).to.have.length(patients.size)
    for (const want of expected) expect(patients.get(want.id), `patient ${want.id}`).to.deep.equal(want)
  })

  it('reads one patient, several by id, the first N, and counts them', async () => {
    await withReader(sqliteConfig(file), async (reader) => {
      expect(await reader.readPatient('9006')).to.deep.equal(crafted('debtor'))
      expect(await reader.readPatient('424242')).to.equal(null)
      const some = await readAll(reader, {ids: ['9005', '3', '9001']})
      expect(some.map((p) => p.id)).to.deep.equal(['3', '9001', '9005'])
      expect(some[2]).to.deep.equal(crafted('visits'))
      const first = await readAll(reader, {limit: 5})
      expect(first.map((p) => p.id)).to.deep.equal(['1', '2', '3', '4', '5'])
      for (const p of first) expect(p).to.deep.equal(patients.get(p.id))
      expect(await reader.countPatients()).to.equal(patients.size)
      expect(await reader.countPatients({limit: 5})).to.equal(5)
      expect(await reader.countPatients({ids: ['9001', '9002', '1']})).to.equal(3)
    })
  })

  it('refuses an id that is not a number, with a usage error', async () => {
    await withReader(sqliteConfig(file), async (reader) => {
      let error: unknown
      try {
        await reader.readPatient('12; drop table Patients')
      } catch (e) {
        error = e
      }
      expect(error).to.have.property('exitCode', 2)
    })
  })

  it('can stop early without leaving a query running', async () => {
    await withReader(sqliteConfig(file), async (reader) => {
      let n = 0
      for await (const _ of reader.readPatients()) if (++n === 3) break
      // Both pooled connections are free again: a full read still works.
      expect((await readAll(reader)).length).to.equal(patients.size)
    })
  })
})

describe('ident reader: a clinic in the old shape (birthday a date, doctors named in Staffs, one visit mark)', () => {
  let file: string
  let patients: Map<string, Patient>

  before(async () => {
    file = craftedClinic(200, undefined, 'old').file
    patients = new Map((await withReader(sqliteConfig(file), (r) => readAll(r))).map((p) => [p.id, p]))
  })

  it('names the doctors from Staffs and counts only PatientAppeared as a visit (the only mark there is)', () => {
    const p = patients.get(String(CRAFTED.marks!.id))!
    expect(p.totalVisits).to.equal(1)
    expect(p.visits).to.deep.equal([{at: '2025-04-04 10:00:00', doctor: 'Белова И. С.'}])
    expect(patients.get(String(CRAFTED.visits!.id))!.visits).to.deep.equal([
      {at: '2025-02-10 11:30:00', doctor: 'Ким А.'},
      {at: '2025-01-10 10:00:00', doctor: 'Белова И. С.'},
    ])
    expect(patients.get(String(CRAFTED.oldBirthday!.id))!.birthday).to.equal('1961-04-12')
  })

  it('matches an independent computation of every value for every patient', () => {
    const expected = expectedPatients(file, MAX_VISITS_READ)
    expect(expected).to.have.length(patients.size)
    // The generated birthdays of this shape are dates: only the crafted bad ones are unparseable.
    expect(expected.filter((p) => typeof p.birthday === 'object' && p.birthday !== null).map((p) => p.id)).to.deep.equal([
      String(CRAFTED.badBirthday!.id),
      String(CRAFTED.wordBirthday!.id),
    ])
    for (const want of expected) expect(patients.get(want.id), `patient ${want.id}`).to.deep.equal(want)
  })
})

describe('ident reader: value conversion', () => {
  it('parses a birthday from a date column, ISO text or ДД.ММ.ГГГГ text; empty is null; anything else unparseable', () => {
    // tedious gives a `date`/`datetime` column as a Date whose UTC fields hold the stored value.
    expect(parseBirthday(new Date(Date.UTC(1961, 3, 12)))).to.equal('1961-04-12')
    expect(parseBirthday(new Date(Date.UTC(1990, 0, 31, 0, 0, 0)))).to.equal('1990-01-31')
    expect(parseBirthday(new Date(Number.NaN))).to.deep.equal(UNPARSEABLE)
    for (const [raw, want] of [
      ['12.04.1961', '1961-04-12'],
      [' 12.04.1961 ', '1961-04-12'],
      ['\t29.02.2000\n', '2000-02-29'],
      ['1.2.2003', '2003-02-01'],
      ['1961-04-12', '1961-04-12'],
      ['1961-04-12 00:00:00', '1961-04-12'],
      ['1961-04-12T00:00:00.000', '1961-04-12'],
      ['', null],
      ['   ', null],
    ] as const)
      expect(parseBirthday(raw), JSON.stringify(raw)).to.equal(want)
    expect(parseBirthday(null)).to.equal(null)
    for (const raw of [
      '31.02.1985',
      '29.02.1900',
      '00.00.0000',
      '15.13.1990',
      '12/05/1980',
      '1985',
      '01.01.19',
      '12.04.1961г',
      'нет',
      '1961-4-12',
    ])
      expect(parseBirthday(raw), raw).to.deep.equal(UNPARSEABLE)
    expect(parseBirthday(19610412)).to.deep.equal(UNPARSEABLE)
  })

  it('reads a tedious Date by its UTC fields, whatever the process time zone', () => {
    const saved = process.env.TZ
    try {
      for (const tz of ['Europe/Moscow', 'America/New_York', 'Asia/Kamchatka']) {
        process.env.TZ = tz
        // tedious with useUTC: true puts the stored naive value in the UTC fields.
        expect(naiveDateTime(new Date(Date.UTC(2024, 2, 31, 2, 30, 5)))).to.equal('2024-03-31 02:30:05')
        expect(naiveDateTime(new Date(Date.UTC(1961, 3, 12)))?.slice(0, 10)).to.equal('1961-04-12')
      }
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('normalizes SQLite text times', () => {
    expect(naiveDateTime('2025-01-02 03:04:05')).to.equal('2025-01-02 03:04:05')
    expect(naiveDateTime('2025-01-02T03:04:05.123')).to.equal('2025-01-02 03:04:05')
    expect(naiveDateTime('2025-01-02')).to.equal('2025-01-02 00:00:00')
    expect(naiveDateTime('')).to.equal(null)
  })

  it('rounds money half away from zero to the kopeck, absorbing binary noise', () => {
    expect(roundKopecks(0.1 + 0.2)).to.equal(0.3)
    expect(roundKopecks(1.005)).to.equal(1.01)
    expect(roundKopecks(-1.005)).to.equal(-1.01)
    expect(roundKopecks(-0.001)).to.equal(0)
    expect(Object.is(roundKopecks(-0.001), -0)).to.equal(false)
  })
})
