import {expect} from 'chai'

import type {Contact} from '../../src/amocrm/types.js'
import type {FieldsMapper} from '../../src/sync/contacts/fields-mapper.js'
import type {Match} from '../../src/sync/contacts/matcher.js'
import {type ContactStep, linkStillOurs, planContact} from '../../src/sync/contacts/planner.js'
import {LOOK_UP} from '../../src/sync/kind.js'
import type {LinkRecord} from '../../src/sync/state.js'
import {patient} from '../fields/fixtures.js'
import {type FakeAmo, fakeAccount} from './fakes.js'

/** The fields tests' patient, born after 1970 (amoCRM refuses earlier birthdays). */
const person = (overrides: Parameters<typeof patient>[0] = {}) => patient({birthday: '1985-03-04', ...overrides})

describe('sync planner (contacts)', () => {
  let amo: FakeAmo
  let mapper: FieldsMapper

  beforeEach(async () => {
    ;({amo, mapper} = await fakeAccount())
  })

  /** The contact amoCRM holds after creating what the mapping sends for this patient. */
  function contactHolding(p = person(), extra: Partial<Parameters<FakeAmo['store']['createContacts']>[0][0]> = {}): Contact {
    const [made] = amo.store.createContacts([{...mapper.createPayload(mapper.desired(p)), ...extra}])
    return made!
  }

  /** The link a sync leaves after writing this patient to `contactId`. */
  function linkAfterWriting(p = person(), contactId = 1, overrides: Partial<LinkRecord> = {}): LinkRecord {
    const desired = mapper.desired(p)
    return {
      patientId: p.id,
      contactId,
      payloadHash: mapper.payloadHash(desired),
      fieldHashes: mapper.fieldHashes(desired),
      writtenPhones: mapper.writtenValues(desired).phones,
      writtenEmails: mapper.writtenValues(desired).emails,
      refusedFields: {},
      writtenAt: '2026-01-01T00:00:00.000Z',
      ...overrides,
    }
  }

  const found = (contact: Contact | null, via: Match['via'], extra: Partial<Match> = {}): Match => ({
    contact,
    via,
    duplicates: [],
    deadLink: false,
    ...extra,
  })

  /** The numbers a step writes to the phone field. */
  function phonesIn(step: ContactStep): unknown[] {
    const phone = step.write!.payload.custom_fields_values!.find((cf) => cf.field_id === mapper.resolved.phone!.id)
    return phone!.values!.map((v) => v.value)
  }

  function plan(input: Parameters<typeof planContact>[1]): ContactStep {
    const step = planContact(mapper, input)
    if (step === LOOK_UP) throw new Error('expected a step, the planner asked to look the contact up')
    return step
  }

  describe('without a contact at hand (incremental)', () => {
    it('asks to look the contact up when there is no link, or when amoCRM is to be compared', () => {
      const desired = mapper.desired(person())
      expect(planContact(mapper, {desired, link: undefined, compareWithAmo: false})).to.equal(LOOK_UP)
      expect(planContact(mapper, {desired, link: linkAfterWriting(), compareWithAmo: true})).to.equal(LOOK_UP)
    })

    it('costs nothing when the hashes say nothing changed', () => {
      const step = plan({desired: mapper.desired(person()), link: linkAfterWriting(person(), 42), compareWithAmo: false})
      expect(step).to.deep.include({action: 'unchanged', remoteId: 42, via: 'link', write: null, record: null})
    })

    it('updates only what changed, without reading the contact, when no multi-value field changed', () => {
      const changed = person({comment: 'Новая запись', cardNumber: 'B-200'})
      const step = plan({desired: mapper.desired(changed), link: linkAfterWriting(person(), 42), compareWithAmo: false})
      expect(step.action).to.equal('update')
      expect(step.write?.method).to.equal('update')
      expect(step.write?.payload.id).to.equal(42)
      expect(step.fields.sort()).to.deep.equal(['card_number', 'comment'])
      expect(step.record?.fieldHashes).to.deep.equal(mapper.fieldHashes(mapper.desired(changed)))
    })

    it('asks for the contact when a phone or an e-mail changed (they are merged with what amoCRM holds)', () => {
      const changed = person({mobilePhone: '8 (926) 000-11-22'})
      expect(planContact(mapper, {desired: mapper.desired(changed), link: linkAfterWriting(), compareWithAmo: false})).to.equal(LOOK_UP)
    })
  })

  describe('with the match', () => {
    it('creates a contact nobody holds, with the full payload and the record to keep', () => {
      const desired = mapper.desired(person())
      const step = plan({desired, link: undefined, match: found(null, 'none'), compareWithAmo: false})
      expect(step).to.deep.include({action: 'create', remoteId: null, via: 'none', deadLink: false})
      expect(step.write).to.deep.equal({method: 'create', payload: mapper.createPayload(desired)})
      expect(step.record).to.deep.include({patientId: '1001', payloadHash: mapper.payloadHash(desired), refusedFields: {}})
      expect(step.record?.writtenPhones).to.deep.equal(['+79251234567'])
    })

    it('says when a create replaces a contact deleted under the link', () => {
      const step = plan({
        desired: mapper.desired(person()),
        link: linkAfterWriting(),
        match: found(null, 'none', {deadLink: true}),
        compareWithAmo: false,
      })
      expect(step).to.deep.include({action: 'create', deadLink: true})
    })

    it('links a contact found by its id field that already holds everything: no write, the link recorded', () => {
      const contact = contactHolding()
      const step = plan({desired: mapper.desired(person()), link: undefined, match: found(contact, 'id_field'), compareWithAmo: false})
      expect(step).to.deep.include({action: 'link', remoteId: contact.id, via: 'id_field', write: null})
      expect(step.record?.patientId).to.equal('1001')
    })

    it('links and fills in a manager-made contact, keeping the numbers CRM users typed', () => {
      const [contact] = amo.store.createContacts([
        {name: 'Иван Иванов', custom_fields_values: [{field_code: 'PHONE', values: [{value: '+7 999 000-00-01'}]}]},
      ])
      const step = plan({desired: mapper.desired(person()), link: undefined, match: found(contact!, 'phone'), compareWithAmo: false})
      expect(step).to.deep.include({action: 'link', remoteId: contact!.id, via: 'phone'})
      expect(step.write?.method).to.equal('update')
      expect(step.fields).to.include.members(['ident_id', 'phone'])
      expect(phonesIn(step)).to.have.members(['+7 999 000-00-01', '+79251234567'])
    })

    it('deep: sends only the fields a hand edit changed, on the linked contact', () => {
      const contact = contactHolding()
      const edited = amo.store.updateContacts([{id: contact.id, last_name: 'Правка'}])[0]!
      const step = plan({
        desired: mapper.desired(person()),
        link: linkAfterWriting(person(), contact.id),
        match: found(edited, 'link'),
        compareWithAmo: true,
      })
      expect(step.action).to.equal('update')
      expect(step.fields).to.deep.equal(['name', 'last_name'])
      expect(step.write?.payload).to.deep.include({id: contact.id, last_name: 'Иванов'})
    })

    it('deep: a linked contact in step is unchanged and needs no record, unless the hashes moved', () => {
      const contact = contactHolding()
      const link = linkAfterWriting(person(), contact.id)
      const inStep = plan({desired: mapper.desired(person()), link, match: found(contact, 'link'), compareWithAmo: true})
      expect(inStep).to.deep.include({action: 'unchanged', write: null, record: null})
      const stale = plan({
        desired: mapper.desired(person()),
        link: {...link, payloadHash: 'old'},
        match: found(contact, 'link'),
        compareWithAmo: true,
      })
      expect(stale).to.deep.include({action: 'unchanged', write: null})
      expect(stale.record?.payloadHash).to.equal(mapper.payloadHash(mapper.desired(person())))
    })

    it('removes a number this tool wrote and IDENT dropped — only from the contact the link names', () => {
      const before = person()
      const contact = contactHolding(before)
      const now = person({mobilePhone: '8 (925) 444-55-66'})
      const linked = plan({
        desired: mapper.desired(now),
        link: linkAfterWriting(before, contact.id),
        match: found(contact, 'link'),
        compareWithAmo: false,
      })
      expect(phonesIn(linked)).to.deep.equal(['+79254445566'])
      // The same contact matched by its id field (the link named another, dead one): the old number stays.
      const relinked = plan({
        desired: mapper.desired(now),
        link: linkAfterWriting(before, 999),
        match: found(contact, 'id_field'),
        compareWithAmo: false,
      })
      expect(phonesIn(relinked)).to.have.members(['+79251234567', '+79254445566'])
    })

    it('does not send a value amoCRM refused again while IDENT keeps it, and keeps it marked as refused', () => {
      const old = person({birthday: '1950-02-03'})
      const contact = contactHolding(person({birthday: null}))
      const hashes = mapper.fieldHashes(mapper.desired(old))
      const link = linkAfterWriting(old, contact.id, {refusedFields: {birthday: hashes.birthday!}})
      const step = plan({desired: mapper.desired(old), link, match: found(contact, 'link'), compareWithAmo: true})
      expect(step.fields).to.not.include('birthday')
      expect(step.record?.refusedFields).to.deep.equal({birthday: hashes.birthday})
      // IDENT corrected the date: it is sent, and nothing is marked refused any more.
      const fixed = plan({
        desired: mapper.desired(person({birthday: '1980-02-03'})),
        link,
        match: found(contact, 'link'),
        compareWithAmo: true,
      })
      expect(fixed.fields).to.include('birthday')
      expect(fixed.record?.refusedFields).to.deep.equal({})
    })

    it('carries the duplicates the matcher found', () => {
      const contact = contactHolding()
      const step = plan({
        desired: mapper.desired(person()),
        link: undefined,
        match: found(contact, 'id_field', {duplicates: [5, 6]}),
        compareWithAmo: false,
      })
      expect(step.duplicates).to.deep.equal([5, 6])
    })
  })

  it('plans without reading or sending anything', () => {
    const desired = mapper.desired(person())
    plan({desired, link: undefined, match: found(contactHolding(), 'id_field'), compareWithAmo: true})
    plan({desired, link: linkAfterWriting(), compareWithAmo: false})
    expect(amo.calls).to.deep.equal([])
  })

  describe('linkStillOurs', () => {
    it('holds for a live contact with an empty id field or this patient id, and for nothing else', () => {
      expect(linkStillOurs('7', {identId: null})).to.equal(true)
      expect(linkStillOurs('7', {identId: '7'})).to.equal(true)
      expect(linkStillOurs('7', {identId: '8'})).to.equal(false)
      expect(linkStillOurs('7', {identId: '7', deleted: true})).to.equal(false)
      expect(linkStillOurs('7', null)).to.equal(false)
      expect(linkStillOurs('7', undefined)).to.equal(false)
    })
  })
})
