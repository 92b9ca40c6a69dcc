import {expect} from 'chai'

import type {Contact} from '../../src/amocrm/types.js'
import {ContactIndex, indexKeys} from '../../src/sync/contacts/contact-index.js'
import type {FieldsMapper} from '../../src/sync/contacts/fields-mapper.js'
import {type FakeAmo, fakeAccount} from './fakes.js'

describe('sync contact index', () => {
  let amo: FakeAmo
  let mapper: FieldsMapper
  let keys: ConstructorParameters<typeof ContactIndex>[0]

  beforeEach(async () => {
    ;({amo, mapper} = await fakeAccount())
    keys = indexKeys(mapper)
  })

  const identId = (id: string) => ({field_id: mapper.resolved.ident_id!.id, values: [{value: id}]})
  const phone = (...numbers: string[]) => ({field_code: 'PHONE', values: numbers.map((value) => ({value}))})

  function make(...contacts: Array<Parameters<FakeAmo['store']['createContacts']>[0][0]>): Contact[] {
    return amo.store.createContacts(contacts)
  }

  it('reads every contact page by page and keeps of each what planning compares: names, dates, the mapped fields', async () => {
    // A field of the clinic's own, which the sync never maps.
    const [own] = amo.store.createFields([{name: 'Любимый врач', type: 'text'}])
    const made = make(
      ...Array.from({length: 600}, (_, i) => ({
        name: `Контакт ${i}`,
        custom_fields_values: [phone(`+7 925 000 ${String(i).padStart(4, '0')}`), {field_id: own!.id, values: [{value: 'Петров'}]}],
      })),
    )
    const pages: number[] = []
    const index = await ContactIndex.read(amo, keys, (n) => pages.push(n))
    expect(pages).to.deep.equal([250, 500, 600])
    expect(index.size).to.equal(600)
    const listed = amo.store.getContact(made[123]!.id)!
    const phoneField = listed.custom_fields_values!.find((f) => f.field_code === 'PHONE')!
    expect(index.contact(made[123]!.id)).to.deep.equal({
      id: listed.id,
      name: 'Контакт 123',
      first_name: listed.first_name,
      last_name: listed.last_name,
      created_at: listed.created_at,
      updated_at: listed.updated_at,
      is_deleted: false,
      custom_fields_values: [{field_id: phoneField.field_id, field_code: 'PHONE', values: phoneField.values}],
    })
    expect(index.contact(987_654)).to.equal(undefined)
  })

  it('files contacts by "ID пациента IDENT" (oldest first) and by phone only when that field is empty', async () => {
    amo.nowS = 1000
    const [older] = make({name: 'Сидоров', custom_fields_values: [identId('7'), phone('+79030001122')]})
    amo.nowS = 2000
    const [newer] = make({name: 'Сидоров дубль', custom_fields_values: [identId(' 7 ')]})
    const [free] = make({name: 'Без id', custom_fields_values: [phone('8 (903) 000-11-22', '+7 916 000 00 01')]})
    const index = await ContactIndex.read(amo, keys)
    expect(index.byIdentId.get('7')!.map((c) => c.id)).to.deep.equal([older!.id, newer!.id])
    // The contact that carries a patient id is never a phone candidate.
    expect(index.unlinkedByPhone.get('+79030001122')!.map((c) => c.id)).to.deep.equal([free!.id])
    expect(index.unlinkedByPhone.get('+79160000001')!.map((c) => c.id)).to.deep.equal([free!.id])
    expect(index.hasPhoneCandidates).to.equal(true)
  })

  it('forgets a removed contact everywhere, and re-files one added again after a change', async () => {
    const [a] = make({name: 'А', custom_fields_values: [phone('+79030001122')]})
    const index = await ContactIndex.read(amo, keys)
    index.remove(a!.id)
    expect(index.size).to.equal(0)
    expect(index.unlinkedByPhone.size).to.equal(0)
    expect(index.hasPhoneCandidates).to.equal(false)
    const [changed] = amo.store.updateContacts([{id: a!.id, custom_fields_values: [identId('42')]}])
    index.add(changed!)
    index.add(changed!)
    expect(index.byIdentId.get('42')!.map((c) => c.id)).to.deep.equal([a!.id])
    expect(index.unlinkedByPhone.size).to.equal(0)
  })
})
