import {expect} from 'chai'

import type {Contact} from '../../src/amocrm/types.js'
import type {Patient} from '../../src/ident/types.js'
import {ContactIndex} from '../../src/sync/contacts/contact-index.js'
import {ContactMatcher, type FamilyPhones} from '../../src/sync/contacts/matcher.js'
import {planContact} from '../../src/sync/contacts/planner.js'
import {LOOK_UP} from '../../src/sync/kind.js'
import type {LinkRecord} from '../../src/sync/state.js'
import {patient} from '../fields/fixtures.js'
import {eachFakeWorld, type FakeAmo} from './fakes.js'

const ANNA = patient({id: '2', surname: 'Петрова', name: 'Анна', patronymic: 'Олеговна', mobilePhone: '+7 926 123 45 67', email: null})
const OLEG = patient({id: '3', surname: 'Петров', name: 'Олег', patronymic: 'Ильич', mobilePhone: '89261234567', email: null})
const IVAN = patient({id: '1', mobilePhone: '8 (925) 111-22-33', email: null})

describe('sync matcher (contacts)', () => {
  const world = eachFakeWorld()

  const identId = (id: string) => ({field_id: world.mapper.resolved.ident_id!.id, values: [{value: id}]})
  const phone = (...numbers: string[]) => ({field_code: 'PHONE', values: numbers.map((value) => ({value}))})
  const link = (patientId: string, contactId: number): LinkRecord => ({
    patientId,
    contactId,
    payloadHash: null,
    fieldHashes: {},
    writtenPhones: [],
    writtenEmails: [],
    refusedFields: {},
    writtenAt: null,
  })

  function make(...contacts: Array<Parameters<FakeAmo['store']['createContacts']>[0][0]>): Contact[] {
    return world.amo.store.createContacts(contacts)
  }

  function matcher(): ContactMatcher {
    return new ContactMatcher(world.mapper, {api: async () => world.amo, state: world.state})
  }

  const phonesOf = (p: Patient) => world.mapper.phones(world.mapper.desired(p))
  const single: FamilyPhones = () => 1

  describe('against the full index (sync full / deep)', () => {
    async function index(): Promise<ContactIndex> {
      return ContactIndex.read(world.amo, {identId: (c) => world.mapper.identId(c), phones: (c) => world.mapper.contactPhones(c)})
    }

    it('keeps a stored link whose contact still carries this patient id or none', async () => {
      const [linked, other] = make(
        {name: 'Иванов', custom_fields_values: [identId('1')]},
        {name: 'Иванов дубль', custom_fields_values: [identId('1')]},
      )
      const m = matcher().inIndex(IVAN, phonesOf(IVAN), link('1', other!.id), await index(), single)
      // The link wins even over an older contact with the same id; that one is a duplicate.
      expect(m).to.deep.include({via: 'link', deadLink: false, duplicates: [linked!.id]})
      expect(m.contact?.id).to.equal(other!.id)
    })

    it('calls a link dead when its contact is gone or now carries another patient id, then matches by id field', async () => {
      const [taken, own] = make(
        {name: 'Чужой', custom_fields_values: [identId('99')]},
        {name: 'Иванов', custom_fields_values: [identId('1')]},
      )
      const m = matcher().inIndex(IVAN, phonesOf(IVAN), link('1', taken!.id), await index(), single)
      expect(m).to.deep.include({via: 'id_field', deadLink: true})
      expect(m.contact?.id).to.equal(own!.id)
      const gone = matcher().inIndex(IVAN, phonesOf(IVAN), link('1', 123_456), await index(), single)
      expect(gone).to.deep.include({via: 'id_field', deadLink: true})
    })

    it('takes a linked contact the listing did not show for unseen, not gone: it is asked for by id before anything is created', async () => {
      const read = await index()
      // Made after the listing: as a contact shifted onto a page already read would be, it is not in the index.
      const [missed] = make({name: 'Иванов', custom_fields_values: [identId('1')]})
      const m = matcher().inIndex(IVAN, phonesOf(IVAN), link('1', missed!.id), read, single)
      expect(m).to.deep.include({contact: null, via: 'none', unseenLink: true})
      const desired = world.mapper.desired(IVAN)
      expect(planContact(world.mapper, {desired, link: link('1', missed!.id), match: m, compareWithAmo: true})).to.equal(LOOK_UP)
      const m2 = matcher()
      m2.claimLinked(new Map([['1', missed!.id]]), read)
      const found = await m2.lookUp(IVAN, phonesOf(IVAN), link('1', missed!.id))
      expect(found).to.deep.include({via: 'link', deadLink: false})
      expect(found.contact?.id).to.equal(missed!.id)
      // Gone indeed: made anew without asking amoCRM's search again (the listing was searched already).
      const searches = world.amo.calls.filter((c) => c.method === 'list').length
      const gone = await m2.lookUp(IVAN, phonesOf(IVAN), link('1', 987_654))
      expect(gone).to.deep.include({contact: null, via: 'none', deadLink: true})
      expect(world.amo.calls.filter((c) => c.method === 'list').length).to.equal(searches)
    })

    it('takes the oldest of several contacts with the patient id and reports the others as duplicates', async () => {
      world.amo.nowS = 1000
      const [oldest] = make({name: 'Иванов', custom_fields_values: [identId('1')]})
      world.amo.nowS = 2000
      const [newer] = make({name: 'Иванов 2', custom_fields_values: [identId('1')]})
      const m = matcher().inIndex(IVAN, phonesOf(IVAN), undefined, await index(), single)
      expect(m.contact?.id).to.equal(oldest!.id)
      expect(m.duplicates).to.deep.equal([newer!.id])
    })

    it('claims a contact by phone only when its id field is empty, and a family phone only by name', async () => {
      const [family] = make({
        name: 'Петров Олег',
        first_name: 'Олег',
        last_name: 'Петров',
        custom_fields_values: [phone('8-926-123-45-67')],
      })
      const idx = await index()
      const families: FamilyPhones = (p) => (p === '+79261234567' ? 2 : 1)
      const run = matcher()
      // Анна shares the phone with Олег: the contact bears his name, so she does not get it.
      expect(run.inIndex(ANNA, phonesOf(ANNA), undefined, idx, families)).to.deep.include({contact: null, via: 'none'})
      const oleg = run.inIndex(OLEG, phonesOf(OLEG), undefined, idx, families)
      expect(oleg).to.deep.include({via: 'phone'})
      expect(oleg.contact?.id).to.equal(family!.id)
      // Without a family, the phone alone is enough.
      expect(matcher().inIndex(ANNA, phonesOf(ANNA), undefined, idx, single).contact?.id).to.equal(family!.id)
    })

    it('lets each contact be claimed by one patient of the run, and never a contact a stored link holds', async () => {
      const [shared] = make({name: 'Общий', custom_fields_values: [phone('+79261234567')]})
      const idx = await index()
      const first = matcher()
      expect(first.inIndex(ANNA, phonesOf(ANNA), undefined, idx, single).contact?.id).to.equal(shared!.id)
      expect(first.inIndex(OLEG, phonesOf(OLEG), undefined, idx, single).contact).to.equal(null)
      const held = matcher()
      held.claimLinked(new Map([['50', shared!.id]]), idx)
      expect(held.inIndex(ANNA, phonesOf(ANNA), undefined, idx, single).contact).to.equal(null)
    })

    it('sends nothing', async () => {
      make({name: 'Иванов', custom_fields_values: [identId('1')]})
      const idx = await index()
      const before = world.amo.calls.length
      matcher().inIndex(IVAN, phonesOf(IVAN), undefined, idx, single)
      expect(world.amo.calls.length).to.equal(before)
    })
  })

  describe('while the index is read, page by page (early)', () => {
    /** The index as it fills: `next()` resolves once one more page of `size` contacts is in it. */
    function filling(size: number): {index: ContactIndex; next: () => Promise<void>; rest: () => Promise<void>} {
      world.amo.listPageSize = size
      const index = new ContactIndex({identId: (c) => world.mapper.identId(c), phones: (c) => world.mapper.contactPhones(c)})
      let opened = 0
      const gates = new Map<number, () => void>()
      let added: (() => void) | undefined
      world.amo.listHold = (n) => (n < opened ? Promise.resolve() : new Promise<void>((resolve) => gates.set(n, resolve)))
      const done = index.fill(world.amo.listEveryContact(), () => added?.())
      return {
        index,
        next: () =>
          new Promise<void>((resolve) => {
            added = resolve
            gates.get(opened++)?.()
          }),
        async rest() {
          added = undefined
          opened = Infinity
          for (const open of gates.values()) open()
          await done
        },
      }
    }

    it('a link to a contact on a page still to come waits (later); once read, it is the match the whole index gives', async () => {
      const [first, , third] = make(
        {name: 'Иванов', custom_fields_values: [identId('1')]},
        {name: 'Петрова', custom_fields_values: [identId('2')]},
        {name: 'Петров', custom_fields_values: [identId('3')]},
      )
      const {index, next, rest} = filling(2)
      const m = matcher()
      await next()
      expect(index.readThrough).to.be.at.least(first!.id).and.below(third!.id)
      expect(m.early('3', link('3', third!.id), index)).to.equal('later')
      const early = m.early('1', link('1', first!.id), index)
      expect(early).to.deep.include({via: 'link', deadLink: false, duplicates: []})
      expect((early as {contact: Contact}).contact.id).to.equal(first!.id)
      await next()
      expect((m.early('3', link('3', third!.id), index) as {contact: Contact}).contact.id).to.equal(third!.id)
      await rest()
    })

    it('no link, a dead link, or a link to a contact now carrying another patient id: only the whole index decides (end)', async () => {
      const [theirs, deleted, , kept] = make(
        {name: 'Петрова', custom_fields_values: [identId('2')]},
        {name: 'Удалён', custom_fields_values: [identId('1')]},
        {name: 'Кто-то'},
        {name: 'Ещё'},
      )
      world.amo.store.deleteContact(deleted!.id)
      const {index, next, rest} = filling(2)
      const m = matcher()
      await next()
      await next()
      expect(index.readThrough).to.be.at.least(kept!.id)
      expect(m.early('1', undefined, index)).to.equal('end')
      expect(m.early('1', link('1', deleted!.id), index)).to.equal('end')
      expect(m.early('1', link('1', theirs!.id), index)).to.equal('end')
      await rest()
    })

    it('the duplicates of a patient matched early come from the whole index: the same as inIndex reports', async () => {
      const [linked, , , later] = make(
        {name: 'Иванов', custom_fields_values: [identId('1')]},
        {name: 'Петрова', custom_fields_values: [identId('2')]},
        {name: 'Петров', custom_fields_values: [identId('3')]},
        {name: 'Иванов дубль', custom_fields_values: [identId('1')]},
      )
      const {index, next, rest} = filling(2)
      const m = matcher()
      await next()
      expect(m.early('1', link('1', linked!.id), index)).to.deep.include({via: 'link', duplicates: []})
      await rest()
      m.claimLinked(new Map([['1', linked!.id]]), index)
      expect(m.earlyDuplicates(index)).to.deep.equal([{patientId: '1', contactIds: [linked!.id, later!.id]}])
      const whole = matcher()
      whole.claimLinked(new Map([['1', linked!.id]]), index)
      expect(whole.inIndex(IVAN, phonesOf(IVAN), link('1', linked!.id), index, single).duplicates).to.deep.equal([later!.id])
    })
  })

  describe('one patient without the index (incremental, patient test)', () => {
    it('reads the linked contact and keeps it while it is ours', async () => {
      const [contact] = make({name: 'Иванов', custom_fields_values: [identId('1')]})
      const m = await matcher().lookUp(IVAN, phonesOf(IVAN), link('1', contact!.id))
      expect(m).to.deep.include({via: 'link', deadLink: false})
      expect(world.amo.calls.map((c) => c.method)).to.deep.equal(['get'])
    })

    it('searches by patient id when the linked contact was deleted, verifying each hit locally', async () => {
      const [deleted, fuzzy, real] = make(
        {name: 'Иванов', custom_fields_values: [identId('1')]},
        {name: 'Похожий', custom_fields_values: [identId('11')]},
        {name: 'Иванов новый', custom_fields_values: [identId('1')]},
      )
      world.amo.store.deleteContact(deleted!.id)
      const m = await matcher().lookUp(IVAN, phonesOf(IVAN), link('1', deleted!.id))
      expect(m).to.deep.include({via: 'id_field', deadLink: true, duplicates: []})
      expect(m.contact?.id).to.equal(real!.id)
      expect(m.contact?.id).to.not.equal(fuzzy!.id)
    })

    it('finds an unlinked contact by the last ten digits of a phone, only when it really has that number', async () => {
      const [other, right] = make(
        {name: 'Другой', custom_fields_values: [phone('+7 925 111-22-34')]},
        {name: 'Иванов Иван', custom_fields_values: [phone('+7 (925) 111-22-33')]},
      )
      const m = await matcher().lookUp(IVAN, phonesOf(IVAN), undefined)
      expect(m).to.deep.include({via: 'phone', deadLink: false})
      expect(m.contact?.id).to.equal(right!.id)
      expect(m.contact?.id).to.not.equal(other!.id)
      const queries = world.amo.calls.filter((c) => c.method === 'list').map((c) => c.query)
      expect(queries).to.deep.equal(['1', '9251112233'])
    })

    it('counts the family from the state: a phone written for another patient is claimed by name only', async () => {
      make({name: 'Петров Олег', first_name: 'Олег', last_name: 'Петров', custom_fields_values: [phone('+79261234567')]})
      await world.state.recordWritten([{...link('3', 777), writtenPhones: ['+79261234567']}])
      expect((await matcher().lookUp(ANNA, phonesOf(ANNA), undefined)).contact).to.equal(null)
      expect((await matcher().lookUp(OLEG, phonesOf(OLEG), undefined)).via).to.equal('phone')
    })

    it('answers "create" when nothing matches', async () => {
      expect(await matcher().lookUp(IVAN, phonesOf(IVAN), undefined)).to.deep.equal({
        contact: null,
        via: 'none',
        duplicates: [],
        deadLink: false,
      })
    })
  })
})
