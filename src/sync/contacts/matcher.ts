import type {AmoApi} from '../../amocrm/api.js'
import type {Contact} from '../../amocrm/types.js'
import type {Patient} from '../../ident/types.js'
import type {MatchVia} from '../plan.js'
import type {LinkRecord, SyncState} from '../state.js'
import {type ContactIndex, oldestFirst} from './contact-index.js'
import type {ContactMapper} from './mapper.js'
import {linkStillOurs} from './planner.js'

export interface Match {
  contact: Contact | null
  via: Exclude<MatchVia, 'claim'>
  /** Other contacts carrying this patient's id: reported, left alone. */
  duplicates: number[]
  /** The stored link pointed at a contact that no longer exists (or now belongs to another patient). */
  deadLink: boolean
  /**
   * The linked contact was not in the listing and nothing else matched: before a new contact is made,
   * amoCRM is asked for it by id — a contact deleted while the listing ran shifts a later one onto a
   * page already read, and that one must not be taken for gone.
   */
  unseenLink?: boolean
}

/**
 * How many IDENT patients share each phone (families): a phone shared by several patients is
 * claimed by name only.
 */
export type FamilyPhones = (e164: string) => number

/** The contact side of the mapping that matching reads. */
export type MatchKeys = Pick<ContactMapper, 'identId' | 'contactPhones' | 'namesMatch'>

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
 * The matching rules of docs/sync.md "Matching", for one run: the stored link, else the "ID пациента
 * IDENT" field (oldest wins, the rest are duplicates), else a phone on a contact whose id field is empty
 * (families: only when the name matches). A contact is claimed by at most one patient of the run.
 */
export class ContactMatcher {
  /** Contacts already taken by a patient in this run. */
  private readonly claimed = new Set<number>()
  /** Patient id → linked contact, of the patients matched while the index was read (`early`). */
  private readonly matchedEarly = new Map<string, number>()
  /** This run matches against the full contact index (`sync full`, `sync deep`). */
  private listed = false

  constructor(
    private readonly keys: MatchKeys,
    private readonly amo: {
      api: () => Promise<Pick<AmoApi, 'getContact' | 'listContacts'>>
      state: Pick<SyncState, 'patientsWithPhone'>
    },
  ) {}

  /** Marks the contacts the stored links still hold as taken, before anyone may claim them by phone. */
  claimLinked(targets: Map<string, number>, index: ContactIndex): void {
    this.listed = true
    for (const [patientId, contactId] of targets) {
      const entry = index.byId.get(contactId)
      if (entry && linkStillOurs(patientId, entry)) this.claimed.add(entry.id)
    }
  }

  /**
   * While the index is still being read (`sync full`, `sync deep`): a patient whose stored link names
   * a contact the index already read, and that contact is still theirs. That is the answer the full
   * index would give (only the other contacts carrying the patient's id, the duplicates, can come on
   * later pages: `earlyDuplicates` reports them at the end). `later`: the linked contact's page is not
   * read yet. `end`: only the full index decides (no link, or the link is dead).
   */
  early(patientId: string, link: LinkRecord | undefined, index: ContactIndex): Match | 'later' | 'end' {
    if (!link) return 'end'
    if (link.contactId > index.readThrough) return 'later'
    const entry = index.byId.get(link.contactId)
    if (!entry || !linkStillOurs(patientId, entry)) return 'end'
    this.claimed.add(entry.id)
    this.matchedEarly.set(patientId, entry.id)
    return linkMatch(index, entry.id, [])
  }

  /**
   * The duplicates of the patients matched early, once the whole index is read and the links claimed:
   * the other unclaimed contacts carrying their id, as `inIndex` would have found them.
   */
  earlyDuplicates(index: ContactIndex): Array<{patientId: string; contactIds: number[]}> {
    const found: Array<{patientId: string; contactIds: number[]}> = []
    for (const [patientId, contacts] of index.byIdentId) {
      const kept = contacts.length > 1 ? this.matchedEarly.get(patientId) : undefined
      if (kept === undefined) continue
      const others = contacts.filter((c) => c.id !== kept && !this.claimed.has(c.id)).map((c) => c.id)
      if (others.length > 0) found.push({patientId, contactIds: [kept, ...others]})
    }
    return found
  }

  /** Against the full contact index (`sync full`, `sync deep`): no request. */
  inIndex(patient: Patient, phones: string[], link: LinkRecord | undefined, index: ContactIndex, family: FamilyPhones): Match {
    const sameId = (index.byIdentId.get(patient.id) ?? []).filter((c) => !this.claimed.has(c.id) || c.id === link?.contactId)
    const unpack = (id: number): Contact => index.contact(id)!
    let deadLink = false
    let unseenLink = false
    if (link) {
      const entry = index.byId.get(link.contactId)
      unseenLink = !entry
      if (entry && linkStillOurs(patient.id, entry)) {
        this.claimed.add(entry.id)
        return linkMatch(
          index,
          entry.id,
          sameId.filter((c) => c.id !== entry.id).map((c) => c.id),
        )
      }
      deadLink = true
    }
    if (sameId.length > 0) {
      const [oldest, ...rest] = sameId
      this.claimed.add(oldest!.id)
      return {contact: unpack(oldest!.id), via: 'id_field', duplicates: rest.map((c) => c.id), deadLink}
    }
    const candidate = this.pickByPhone(
      patient,
      phones,
      (phone) => (index.unlinkedByPhone.get(phone) ?? []).filter((c) => !this.claimed.has(c.id)),
      family,
    )
    if (candidate) {
      this.claimed.add(candidate.id)
      return {contact: unpack(candidate.id), via: 'phone', duplicates: [], deadLink}
    }
    return {contact: null, via: 'none', duplicates: [], deadLink, unseenLink}
  }

  /**
   * One patient without the index (incremental, `patient test`, a contact deleted under a link): the
   * linked contact is read; when it is gone, amoCRM's fuzzy `query` finds candidates — by patient id,
   * then by each phone's last ten digits — and every candidate is verified locally before it is used.
   */
  async lookUp(patient: Patient, phones: string[], link: LinkRecord | undefined): Promise<Match> {
    const api = await this.amo.api()
    if (link) {
      const contact = await api.getContact(link.contactId)
      if (contact && linkStillOurs(patient.id, {identId: this.keys.identId(contact), deleted: contact.is_deleted})) {
        this.claimed.add(contact.id)
        return {contact, via: 'link', duplicates: [], deadLink: false}
      }
      // A linked contact the full listing did not show, and gone indeed: the listing has already been
      // searched by patient id and phone, so amoCRM's search is not asked again.
      if (this.listed) return {contact: null, via: 'none', duplicates: [], deadLink: true}
    }
    const family = await familyFromState(this.amo.state, patient.id, phones)
    const byId: Contact[] = []
    for await (const page of api.listContacts({query: patient.id, limit: 250}))
      for (const contact of page) if (this.keys.identId(contact) === patient.id && !this.claimed.has(contact.id)) byId.push(contact)
    const deadLink = link !== undefined
    if (byId.length > 0) {
      byId.sort(oldestFirst)
      this.claimed.add(byId[0]!.id)
      return {contact: byId[0]!, via: 'id_field', duplicates: byId.slice(1).map((c) => c.id), deadLink}
    }
    const candidates = new Map<string, Contact[]>()
    for (const phone of phones) {
      const found: Contact[] = []
      for await (const page of api.listContacts({query: phone.replace(/\D/g, '').slice(-10), limit: 250})) {
        for (const contact of page) {
          if (this.claimed.has(contact.id) || this.keys.identId(contact) !== null) continue
          if (this.keys.contactPhones(contact).includes(phone)) found.push(contact)
        }
      }
      candidates.set(phone, found.sort(oldestFirst))
    }
    const contact = this.pickByPhone(patient, phones, (phone) => candidates.get(phone) ?? [], family)
    if (contact) {
      this.claimed.add(contact.id)
      return {contact, via: 'phone', duplicates: [], deadLink}
    }
    return {contact: null, via: 'none', duplicates: [], deadLink}
  }

  private pickByPhone<C extends Candidate>(
    patient: Patient,
    phones: string[],
    candidatesOf: (phone: string) => C[],
    family: FamilyPhones,
  ): C | null {
    for (const phone of phones) {
      const candidates = candidatesOf(phone)
      if (candidates.length === 0) continue
      const named = candidates.find((c) => this.keys.namesMatch(patient, c))
      if (named) return named
      // A phone several IDENT patients share belongs to a family: only a name match may claim it.
      if (family(phone) > 1) continue
      return candidates[0]!
    }
    return null
  }
}

/** What choosing among phone candidates needs: the name (families) and the age (oldest first). */
type Candidate = Pick<Contact, 'id' | 'created_at' | 'name' | 'first_name' | 'last_name'>

/**
 * The stored link holds. The contact is read from the index's store only when the planner looks at
 * it: an unchanged linked patient of `sync full` never does.
 */
function linkMatch(index: ContactIndex, contactId: number, duplicates: number[]): Match {
  let contact: Contact | undefined
  return {
    get contact() {
      return (contact ??= index.contact(contactId)!)
    },
    via: 'link',
    duplicates,
    deadLink: false,
  }
}
