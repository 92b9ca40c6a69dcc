import {expect} from 'chai'

import {MAX_VISITS_READ, type Patient} from '../../src/ident/index.js'
import {naiveDateTime, roundKopecks} from '../../src/ident/rows.js'
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

describe('ident reader: value conversion', () => {
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
