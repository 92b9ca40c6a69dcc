import type {AmoApi} from '../../amocrm/api.js'
import type {ContactWrite} from '../../amocrm/types.js'
import type {DesiredContact} from '../../fields/index.js'
import type {Patient} from '../../ident/types.js'
import type {KindTypes, ReadFilter, SyncKind} from '../kind.js'
import type {LinkRecord, SyncState} from '../state.js'
import type {WriteTarget} from '../writer.js'
import {ContactIndex, indexKeys} from './contact-index.js'
import type {ContactMapper} from './mapper.js'
import {ContactMatcher, type FamilyPhones, type Match} from './matcher.js'
import {type PendingLink, planContact} from './planner.js'

/** The part of the amoCRM client the contact sync uses. */
export type ContactsApi = Pick<
  AmoApi,
  'getAccount' | 'listCustomFields' | 'listContacts' | 'listEveryContact' | 'getContact' | 'createContacts' | 'updateContacts' | 'stats'
>

/** The part of the IDENT reader the contact sync uses. */
export interface PatientSource {
  readPatients(filter: ReadFilter): AsyncIterable<Patient>
  readDatabaseClock(): Promise<string>
}

export interface ContactTypes extends KindTypes {
  item: Patient
  desired: DesiredContact
  link: LinkRecord
  found: Match
  payload: ContactWrite
  record: PendingLink
}

export interface ContactKindDeps {
  source: PatientSource
  /** amoCRM, created on first use. */
  api: () => Promise<ContactsApi>
  state: SyncState
  /** The mapping for this account (`fresh`: the account's fields read again, not the cached ones). */
  mapper: (fresh: boolean) => Promise<ContactMapper>
}

/** IDENT patients → amoCRM contacts: the first entity kind of the sync. */
export function contactKind(deps: ContactKindDeps): SyncKind<ContactTypes> {
  const {source, state} = deps
  return {
    keyName: 'patientId',
    sourceNoun: 'patient',
    read: (filter) => source.readPatients(filter),
    keyOf: (patient) => patient.id,
    links: (keys) => state.getLinks(keys),
    linkTargets: () => state.linkTargets(),
    failedKeys: async () => (await state.pendingFailures()).map((f) => f.patientId),
    forgetFailures: (keys) => state.clearFailures(keys),
    async prepare(fresh) {
      // `sync full` / `sync deep` (fresh) read every contact next: the listing's first page is asked
      // for now, beside the account and its fields, instead of one answer after them.
      const startListing = async () => {
        const targets = await state.linkTargets()
        // As many contacts as links is the usual guess: few pages are then asked for past the end.
        return {targets, pages: asked((await deps.api()).listEveryContact({expected: targets.size}))}
      }
      let listing = fresh ? startListing() : undefined
      listing?.catch(() => undefined)
      const mapper = await deps.mapper(fresh)
      const matcher = new ContactMatcher(mapper, {api: deps.api, state})
      let index: ContactIndex | undefined
      /** The index while its pages come in. */
      let filling: ContactIndex | undefined
      return {
        desired: (patient) => mapper.desired(patient),
        warnings: (desired) => mapper.warnings(desired),
        async readIndex(progress) {
          const {targets, pages} = await (listing ?? startListing())
          listing = undefined
          const read = new ContactIndex(indexKeys(mapper))
          index = filling = read
          try {
            await read.fill(pages, (n) => progress('index', n))
          } finally {
            filling = undefined
          }
          matcher.claimLinked(targets, read)
          const family = read.hasPhoneCandidates ? await familyPhones(source, mapper, () => progress('family')) : () => 1
          return (patient, desired, link) => matcher.inIndex(patient, mapper.phones(desired), link, read, family)
        },
        matchEarly(patient, link) {
          if (!filling) return 'end'
          const found = matcher.early(patient.id, link, filling)
          return typeof found === 'string' ? found : {found}
        },
        earlyDuplicates: () =>
          index ? matcher.earlyDuplicates(index).map(({patientId, contactIds}) => ({key: patientId, remoteIds: contactIds})) : [],
        releaseIndex: () => index?.close(),
        lookUp: (patient, desired, link) => matcher.lookUp(patient, mapper.phones(desired), link),
        plan: ({desired, link, found, compareWithAmo}) => planContact(mapper, {desired, link, match: found, compareWithAmo}),
        target: contactTarget({api: deps.api, state, mapper}),
      }
    },
  }
}

/** `POST`/`PATCH /api/v4/contacts` and the links table. */
export function contactTarget(deps: {
  api: () => Promise<ContactsApi>
  state: SyncState
  mapper: ContactMapper
}): WriteTarget<ContactWrite, PendingLink> {
  const {api, state, mapper} = deps
  return {
    noun: 'contact',
    create: async (items) => (await api()).createContacts(items),
    update: async (items) => (await api()).updateContacts(items),
    async *touchedSince(unixSeconds) {
      const pages = (await api()).listContacts({updatedFrom: unixSeconds, order: {field: 'id', direction: 'asc'}, limit: 250})
      for await (const page of pages) yield page.map((c) => ({id: c.id, created_at: c.created_at, key: mapper.identId(c)}))
    },
    keyOfField: (fieldId) => mapper.keyOfField(fieldId),
    recordWritten: (confirmed, now) =>
      state.recordWritten(
        confirmed.map((c) => ({...c.record, contactId: c.remoteId})),
        now,
      ),
    recordFailures: (failures, now) =>
      state.recordFailures(
        failures.map((f) => ({patientId: f.key, reason: f.reason, detail: f.detail})),
        now,
      ),
    forgetLink: (key) => state.removeLink(key),
  }
}

/** Reads IDENT's phones once (only when some contact could be claimed by phone) to find families. */
async function familyPhones(source: PatientSource, mapper: ContactMapper, onThousand: () => void): Promise<FamilyPhones> {
  const counts = new Map<string, number>()
  let n = 0
  for await (const patient of source.readPatients({})) {
    for (const phone of new Set(mapper.phones(mapper.desired(patient)))) counts.set(phone, (counts.get(phone) ?? 0) + 1)
    if (++n % 1000 === 0) onThousand()
  }
  return (phone) => counts.get(phone) ?? 0
}

/**
 * The pages, with the first one asked for now rather than when the caller starts reading: its answer
 * is on its way while the caller prepares. A failure of it reaches the caller when it reads.
 */
function asked<T>(pages: AsyncGenerator<T>): AsyncGenerator<T> {
  const first = pages.next()
  first.catch(() => undefined)
  return (async function* () {
    const answer = await first
    if (answer.done) return
    yield answer.value
    yield* pages
  })()
}
