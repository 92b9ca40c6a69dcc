import type {ContactWrite} from '../../amocrm/types.js'
import type {DesiredContact} from '../../fields/index.js'
import {LOOK_UP} from '../kind.js'
import {type PlanStep, unchangedStep} from '../plan.js'
import type {LinkRecord} from '../state.js'
import type {ContactMapper} from './mapper.js'
import type {Match} from './matcher.js'

/** What the state keeps for a patient, before amoCRM says which contact it is (a create). */
export type PendingLink = Omit<LinkRecord, 'contactId'>

export type ContactStep = PlanStep<ContactWrite, PendingLink>

export interface ContactPlanInput {
  desired: DesiredContact
  /** The stored link, if any. */
  link: LinkRecord | undefined
  /**
   * The contact found by matching. Absent when none was looked for: a linked patient is then planned
   * from the stored hashes alone, as long as what changed can be written without reading the contact.
   */
  match?: Match
  /** Compare with what amoCRM holds even when the hashes say nothing changed (`sync deep`, `patient test`). */
  compareWithAmo: boolean
}

/**
 * A stored link still holds when its contact exists (not deleted) and carries no other patient's id:
 * an empty "ID пациента IDENT" or this patient's (docs/sync.md "Matching").
 */
export function linkStillOurs(patientId: string, linked: {identId: string | null; deleted?: boolean} | null | undefined): boolean {
  return Boolean(linked) && !linked!.deleted && (linked!.identId === null || linked!.identId === patientId)
}

/**
 * Plans one patient: create, update, link, or nothing — and what the state keeps (docs/sync.md).
 * A pure function of its inputs: it reads and sends nothing.
 */
export function planContact(mapper: ContactMapper, input: ContactPlanInput): ContactStep | typeof LOOK_UP {
  const {desired, link, match, compareWithAmo} = input
  if (!match) {
    if (!link || compareWithAmo) return LOOK_UP
    // Linked and trusted: the hashes of what was last written say what changed, without asking amoCRM.
    const changed = mapper.changedKeys(desired, link.fieldHashes)
    if (changed.length === 0) return unchangedStep(desired.patientId, link.contactId, 'link', [])
    if (changed.some((key) => mapper.needsContact(key))) return LOOK_UP
    return update(mapper, desired, link, link.contactId, mapper.updateWithoutContact(desired, link.contactId, changed), 'link', [])
  }
  // A linked patient whose hashes say nothing changed costs nothing — unless amoCRM is compared too
  // (decided before the contact itself is looked at: the index reads it from disk only when asked).
  if (match.via === 'link' && link && !compareWithAmo && mapper.changedKeys(desired, link.fieldHashes).length === 0)
    return unchangedStep(desired.patientId, link.contactId, 'link', match.duplicates)
  // Not in the listing is not yet gone: asked for by id first (the matcher's lookUp).
  if (!match.contact && match.unseenLink) return LOOK_UP
  if (!match.contact) {
    const payload = mapper.createPayload(desired)
    return {
      key: desired.patientId,
      action: 'create',
      remoteId: null,
      via: 'none',
      write: {method: 'create', payload},
      record: pendingLink(mapper, desired),
      fields: mapper.keysOfPayload(payload),
      duplicates: [],
      deadLink: match.deadLink,
    }
  }
  const contact = match.contact
  // Only the contact the link names holds what this tool wrote before (its phones, its refused values).
  const validLink = match.via === 'link' ? link : undefined
  const previously = {phones: validLink?.writtenPhones ?? [], emails: validLink?.writtenEmails ?? []}
  // A value amoCRM refused before (a birthday before 1970) is not sent again while IDENT still says the same.
  const hashes = mapper.fieldHashes(desired)
  const stillRefused = Object.keys(stillRefusedOf(validLink, hashes))
  const payload = mapper.updateFromContact(desired, contact, previously, undefined, stillRefused)
  return update(mapper, desired, validLink, contact.id, payload, match.via, match.duplicates, match.deadLink)
}

/** An update of a known contact, or — nothing differing — only a link (or new hashes) to record. */
function update(
  mapper: ContactMapper,
  desired: DesiredContact,
  validLink: LinkRecord | undefined,
  contactId: number,
  payload: ContactWrite | null,
  via: Match['via'],
  duplicates: number[],
  deadLink = false,
): ContactStep {
  const record = (): PendingLink => ({
    ...pendingLink(mapper, desired),
    refusedFields: stillRefusedOf(validLink, mapper.fieldHashes(desired)),
  })
  const linking = via !== 'link'
  const base = {key: desired.patientId, remoteId: contactId, via, duplicates, deadLink}
  if (!payload)
    return {
      ...base,
      action: linking ? 'link' : 'unchanged',
      write: null,
      // Nothing differs in amoCRM: the link is recorded when new, the hashes when they moved (the
      // record — keyed hashes of the written phones and e-mails — is built only then).
      record: !validLink || validLink.payloadHash !== mapper.payloadHash(desired) ? record() : null,
      fields: [],
    }
  return {
    ...base,
    action: linking ? 'link' : 'update',
    write: {method: 'update', payload},
    record: record(),
    fields: mapper.keysOfPayload(payload),
  }
}

function pendingLink(mapper: ContactMapper, desired: DesiredContact): PendingLink {
  const written = mapper.writtenValues(desired)
  return {
    patientId: desired.patientId,
    payloadHash: mapper.payloadHash(desired),
    fieldHashes: mapper.fieldHashes(desired),
    writtenPhones: written.phones,
    writtenEmails: written.emails,
    refusedFields: {},
    writtenAt: null,
  }
}

/** The refused values IDENT still holds unchanged (key → hash): they stay refused. */
function stillRefusedOf(link: LinkRecord | undefined, hashes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(link?.refusedFields ?? {}).filter(([key, hash]) => hashes[key] === hash))
}
