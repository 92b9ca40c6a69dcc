import {LOST_STATUS_ID} from '../../amocrm/leads.js'
import type {ContactCustomFieldWrite, CustomFieldValueWrite, Lead, LeadWrite} from '../../amocrm/types.js'
import type {DealsConfig} from '../../config/index.js'
import {
  DEAL_TAG,
  DEFAULT_LOSS_REASON,
  type DealFieldKey,
  type DealMappingContext,
  type DealStageKey,
  lossReasonFor,
  TEXT_FIELD_LIMIT,
  TEXTAREA_FIELD_LIMIT,
} from '../../fields/index.js'
import {localRfc3339} from '../../fields/dates.js'
import {cutText, nonEmpty} from '../../fields/normalize.js'
import {formatDoctor, type Reception} from '../../ident/index.js'
import {shortHash} from '../contacts/fields-mapper.js'

/**
 * A reception → the deal amoCRM should hold (docs/sync.md "Deals"), its hashes,
 * its payloads and its comparison with a deal as amoCRM returns it. Pure: the planner stays a
 * function of its inputs.
 */

/** A custom field value: the values to send (null clears the field) and what it compares as. */
export interface DesiredDealField {
  key: DealFieldKey
  fieldId: number
  values: CustomFieldValueWrite[] | null
  /** Text, unix seconds (date_time), boolean (checkbox); null when the field is to be empty. */
  value: string | number | boolean | null
}

export interface DesiredDeal {
  receptionId: string
  patientId: string
  /** The patient's contact (the stored contact link); null when the patient has none yet. */
  contactId: number | null
  stage: DealStageKey
  pipelineId: number
  statusId: number
  /** Set when `stage` is cancelled. */
  lossReasonId: number | undefined
  name: string
  /** Whole rubles; undefined when IDENT has no bills to read (never sent). */
  price: number | undefined
  /** Undefined: left to amoCRM. */
  responsibleUserId: number | undefined
  /** The available, enabled fields only: a field missing here is never sent. */
  fields: DesiredDealField[]
  /** Values cut to fit (no personal data: field keys). */
  warnings: Array<{field: string; code: string}>
}

/** amoCRM keeps a deal's name to 255 characters. */
const DEAL_NAME_LIMIT = 255

/** The non-custom parts of a deal that the hashes follow (besides the stage, kept apart). */
const NAME = 'name'
const PRICE = 'price'
const RESPONSIBLE = 'responsible_user_id'

export interface DealMapper {
  readonly context: DealMappingContext
  desired(reception: Reception, contactId: number | null): DesiredDeal
  /** Per-key hashes of what is written (name, price, responsible user, each custom field). */
  fieldHashes(desired: DesiredDeal): Record<string, string>
  payloadHash(desired: DesiredDeal): string
  /** Keys whose desired value differs from what was last written (by hash). */
  changedKeys(desired: DesiredDeal, written: Record<string, string>): string[]
  /** Keys whose value differs from what the deal holds in amoCRM (the responsible user is the managers' once set). */
  differingKeys(desired: DesiredDeal, lead: Lead): string[]
  /** A create: every value, the contact link, the tag, the stage. */
  createPayload(desired: DesiredDeal): LeadWrite
  /** An update of the given keys, and the stage when `move`; null when there is nothing to send. */
  updatePayload(desired: DesiredDeal, dealId: number, keys: readonly string[], move: boolean): LeadWrite | null
  /** The trimmed "ID приёма IDENT" of a deal, or null when empty. */
  receptionIdOf(lead: Pick<Lead, 'custom_fields_values'>): string | null
  keyOfField(fieldId: number | string | undefined): string | undefined
  keysOfPayload(payload: LeadWrite): string[]
}

export interface DealMapperOptions {
  deals: Pick<DealsConfig, 'responsibleUserId' | 'users'>
  /** The clinic's timezone: IDENT's naive times are its wall clock. */
  clinicTimezone: string
}

export function createDealMapper(context: DealMappingContext, options: DealMapperOptions): DealMapper {
  const keyById = new Map<number, DealFieldKey>()
  for (const field of Object.values(context.fields)) if (field) keyById.set(field.id, field.key)
  const receptionField = context.fields.reception_id!
  const hashCache = new WeakMap<DesiredDeal, Record<string, string>>()

  const fieldHashes = (desired: DesiredDeal): Record<string, string> => {
    let out = hashCache.get(desired)
    if (out) return out
    out = {[NAME]: shortHash(desired.name)}
    if (desired.price !== undefined) out[PRICE] = shortHash(desired.price)
    if (desired.responsibleUserId !== undefined) out[RESPONSIBLE] = shortHash(desired.responsibleUserId)
    for (const f of desired.fields) out[f.key] = shortHash({id: f.fieldId, values: f.values})
    hashCache.set(desired, out)
    return out
  }

  const customValues = (desired: DesiredDeal, keys: ReadonlySet<string> | undefined, clear: boolean): ContactCustomFieldWrite[] =>
    desired.fields
      .filter((f) => (keys === undefined || keys.has(f.key)) && (clear || f.values !== null))
      .map((f) => ({field_id: f.fieldId, values: f.values}))

  const stagePart = (desired: DesiredDeal): Pick<LeadWrite, 'pipeline_id' | 'status_id' | 'loss_reason_id'> => ({
    pipeline_id: desired.pipelineId,
    status_id: desired.statusId,
    ...(desired.lossReasonId === undefined ? {} : {loss_reason_id: desired.lossReasonId}),
  })

  return {
    context,
    desired: (reception, contactId) => desiredDeal(reception, contactId, context, options),
    fieldHashes,
    payloadHash(desired) {
      const hashes = fieldHashes(desired)
      return shortHash(
        Object.keys(hashes)
          .sort()
          .map((k) => `${k}=${hashes[k]}`)
          .join('\n'),
      )
    },
    changedKeys: (desired, written) =>
      Object.entries(fieldHashes(desired))
        .filter(([key, hash]) => written[key] !== hash)
        .map(([key]) => key),
    differingKeys(desired, lead) {
      const out: string[] = []
      if (lead.name !== desired.name) out.push(NAME)
      if (desired.price !== undefined && Number(lead.price ?? 0) !== desired.price) out.push(PRICE)
      for (const f of desired.fields) if (!sameValue(f, actualValue(lead, f.fieldId))) out.push(f.key)
      return out
    },
    createPayload(desired) {
      const payload: LeadWrite = {
        name: desired.name,
        ...(desired.price === undefined ? {} : {price: desired.price}),
        ...stagePart(desired),
        ...(desired.responsibleUserId === undefined ? {} : {responsible_user_id: desired.responsibleUserId}),
        custom_fields_values: customValues(desired, undefined, false),
        _embedded: {
          ...(desired.contactId === null ? {} : {contacts: [{id: desired.contactId, is_main: true}]}),
          tags: [{name: DEAL_TAG}],
        },
      }
      return payload
    },
    updatePayload(desired, dealId, keys, move) {
      const wanted = new Set(keys)
      const payload: LeadWrite = {id: dealId}
      if (wanted.has(NAME)) payload.name = desired.name
      if (wanted.has(PRICE) && desired.price !== undefined) payload.price = desired.price
      if (wanted.has(RESPONSIBLE) && desired.responsibleUserId !== undefined) payload.responsible_user_id = desired.responsibleUserId
      const custom = customValues(desired, wanted, true)
      if (custom.length > 0) payload.custom_fields_values = custom
      if (move) Object.assign(payload, stagePart(desired))
      return Object.keys(payload).length > 1 ? payload : null
    },
    receptionIdOf(lead) {
      const cf = lead.custom_fields_values?.find((f) => f.field_id === receptionField.id)
      const value = cf?.values?.[0]?.value
      return value === undefined || value === null ? null : nonEmpty(String(value))
    },
    keyOfField: (fieldId) => (typeof fieldId === 'number' ? keyById.get(fieldId) : undefined),
    keysOfPayload(payload) {
      const keys: string[] = []
      if (payload.name !== undefined) keys.push(NAME)
      if (payload.price !== undefined) keys.push(PRICE)
      if (payload.status_id !== undefined) keys.push('stage')
      if (payload.responsible_user_id !== undefined) keys.push(RESPONSIBLE)
      for (const cf of payload.custom_fields_values ?? []) keys.push(keyById.get(cf.field_id ?? -1) ?? String(cf.field_id))
      return keys
    },
  }
}

/** `Приём 15.03.2026 09:30 — Иванова А. П.`: the visit's date and time, then the patient as in the visit history. */
export function dealName(reception: Pick<Reception, 'planStart' | 'patient'>): string {
  const [date, time] = reception.planStart.split(' ')
  const [y, m, d] = date!.split('-')
  // Printable parts only: IDENT's text may carry control characters.
  const {surname, name, patronymic} = reception.patient
  const who = formatDoctor(nonEmpty(surname), nonEmpty(name), nonEmpty(patronymic))
  const when = `Приём ${d}.${m}.${y} ${time!.slice(0, 5)}`
  return who === null ? when : `${when} — ${who}`
}

/** The cancel reason field: `reason: comment`; a cancellation without a reason goes as «Отменён в IDENT». */
export function cancelReasonText(reception: Pick<Reception, 'stage' | 'cancelReason' | 'cancelComment'>): string | null | undefined {
  if (reception.cancelReason === undefined && reception.cancelComment === undefined) return undefined
  if (reception.stage !== 'cancelled') return null
  const reason = nonEmpty(reception.cancelReason) ?? DEFAULT_LOSS_REASON
  const comment = nonEmpty(reception.cancelComment)
  return comment === null ? reason : `${reason}: ${comment}`
}

function desiredDeal(reception: Reception, contactId: number | null, context: DealMappingContext, options: DealMapperOptions): DesiredDeal {
  const warnings: DesiredDeal['warnings'] = []
  const fields: DesiredDealField[] = []
  const tz = options.clinicTimezone
  const add = (key: DealFieldKey, value: string | boolean | null | undefined) => {
    const field = context.fields[key]
    // Unavailable in this IDENT (undefined) or switched off in the config (no field): never sent.
    if (!field || value === undefined) return
    if (value === null) return void fields.push({key, fieldId: field.id, values: null, value: null})
    if (typeof value === 'boolean') return void fields.push({key, fieldId: field.id, values: [{value}], value})
    if (field.type === 'date_time') {
      const rfc = localRfc3339(value, tz)
      return void fields.push({key, fieldId: field.id, values: [{value: rfc}], value: Math.floor(Date.parse(rfc) / 1000)})
    }
    // What IDENT holds may carry control characters a CRM has no use for (and amoCRM may refuse).
    const clean = nonEmpty(value, {keepLines: field.type === 'textarea'})
    if (clean === null) return void fields.push({key, fieldId: field.id, values: null, value: null})
    const limit = field.type === 'textarea' ? TEXTAREA_FIELD_LIMIT : TEXT_FIELD_LIMIT
    const cut = cutText(clean, limit)
    if (cut.cut) warnings.push({field: key, code: 'text_truncated'})
    fields.push({key, fieldId: field.id, values: [{value: cut.text}], value: cut.text})
  }
  add('reception_id', reception.id)
  add('start', reception.planStart)
  add('end', reception.planEnd)
  add('doctor', reception.doctor)
  add('chair', reception.chair)
  add('branch', reception.branch)
  add('services', reception.services === undefined ? undefined : reception.services.length === 0 ? null : reception.services.join('\n'))
  add('ident_status', reception.identStatus)
  add('cancel_reason', cancelReasonText(reception))
  add('first_visit', reception.firstVisit)
  const cancelled = reception.stage === 'cancelled'
  const staffUser = reception.staffId ? options.deals.users[reception.staffId] : undefined
  return {
    receptionId: reception.id,
    patientId: reception.patientId,
    contactId,
    stage: reception.stage,
    pipelineId: context.pipelineId,
    statusId: context.statusIds[reception.stage],
    // amoCRM takes a loss reason only with its lost stage (143): a clinic that maps cancellations elsewhere gets none.
    lossReasonId: cancelled && context.statusIds.cancelled === LOST_STATUS_ID ? lossReasonFor(context, reception.cancelReason) : undefined,
    name: cutText(dealName(reception), DEAL_NAME_LIMIT).text,
    // Refunds can outweigh what was paid: amoCRM's price is a whole number from 0.
    price: reception.price === undefined ? undefined : Math.max(0, reception.price),
    responsibleUserId: staffUser ?? options.deals.responsibleUserId,
    fields,
    warnings,
  }
}

/** The first value amoCRM holds for a field of a deal (undefined when it holds none). */
function actualValue(lead: Pick<Lead, 'custom_fields_values'>, fieldId: number): unknown {
  return lead.custom_fields_values?.find((f) => f.field_id === fieldId)?.values?.[0]?.value
}

/** Compared as a person would: text trimmed, instants as instants (seconds or RFC 3339), an empty checkbox as unchecked. */
function sameValue(field: DesiredDealField, actual: unknown): boolean {
  const want = field.value
  if (typeof want === 'boolean') return Boolean(actual) === want
  if (actual === undefined || actual === null || (typeof actual === 'string' && actual.trim() === '')) return want === null
  if (want === null) return false
  if (typeof want === 'number') {
    const seconds = typeof actual === 'number' ? actual : /^\d+$/.test(String(actual)) ? Number(actual) : Date.parse(String(actual)) / 1000
    return Math.floor(seconds) === want
  }
  return String(actual).trim() === want
}
