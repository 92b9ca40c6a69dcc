import type {AmoApi} from '../amocrm/api.js'
import type {Contact} from '../amocrm/types.js'

/** What the index needs to know about a contact's mapped identity; provided by the field mapping. */
export interface ContactKeys {
  /** Trimmed "ID пациента IDENT", or null when empty. */
  identId(contact: Contact): string | null
  /** Normalised E.164 phones of the contact. */
  phones(contact: Contact): string[]
}

/**
 * Every contact of the account, read once (250 per page) for `sync full` / `sync deep`: by id, by
 * "ID пациента IDENT" and by normalised phone (only contacts with an empty id field are phone
 * candidates — product.md §4 "Matching").
 */
export class ContactIndex {
  readonly byId = new Map<number, Contact>()
  readonly byIdentId = new Map<string, Contact[]>()
  /** Phone → contacts with that phone and an empty id field. */
  readonly unlinkedByPhone = new Map<string, Contact[]>()

  constructor(private readonly keys: ContactKeys) {}

  static async read(api: AmoApi, keys: ContactKeys, onPage?: (count: number) => void): Promise<ContactIndex> {
    const index = new ContactIndex(keys)
    for await (const page of api.listContacts({limit: 250, order: {field: 'id', direction: 'asc'}})) {
      for (const contact of page) index.add(contact)
      onPage?.(index.byId.size)
    }
    return index
  }

  add(contact: Contact): void {
    this.remove(contact.id)
    this.byId.set(contact.id, contact)
    const identId = this.keys.identId(contact)
    if (identId !== null) {
      const list = this.byIdentId.get(identId) ?? []
      list.push(contact)
      list.sort(oldestFirst)
      this.byIdentId.set(identId, list)
      return
    }
    for (const phone of new Set(this.keys.phones(contact))) {
      const list = this.unlinkedByPhone.get(phone) ?? []
      list.push(contact)
      list.sort(oldestFirst)
      this.unlinkedByPhone.set(phone, list)
    }
  }

  remove(contactId: number): void {
    const old = this.byId.get(contactId)
    if (!old) return
    this.byId.delete(contactId)
    const identId = this.keys.identId(old)
    if (identId !== null) removeFrom(this.byIdentId, identId, contactId)
    else for (const phone of this.keys.phones(old)) removeFrom(this.unlinkedByPhone, phone, contactId)
  }

  /** True when some contact could be claimed by phone (so the family pre-pass is worth reading). */
  get hasPhoneCandidates(): boolean {
    return this.unlinkedByPhone.size > 0
  }

  get size(): number {
    return this.byId.size
  }
}

/** The contact amoCRM made first: lowest created_at, then lowest id. */
export function oldestFirst(a: Contact, b: Contact): number {
  return a.created_at - b.created_at || a.id - b.id
}

function removeFrom(map: Map<string, Contact[]>, key: string, contactId: number): void {
  const list = map.get(key)
  if (!list) return
  const rest = list.filter((c) => c.id !== contactId)
  if (rest.length === 0) map.delete(key)
  else map.set(key, rest)
}
