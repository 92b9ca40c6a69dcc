import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import pino from 'pino'

import type {ListContactsParams} from '../../src/amocrm/api.js'
import {AmoOutcomeUnknownError, AmoValidationError} from '../../src/amocrm/errors.js'
import type {Account, Contact, ContactWrite, ContactWriteResult, CustomFieldCreate, CustomFieldDef} from '../../src/amocrm/types.js'
import {createMissingFields} from '../../src/fields/index.js'
import type {Patient} from '../../src/ident/types.js'
import type {Logger} from '../../src/log/index.js'
import {SandboxValidationError} from '../../src/sandbox/problems.js'
import {ContactStore} from '../../src/sandbox/store.js'
import {createFieldsMapper, type FieldsMapper} from '../../src/sync/contacts/fields-mapper.js'
import type {ContactsApi} from '../../src/sync/contacts/kind.js'
import {SyncState} from '../../src/sync/state.js'
import {patient} from '../fields/fixtures.js'

const PAGE = 250

/** What a fake create does instead of answering normally. */
export type CreateFault = 'unknown' | 'apply-then-unknown' | 'apply-twice-then-unknown' | 'unknown-applied-later'

/**
 * amoCRM in memory: the sandbox's contact store (its validation, its fuzzy search, its read form)
 * behind the `AmoApi` the sync uses — no HTTP server. It counts what it was asked.
 */
export class FakeAmo implements ContactsApi {
  readonly store: ContactStore
  /** Unix seconds on the store's clock. */
  nowS = 1_780_000_000
  readonly calls: Array<{method: 'create' | 'update' | 'list' | 'get'; size?: number; query?: string}> = []
  readonly createFaults: CreateFault[] = []
  /** Creates answered `unknown-applied-later`: each applies its batch when called (a write amoCRM applies late). */
  readonly lateApplies: Array<() => void> = []
  /** Awaited by every write after it is counted and before it is applied: a test decides when each answers. */
  hold: ((call: {method: 'create' | 'update'; index: number}) => Promise<void>) | undefined
  readonly stats = {requests: 0, retries: 0, throttled: 0}

  constructor() {
    this.store = new ContactStore(
      {
        id: 1,
        name: 'fake',
        subdomain: 'fake',
        timezone: 'Europe/Moscow',
        currentUserId: 10,
        managerUserId: 11,
        users: [
          {id: 10, name: 'API'},
          {id: 11, name: 'Manager'},
        ],
      },
      () => this.nowS,
      true,
    )
  }

  async getAccount(): Promise<Account> {
    this.stats.requests++
    return {id: 1, name: 'fake', subdomain: 'fake', _embedded: {datetime_settings: {timezone: 'Europe/Moscow'}}}
  }

  /** The concurrent listing's contract (every contact once, by id) over the one-page-at-a-time one. */
  async *listEveryContact(_options?: {expected?: number}): AsyncGenerator<Contact[]> {
    let page = 0
    for await (const contacts of this.listContacts({order: {field: 'id', direction: 'asc'}, limit: this.listPageSize})) {
      await this.listHold?.(page++)
      yield contacts
    }
  }

  /** The page size of `listEveryContact` (amoCRM's is 250): small pages make a listing of several. */
  listPageSize = 250
  /** Awaited before `listEveryContact` hands over its page `n` (from 0): a test decides when it comes. */
  listHold: ((n: number) => Promise<void>) | undefined

  async *listContacts(params: ListContactsParams = {}): AsyncGenerator<Contact[]> {
    const found = this.store.queryContacts({
      query: params.query,
      ids: params.ids,
      updatedAt: params.updatedFrom === undefined ? undefined : {from: params.updatedFrom},
      order: params.order,
    })
    const size = params.limit ?? PAGE
    for (let i = 0; i === 0 || i < found.length; i += size) {
      this.stats.requests++
      this.calls.push({method: 'list', query: params.query})
      const page = found.slice(i, i + size)
      if (page.length === 0) return
      yield page.map((c) => this.store.renderContact(c, this.store.baseUrl))
    }
  }

  async getContact(id: number): Promise<Contact | null> {
    this.stats.requests++
    this.calls.push({method: 'get'})
    return this.store.getContact(id) ?? null
  }

  async createContacts(items: ContactWrite[]): Promise<ContactWriteResult[]> {
    this.stats.requests++
    this.calls.push({method: 'create', size: items.length})
    const fault = this.createFaults.shift()
    await this.hold?.({method: 'create', index: this.writes().length - 1})
    if (fault === 'unknown') throw new AmoOutcomeUnknownError('the gateway timed out')
    if (fault === 'unknown-applied-later') {
      this.lateApplies.push(() => void this.write(() => this.store.addContacts(items, 'api')))
      throw new AmoOutcomeUnknownError('the gateway timed out')
    }
    const results = this.write(() => this.store.addContacts(items, 'api'))
    if (fault === 'apply-twice-then-unknown') this.write(() => this.store.addContacts(items, 'api'))
    if (fault) throw new AmoOutcomeUnknownError('the connection dropped after sending')
    return results
  }

  async updateContacts(items: ContactWrite[]): Promise<ContactWriteResult[]> {
    this.stats.requests++
    this.calls.push({method: 'update', size: items.length})
    await this.hold?.({method: 'update', index: this.writes().length - 1})
    return this.write(() => this.store.patchContacts(items, 'api'))
  }

  async listCustomFields(): Promise<CustomFieldDef[]> {
    return this.store.listFields()
  }

  async createCustomFields(defs: CustomFieldCreate[]): Promise<CustomFieldDef[]> {
    return this.store.createFields(defs)
  }

  /** Write requests made (creates and updates). */
  writes(method?: 'create' | 'update'): Array<{size?: number}> {
    return this.calls.filter((c) => (method ? c.method === method : c.method === 'create' || c.method === 'update'))
  }

  /** Live contacts carrying a patient id in "ID пациента IDENT". */
  contactsOf(mapper: FieldsMapper, patientId: string): Contact[] {
    return this.store.listContacts().filter((c) => mapper.identId(c) === patientId)
  }

  private write(apply: () => Array<{contact: {id: number; updated_at: number}; requestId: string}>): ContactWriteResult[] {
    try {
      return apply().map((o) => ({id: o.contact.id, request_id: o.requestId, updated_at: o.contact.updated_at}))
    } catch (error) {
      if (!(error instanceof SandboxValidationError)) throw error
      throw new AmoValidationError(new Map(error.errors.map((e) => [e.request_id, e.errors])))
    }
  }
}

/** The fake account with every mapped field created, and the mapping for it. */
export async function fakeAccount(): Promise<{amo: FakeAmo; mapper: FieldsMapper}> {
  const amo = new FakeAmo()
  await createMissingFields(amo, {})
  const mapper = createFieldsMapper(
    {accountTimezone: 'Europe/Moscow', defs: amo.store.listFields(), fetchedAt: new Date(0).toISOString()},
    {fields: {}, clinicTimezone: 'Europe/Moscow', now: () => new Date('2026-06-01T09:00:00Z')},
  )
  return {amo, mapper}
}

/** A fake account with its mapping, and a real state in a temporary directory. */
export interface FakeWorld {
  amo: FakeAmo
  mapper: FieldsMapper
  state: SyncState
  close(): Promise<void>
}

export async function fakeWorld(): Promise<FakeWorld> {
  const {amo, mapper} = await fakeAccount()
  const {state, close} = await tempState()
  return {amo, mapper, state, close}
}

/** A fresh fake world for each test of the calling `describe`, closed after it. */
export function eachFakeWorld(): FakeWorld {
  const world = {} as FakeWorld
  beforeEach(async () => Object.assign(world, await fakeWorld()))
  afterEach(async () => world.close())
  return world
}

/** The fields tests' patient under this id, born after 1970 (amoCRM takes the date), with a phone of its own. */
export function newPatient(id: number, overrides: Partial<Patient> = {}): Patient {
  return patient({id: String(id), birthday: '1985-03-04', mobilePhone: `8925${String(id).padStart(7, '0')}`, ...overrides})
}

/** A real state (SQLite) in a fresh temporary directory. */
export async function tempState(): Promise<{state: SyncState; close: () => Promise<void>}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-state-'))
  const state = await SyncState.open(dir)
  return {
    state,
    close: async () => {
      await state.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

export function silentLogger(): Logger {
  return pino({level: 'silent'})
}
