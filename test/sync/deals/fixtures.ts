import type {Lead} from '../../../src/amocrm/types.js'
import {DEAL_FIELD_CATALOGUE, type DealFieldKey, type DealMappingContext, type ResolvedField} from '../../../src/fields/index.js'
import type {Reception} from '../../../src/ident/index.js'
import {createDealMapper, type DealMapper} from '../../../src/sync/deals/mapper.js'

/** The deals pipeline 2 with its stages, every deal field (ids 500…), loss reasons by folded name. */
export function dealContext(overrides: Partial<DealMappingContext> = {}): DealMappingContext {
  const fields = Object.fromEntries(
    DEAL_FIELD_CATALOGUE.map((spec, i) => [
      spec.key,
      {key: spec.key, id: 500 + i, name: spec.name, type: spec.createType, code: null, enums: {}} satisfies ResolvedField<DealFieldKey>,
    ]),
  ) as DealMappingContext['fields']
  return {
    pipelineId: 2,
    statusIds: {booked: 21, came: 22, done: 23, paid: 142, cancelled: 143, no_show: 24},
    fields,
    lossReasons: {'отменён в ident': 70, 'пациент заболел': 71},
    defaultLossReasonId: 70,
    ...overrides,
  }
}

export function dealMapper(
  options: {context?: DealMappingContext; users?: Record<string, number>; responsibleUserId?: number; clinicTimezone?: string} = {},
): DealMapper {
  return createDealMapper(options.context ?? dealContext(), {
    deals: {users: options.users ?? {}, responsibleUserId: options.responsibleUserId},
    clinicTimezone: options.clinicTimezone ?? 'Europe/Moscow',
  })
}

/** A booked reception of patient 7 with every value IDENT can give. */
export function reception(overrides: Partial<Reception> = {}): Reception {
  return {
    id: '1001',
    patientId: '7',
    patient: {surname: 'Иванова', name: 'Анна', patronymic: 'Петровна'},
    planStart: '2026-03-15 09:30:00',
    planEnd: '2026-03-15 10:15:00',
    stage: 'booked',
    identStatus: 'Записан',
    staffId: '17',
    doctor: 'Смирнов О. В.',
    chair: 'Кресло 1',
    branch: 'Филиал Химки',
    services: ['Осмотр × 1', 'Чистка × 2'],
    price: 0,
    cancelReason: null,
    cancelComment: null,
    firstVisit: false,
    changedAt: '2026-03-01 12:00:00',
    ...overrides,
  }
}

/** The deal amoCRM holds after a create of this payload (as the mapper sent it), with a few server fields. */
export function leadFrom(mapper: DealMapper, r: Reception, overrides: Partial<Lead> = {}): Lead {
  const payload = mapper.createPayload(mapper.desired(r, 900))
  return {
    id: 3000,
    name: payload.name!,
    price: payload.price ?? 0,
    status_id: payload.status_id!,
    pipeline_id: payload.pipeline_id!,
    loss_reason_id: payload.loss_reason_id ?? null,
    created_at: 1_770_000_000,
    updated_at: 1_770_000_000,
    custom_fields_values: (payload.custom_fields_values ?? []).map((cf) => ({
      field_id: cf.field_id!,
      // amoCRM answers a date_time as unix seconds.
      values: (cf.values ?? []).map((v) => ({
        value: typeof v.value === 'string' && /T\d\d:/.test(v.value) ? Date.parse(v.value) / 1000 : v.value,
      })),
    })) as Lead['custom_fields_values'],
    _embedded: {tags: [{id: 1, name: 'IDENT'}], companies: [], contacts: [{id: 900, is_main: true}]},
    ...overrides,
  }
}
