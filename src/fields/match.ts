import type {Contact} from '../amocrm/types.js'
import type {Patient} from '../ident/types.js'
import {foldText, normalizePhone} from './normalize.js'
import type {ResolvedFields} from './types.js'

/** The contact's "ID пациента IDENT", trimmed; null when empty or the field is not resolved. */
export function contactIdentId(contact: Contact, resolved: ResolvedFields): string | null {
  const field = resolved.ident_id
  if (!field) return null
  const cf = (contact.custom_fields_values ?? []).find((f) => f.field_id === field.id)
  const value = cf?.values?.[0]?.value
  if (value === undefined || value === null) return null
  const text = String(value).trim()
  return text === '' ? null : text
}

/**
 * The contact's phones, normalized to E.164 (values that are not valid numbers are left out): from
 * the built-in PHONE field, or the resolved phone field when given.
 */
export function contactPhones(contact: Contact, resolved?: ResolvedFields): Set<string> {
  const phoneId = resolved?.phone?.id
  const out = new Set<string>()
  for (const cf of contact.custom_fields_values ?? []) {
    if (cf.field_code !== 'PHONE' && (phoneId === undefined || cf.field_id !== phoneId)) continue
    for (const v of cf.values ?? []) {
      const phone = normalizePhone(v.value === undefined ? null : String(v.value))
      if (phone) out.add(phone.e164)
    }
  }
  return out
}

function words(text: string | null | undefined): string[] {
  return foldText(text).split(' ').filter(Boolean)
}

/**
 * The family rule: the contact carries the patient's surname and first name (case-, ё-insensitive),
 * in whichever of name / first_name / last_name a CRM user put them.
 */
export function namesMatch(
  patient: Pick<Patient, 'surname' | 'name'>,
  contact: Pick<Contact, 'name' | 'first_name' | 'last_name'>,
): boolean {
  const surname = foldText(patient.surname)
  const first = foldText(patient.name)
  if (surname === '' || first === '') return false
  const lastWords = words(contact.last_name)
  const firstWords = words(contact.first_name)
  if (lastWords.length > 0 && firstWords.length > 0)
    return foldText(contact.last_name) === surname && ` ${firstWords.join(' ')} `.startsWith(` ${first} `)
  const hay = ` ${[...words(contact.name), ...lastWords, ...firstWords].join(' ')} `
  return hay.includes(` ${surname} `) && hay.includes(` ${first} `)
}
