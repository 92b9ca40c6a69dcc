import type {AmoApi} from '../amocrm/api.js'
import type {Contact} from '../amocrm/types.js'
import type {Patient} from '../ident/types.js'
import {type ContactIndex, oldestFirst} from './contact-index.js'
import type {SyncMapper} from './mapper.js'
import type {LinkRecord, SyncState} from './state.js'

export type MatchVia = 'link' | 'id_field' | 'phone' | 'none'

export interface Match {
  contact: Contact | null
  via: MatchVia
  /** Other contacts carrying this patient's id: reported, left alone. */
  duplicates: number[]
  /** The stored link pointed at a contact that no longer exists (or now belongs to another patient). */
  deadLink: boolean
}

/**
 * How many IDENT patients share each phone (families): a phone shared by several patients is
 * claimed by name only.
 */
export type FamilyPhones = (e164: string) => number

/**
 * Without the full IDENT read (incremental, one patient): how many patients share each phone —
 * those the state says it was written for, plus this one.
 */
export async function familyFromState(
  state: Pick<SyncState, 'patientsWithPhone'>,
  patientId: string,
  phones: string[],
): Promise<FamilyPhones> {
  const counts = new Map<string, number>()
  for (const phone of phones) counts.set(phone, (await state.patientsWithPhone(phone)).filter((id) => id !== patientId).length + 1)
  return (phone) => counts.get(phone) ?? 1
}

/**
 * Matching for a patient against the full contact index (product.md §4 "Matching"): the stored link,
 * else the "ID пациента IDENT" field (oldest wins, the rest are duplicates), else a phone on a contact
 * whose id field is empty (families: only when the name matches). A contact is claimed at most once.
 */
export function matchInIndex(
  patient: Patient,
  phones: string[],
  link: LinkRecord | undefined,
  index: ContactIndex,
  claimed: Set<number>,
  family: FamilyPhones,
  mapper: SyncMapper,
): Match {
  const sameId = (index.byIdentId.get(patient.id) ?? []).filter((c) => !claimed.has(c.id) || c.id === link?.contactId)
  const unpack = (id: number): Contact => index.contact(id)!
  let deadLink = false
  if (link) {
    const entry = index.byId.get(link.contactId)
    if (entry && (entry.identId === null || entry.identId === patient.id)) {
      claimed.add(entry.id)
      return {contact: unpack(entry.id), via: 'link', duplicates: sameId.filter((c) => c.id !== entry.id).map((c) => c.id), deadLink: false}
    }
    deadLink = true
  }
  if (sameId.length > 0) {
    const [oldest, ...rest] = sameId
    claimed.add(oldest!.id)
    return {contact: unpack(oldest!.id), via: 'id_field', duplicates: rest.map((c) => c.id), deadLink}
  }
  const candidate = pickByPhone(
    patient,
    phones,
    (phone) => (index.unlinkedByPhone.get(phone) ?? []).filter((c) => !claimed.has(c.id)),
    family,
    mapper,
  )
  if (candidate) {
    claimed.add(candidate.id)
    return {contact: unpack(candidate.id), via: 'phone', duplicates: [], deadLink}
  }
  return {contact: null, via: 'none', duplicates: [], deadLink}
}

/**
 * The same rules for one patient without the full index (incremental, `patient test`): amoCRM's fuzzy
 * `query` finds candidates — by patient id, then by each phone's last ten digits — and every
 * candidate is verified locally before it is used.
 */
export async function lookUpContact(
  api: AmoApi,
  patient: Patient,
  phones: string[],
  claimed: Set<number>,
  family: FamilyPhones,
  mapper: SyncMapper,
): Promise<Match> {
  const byId: Contact[] = []
  for await (const page of api.listContacts({query: patient.id, limit: 250})) {
    for (const contact of page) if (mapper.identId(contact) === patient.id && !claimed.has(contact.id)) byId.push(contact)
  }
  if (byId.length > 0) {
    byId.sort(oldestFirst)
    claimed.add(byId[0]!.id)
    return {contact: byId[0]!, via: 'id_field', duplicates: byId.slice(1).map((c) => c.id), deadLink: false}
  }
  const candidates = new Map<string, Contact[]>()
  for (const phone of phones) {
    const found: Contact[] = []
    for await (const page of api.listContacts({query: phone.replace(/\D/g, '').slice(-10), limit: 250})) {
      for (const contact of page) {
        if (claimed.has(contact.id) || mapper.identId(contact) !== null) continue
        if (mapper.contactPhones(contact).includes(phone)) found.push(contact)
      }
    }
    candidates.set(phone, found.sort(oldestFirst))
  }
  const contact = pickByPhone(patient, phones, (phone) => candidates.get(phone) ?? [], family, mapper)
  if (contact) {
    claimed.add(contact.id)
    return {contact, via: 'phone', duplicates: [], deadLink: false}
  }
  return {contact: null, via: 'none', duplicates: [], deadLink: false}
}

/** What choosing among phone candidates needs: the name (families) and the age (oldest first). */
type Candidate = Pick<Contact, 'id' | 'created_at' | 'name' | 'first_name' | 'last_name'>

function pickByPhone<C extends Candidate>(
  patient: Patient,
  phones: string[],
  candidatesOf: (phone: string) => C[],
  family: FamilyPhones,
  mapper: SyncMapper,
): C | null {
  for (const phone of phones) {
    const candidates = candidatesOf(phone)
    if (candidates.length === 0) continue
    const named = candidates.find((c) => mapper.namesMatch(patient, c))
    if (named) return named
    // A phone several IDENT patients share belongs to a family: only a name match may claim it.
    if (family(phone) > 1) continue
    return candidates[0]!
  }
  return null
}
