import type {AmoApi} from '../../amocrm/api.js'
import type {ContactCustomFieldWrite, ContactWrite, CustomFieldDef} from '../../amocrm/types.js'
import type {FieldSetting} from '../../config/index.js'
import {AppError} from '../../errors.js'
import {
  buildCreate,
  buildUpdate,
  contactIdentId,
  contactPhones,
  type DesiredContact,
  type DesiredField,
  FIELD_KEYS,
  type FieldKey,
  mapPatient,
  namesMatch,
  resolveFields,
  type ResolvedFields,
  type WrittenKey,
  writtenMultiValues,
} from '../../fields/index.js'
import type {SyncState} from '../state.js'
import type {ContactMapper} from './mapper.js'

/** The name parts are hashed as one pseudo-field. */
const NAME_KEY = '_name'

/** What the mapping needs from the account; cached in the state so that an idle incremental sends nothing. */
export interface AccountMappingContext {
  accountTimezone: string
  defs: CustomFieldDef[]
  fetchedAt: string
}

const CONTEXT_META = 'account_mapping_context'

/**
 * The account's field definitions and timezone: fetched (2 requests) for full/deep runs and whenever
 * nothing is cached; otherwise taken from the state.
 */
export async function loadMappingContext(
  api: () => Promise<Pick<AmoApi, 'getAccount' | 'listCustomFields'>>,
  state: SyncState | undefined,
  fresh: boolean,
  options: {cache?: boolean} = {},
): Promise<AccountMappingContext> {
  if (!fresh && state) {
    const cached = await cachedMappingContext(state)
    if (cached) return cached
  }
  const client = await api()
  // Two independent reads: at a second per answer, asking both at once saves one answer's wait.
  const [account, defs] = await Promise.all([client.getAccount(), client.listCustomFields()])
  const context = {
    accountTimezone: account._embedded?.datetime_settings?.timezone ?? systemTimezone(),
    defs,
    fetchedAt: new Date().toISOString(),
  }
  if (options.cache !== false) await state?.setJsonMeta(CONTEXT_META, context)
  return context
}

/** What the last run that read the account cached, if any. */
export function cachedMappingContext(state: SyncState): Promise<AccountMappingContext | undefined> {
  return state.getJsonMeta<AccountMappingContext>(CONTEXT_META)
}

export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/** The contact mapping plus what `patient test` shows with it (the resolved fields, the account's timezone). */
export type FieldsMapper = ContactMapper & {resolved: ResolvedFields; accountTimezone: string}

/**
 * The field mapping for one account, in the contact sync's terms. Refuses to start when an enabled
 * field cannot be written: a missing field or option is a `fields check` error, not a silent skip.
 */
export function createFieldsMapper(
  context: AccountMappingContext,
  options: {
    fields: Record<string, FieldSetting>
    clinicTimezone?: string
    now?: () => Date
    /** How the state keeps written phones and e-mails (`SyncState.writtenValueKey`): never in clear. */
    writtenKey?: WrittenKey
  },
): FieldsMapper {
  const resolution = resolveFields(context.defs, options.fields)
  if (!resolution.ok) {
    const bad = resolution.fields.filter((f) => f.enabled && !f.ok)
    throw new AppError(
      `${bad.length} mapped field(s) cannot be written in this amoCRM account: ${bad.map((f) => `${f.key} (${f.message})`).join('; ')}`,
      {
        hint: 'run `ident-amo fields check` to see the fix for each (`fields check --fix` saves ids found by name, `fields create` creates what is missing)',
        code: 'E_FIELDS',
      },
    )
  }
  const resolved = resolution.resolved
  const accountTimezone = context.accountTimezone
  const clinicTimezone = options.clinicTimezone ?? accountTimezone
  const keyById = new Map<number, FieldKey>()
  for (const [key, field] of Object.entries(resolved)) if (field) keyById.set(field.id, key as FieldKey)
  // Ages are counted on the day the run started (one moment for every patient of the run).
  const runStartedAt = (options.now ?? (() => new Date()))()

  // Hashes are asked for several times per patient (plan, record, compare): computed once each.
  const fieldHashCache = new WeakMap<DesiredContact, Record<string, string>>()
  const payloadHashCache = new WeakMap<DesiredContact, string>()
  const fieldHashes = (desired: DesiredContact): Record<string, string> => {
    const cached = fieldHashCache.get(desired)
    if (cached) return cached
    const out: Record<string, string> = {[NAME_KEY]: shortHash([desired.name, desired.first_name, desired.last_name])}
    for (const field of desired.fields) {
      const known = scalarHashes.get(field)
      if (known !== undefined) {
        out[field.key] = known
        continue
      }
      const values =
        field.values === null ? null : field.kind === 'multitext' ? [...field.values].map((v) => JSON.stringify(v)).sort() : field.values
      out[field.key] = scalarHashes.set(field, shortHash({id: field.fieldId, values}))
    }
    fieldHashCache.set(desired, out)
    return out
  }
  const scalarHashes = new ScalarHashes()

  return {
    resolved,
    accountTimezone,
    desired: (patient) => mapPatient(patient, resolved, {accountTimezone, clinicTimezone, now: runStartedAt}),
    phones: (d) => {
      const phone = d.fields.find((f) => f.key === 'phone')
      return phone?.values ? phone.values.map((v) => String(v.value)) : []
    },
    fieldHashes,
    payloadHash: (d) => {
      let hash = payloadHashCache.get(d)
      if (hash === undefined) {
        // Built from the per-field hashes (already computed): as sensitive to any change, much cheaper.
        const fields = fieldHashes(d)
        payloadHashCache.set(d, (hash = payloadHashOf(fields)))
      }
      return hash
    },
    changedKeys: (d, written) => {
      const hashes = fieldHashes(d)
      const changed: string[] = []
      for (const key of Object.keys(hashes)) if (written[key] !== hashes[key]) changed.push(key)
      return changed
    },
    needsContact: (key) => key === 'phone' || key === 'email',
    createPayload: (d) => buildCreate(d),
    updateFromContact: (d, contact, previously, onlyKeys, skipKeys = []) => {
      const update = buildUpdate(d, contact, resolved, {
        accountTimezone,
        previous: {phone: previously.phones, email: previously.emails},
        writtenKey: options.writtenKey,
      })
      if (!update || (!onlyKeys && skipKeys.length === 0)) return update
      const keys = new Set(onlyKeys ?? [NAME_KEY, ...Object.keys(resolved)])
      for (const key of skipKeys) keys.delete(key)
      return restrictTo(update, keys, keyById)
    },
    updateWithoutContact: (d, contactId, keys) => {
      const wanted = new Set(keys)
      const update: ContactWrite = {id: contactId}
      if (wanted.has(NAME_KEY)) Object.assign(update, {name: d.name, first_name: d.first_name, last_name: d.last_name})
      const cfs: ContactCustomFieldWrite[] = []
      for (const field of d.fields) {
        if (!wanted.has(field.key) || field.kind === 'multitext') continue
        cfs.push({field_id: field.fieldId, values: field.values === null || field.values.length === 0 ? null : field.values})
      }
      if (cfs.length > 0) update.custom_fields_values = cfs
      return Object.keys(update).length > 1 ? update : null
    },
    writtenValues: (d) => {
      const written = writtenMultiValues(d, options.writtenKey)
      return {phones: written.phone ?? [], emails: written.email ?? []}
    },
    warnings: (d) => d.warnings.map((w) => ({field: w.field, code: w.code, detail: w.detail})),
    keyOfField: (fieldId) =>
      typeof fieldId === 'number' ? keyById.get(fieldId) : fieldId === 'PHONE' ? 'phone' : fieldId === 'EMAIL' ? 'email' : undefined,
    keysOfPayload: (payload) => [
      ...(['name', 'first_name', 'last_name'] as const).filter((k) => payload[k] !== undefined),
      ...(payload.custom_fields_values ?? []).map(
        (cf) => (cf.field_id === undefined ? undefined : keyById.get(cf.field_id)) ?? String(cf.field_id ?? cf.field_code),
      ),
    ],
    identId: (contact) => contactIdentId(contact, resolved),
    contactPhones: (contact) => [...contactPhones(contact, resolved)],
    namesMatch: (patient, contact) => namesMatch(patient, contact),
  }
}

/**
 * The hashes of fields that hold one number, checkbox or option, or nothing (age, gender, status,
 * debt…): few distinct values per account field, so each is hashed once per run rather than once per
 * patient. Keyed by what makes the hashed JSON — the field id, the one property and its value — and
 * only for a plain object with that one property, so the hash is the one `shortHash` gives. Bounded.
 */
class ScalarHashes {
  /** Field id → the property (`value`, `enum_id`; `` for a cleared field) → its value → the hash. */
  private readonly byField = new Map<number, Map<string, Map<unknown, string>>>()

  get(field: DesiredField): string | undefined {
    const entry = soleScalar(field)
    return entry && this.byField.get(field.fieldId)?.get(entry.property)?.get(entry.value)
  }

  /** Keeps the hash when the field is one that `get` can find; returns it. */
  set(field: DesiredField, hash: string): string {
    const entry = soleScalar(field)
    if (!entry) return hash
    let byProperty = this.byField.get(field.fieldId)
    if (!byProperty) this.byField.set(field.fieldId, (byProperty = new Map()))
    let hashes = byProperty.get(entry.property)
    if (!hashes) byProperty.set(entry.property, (hashes = new Map()))
    if (hashes.size >= 5000) hashes.clear()
    hashes.set(entry.value, hash)
    return hash
  }
}

/**
 * A field's one number or boolean (`[{value: 42}]`, `[{enum_id: 7}]`), or its clearing (`null`).
 * Strings are left out: mostly unique texts, they would only fill the cache.
 */
function soleScalar(field: DesiredField): {property: string; value: unknown} | undefined {
  if (field.kind === 'multitext') return undefined
  if (field.values === null) return {property: '', value: null}
  if (field.values.length !== 1) return undefined
  const item = field.values[0]!
  if (Object.getPrototypeOf(item) !== Object.prototype) return undefined
  let property: string | undefined
  for (const key in item) {
    if (property !== undefined || !Object.hasOwn(item, key)) return undefined
    property = key
  }
  if (property === undefined) return undefined
  const value = (item as Record<string, unknown>)[property]
  return typeof value === 'number' || typeof value === 'boolean' ? {property, value} : undefined
}

/** Every key a field hash can have, in `sort()` order: the payload text lists the keys so. */
const SORTED_KEYS = [NAME_KEY, ...FIELD_KEYS].sort()

/**
 * The hash of the `key=hash` lines in key order, fed line by line rather than built as one text. The
 * catalogue's keys come presorted; a key outside it (not made by this mapper) sorts them all again.
 */
function payloadHashOf(fields: Record<string, string>): string {
  const catalogued = keyLinesHash(SORTED_KEYS, fields)
  return catalogued.lines === Object.keys(fields).length ? catalogued.digest : keyLinesHash(Object.keys(fields).sort(), fields).digest
}

/** cyrb53 of `key=value` lines joined by newlines, for the keys (in this order) that `fields` holds. */
function keyLinesHash(keys: readonly string[], fields: Record<string, string>): {digest: string; lines: number} {
  const hash = new Cyrb53()
  let lines = 0
  for (const key of keys) {
    const value = fields[key]
    if (value === undefined) continue
    if (lines++ > 0) hash.add('\n')
    hash.add(key).add('=').add(value)
  }
  return {digest: hash.digest(), lines}
}

function restrictTo(update: ContactWrite, keys: Set<string>, keyById: Map<number, FieldKey>): ContactWrite | null {
  const out: ContactWrite = {id: update.id}
  if (keys.has(NAME_KEY)) for (const k of ['name', 'first_name', 'last_name'] as const) if (update[k] !== undefined) out[k] = update[k]
  const cfs = (update.custom_fields_values ?? []).filter((cf) => {
    const key = cf.field_id === undefined ? undefined : keyById.get(cf.field_id)
    return key !== undefined && keys.has(key)
  })
  if (cfs.length > 0) out.custom_fields_values = cfs
  return Object.keys(out).length > 1 ? out : null
}

/**
 * A change detector, not a security boundary: cyrb53 (a 53-bit string hash) of the JSON. Twenty of
 * these per patient are computed on every run, where a crypto hash per field was the costliest step.
 */
export function shortHash(value: unknown): string {
  return new Cyrb53().add(typeof value === 'string' ? value : JSON.stringify(value)).digest()
}

/** cyrb53 fed piece by piece: the digest of the pieces is the one of their concatenation. */
class Cyrb53 {
  private h1 = 0xdeadbeef
  private h2 = 0x41c6ce57

  add(text: string): this {
    let {h1, h2} = this
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i)
      h1 = Math.imul(h1 ^ ch, 2654435761)
      h2 = Math.imul(h2 ^ ch, 1597334677)
    }
    this.h1 = h1
    this.h2 = h2
    return this
  }

  digest(): string {
    let {h1, h2} = this
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
    return base36(4294967296 * (2097151 & h2) + (h1 >>> 0))
  }
}

const BASE36_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
/** `00` … `zz`: two digits per step. */
const BASE36_PAIRS = Array.from({length: 36 * 36}, (_, i) => BASE36_DIGITS[Math.floor(i / 36)]! + BASE36_DIGITS[i % 36]!)

/**
 * `n.toString(36)` for a whole number below 2^53, to the character: V8 converts a double to radix 36
 * in its runtime at several times the cost of hashing the text. `n % 1296` and `(n - rest) / 1296` are
 * exact on such numbers.
 */
export function base36(n: number): string {
  let out = ''
  while (n >= 1296) {
    const rest = n % 1296
    out = BASE36_PAIRS[rest]! + out
    n = (n - rest) / 1296
  }
  return (n < 36 ? BASE36_DIGITS[n]! : BASE36_PAIRS[n]!) + out
}
