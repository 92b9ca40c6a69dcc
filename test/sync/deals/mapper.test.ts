import {expect} from 'chai'

import {dealName} from '../../../src/sync/deals/mapper.js'
import {dealContext, dealMapper, leadFrom, reception} from './fixtures.js'

describe('deal mapping (a reception → the deal amoCRM should hold)', () => {
  const fieldValue = (payload: {custom_fields_values?: Array<{field_id?: number; values: Array<{value?: unknown}> | null}>}, id: number) =>
    payload.custom_fields_values?.find((cf) => cf.field_id === id)?.values
  const ctx = dealContext()
  const id = (key: keyof typeof ctx.fields) => ctx.fields[key]!.id

  it('names the deal by the visit and the patient as in the visit history', () => {
    expect(dealName(reception())).to.equal('Приём 15.03.2026 09:30 — Иванова А. П.')
    expect(dealName(reception({patient: {surname: 'Ли', name: 'Вэй', patronymic: undefined}}))).to.equal('Приём 15.03.2026 09:30 — Ли В.')
    expect(dealName(reception({patient: {surname: null, name: null, patronymic: null}}))).to.equal('Приём 15.03.2026 09:30')
  })

  it('creates the deal at its stage in the pipeline, linked to the contact as main, tagged IDENT, with every field IDENT gives', () => {
    const mapper = dealMapper()
    const payload = mapper.createPayload(mapper.desired(reception({price: 4500}), 900))
    expect(payload).to.include({name: 'Приём 15.03.2026 09:30 — Иванова А. П.', price: 4500, pipeline_id: 2, status_id: 21})
    expect(payload).to.not.have.property('loss_reason_id')
    expect(payload._embedded).to.deep.equal({contacts: [{id: 900, is_main: true}], tags: [{name: 'IDENT'}]})
    expect(fieldValue(payload, id('reception_id'))).to.deep.equal([{value: '1001'}])
    expect(fieldValue(payload, id('start'))).to.deep.equal([{value: '2026-03-15T09:30:00+03:00'}])
    expect(fieldValue(payload, id('end'))).to.deep.equal([{value: '2026-03-15T10:15:00+03:00'}])
    expect(fieldValue(payload, id('doctor'))).to.deep.equal([{value: 'Смирнов О. В.'}])
    expect(fieldValue(payload, id('services'))).to.deep.equal([{value: 'Осмотр × 1\nЧистка × 2'}])
    expect(fieldValue(payload, id('ident_status'))).to.deep.equal([{value: 'Записан'}])
    expect(fieldValue(payload, id('first_visit'))).to.deep.equal([{value: false}])
    // An empty value is not sent on a create (nothing to clear).
    expect(fieldValue(payload, id('cancel_reason'))).to.equal(undefined)
  })

  it("writes the start and end with the clinic's offset, whatever the machine's zone", () => {
    const mapper = dealMapper({clinicTimezone: 'Asia/Yekaterinburg'})
    const payload = mapper.createPayload(mapper.desired(reception(), 900))
    expect(fieldValue(payload, id('start'))).to.deep.equal([{value: '2026-03-15T09:30:00+05:00'}])
  })

  it('closes a cancellation as lost with the loss reason of its name (else «Отменён в IDENT») and says why in the cancel reason field', () => {
    const mapper = dealMapper()
    const cancelled = reception({
      stage: 'cancelled',
      identStatus: 'Отменён',
      cancelReason: 'Пациент  ЗАБОЛЕЛ',
      cancelComment: 'Температура',
    })
    const payload = mapper.createPayload(mapper.desired(cancelled, 900))
    expect(payload).to.include({status_id: 143, loss_reason_id: 71})
    expect(fieldValue(payload, id('cancel_reason'))).to.deep.equal([{value: 'Пациент  ЗАБОЛЕЛ: Температура'}])
    const unknown = mapper.createPayload(mapper.desired(reception({stage: 'cancelled', cancelReason: null, cancelComment: null}), 900))
    expect(unknown).to.include({status_id: 143, loss_reason_id: 70})
    expect(fieldValue(unknown, id('cancel_reason'))).to.deep.equal([{value: 'Отменён в IDENT'}])
  })

  it('sends no loss reason when the clinic maps cancellations to an open stage (amoCRM takes one only with 143)', () => {
    const context = dealContext({statusIds: {...dealContext().statusIds, cancelled: 25}})
    const mapper = dealMapper({context})
    const payload = mapper.createPayload(mapper.desired(reception({stage: 'cancelled', cancelReason: 'Пациент заболел'}), 900))
    expect(payload).to.include({status_id: 25})
    expect(payload).to.not.have.property('loss_reason_id')
  })

  it("makes the doctor's user responsible, else the configured one, else leaves it to amoCRM", () => {
    const responsible = (mapper: ReturnType<typeof dealMapper>) =>
      mapper.createPayload(mapper.desired(reception(), 900)).responsible_user_id
    expect(responsible(dealMapper({users: {'17': 5001}, responsibleUserId: 5000}))).to.equal(5001)
    expect(responsible(dealMapper({users: {'18': 5001}, responsibleUserId: 5000}))).to.equal(5000)
    expect(responsible(dealMapper({users: {'18': 5001}}))).to.equal(undefined)
  })

  it('never sends a field whose IDENT source is missing, nor one switched off in the config; price only when bills can be read', () => {
    const full = dealContext()
    const {doctor: _, ...withoutDoctor} = full.fields
    const mapper = dealMapper({context: {...full, fields: withoutDoctor}})
    const payload = mapper.createPayload(mapper.desired(reception({chair: undefined, price: undefined}), 900))
    expect(fieldValue(payload, id('doctor'))).to.equal(undefined)
    expect(fieldValue(payload, id('chair'))).to.equal(undefined)
    expect(payload).to.not.have.property('price')
    expect(mapper.keysOfPayload(payload)).to.not.include.members(['doctor', 'chair', 'price'])
  })

  it('cuts services to fit the field (a text field holds 256 characters) and says so', () => {
    const context = dealContext()
    context.fields.services = {...context.fields.services!, type: 'text'}
    const mapper = dealMapper({context})
    const many = Array.from({length: 40}, (_, i) => `Услуга номер ${i} × 1`)
    const desired = mapper.desired(reception({services: many}), 900)
    const value = String(fieldValue(mapper.createPayload(desired), id('services'))![0]!.value)
    expect([...value]).to.have.length(256)
    expect(value.endsWith('…')).to.equal(true)
    expect(desired.warnings).to.deep.equal([{field: 'services', code: 'text_truncated'}])
  })

  it('sends what amoCRM can take: a price from 0 (refunds can outweigh payments), printable text, a name of at most 255 characters', () => {
    const mapper = dealMapper()
    const odd = reception({
      price: -300,
      chair: 'Кресло\u0007 2\u202e',
      patient: {surname: 'Я'.repeat(300), name: 'Анна', patronymic: null},
    })
    const payload = mapper.createPayload(mapper.desired(odd, 900))
    expect(payload.price).to.equal(0)
    expect(fieldValue(payload, id('chair'))).to.deep.equal([{value: 'Кресло 2'}])
    expect([...payload.name!]).to.have.length(255)
    expect(
      mapper.createPayload(mapper.desired(reception({chair: ' \u0007 '}), 900)).custom_fields_values!.map((cf) => cf.field_id),
    ).to.not.include(id('chair'))
  })

  it('an update clears what IDENT emptied, and carries the stage (with the loss reason) only when moving', () => {
    const mapper = dealMapper()
    const desired = mapper.desired(
      reception({stage: 'cancelled', identStatus: 'Отменён', cancelReason: 'Пациент заболел', chair: null}),
      900,
    )
    const fieldsOnly = mapper.updatePayload(desired, 3000, ['chair', 'ident_status'], false)!
    expect(fieldsOnly).to.not.have.any.keys('status_id', 'pipeline_id', 'loss_reason_id', '_embedded')
    expect(fieldValue(fieldsOnly, id('chair'))).to.equal(null)
    const move = mapper.updatePayload(desired, 3000, [], true)!
    expect(move).to.deep.equal({id: 3000, pipeline_id: 2, status_id: 143, loss_reason_id: 71})
    expect(mapper.updatePayload(desired, 3000, [], false)).to.equal(null)
  })

  it('compares with the deal amoCRM holds as a person would: numbers as numbers, instants as instants, an empty checkbox as unchecked', () => {
    const mapper = dealMapper()
    const r = reception({price: 1500})
    const held = leadFrom(mapper, r)
    expect(mapper.differingKeys(mapper.desired(r, 900), held)).to.deep.equal([])
    // amoCRM may answer a price as text and leave an unchecked checkbox out.
    const loose = {
      ...held,
      price: '1500' as unknown as number,
      custom_fields_values: held.custom_fields_values!.filter((cf) => cf.field_id !== id('first_visit')),
    }
    expect(mapper.differingKeys(mapper.desired(r, 900), loose)).to.deep.equal([])
    const edited = leadFrom(mapper, reception({price: 1400, doctor: 'Другой В. В.', planStart: '2026-03-15 09:45:00'}))
    expect(mapper.differingKeys(mapper.desired(r, 900), edited)).to.have.members(['name', 'price', 'doctor', 'start'])
  })

  it('hashes what it writes per key, so that an incremental pass sends only what changed', () => {
    const mapper = dealMapper()
    const before = mapper.desired(reception(), 900)
    const after = mapper.desired(reception({identStatus: 'Пришёл', stage: 'came', chair: 'Кресло 2'}), 900)
    expect(mapper.changedKeys(after, mapper.fieldHashes(before))).to.have.members(['ident_status', 'chair'])
    expect(mapper.changedKeys(before, mapper.fieldHashes(before))).to.deep.equal([])
    expect(mapper.payloadHash(after)).to.not.equal(mapper.payloadHash(before))
  })
})
