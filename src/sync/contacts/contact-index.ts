import Database from 'better-sqlite3'

import type {AmoApi} from '../../amocrm/api.js'
import type {Contact, ContactCustomFieldRead} from '../../amocrm/types.js'
import type {ContactMapper} from './mapper.js'

/** What the index needs to know about a contact's mapped identity; provided by the field mapping. */
export interface ContactKeys {
  /** Trimmed "ID пациента IDENT", or null when empty. */
  identId(contact: Contact): string | null
  /** Normalised E.164 phones of the contact. */
  phones(contact: Contact): string[]
  /** Whether planning looks at this custom field (a mapped one); the others are not kept. All are when absent. */
  compared?(field: ContactCustomFieldRead): boolean
}

/** The index's keys from the account's field mapping. */
export function indexKeys(mapper: Pick<ContactMapper, 'identId' | 'contactPhones' | 'keyOfField'>): ContactKeys {
  return {
    identId: (contact) => mapper.identId(contact),
    phones: (contact) => mapper.contactPhones(contact),
    compared: (field) =>
      mapper.keyOfField(field.field_id) !== undefined || (field.field_code ? mapper.keyOfField(field.field_code) !== undefined : false),
  }
}

/** What matching by "ID пациента IDENT" looks at: enough to choose a contact without reading it. */
export interface IndexedContact {
  id: number
  created_at: number
  identId: string | null
}

/** A contact with an empty id field and a phone: a phone candidate, chosen by name among a family. */
export interface PhoneCandidate extends IndexedContact {
  name: string
  first_name: string
  last_name: string
}

/**
 * Every contact of the account, read once (250 per page, several in flight) for `sync full` / `sync
 * deep`: by id, by "ID пациента IDENT" and by normalised phone (only contacts with an empty id field are
 * phone candidates — docs/sync.md "Matching").
 *
 * Memory stays flat however large the account: what matching needs (id, age, patient id; names and
 * phones of the few phone candidates) is kept in memory, a few dozen bytes a contact; what planning
 * compares of the contacts (names, the mapped fields) goes to a private temporary SQLite database (unlinked from the file system as soon as it is
 * opened, gone when closed) and are read back one at a time when their patient comes by.
 */
export class ContactIndex {
  readonly byId = new Map<number, IndexedContact>()
  readonly byIdentId = new Map<string, IndexedContact[]>()
  /** Phone → contacts with that phone and an empty id field. */
  readonly unlinkedByPhone = new Map<string, PhoneCandidate[]>()
  /**
   * The highest contact id of the pages read so far. The listing goes by id ascending, so every contact
   * up to it that existed when the listing began is in the index (one not in it is gone).
   */
  readThrough = 0
  private readonly phonesOf = new Map<number, string[]>()
  private readonly bodies: ContactBodies

  constructor(private readonly keys: ContactKeys) {
    this.bodies = new ContactBodies((contact) => comparedPart(contact, keys.compared))
  }

  static async read(
    api: Pick<AmoApi, 'listEveryContact'>,
    keys: ContactKeys,
    onPage?: (count: number) => void,
    expected?: number,
  ): Promise<ContactIndex> {
    const index = new ContactIndex(keys)
    await index.fill(api.listEveryContact({expected}), onPage)
    return index
  }

  /**
   * Reads every contact into this index, page after page in id order: while it does, `readThrough`
   * says how far it got, so what is already read can be used before the end (the engine's early
   * matches). On a failure the store is closed.
   */
  async fill(pages: AsyncIterable<Contact[]>, onPage?: (count: number) => void): Promise<void> {
    try {
      for await (const page of pages) {
        this.addPage(page)
        this.readThrough = Math.max(this.readThrough, page.at(-1)?.id ?? 0)
        onPage?.(this.byId.size)
      }
    } catch (error) {
      this.close()
      throw error
    }
  }

  add(contact: Contact): void {
    this.addPage([contact])
  }

  /** A page of contacts, stored in one transaction. */
  addPage(contacts: Contact[]): void {
    this.bodies.putAll(contacts)
    for (const contact of contacts) this.file(contact)
  }

  private file(contact: Contact): void {
    this.forget(contact.id)
    const identId = this.keys.identId(contact)
    const entry: IndexedContact = {id: contact.id, created_at: contact.created_at, identId}
    this.byId.set(contact.id, entry)
    if (identId !== null) {
      push(this.byIdentId, identId, entry)
      return
    }
    const phones = [...new Set(this.keys.phones(contact))]
    if (phones.length === 0) return
    this.phonesOf.set(contact.id, phones)
    const candidate: PhoneCandidate = {...entry, name: contact.name, first_name: contact.first_name, last_name: contact.last_name}
    for (const phone of phones) push(this.unlinkedByPhone, phone, candidate)
  }

  /** The contact as amoCRM returned it, with what planning compares: id, names, dates, the mapped fields. */
  contact(id: number): Contact | undefined {
    return this.byId.has(id) ? this.bodies.get(id) : undefined
  }

  remove(contactId: number): void {
    if (this.forget(contactId)) this.bodies.delete(contactId)
  }

  private forget(contactId: number): boolean {
    const old = this.byId.get(contactId)
    if (!old) return false
    this.byId.delete(contactId)
    if (old.identId !== null) removeFrom(this.byIdentId, old.identId, contactId)
    for (const phone of this.phonesOf.get(contactId) ?? []) removeFrom(this.unlinkedByPhone, phone, contactId)
    this.phonesOf.delete(contactId)
    return true
  }

  /** True when some contact could be claimed by phone (so the family pre-pass is worth reading). */
  get hasPhoneCandidates(): boolean {
    return this.unlinkedByPhone.size > 0
  }

  get size(): number {
    return this.byId.size
  }

  /** Frees the stored contacts (the temporary database); the index answers nothing about them after. */
  close(): void {
    this.bodies.close()
  }
}

/**
 * The contacts' bodies, by id, in an anonymous SQLite database: SQLite keeps it in a file it unlinks
 * at once (nobody else can open it) and drops when the connection closes or the process ends; its page
 * cache is small, so the account's size costs disk, not memory.
 */
class ContactBodies {
  private readonly db = new Database('')
  private readonly insert
  private readonly select
  private readonly drop
  private readonly putPage

  constructor(kept: (contact: Contact) => Contact) {
    this.db.pragma('cache_size = -2000')
    this.db.pragma('journal_mode = OFF')
    this.db.pragma('synchronous = OFF')
    this.db.exec('create table contacts (id integer primary key, body text not null)')
    this.insert = this.db.prepare<[number, string]>('insert or replace into contacts (id, body) values (?, ?)')
    this.select = this.db.prepare<[number], {body: string}>('select body from contacts where id = ?')
    this.drop = this.db.prepare<[number]>('delete from contacts where id = ?')
    this.putPage = this.db.transaction((contacts: Contact[]) => {
      for (const contact of contacts) this.insert.run(contact.id, JSON.stringify(kept(contact)))
    })
  }

  putAll(contacts: Contact[]): void {
    this.putPage(contacts)
  }

  get(id: number): Contact | undefined {
    const row = this.select.get(id)
    return row ? (JSON.parse(row.body) as Contact) : undefined
  }

  delete(id: number): void {
    this.drop.run(id)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

/**
 * What planning reads of a contact (docs/sync.md "Matching", the field comparison): a listed contact
 * carries much more (links, tags, who made it, every field of the account), which would cost the
 * index's store time and space for each contact of the account.
 */
function comparedPart(contact: Contact, compared: ContactKeys['compared']): Contact {
  const fields = contact.custom_fields_values
  return {
    id: contact.id,
    name: contact.name,
    first_name: contact.first_name,
    last_name: contact.last_name,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    is_deleted: contact.is_deleted,
    custom_fields_values:
      fields === null || fields === undefined
        ? null
        : fields
            .filter((field) => compared?.(field) ?? true)
            .map((field) => ({field_id: field.field_id, field_code: field.field_code, values: field.values})),
  }
}

/** The contact amoCRM made first: lowest created_at, then lowest id. */
export function oldestFirst(a: Pick<Contact, 'id' | 'created_at'>, b: Pick<Contact, 'id' | 'created_at'>): number {
  return a.created_at - b.created_at || a.id - b.id
}

function push<T extends IndexedContact>(map: Map<string, T[]>, key: string, entry: T): void {
  const list = map.get(key)
  if (!list) {
    map.set(key, [entry])
    return
  }
  list.push(entry)
  list.sort(oldestFirst)
}

function removeFrom<T extends IndexedContact>(map: Map<string, T[]>, key: string, contactId: number): void {
  const list = map.get(key)
  if (!list) return
  const rest = list.filter((c) => c.id !== contactId)
  if (rest.length === 0) map.delete(key)
  else map.set(key, rest)
}
