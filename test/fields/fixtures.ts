import type {Contact, ContactCustomFieldRead, CustomFieldDef} from '../../src/amocrm/types.js'
import {FIELD_CATALOGUE, resolveFields, type FieldKey, type ResolvedFields} from '../../src/fields/index.js'
import type {Patient} from '../../src/ident/types.js'

/** A patient with every source available and filled. */
export function patient(overrides: Partial<Patient> = {}): Patient {
  return {
    id: '1001',
    surname: 'Иванов',
    name: 'Иван',
    patronymic: 'Иванович',
    phone: null,
    mobilePhone: '8 (925) 123-45-67',
    email: 'Ivan.Ivanov@Example.RU',
    sex: 1,
    birthday: '1961-04-12',
    inn: '7707 083893',
    snils: '11223344595',
    patientNumber: 'П-17',
    cardNumber: '  A-100  ',
    comment: 'Аллергия на лидокаин',
    firstVisit: '2020-01-10 10:00:00',
    smsRejection: false,
    archived: false,
    archiveReason: null,
    visits: [
      {at: '2024-03-05 14:30:00', doctor: 'Петров П. П.'},
      {at: '2023-11-20 09:00:00', doctor: 'Сидорова А. В.'},
    ],
    totalVisits: 2,
    branch: 'Клиника на Арбате',
    balance: 1500.5,
    advance: 1500.5,
    debt: 0,
    discount: 5,
    changedAt: '2024-03-05 15:00:00',
    ...overrides,
  }
}

let nextEnumId = 5000

/** An account's field definitions: built-in PHONE/EMAIL plus every catalogue field under its default name. */
export function accountDefs(typeOverrides: Partial<Record<FieldKey, string>> = {}): CustomFieldDef[] {
  const defs: CustomFieldDef[] = [
    {
      id: 11,
      name: 'Телефон',
      type: 'multitext',
      code: 'PHONE',
      sort: 4,
      enums: ['WORK', 'WORKDD', 'MOB', 'FAX', 'HOME', 'OTHER'].map((v, i) => ({id: 201 + i, value: v, sort: i})),
    },
    {
      id: 12,
      name: 'Email',
      type: 'multitext',
      code: 'EMAIL',
      sort: 6,
      enums: ['WORK', 'PRIV', 'OTHER'].map((v, i) => ({id: 301 + i, value: v, sort: i})),
    },
  ]
  let id = 100
  for (const spec of FIELD_CATALOGUE) {
    if (spec.code) continue
    const type = typeOverrides[spec.key] ?? spec.createType!
    defs.push({
      id: id++,
      name: spec.name,
      type,
      code: null,
      sort: id,
      enums: spec.options ? spec.options.map((value, i) => ({id: nextEnumId++, value, sort: i})) : null,
    })
  }
  return defs
}

export function resolvedFor(defs: CustomFieldDef[] = accountDefs(), config: Record<string, {id?: number} | false> = {}): ResolvedFields {
  return resolveFields(defs, config).resolved
}

/** A contact as amoCRM returns it. */
export function contact(cfs: ContactCustomFieldRead[] | null, overrides: Partial<Contact> = {}): Contact {
  return {
    id: 777,
    name: 'Иванов Иван Иванович',
    first_name: 'Иван Иванович',
    last_name: 'Иванов',
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    custom_fields_values: cfs,
    ...overrides,
  }
}

export const MOSCOW = {accountTimezone: 'Europe/Moscow', clinicTimezone: 'Europe/Moscow', now: new Date('2025-06-01T09:00:00Z')}
