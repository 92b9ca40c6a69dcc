import type {Contact, ContactWrite} from '../../amocrm/types.js'
import type {DesiredContact} from '../../fields/index.js'
import type {Patient} from '../../ident/types.js'

/**
 * What the contact sync needs from the field mapping (`src/fields`), in the sync's terms: the desired
 * contact of a patient, its hashes and payloads, and the contact side used for matching. Every method
 * is pure: the planner stays a function of its inputs.
 */
export interface ContactMapper {
  desired(patient: Patient): DesiredContact
  /** Normalised E.164 phones IDENT has for the patient (matching, family rule). */
  phones(desired: DesiredContact): string[]
  /** Per-key hashes of what would be written (incl. the name), for the state. */
  fieldHashes(desired: DesiredContact): Record<string, string>
  /** Hash of everything at once. */
  payloadHash(desired: DesiredContact): string
  /** Keys whose desired value differs from what was last written (by hash). */
  changedKeys(desired: DesiredContact, written: Record<string, string>): string[]
  /** Keys that need the contact's current values to be written (multi-value merges: phone, email). */
  needsContact(key: string): boolean
  /** A full create payload. */
  createPayload(desired: DesiredContact): ContactWrite
  /**
   * An update of `contact` with only what differs from what it holds now (multi-value fields merged,
   * dropping values this tool wrote before and IDENT no longer has); null when nothing differs.
   * `onlyKeys` limits it to those keys; `skipKeys` leaves those out (values amoCRM refused before).
   */
  updateFromContact(
    desired: DesiredContact,
    contact: Contact,
    previously: {phones: string[]; emails: string[]},
    onlyKeys?: string[],
    skipKeys?: string[],
  ): ContactWrite | null
  /** An update of the given keys without reading the contact (keys that do not need it). */
  updateWithoutContact(desired: DesiredContact, contactId: number, keys: string[]): ContactWrite | null
  /** What this tool writes for the multi-value fields, to remember in the state. */
  writtenValues(desired: DesiredContact): {phones: string[]; emails: string[]}
  /** Per-field warnings (no personal data). */
  warnings(desired: DesiredContact): Array<{field: string; code: string; detail: string}>
  /** Field key of a custom field id or code (for reporting refusals). */
  keyOfField(fieldId: number | string | undefined): string | undefined
  /** The keys an update payload touches (dry-run plan). */
  keysOfPayload(payload: ContactWrite): string[]

  /** Contact side (matching): the trimmed "ID пациента IDENT", or null when empty. */
  identId(contact: Contact): string | null
  contactPhones(contact: Contact): string[]
  namesMatch(patient: Patient, contact: Pick<Contact, 'name' | 'first_name' | 'last_name'>): boolean
}
