import {expect} from 'chai'

import {
  buildCreate,
  catalogueMarkdownTable,
  type DesiredContact,
  FIELD_CATALOGUE,
  FIELD_KEYS,
  formatVisitHistory,
  mapPatient,
} from '../../src/fields/index.js'
import {UNPARSEABLE, type Visit} from '../../src/ident/types.js'
import {accountDefs, MOSCOW, patient, resolvedFor} from './fixtures.js'

function field(desired: DesiredContact, key: string) {
  return desired.fields.find((f) => f.key === key)
}

describe('fields: the catalogue', () => {
  it('has the 20 keys of field-mapping.md, each once, with a default name and types', () => {
    expect(FIELD_CATALOGUE.map((s) => s.key)).to.deep.equal([...FIELD_KEYS])
    expect(FIELD_KEYS).to.have.length(20)
    for (const spec of FIELD_CATALOGUE) {
      expect(spec.name, spec.key).to.be.a('string').and.have.length.greaterThan(0)
      expect(spec.types.length, spec.key).to.be.greaterThan(0)
      if (spec.createType) expect(spec.types, spec.key).to.include(spec.createType)
    }
  })

  it('renders the docs table of field-mapping.md from the catalogue', () => {
    const rows = catalogueMarkdownTable().split('\n')
    expect(rows).to.have.length(22)
    expect(rows).to.include(
      '| `gender` | Пол | select: Мужской / Женский / Не указан | Мужской / Женский / Не указан, by option text → its `enum_id` | Persons.Sex |',
    )
    expect(rows[2]).to.match(/^\| `phone` \| Телефон \(built-in, code `PHONE`\) \| multitext \|/)
  })

  it('creates visits and comment as textarea, birthday as birthday, never PHONE/EMAIL', () => {
    const byKey = Object.fromEntries(FIELD_CATALOGUE.map((s) => [s.key, s]))
    expect(byKey.visits!.createType).to.equal('textarea')
    expect(byKey.comment!.createType).to.equal('textarea')
    expect(byKey.birthday!.createType).to.equal('birthday')
    expect(byKey.phone!.createType).to.equal(null)
    expect(byKey.email!.createType).to.equal(null)
    expect(byKey.gender!.options).to.deep.equal(['Мужской', 'Женский', 'Не указан'])
    expect(byKey.status!.options).to.deep.equal(['Активный', 'Архивный'])
  })
})

describe('fields: patient → desired contact', () => {
  const resolved = resolvedFor()

  it('builds the name parts, dropping empty ones', () => {
    const d = mapPatient(patient(), resolved, MOSCOW)
    expect([d.name, d.first_name, d.last_name]).to.deep.equal(['Иванов Иван Иванович', 'Иван Иванович', 'Иванов'])
    const noPatronymic = mapPatient(patient({patronymic: null, name: '  Мария '}), resolved, MOSCOW)
    expect([noPatronymic.name, noPatronymic.first_name]).to.deep.equal(['Иванов Мария', 'Мария'])
    const surnameOnly = mapPatient(patient({name: '', patronymic: undefined}), resolved, MOSCOW)
    expect([surnameOnly.name, surnameOnly.first_name, surnameOnly.last_name]).to.deep.equal(['Иванов', '', 'Иванов'])
  })

  it('cuts a name over 255 characters like other text, with a warning that quotes none of it', () => {
    const surname = 'Ж'.repeat(300)
    const d = mapPatient(patient({surname}), resolved, MOSCOW)
    for (const part of [d.name, d.last_name]) {
      expect([...part]).to.have.length(255)
      expect(part.endsWith('Ж…')).to.equal(true)
    }
    expect(d.first_name).to.equal('Иван Иванович')
    expect(d.warnings.map((w) => [w.field, w.code, w.detail])).to.deep.equal([
      ['name', 'text_truncated', "name: 314 characters cut to 255 (amoCRM's limit for a contact's name)"],
      ['name', 'text_truncated', "last_name: 300 characters cut to 255 (amoCRM's limit for a contact's name)"],
    ])
    const longFirst = mapPatient(patient({name: 'М'.repeat(200), patronymic: 'О'.repeat(100)}), resolved, MOSCOW)
    expect([...longFirst.first_name]).to.have.length(255)
    expect(buildCreate(longFirst).first_name).to.equal(longFirst.first_name)
  })

  it('leaves out control characters, escape sequences and bidi overrides from names and text fields', () => {
    const d = mapPatient(
      patient({
        surname: 'Ива\u0000нов\u202E',
        name: '\u001b[31mИван\u001b[0m',
        patronymic: 'Ива\u200Fнович\u0007',
        cardNumber: 'A-\u0000100\u001b]0;title\u0007',
        snils: '\u2066112-233-445 95\u2069',
        comment: 'Аллергия\u0000 на лидокаин\nвторая строка\u202E',
        branch: 'Клиника\tна\u0085Арбате',
        email: 'ivan\u202E@example.ru',
        mobilePhone: '8 (925)\u0000 123-45-67',
      }),
      resolved,
      MOSCOW,
    )
    expect([d.name, d.first_name, d.last_name]).to.deep.equal(['Иванов Иван Иванович', 'Иван Иванович', 'Иванов'])
    expect(field(d, 'card_number')!.value).to.equal('A-100')
    expect(field(d, 'snils')!.value).to.equal('112-233-445 95')
    // notes keep their line breaks; one-line text gets spaces instead
    expect(field(d, 'comment')!.value).to.equal('Аллергия на лидокаин\nвторая строка')
    expect(field(d, 'branch')!.value).to.equal('Клиника на Арбате')
    expect(field(d, 'email')!.value).to.deep.equal(['ivan@example.ru'])
    expect(field(d, 'phone')!.value).to.deep.equal(['+79251234567'])
    const sent = JSON.stringify(buildCreate(d))
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(sent).to.not.match(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/)
  })

  it('names a patient with no name parts `Пациент <id>`', () => {
    const d = mapPatient(patient({surname: null, name: ' ', patronymic: null}), resolved, MOSCOW)
    expect([d.name, d.first_name, d.last_name]).to.deep.equal(['Пациент 1001', '', ''])
  })

  it('formats every field as field-mapping.md says', () => {
    const d = mapPatient(patient(), resolved, MOSCOW)
    expect(d.warnings).to.deep.equal([])
    expect(field(d, 'phone')!.values).to.deep.equal([{value: '+79251234567', enum_code: 'MOB'}])
    expect(field(d, 'email')!.values).to.deep.equal([{value: 'ivan.ivanov@example.ru', enum_code: 'PRIV'}])
    expect(field(d, 'age')!.values).to.deep.equal([{value: 64}])
    expect(field(d, 'gender')!.values).to.deep.equal([{enum_id: resolved.gender!.enums['Мужской']}])
    expect(field(d, 'visits')!.values).to.deep.equal([{value: '05.03.2024 14:30 — Петров П. П.\n20.11.2023 09:00 — Сидорова А. В.'}])
    expect(field(d, 'total_visits')!.values).to.deep.equal([{value: 2}])
    expect(field(d, 'card_number')!.values).to.deep.equal([{value: 'A-100'}])
    expect(field(d, 'birthday')!.values).to.deep.equal([{value: '1961-04-12T00:00:00+03:00'}])
    expect(field(d, 'comment')!.values).to.deep.equal([{value: 'Аллергия на лидокаин'}])
    expect(field(d, 'discount')!.values).to.deep.equal([{value: 5}])
    expect(field(d, 'sms_opt_out')!.values).to.deep.equal([{value: false}])
    expect(field(d, 'archive_reason')!.values).to.equal(null)
    expect(field(d, 'status')!.values).to.deep.equal([{enum_id: resolved.status!.enums['Активный']}])
    expect(field(d, 'snils')!.values).to.deep.equal([{value: '112-233-445 95'}])
    expect(field(d, 'inn')!.values).to.deep.equal([{value: '7707083893'}])
    expect(field(d, 'branch')!.values).to.deep.equal([{value: 'Клиника на Арбате'}])
    expect(field(d, 'patient_number')!.values).to.deep.equal([{value: 'П-17'}])
    expect(field(d, 'advance')!.values).to.deep.equal([{value: 1500.5}])
    expect(field(d, 'debt')!.values).to.deep.equal([{value: 0}])
    expect(field(d, 'ident_id')!.values).to.deep.equal([{value: '1001'}])
    expect(d.fields.map((f) => f.key)).to.deep.equal([...FIELD_KEYS])
  })

  it('writes each field to the account’s field id', () => {
    const d = mapPatient(patient(), resolved, MOSCOW)
    for (const f of d.fields) expect(f.fieldId, f.key).to.equal(resolved[f.key]!.id)
  })

  describe('phones', () => {
    it('normalizes every common format to E.164', () => {
      for (const raw of ['8 (925) 123-45-67', '+7 (925) 123-45-67', '9251234567', '+7 925 1234567', '89251234567']) {
        const d = mapPatient(patient({mobilePhone: raw}), resolved, MOSCOW)
        expect(field(d, 'phone')!.values, raw).to.deep.equal([{value: '+79251234567', enum_code: 'MOB'}])
      }
    })

    it('writes a landline with WORK and both MobilePhone and Phone, deduplicated', () => {
      const d = mapPatient(patient({mobilePhone: '8 925 123 45 67', phone: '8 (495) 123-45-67'}), resolved, MOSCOW)
      expect(field(d, 'phone')!.values).to.deep.equal([
        {value: '+79251234567', enum_code: 'MOB'},
        {value: '+74951234567', enum_code: 'WORK'},
      ])
      const same = mapPatient(patient({mobilePhone: '89251234567', phone: '+7 (925) 123-45-67'}), resolved, MOSCOW)
      expect(field(same, 'phone')!.values).to.deep.equal([{value: '+79251234567', enum_code: 'MOB'}])
    })

    it('does not write a garbage phone and warns without the digits', () => {
      const d = mapPatient(patient({mobilePhone: '123-45', phone: 'звонить маме'}), resolved, MOSCOW)
      expect(field(d, 'phone')!.values).to.deep.equal([])
      expect(d.warnings.map((w) => [w.field, w.code])).to.deep.equal([
        ['phone', 'phone_unparseable'],
        ['phone', 'phone_unparseable'],
      ])
      for (const w of d.warnings) {
        expect(w.patientId).to.equal('1001')
        expect(w.detail).not.to.match(/\d{2}/)
        expect(w.detail).not.to.contain('маме')
      }
    })

    it('keeps the valid numbers of a cell holding two', () => {
      const d = mapPatient(patient({mobilePhone: '89251234567, 8 916 765-43-21'}), resolved, MOSCOW)
      expect(field(d, 'phone')!.values!.map((v) => v.value)).to.deep.equal(['+79251234567', '+79167654321'])
      expect(d.warnings).to.deep.equal([])
    })
  })

  it('lower-cases e-mails and drops what is not an address, with a warning', () => {
    const d = mapPatient(patient({email: 'A@B.RU; not-an-email'}), resolved, MOSCOW)
    expect(field(d, 'email')!.values).to.deep.equal([{value: 'a@b.ru', enum_code: 'PRIV'}])
    expect(d.warnings.map((w) => w.code)).to.deep.equal(['email_invalid'])
    expect(d.warnings[0]!.detail).not.to.contain('not-an-email')
  })

  describe('age', () => {
    it('counts whole years on the sync day in the clinic timezone', () => {
      // 2025-04-11 22:30 UTC is already 2025-04-12 in Moscow: the 64th birthday.
      const now = new Date('2025-04-11T22:30:00Z')
      const moscow = mapPatient(patient(), resolved, {...MOSCOW, now})
      expect(field(moscow, 'age')!.values).to.deep.equal([{value: 64}])
      const utc = mapPatient(patient(), resolved, {...MOSCOW, clinicTimezone: 'UTC', now})
      expect(field(utc, 'age')!.values).to.deep.equal([{value: 63}])
    })

    it('clears age and birthday when the birthday is empty; a bad date leaves both alone, with one warning', () => {
      const empty = mapPatient(patient({birthday: null}), resolved, MOSCOW)
      expect(field(empty, 'age')!.values).to.equal(null)
      expect(field(empty, 'birthday')!.values).to.equal(null)
      const bad = mapPatient(patient({birthday: '1961-02-30'}), resolved, MOSCOW)
      expect(field(bad, 'age')).to.equal(undefined)
      expect(field(bad, 'birthday')).to.equal(undefined)
      expect(bad.warnings.map((w) => [w.field, w.code])).to.deep.equal([['age', 'birthday_invalid']])
      expect(bad.skipped).to.deep.include({key: 'birthday', reason: 'bad_data'})
      // What the reader gives for a Persons.Birthday that is not a date: the same, never a clear.
      const unparseable = mapPatient(patient({birthday: UNPARSEABLE}), resolved, MOSCOW)
      expect(unparseable.fields.map((f) => f.key)).not.to.include.members(['age', 'birthday'])
      expect(unparseable.skipped).to.deep.include.members([
        {key: 'age', reason: 'bad_data'},
        {key: 'birthday', reason: 'bad_data'},
      ])
      expect(unparseable.warnings.map((w) => w.code)).to.deep.equal(['birthday_invalid'])
    })
  })

  describe('birthday', () => {
    it('is RFC 3339 midnight with the real offset of that day, also before 1970', () => {
      const cases: Array<[string, string]> = [
        ['1961-04-12', '1961-04-12T00:00:00+03:00'],
        // Moscow was on UTC+2 from March 1991 to January 1992.
        ['1991-12-01', '1991-12-01T00:00:00+02:00'],
        ['1992-02-01', '1992-02-01T00:00:00+03:00'],
        // Summer time in the 1980s: +04:00.
        ['1985-07-01', '1985-07-01T00:00:00+04:00'],
        ['2012-07-01', '2012-07-01T00:00:00+04:00'],
        ['2016-07-01', '2016-07-01T00:00:00+03:00'],
      ]
      for (const [date, expected] of cases) {
        const d = mapPatient(patient({birthday: date}), resolved, MOSCOW)
        expect(field(d, 'birthday')!.values, date).to.deep.equal([{value: expected}])
      }
    })

    it('uses the account timezone, not the clinic’s', () => {
      const d = mapPatient(patient({birthday: '1985-06-15'}), resolved, {...MOSCOW, accountTimezone: 'Asia/Vladivostok'})
      expect(field(d, 'birthday')!.values).to.deep.equal([{value: '1985-06-15T00:00:00+11:00'}])
    })
  })

  it('picks gender options by text: 1 Мужской, 2 Женский, anything else Не указан', () => {
    const ids = resolved.gender!.enums
    expect(field(mapPatient(patient({sex: 2}), resolved, MOSCOW), 'gender')!.values).to.deep.equal([{enum_id: ids['Женский']}])
    expect(field(mapPatient(patient({sex: 0}), resolved, MOSCOW), 'gender')!.values).to.deep.equal([{enum_id: ids['Не указан']}])
    expect(field(mapPatient(patient({sex: null}), resolved, MOSCOW), 'gender')!.values).to.deep.equal([{enum_id: ids['Не указан']}])
  })

  it('finds options by text whatever their case or ё (the first of equal ones), and warns when one is missing', () => {
    const enums = [
      {id: 9001, value: 'активный', sort: 1},
      {id: 9002, value: 'АКТИВНЫЙ ', sort: 2},
    ]
    const defs = accountDefs().map((d) => (d.name === 'Статус' ? {...d, enums} : d))
    const r = resolvedFor(defs)
    const active = mapPatient(patient(), r, MOSCOW)
    expect(field(active, 'status')!.values).to.deep.equal([{enum_id: 9001}])
    const archived = mapPatient(patient({archived: true, archiveReason: 'Переезд'}), r, MOSCOW)
    expect(field(archived, 'status')).to.equal(undefined)
    expect(archived.warnings.map((w) => [w.field, w.code])).to.deep.equal([['status', 'option_missing']])
  })

  it('archived: status Архивный and the reason; active: Активный and the reason cleared', () => {
    const archived = mapPatient(patient({archived: true, archiveReason: 'Переезд в другой город'}), resolved, MOSCOW)
    expect(field(archived, 'status')!.values).to.deep.equal([{enum_id: resolved.status!.enums['Архивный']}])
    expect(field(archived, 'archive_reason')!.values).to.deep.equal([{value: 'Переезд в другой город'}])
    const active = mapPatient(patient({archived: false, archiveReason: 'Старая причина'}), resolved, MOSCOW)
    expect(field(active, 'status')!.values).to.deep.equal([{enum_id: resolved.status!.enums['Активный']}])
    expect(field(active, 'archive_reason')!.values).to.equal(null)
  })

  it('debt and advance are 2-decimal numbers, only one of them non-zero', () => {
    const debtor = mapPatient(patient({balance: -2500.456, advance: 0, debt: 2500.456}), resolved, MOSCOW)
    expect(field(debtor, 'debt')!.values).to.deep.equal([{value: 2500.46}])
    expect(field(debtor, 'advance')!.values).to.deep.equal([{value: 0}])
    const payload = JSON.parse(JSON.stringify(buildCreate(debtor)))
    const debt = payload.custom_fields_values.find((cf: {field_id: number}) => cf.field_id === resolved.debt!.id)
    expect(debt.values[0].value).to.be.a('number')
  })

  it('caps a discount outside 0–100 and warns', () => {
    const d = mapPatient(patient({discount: 150}), resolved, MOSCOW)
    expect(field(d, 'discount')!.values).to.deep.equal([{value: 100}])
    expect(d.warnings.map((w) => w.code)).to.deep.equal(['value_out_of_range'])
  })

  it('sends the SMS opt-out as a boolean', () => {
    expect(field(mapPatient(patient({smsRejection: true}), resolved, MOSCOW), 'sms_opt_out')!.values).to.deep.equal([{value: true}])
  })

  it('keeps a SNILS that is not 11 digits as it is; INN as digits', () => {
    const d = mapPatient(patient({snils: '123-45', inn: ' 500100732259 '}), resolved, MOSCOW)
    expect(field(d, 'snils')!.values).to.deep.equal([{value: '123-45'}])
    expect(field(d, 'inn')!.values).to.deep.equal([{value: '500100732259'}])
  })

  describe('long text', () => {
    const long = 'а'.repeat(5000)

    it('writes a 5,000-character comment whole to a textarea', () => {
      const d = mapPatient(patient({comment: long}), resolved, MOSCOW)
      expect(field(d, 'comment')!.values).to.deep.equal([{value: long}])
      expect(d.warnings).to.deep.equal([])
    })

    it('cuts a textarea at 10,000 characters rather than have amoCRM refuse the batch', () => {
      const d = mapPatient(patient({comment: 'б'.repeat(12_000)}), resolved, MOSCOW)
      const value = field(d, 'comment')!.values![0]!.value as string
      expect(value).to.have.length(10_000)
      expect(value.endsWith('б…')).to.equal(true)
      expect(d.warnings.map((w) => w.code)).to.deep.equal(['text_truncated'])
    })

    it('cuts it at 256 characters with … and a warning when the field is a text', () => {
      const r = resolvedFor(accountDefs({comment: 'text'}))
      const d = mapPatient(patient({comment: long}), r, MOSCOW)
      const value = field(d, 'comment')!.values![0]!.value as string
      expect(value).to.have.length(256)
      expect(value.endsWith('…')).to.equal(true)
      expect(value.startsWith('ааа')).to.equal(true)
      expect(d.warnings.map((w) => [w.field, w.code])).to.deep.equal([['comment', 'text_truncated']])
      expect(d.warnings[0]!.detail).not.to.contain('ааа')
    })
  })

  describe('visit history', () => {
    const visits = (n: number): Visit[] =>
      Array.from({length: n}, (_, i) => {
        const day = new Date(Date.UTC(2024, 0, 1) - i * 86_400_000).toISOString().slice(0, 10)
        return {at: `${day} 10:15:00`, doctor: 'Константинопольский К. К.'}
      })

    it('is newest first, one line per visit', () => {
      const text = formatVisitHistory(
        [
          {at: '2023-01-01 09:00:00', doctor: 'Б Б. Б.'},
          {at: '2024-02-03 18:05:00', doctor: null},
        ],
        2,
        4000,
      )
      expect(text).to.equal('03.02.2024 18:05\n01.01.2023 09:00 — Б Б. Б.')
    })

    it('keeps the most recent lines that fit a textarea and ends with `… и ещё N`, N counting every visit left out', () => {
      const read = visits(150)
      const d = mapPatient(patient({visits: read, totalVisits: 400}), resolved, MOSCOW)
      const text = field(d, 'visits')!.values![0]!.value as string
      const lines = text.split('\n')
      expect(text.length).to.be.at.most(4000)
      const shown = lines.length - 1
      expect(lines[0]).to.equal('01.01.2024 10:15 — Константинопольский К. К.')
      expect(lines.at(-1)).to.equal(`… и ещё ${400 - shown}`)
      const all = formatVisitHistory(read, 150, 1_000_000).split('\n')
      expect(lines.slice(0, shown)).to.deep.equal(all.slice(0, shown))
      // The cut is as late as it can be: one more line would not fit.
      const oneMore = [...all.slice(0, shown + 1), `… и ещё ${400 - shown - 1}`].join('\n')
      expect(oneMore.length).to.be.greaterThan(4000)
    })

    it('fits a text field in 256 characters', () => {
      const r = resolvedFor(accountDefs({visits: 'text'}))
      const d = mapPatient(patient({visits: visits(20), totalVisits: 20}), r, MOSCOW)
      const text = field(d, 'visits')!.values![0]!.value as string
      expect(text.length).to.be.at.most(256)
      const lines = text.split('\n')
      expect(lines.at(-1)).to.equal(`… и ещё ${20 - (lines.length - 1)}`)
    })

    it('writes no tail when every visit fits, and clears when there are none', () => {
      const d = mapPatient(patient({visits: visits(3), totalVisits: 3}), resolved, MOSCOW)
      expect((field(d, 'visits')!.values![0]!.value as string).split('\n')).to.have.length(3)
      const none = mapPatient(patient({visits: [], totalVisits: 0}), resolved, MOSCOW)
      expect(field(none, 'visits')!.values).to.equal(null)
      expect(field(none, 'total_visits')!.values).to.deep.equal([{value: 0}])
    })
  })

  it('clears fields whose IDENT value is empty', () => {
    const d = mapPatient(
      patient({cardNumber: '  ', comment: null, snils: null, inn: '', branch: null, patientNumber: null}),
      resolved,
      MOSCOW,
    )
    for (const key of ['card_number', 'comment', 'snils', 'inn', 'branch', 'patient_number'])
      expect(field(d, key)!.values, key).to.equal(null)
    const create = buildCreate(d)
    const sent = (create.custom_fields_values ?? []).map((cf) => cf.field_id)
    for (const key of ['card_number', 'comment', 'snils', 'inn', 'branch', 'patient_number'] as const)
      expect(sent).not.to.include(resolved[key]!.id)
  })

  it('never sends a field whose IDENT source is unavailable', () => {
    const d = mapPatient(
      patient({
        email: undefined,
        mobilePhone: undefined,
        phone: undefined,
        sex: undefined,
        birthday: undefined,
        inn: undefined,
        snils: undefined,
        visits: undefined,
        totalVisits: undefined,
        discount: undefined,
        debt: undefined,
        advance: undefined,
        branch: undefined,
        archiveReason: undefined,
      }),
      resolved,
      MOSCOW,
    )
    const keys = d.fields.map((f) => f.key)
    for (const key of [
      'phone',
      'email',
      'gender',
      'age',
      'birthday',
      'inn',
      'snils',
      'visits',
      'total_visits',
      'discount',
      'debt',
      'advance',
      'branch',
      'archive_reason',
    ])
      expect(keys, key).not.to.include(key)
    expect(d.skipped.filter((s) => s.reason === 'source_missing')).to.have.length(14)
    expect(keys).to.include('ident_id')
  })

  it('never sends a disabled field', () => {
    const r = resolvedFor(accountDefs(), {inn: false, comment: false, phone: false})
    const d = mapPatient(patient(), r, MOSCOW)
    expect(d.fields.map((f) => f.key)).not.to.include.members(['inn', 'comment', 'phone'])
    const ids = (buildCreate(d).custom_fields_values ?? []).map((cf) => cf.field_id)
    expect(ids).not.to.include.members([resolved.inn!.id, resolved.comment!.id, resolved.phone!.id])
  })

  it('builds a create payload without nulls', () => {
    const create = buildCreate(mapPatient(patient({comment: null, mobilePhone: null}), resolved, MOSCOW))
    expect(create.name).to.equal('Иванов Иван Иванович')
    for (const cf of create.custom_fields_values ?? []) expect(cf.values, String(cf.field_id)).to.be.an('array').with.length.greaterThan(0)
    expect(create).not.to.have.property('id')
  })

  it('does not throw on hostile data', () => {
    const d = mapPatient(
      patient({
        mobilePhone: '+'.repeat(300),
        email: '@@@',
        birthday: 'garbage',
        snils: '\u0000',
        discount: Number.NaN,
        advance: Number.POSITIVE_INFINITY,
        visits: [{at: '', doctor: null}],
        totalVisits: -1,
      }),
      resolved,
      MOSCOW,
    )
    expect(d.patientId).to.equal('1001')
  })
})
