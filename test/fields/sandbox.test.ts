import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {AmoClient, RateLimiter, staticTokenProvider} from '../../src/amocrm/index.js'
import type {CustomFieldCreate} from '../../src/amocrm/types.js'
import {loadConfig, saveFieldIds} from '../../src/config/index.js'
import {
  buildCreate,
  buildUpdate,
  checkFields,
  createMissingFields,
  diffContact,
  FIELD_CATALOGUE,
  mapPatient,
  resolveFields,
} from '../../src/fields/index.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../src/sandbox/index.js'
import {patient} from './fixtures.js'

/** Every catalogue field under its default name, as someone set them up by hand (ids unknown to the config). */
function defaultFields(except: string[] = []): CustomFieldCreate[] {
  return FIELD_CATALOGUE.filter((s) => s.createType && !except.includes(s.key)).map((s) => ({
    name: s.name,
    type: s.createType!,
    ...(s.options ? {enums: s.options.map((value, i) => ({value, sort: i + 1}))} : {}),
  }))
}

describe('fields: check and create against the sandbox', function () {
  this.timeout(30_000)
  let sandbox: Sandbox
  let api: AmoClient
  let home: string

  const config = () => loadConfig({configDir: home, dataDir: home, cwd: home, env: {}})
  const saveIds = (ids: Record<string, number>) => saveFieldIds(home, ids)

  beforeEach(async () => {
    sandbox = await startSandbox({rateLimit: 0})
    api = new AmoClient({baseUrl: sandbox.url, tokens: staticTokenProvider(SANDBOX_TOKEN), limiter: new RateLimiter({rate: 1000})})
    home = mkdtempSync(path.join(tmpdir(), 'ident-amo-fields-'))
  })

  afterEach(async () => {
    await sandbox.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('finds fields under their default names without ids; --fix saves the ids', async () => {
    const made = await api.createCustomFields(defaultFields())
    const check = await checkFields(api, config().fields)
    expect(check.ok, check.summary).to.equal(true)
    expect(check.saved).to.deep.equal({})
    expect(config().fields).to.deep.equal({})
    expect(check.fields.filter((f) => f.foundBy === 'name')).to.have.length(18)

    const fixed = await checkFields(api, config().fields, {saveIds})
    expect(fixed.ok).to.equal(true)
    expect(Object.keys(fixed.saved)).to.have.length(20)
    const stored = config().fields
    const byName = new Map(made.map((d) => [d.name, d.id]))
    expect(stored.age).to.deep.equal({id: byName.get('Возраст')})
    expect(stored.ident_id).to.deep.equal({id: byName.get('ID пациента IDENT')})
    const all = await api.listCustomFields()
    expect(stored.phone).to.deep.equal({id: all.find((d) => d.code === 'PHONE')!.id})
    expect(fixed.fields.every((f) => f.foundBy === 'id')).to.equal(true)

    const again = await checkFields(api, config().fields, {saveIds})
    expect(again.saved).to.deep.equal({})
  })

  it('reports a field of the wrong type, and create does not duplicate it', async () => {
    await api.createCustomFields([...defaultFields(['age']), {name: 'Возраст', type: 'text'}])
    const check = await checkFields(api, config().fields)
    expect(check.ok).to.equal(false)
    const age = check.fields.find((f) => f.key === 'age')!
    expect(age).to.include({
      ok: false,
      problem: 'wrong_type',
      type: 'text',
      message: `the field 'Возраст' (id ${age.id}) is of type 'text', age needs 'numeric'`,
    })
    expect(check.summary).to.equal('1 of 20 mapped fields are not usable (wrong type: age)')

    const created = await createMissingFields(api, config().fields, {saveIds})
    expect(created.created).to.deep.equal([])
    expect(created.ok).to.equal(false)
    expect((await api.listCustomFields()).filter((d) => d.name === 'Возраст')).to.have.length(1)
    expect(config().fields).not.to.have.property('age')
  })

  it('reports a select that lacks an option', async () => {
    await api.createCustomFields([...defaultFields(['status']), {name: 'Статус', type: 'select', enums: [{value: 'Активный', sort: 1}]}])
    const check = await checkFields(api, config().fields)
    const status = check.fields.find((f) => f.key === 'status')!
    expect(status.ok).to.equal(false)
    expect(status.fix).to.equal("add the option 'Архивный' to the field 'Статус' in amoCRM, or fix fields.status.id")
    expect(check.fields.filter((f) => !f.ok).map((f) => f.key)).to.deep.equal(['status'])
  })

  it('creates every field in an empty account with the right types and options; a second run creates none', async () => {
    const before = await checkFields(api, config().fields)
    expect(before.ok).to.equal(false)
    expect(before.fields.filter((f) => f.problem === 'not_found')).to.have.length(18)

    const first = await createMissingFields(api, config().fields, {saveIds})
    expect(first.ok, first.summary).to.equal(true)
    expect(first.created).to.have.length(18)
    expect(first.created.map((c) => c.key)).not.to.include.members(['phone', 'email'])
    const defs = await api.listCustomFields()
    const type = (name: string) => defs.find((d) => d.name === name)!.type
    expect([
      type('Приемы'),
      type('Комментарий'),
      type('Дата рождения'),
      type('Возраст'),
      type('Отказ от SMS'),
      type('СНИЛС'),
    ]).to.deep.equal(['textarea', 'textarea', 'birthday', 'numeric', 'checkbox', 'text'])
    expect(defs.find((d) => d.name === 'Пол')!.enums!.map((e) => e.value)).to.deep.equal(['Мужской', 'Женский', 'Не указан'])
    expect(defs.find((d) => d.name === 'Статус')!.enums!.map((e) => e.value)).to.deep.equal(['Активный', 'Архивный'])
    const stored = config().fields
    expect(Object.keys(stored)).to.have.length(20)
    for (const c of first.created) expect(stored[c.key], c.key).to.deep.equal({id: c.id})

    sandbox.resetStats()
    const second = await createMissingFields(api, config().fields, {saveIds})
    expect(second.created).to.deep.equal([])
    expect(second.ok).to.equal(true)
    expect(sandbox.apiRequestCount({method: 'POST'})).to.equal(0)
    expect((await api.listCustomFields()).length).to.equal(defs.length)
  })

  it('replaces a configured id the account does not have by a new field', async () => {
    saveFieldIds(home, {age: 999_999})
    const check = await checkFields(api, config().fields)
    expect(check.fields.find((f) => f.key === 'age')!.problem).to.equal('configured_id_not_found')
    const result = await createMissingFields(api, config().fields, {saveIds})
    const age = result.created.find((c) => c.key === 'age')!
    expect(age.name).to.equal('Возраст')
    expect(config().fields.age).to.deep.equal({id: age.id})
    expect(result.ok).to.equal(true)
  })

  it('does not create a disabled field', async () => {
    saveFieldIds(home, {})
    const cfg = {...config().fields, inn: false as const, snils: false as const}
    const result = await createMissingFields(api, cfg)
    expect(result.created.map((c) => c.key)).not.to.include.members(['inn', 'snils'])
    expect(result.created).to.have.length(16)
  })
})

describe('fields: a mapped patient round-trips through the sandbox unchanged', function () {
  this.timeout(30_000)
  let sandbox: Sandbox
  let api: AmoClient

  afterEach(async () => {
    await sandbox.close()
  })

  for (const timezone of ['Europe/Moscow', 'Asia/Vladivostok']) {
    it(`writes what the sandbox accepts and reads back as equal (account timezone ${timezone})`, async () => {
      sandbox = await startSandbox({rateLimit: 0, timezone})
      api = new AmoClient({baseUrl: sandbox.url, tokens: staticTokenProvider(SANDBOX_TOKEN), limiter: new RateLimiter({rate: 1000})})
      await createMissingFields(api, {})
      const {resolved} = resolveFields(await api.listCustomFields(), {})
      const options = {accountTimezone: timezone, clinicTimezone: 'Europe/Moscow', now: new Date('2025-06-01T09:00:00Z')}
      const p = patient({
        birthday: '1985-06-15',
        phone: '8 (495) 123-45-67',
        archived: true,
        archiveReason: 'Переезд',
        comment: 'к'.repeat(5000),
        smsRejection: true,
      })
      const desired = mapPatient(p, resolved, options)
      const [created] = await api.createContacts([buildCreate(desired)])
      const held = (await api.getContact(created!.id))!
      const diffs = diffContact(desired, held, resolved, {accountTimezone: timezone})
      expect(diffs.filter((d) => !d.equal)).to.deep.equal([])
      expect(buildUpdate(desired, held, resolved, {accountTimezone: timezone})).to.equal(null)

      // A patient with almost nothing: no name parts, no phones, false checkbox, empty values.
      const bare = mapPatient(
        patient({
          id: '42',
          surname: null,
          name: null,
          patronymic: null,
          mobilePhone: null,
          email: null,
          birthday: null,
          smsRejection: false,
          comment: null,
          cardNumber: null,
          snils: null,
          inn: null,
          branch: null,
          patientNumber: null,
          visits: [],
          totalVisits: 0,
          sex: null,
        }),
        resolved,
        options,
      )
      const [bareCreated] = await api.createContacts([buildCreate(bare)])
      const bareHeld = (await api.getContact(bareCreated!.id))!
      expect(bareHeld.name).to.equal('Пациент 42')
      expect(diffContact(bare, bareHeld, resolved, {accountTimezone: timezone}).filter((d) => !d.equal)).to.deep.equal([])

      // A CRM user adds a phone; IDENT changes the mobile: the user's phone stays, ours is replaced.
      const cfs = held.custom_fields_values!.map((cf) => ({
        field_id: cf.field_id,
        values: cf.values.map((v) => ({value: v.value!, ...(v.enum_code ? {enum_code: v.enum_code} : {})})),
      }))
      const phone = cfs.find((cf) => cf.field_id === resolved.phone!.id)!
      phone.values.push({value: '+7 916 000-11-22', enum_code: 'OTHER'})
      await api.updateContacts([{id: held.id, custom_fields_values: [phone]}])
      const changed = mapPatient({...p, mobilePhone: '8 903 555 66 77', archived: false, archiveReason: null}, resolved, options)
      const update = buildUpdate(changed, (await api.getContact(held.id))!, resolved, {
        accountTimezone: timezone,
        previous: {phone: ['+79251234567', '+74951234567']},
      })
      await api.updateContacts([update!])
      const after = (await api.getContact(held.id))!
      const phones = after.custom_fields_values!.find((cf) => cf.field_id === resolved.phone!.id)!.values.map((v) => v.value)
      expect(phones).to.have.members(['+7 916 000-11-22', '+79035556677', '+74951234567'])
      expect(after.custom_fields_values!.find((cf) => cf.field_id === resolved.archive_reason!.id)).to.equal(undefined)
      expect(
        diffContact(changed, after, resolved, {accountTimezone: timezone, previous: {phone: ['+79035556677', '+74951234567']}}).filter(
          (d) => !d.equal,
        ),
      ).to.deep.equal([])
    })
  }
})
