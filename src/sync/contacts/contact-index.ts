import {deflateRawSync, inflateRawSync} from 'node:zlib'

import type {AmoApi} from '../../amocrm/api.js'
import type {Contact} from '../../amocrm/types.js'

/** What the index needs to know about a contact's mapped identity; provided by the field mapping. */
export interface ContactKeys {
  /** Trimmed "ID пациента IDENT", or null when empty. */
  identId(contact: Contact): string | null
  /** Normalised E.164 phones of the contact. */
  phones(contact: Contact): string[]
}

/** What matching looks at: enough to choose a contact without unpacking it. */
export interface IndexedContact {
  id: number
  created_at: number
  name: string
  first_name: string
  last_name: string
  identId: string | null
}

/**
 * Every contact of the account, read once (250 per page) for `sync full` / `sync deep`: by id, by
 * "ID пациента IDENT" and by normalised phone (only contacts with an empty id field are phone
 * candidates — docs/sync.md "Matching"). Each contact is kept deflated and unpacked only when its
 * patient comes by: an account of 100,000 contacts then costs tens of megabytes, not gigabytes.
 */
export class ContactIndex {
  readonly byId = new Map<number, IndexedContact>()
  readonly byIdentId = new Map<string, IndexedContact[]>()
  /** Phone → contacts with that phone and an empty id field. */
  readonly unlinkedByPhone = new Map<string, IndexedContact[]>()
  private readonly packed = new Map<number, Uint8Array>()
  private readonly phonesOf = new Map<number, string[]>()

  constructor(private readonly keys: ContactKeys) {}

  static async read(api: Pick<AmoApi, 'listContacts'>, keys: ContactKeys, onPage?: (count: number) => void): Promise<ContactIndex> {
    const index = new ContactIndex(keys)
    for await (const page of api.listContacts({limit: 250, order: {field: 'id', direction: 'asc'}})) {
      for (const contact of page) index.add(contact)
      onPage?.(index.byId.size)
    }
    return index
  }

  add(contact: Contact): void {
    this.remove(contact.id)
    const identId = this.keys.identId(contact)
    const entry: IndexedContact = {
      id: contact.id,
      created_at: contact.created_at,
      name: contact.name,
      first_name: contact.first_name,
      last_name: contact.last_name,
      identId,
    }
    this.byId.set(contact.id, entry)
    // A copy of the exact size: zlib's result is a view into a 64 KB output chunk, which would stay alive.
    this.packed.set(contact.id, new Uint8Array(deflateRawSync(JSON.stringify(contact))))
    if (identId !== null) {
      push(this.byIdentId, identId, entry)
      return
    }
    const phones = [...new Set(this.keys.phones(contact))]
    if (phones.length > 0) this.phonesOf.set(contact.id, phones)
    for (const phone of phones) push(this.unlinkedByPhone, phone, entry)
  }

  /** The contact as amoCRM returned it. */
  contact(id: number): Contact | undefined {
    const packed = this.packed.get(id)
    return packed ? (JSON.parse(inflateRawSync(packed).toString('utf8')) as Contact) : undefined
  }

  remove(contactId: number): void {
    const old = this.byId.get(contactId)
    if (!old) return
    this.byId.delete(contactId)
    this.packed.delete(contactId)
    if (old.identId !== null) removeFrom(this.byIdentId, old.identId, contactId)
    for (const phone of this.phonesOf.get(contactId) ?? []) removeFrom(this.unlinkedByPhone, phone, contactId)
    this.phonesOf.delete(contactId)
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
export function oldestFirst(a: Pick<Contact, 'id' | 'created_at'>, b: Pick<Contact, 'id' | 'created_at'>): number {
  return a.created_at - b.created_at || a.id - b.id
}

function push(map: Map<string, IndexedContact[]>, key: string, entry: IndexedContact): void {
  const list = map.get(key) ?? []
  list.push(entry)
  list.sort(oldestFirst)
  map.set(key, list)
}

function removeFrom(map: Map<string, IndexedContact[]>, key: string, contactId: number): void {
  const list = map.get(key)
  if (!list) return
  const rest = list.filter((c) => c.id !== contactId)
  if (rest.length === 0) map.delete(key)
  else map.set(key, rest)
}
