import {LOST_STATUS_ID, WON_STATUS_ID} from '../amocrm/leads.js'

/**
 * What a deal looks like in amoCRM (appointments → deals): the stage keys, the pipeline and stages the
 * tool creates, and the deal custom fields with their default names and types. Data only — the one
 * list the configuration, `fields check`/`create` and the deals mapping read (it imports nothing but
 * amoCRM's constants, so the configuration can use it too).
 */

/** The stage keys of a reception's IDENT state, in the pipeline's order (`deals.stages.<key>`). */
export const DEAL_STAGE_KEYS = ['booked', 'came', 'done', 'paid', 'cancelled', 'no_show'] as const
export type DealStageKey = (typeof DEAL_STAGE_KEYS)[number]

/** The pipeline `fields create` makes for the deals. */
export const DEAL_PIPELINE_NAME = 'Приёмы IDENT'

export interface DealStageSpec {
  key: DealStageKey
  /** The IDENT state it stands for (docs). */
  when: string
  /** A stage of the pipeline, made with it by name and colour (from amoCRM's palette) … */
  name?: string
  color?: string
  /** … or one of amoCRM's closed stages, in every pipeline. */
  status?: typeof WON_STATUS_ID | typeof LOST_STATUS_ID
}

export const DEAL_STAGES: readonly DealStageSpec[] = [
  {key: 'booked', when: 'booked, not yet due', name: 'Записан', color: '#fffeb2'},
  {key: 'came', when: 'the patient came or the visit started', name: 'Пациент пришёл', color: '#87f2c0'},
  {key: 'done', when: 'the visit ended', name: 'Приём завершён', color: '#98cbff'},
  {key: 'paid', when: 'the bill was issued', status: WON_STATUS_ID},
  {key: 'cancelled', when: 'cancelled (with a reason when there is one)', status: LOST_STATUS_ID},
  {key: 'no_show', when: 'the planned end plus the grace hours passed with no visit', name: 'Не пришёл', color: '#ff8f92'},
]

/** The loss reason a cancellation goes with when IDENT's reason has no amoCRM loss reason of the same name. */
export const DEFAULT_LOSS_REASON = 'Отменён в IDENT'

/** The deal tag every deal of the tool carries. */
export const DEAL_TAG = 'IDENT'

export const DEAL_FIELD_KEYS = [
  'reception_id',
  'start',
  'end',
  'doctor',
  'chair',
  'branch',
  'services',
  'ident_status',
  'cancel_reason',
  'first_visit',
] as const
export type DealFieldKey = (typeof DEAL_FIELD_KEYS)[number]

export interface DealFieldSpec {
  key: DealFieldKey
  /** Default name: `fields check` finds the field by it, `fields create` makes it with it. */
  name: string
  /** The type `fields create` makes. */
  createType: 'text' | 'textarea' | 'date_time' | 'checkbox'
  /** Account field types a value of this key can be written to. */
  types: readonly string[]
  /** The value, for people (docs, `patient test`). */
  value: string
  /** Where it comes from in IDENT. */
  source: string
  /** The deal's identity: it cannot be switched off (`fields.deal.<key> false`). */
  required?: boolean
}

const TEXT_TYPES = ['text', 'textarea'] as const

export const DEAL_FIELD_CATALOGUE: readonly DealFieldSpec[] = [
  {
    key: 'reception_id',
    name: 'ID приёма IDENT',
    createType: 'text',
    types: TEXT_TYPES,
    value: "the reception id as a decimal string: the deal's identity",
    source: 'Receptions.ID',
    required: true,
  },
  {
    key: 'start',
    name: 'Начало приёма',
    createType: 'date_time',
    types: ['date_time'],
    value: "RFC 3339 with the clinic's offset",
    source: 'Receptions.PlanStart',
  },
  {
    key: 'end',
    name: 'Окончание приёма',
    createType: 'date_time',
    types: ['date_time'],
    value: "RFC 3339 with the clinic's offset",
    source: 'Receptions.PlanEnd',
  },
  {key: 'doctor', name: 'Врач', createType: 'text', types: TEXT_TYPES, value: '`Фамилия И. О.` of the doctor', source: 'Staffs, Persons'},
  {key: 'chair', name: 'Кресло', createType: 'text', types: TEXT_TYPES, value: 'the chair', source: 'Armchairs.NameArmchair'},
  {
    key: 'branch',
    name: 'Филиал',
    createType: 'text',
    types: TEXT_TYPES,
    value: 'branch of the chair, else of the order',
    source: 'OwnCompanies.Name',
  },
  {
    key: 'services',
    name: 'Услуги',
    createType: 'textarea',
    types: ['textarea', 'text'],
    value: 'one per line, `Name × count`, cut to fit',
    source: 'OrderServiceRelation, ServiceItemPrices, ServiceItems',
  },
  {
    key: 'ident_status',
    name: 'Статус в IDENT',
    createType: 'text',
    types: TEXT_TYPES,
    value: 'Записан / Пришёл / На приёме / Приём завершён / Счёт выдан / Отменён / Не пришёл',
    source: 'Receptions',
  },
  {
    key: 'cancel_reason',
    name: 'Причина отмены',
    createType: 'text',
    types: TEXT_TYPES,
    value: 'reason name, then `: comment` when there is one',
    source: 'ReceptionCancelReasons.Name, Receptions.CancelReasonComment',
  },
  {
    key: 'first_visit',
    name: 'Первичный приём',
    createType: 'checkbox',
    types: ['checkbox'],
    value: '`true` when the patient has no earlier visit',
    source: 'Receptions',
  },
]

export function isDealFieldKey(key: string): key is DealFieldKey {
  return (DEAL_FIELD_KEYS as readonly string[]).includes(key)
}

export function isDealStageKey(key: string): key is DealStageKey {
  return (DEAL_STAGE_KEYS as readonly string[]).includes(key)
}
