import {createHmac, randomBytes} from 'node:crypto'
import {closeSync, openSync} from 'node:fs'
import path from 'node:path'

import knexFactory, {type Knex} from 'knex'

import {AppError} from '../errors.js'
import {ensurePrivateDir, localStorageError, narrowFileMode, PRIVATE_FILE_MODE, readOrCreatePrivateFile} from '../local-files.js'

/**
 * The local state (docs/sync.md "State"): SQLite in the data dir, never in the clinic's database.
 * It is advanced only after what it describes has been written to amoCRM.
 */
export interface LinkRecord {
  patientId: string
  contactId: number
  /** Hash of everything last written for the patient (all mapped fields). */
  payloadHash: string | null
  /** key → hash of the value last written (lets an incremental send only what changed). */
  fieldHashes: Record<string, string>
  /**
   * The phones (E.164) / e-mails this tool wrote, so that one IDENT dropped can be removed without
   * touching the CRM users' own — kept as keyed hashes (`SyncState.writtenValueKey`), never in clear.
   */
  writtenPhones: string[]
  writtenEmails: string[]
  /** key → hash of a value amoCRM refused (e.g. a birthday before 1970): not sent again while IDENT keeps it. */
  refusedFields: Record<string, string>
  writtenAt: string | null
}

export type RunMode = 'full' | 'incremental' | 'deep' | 'patient'
export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'interrupted'

export interface RunRecord {
  id: number
  mode: RunMode
  dryRun: boolean
  startedAt: string
  finishedAt: string | null
  status: RunStatus
  counts: Record<string, number> | null
  api: Record<string, number> | null
  watermark: string | null
  error: string | null
}

export interface FailureRecord {
  patientId: string
  reason: string
  detail: string
  attempts: number
  firstFailedAt: string
  lastFailedAt: string
}

/** A failures table: the key of what to retry, why, and how often it failed. */
function failureColumns(t: Knex.CreateTableBuilder, key: string): void {
  t.string(key).primary()
  t.string('reason').notNullable()
  t.text('detail').notNullable()
  t.integer('attempts').notNullable().defaultTo(1)
  t.string('first_failed_at').notNullable()
  t.string('last_failed_at').notNullable()
}

/**
 * Records failures to retry in `table` (keyed by `key`), in one transaction: a new one with one
 * attempt, a known one with one attempt more.
 */
export async function upsertFailures(
  knex: Knex,
  where: {table: string; key: string},
  failures: ReadonlyArray<{key: string; reason: string; detail: string}>,
  now: Date,
): Promise<void> {
  if (failures.length === 0) return
  const at = now.toISOString()
  await knex.transaction(async (trx) => {
    for (const f of failures)
      await trx(where.table)
        .insert({[where.key]: f.key, reason: f.reason, detail: f.detail, attempts: 1, first_failed_at: at, last_failed_at: at})
        .onConflict(where.key)
        .merge({reason: f.reason, detail: f.detail, last_failed_at: at, attempts: trx.raw(`${where.table}.attempts + 1`)})
  })
}

/** A failures table's rows, latest first: the key (`where.key`'s value), why, and how often it failed. */
export async function readFailures(
  knex: Knex,
  where: {table: string; key: string},
): Promise<Array<{key: string; reason: string; detail: string; attempts: number; firstFailedAt: string; lastFailedAt: string}>> {
  const rows = await knex(where.table).select().orderBy('last_failed_at', 'desc')
  return rows.map((r: Record<string, unknown>) => ({
    key: String(r[where.key]),
    reason: String(r.reason),
    detail: String(r.detail),
    attempts: Number(r.attempts),
    firstFailedAt: String(r.first_failed_at),
    lastFailedAt: String(r.last_failed_at),
  }))
}

const MIGRATIONS: Record<string, {up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void>}> = {
  '001_initial': {
    async up(knex) {
      await knex.schema.createTable('links', (t) => {
        t.string('patient_id').primary()
        t.integer('contact_id').notNullable().index()
        t.string('payload_hash')
        t.text('field_hashes').notNullable().defaultTo('{}')
        t.text('written_phones').notNullable().defaultTo('[]')
        t.text('written_emails').notNullable().defaultTo('[]')
        t.string('linked_at').notNullable()
        t.string('written_at')
      })
      await knex.schema.createTable('meta', (t) => {
        t.string('key').primary()
        t.text('value')
      })
      await knex.schema.createTable('runs', (t) => {
        t.increments('id')
        t.string('mode').notNullable()
        t.boolean('dry_run').notNullable().defaultTo(false)
        t.string('started_at').notNullable()
        t.string('finished_at')
        t.string('status').notNullable()
        t.text('counts')
        t.text('api')
        t.string('watermark')
        t.text('error')
      })
      await knex.schema.createTable('failures', (t) => failureColumns(t, 'patient_id'))
    },
    async down(knex) {
      for (const table of ['failures', 'runs', 'meta', 'links']) await knex.schema.dropTableIfExists(table)
    },
  },
}

MIGRATIONS['002_refused_fields'] = {
  async up(knex) {
    await knex.schema.alterTable('links', (t) => {
      t.text('refused_fields').notNullable().defaultTo('{}')
    })
  },
  async down(knex) {
    await knex.schema.alterTable('links', (t) => {
      t.dropColumn('refused_fields')
    })
  },
}

/** Deals (docs/sync.md "Deals"): a link per reception — its deal, hashes, the last stage key written — and its failures. */
MIGRATIONS['004_deals'] = {
  async up(knex) {
    await knex.schema.createTable('deal_links', (t) => {
      t.string('reception_id').primary()
      t.string('patient_id').notNullable().index()
      t.integer('deal_id').notNullable().index()
      t.string('payload_hash')
      t.text('field_hashes').notNullable().defaultTo('{}')
      t.text('refused_fields').notNullable().defaultTo('{}')
      t.string('stage_key')
      t.string('linked_at').notNullable()
      t.string('written_at')
    })
    await knex.schema.createTable('deal_failures', (t) => failureColumns(t, 'reception_id'))
  },
  async down(knex) {
    for (const table of ['deal_failures', 'deal_links']) await knex.schema.dropTableIfExists(table)
  },
}

/** The written phones and e-mails of links made before they were hashed: converted in place. */
function hashWrittenValues(writtenKey: WrittenValueKey): (typeof MIGRATIONS)[string] {
  return {
    async up(knex) {
      const rows = await knex<LinkRow>('links').select('patient_id', 'written_phones', 'written_emails')
      for (const row of rows) {
        const phones = hashedAll('phone', JSON.parse(row.written_phones) as string[], writtenKey)
        const emails = hashedAll('email', JSON.parse(row.written_emails) as string[], writtenKey)
        await knex('links')
          .where({patient_id: row.patient_id})
          .update({written_phones: JSON.stringify(phones), written_emails: JSON.stringify(emails)})
      }
    },
    async down() {
      throw new Error('hashed phones and e-mails cannot be turned back into the values')
    },
  }
}

function migrationSource(writtenKey: WrittenValueKey): Knex.MigrationSource<string> {
  const all: typeof MIGRATIONS = {...MIGRATIONS, '003_hash_written_values': hashWrittenValues(writtenKey)}
  return {
    getMigrations: async () => Object.keys(all).sort(),
    getMigrationName: (name) => name,
    getMigration: async (name) => all[name]!,
  }
}

/** How a written phone or e-mail is kept: a keyed hash of its normalised form (see `SyncState.writtenValueKey`). */
export type WrittenValueKey = (kind: 'phone' | 'email', normalized: string) => string

const WRITTEN_KEY = /^[0-9a-f]{64}$/

/** Values already hashed stay; anything else (a value in clear) is hashed. */
function hashedAll(kind: 'phone' | 'email', values: string[], writtenKey: WrittenValueKey): string[] {
  return values.map((v) => (WRITTEN_KEY.test(v) ? v : writtenKey(kind, v)))
}

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, 'state.sqlite')
}

/**
 * The install's key for the hashes of written phones and e-mails, beside the state (0600). Without it
 * those hashes match nothing: a number this tool wrote that IDENT later drops would then be kept.
 */
export function stateKeyPath(dataDir: string): string {
  return path.join(dataDir, 'state.key')
}

function readOrCreateStateKey(dataDir: string): Buffer {
  const file = stateKeyPath(dataDir)
  const text = readOrCreatePrivateFile(file, () => `${randomBytes(32).toString('hex')}\n`).trim()
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new AppError(`the state key ${file} is damaged`, {
      code: 'E_STATE',
      hint: `remove it (a new one is made; numbers this tool wrote before are then kept in amoCRM even when IDENT drops them) or restore it from a backup`,
    })
  return Buffer.from(text, 'hex')
}

/**
 * The state file and its WAL/shared-memory companions for the user alone: SQLite creates the
 * companions with the mode of the database file, so that one is made 0600 before SQLite opens it.
 */
function prepareStateFiles(dataDir: string): void {
  ensurePrivateDir(dataDir)
  const file = stateFilePath(dataDir)
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE))
  for (const companion of [file, `${file}-wal`, `${file}-shm`, stateKeyPath(dataDir)]) narrowFileMode(companion)
}

interface LinkRow {
  patient_id: string
  contact_id: number
  payload_hash: string | null
  field_hashes: string
  written_phones: string
  written_emails: string
  refused_fields: string
  written_at: string | null
}

export class SyncState {
  /**
   * The keyed hash (HMAC-SHA-256, hex) under which a written phone or e-mail is kept: it matches the
   * contact's values as well as the value itself would, and says nothing without the install's key.
   */
  readonly writtenValueKey: WrittenValueKey

  private constructor(
    readonly knex: Knex,
    key: Buffer,
  ) {
    this.writtenValueKey = (kind, normalized) => createHmac('sha256', key).update(`${kind}:${normalized}`).digest('hex')
  }

  static async open(dataDir: string): Promise<SyncState> {
    const file = stateFilePath(dataDir)
    const storageError = (error: unknown) => localStorageError(error, {where: file, what: 'the local state'})
    let key: Buffer
    try {
      prepareStateFiles(dataDir)
      key = readOrCreateStateKey(dataDir)
    } catch (error) {
      throw localStorageError(error, {what: 'the local state'}) ?? error
    }
    const knex = knexFactory({client: 'better-sqlite3', connection: {filename: file}, useNullAsDefault: true})
    const state = new SyncState(knex, key)
    try {
      await knex.raw('PRAGMA journal_mode = WAL')
      await knex.raw('PRAGMA synchronous = FULL')
      await knex.raw('PRAGMA busy_timeout = 5000')
      // Deleted and rewritten rows are zeroed, not left readable in free pages (phones converted to hashes included).
      await knex.raw('PRAGMA secure_delete = ON')
      const [, applied] = (await knex.migrate.latest({
        migrationSource: migrationSource(state.writtenValueKey),
        tableName: 'knex_migrations',
      })) as [number, string[]]
      // The values in clear lived in the WAL too until it is checkpointed and emptied.
      if (applied.includes('003_hash_written_values')) await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)')
    } catch (error) {
      await knex.destroy()
      throw (
        storageError(error) ??
        new AppError(`cannot open the local state ${file}: ${(error as Error).message}`, {
          hint: 'check that the data directory is writable (IDENT_AMO_DATA_DIR)',
          code: 'E_STATE',
        })
      )
    }
    return withStorageErrors(state, storageError)
  }

  async close(): Promise<void> {
    await this.knex.destroy()
  }

  // --- links ---------------------------------------------------------------------------------------

  async getLink(patientId: string): Promise<LinkRecord | undefined> {
    const row = await this.knex<LinkRow>('links').where({patient_id: patientId}).first()
    return row ? toLink(row) : undefined
  }

  async getLinks(patientIds: string[]): Promise<Map<string, LinkRecord>> {
    const out = new Map<string, LinkRecord>()
    for (let i = 0; i < patientIds.length; i += 500) {
      const rows = await this.knex<LinkRow>('links').whereIn('patient_id', patientIds.slice(i, i + 500))
      for (const row of rows) out.set(row.patient_id, toLink(row))
    }
    return out
  }

  /** Patient id → linked contact id, for every link (what full/deep keep for a whole run). */
  async linkTargets(): Promise<Map<string, number>> {
    const rows = await this.knex<LinkRow>('links').select('patient_id', 'contact_id')
    return new Map(rows.map((r) => [r.patient_id, Number(r.contact_id)]))
  }

  async countLinks(): Promise<number> {
    const row = (await this.knex('links').count({n: '*'}).first()) as {n: number} | undefined
    return Number(row?.n ?? 0)
  }

  /** Patients whose link holds this phone (for the family rule in incremental runs). */
  async patientsWithPhone(e164: string): Promise<string[]> {
    const rows = await this.knex<LinkRow>('links')
      .select('patient_id')
      .where('written_phones', 'like', `%"${this.writtenValueKey('phone', e164)}"%`)
    return rows.map((r) => r.patient_id)
  }

  /**
   * Records what was written for a batch, in one transaction: links, hashes, written phones/emails,
   * and clears the patients' failures. Called only after amoCRM confirmed the write.
   */
  async recordWritten(records: LinkRecord[], now = new Date()): Promise<void> {
    if (records.length === 0) return
    const at = now.toISOString()
    await this.knex.transaction(async (trx) => {
      for (let i = 0; i < records.length; i += 200) {
        const chunk = records.slice(i, i + 200)
        await trx('links')
          .insert(
            chunk.map((r) => ({
              patient_id: r.patientId,
              contact_id: r.contactId,
              payload_hash: r.payloadHash,
              field_hashes: JSON.stringify(r.fieldHashes),
              written_phones: JSON.stringify(hashedAll('phone', r.writtenPhones, this.writtenValueKey)),
              written_emails: JSON.stringify(hashedAll('email', r.writtenEmails, this.writtenValueKey)),
              refused_fields: JSON.stringify(r.refusedFields),
              linked_at: at,
              written_at: r.writtenAt ?? at,
            })),
          )
          .onConflict('patient_id')
          .merge(['contact_id', 'payload_hash', 'field_hashes', 'written_phones', 'written_emails', 'refused_fields', 'written_at'])
        await trx('failures')
          .whereIn(
            'patient_id',
            chunk.map((r) => r.patientId),
          )
          .delete()
      }
    })
  }

  async removeLink(patientId: string): Promise<void> {
    await this.knex('links').where({patient_id: patientId}).delete()
  }

  // --- failures ------------------------------------------------------------------------------------

  async recordFailures(failures: Array<{patientId: string; reason: string; detail: string}>, now = new Date()): Promise<void> {
    await upsertFailures(
      this.knex,
      {table: 'failures', key: 'patient_id'},
      failures.map((f) => ({key: f.patientId, reason: f.reason, detail: f.detail})),
      now,
    )
  }

  async clearFailures(patientIds: string[]): Promise<void> {
    for (let i = 0; i < patientIds.length; i += 500)
      await this.knex('failures')
        .whereIn('patient_id', patientIds.slice(i, i + 500))
        .delete()
  }

  async countFailures(): Promise<number> {
    const row = (await this.knex('failures').count({n: '*'}).first()) as {n: number} | undefined
    return Number(row?.n ?? 0)
  }

  async pendingFailures(): Promise<FailureRecord[]> {
    return (await readFailures(this.knex, {table: 'failures', key: 'patient_id'})).map(({key, ...f}) => ({patientId: key, ...f}))
  }

  // --- meta: watermark, caches ---------------------------------------------------------------------

  async getMeta(key: string): Promise<string | undefined> {
    const row = await this.knex('meta').where({key}).first()
    return row?.value ?? undefined
  }

  async setMeta(key: string, value: string | null): Promise<void> {
    if (value === null) await this.knex('meta').where({key}).delete()
    else await this.knex('meta').insert({key, value}).onConflict('key').merge()
  }

  async getJsonMeta<T>(key: string): Promise<T | undefined> {
    const raw = await this.getMeta(key)
    return raw === undefined ? undefined : (JSON.parse(raw) as T)
  }

  async setJsonMeta(key: string, value: unknown): Promise<void> {
    await this.setMeta(key, JSON.stringify(value))
  }

  /** The incremental watermark: naive local clinic time from the database's clock. */
  async getWatermark(): Promise<string | undefined> {
    return this.getMeta('watermark')
  }

  async setWatermark(watermark: string): Promise<void> {
    await this.setMeta('watermark', watermark)
  }

  // --- runs ----------------------------------------------------------------------------------------

  async startRun(mode: RunMode, dryRun: boolean, startedAt: Date): Promise<number> {
    // A run left "running" belonged to a process that died (kill -9, power loss): say so.
    await this.knex('runs').where({status: 'running'}).update({status: 'interrupted'})
    const [id] = await this.knex('runs').insert({mode, dry_run: dryRun ? 1 : 0, started_at: startedAt.toISOString(), status: 'running'})
    return Number(id)
  }

  async finishRun(
    id: number,
    result: {status: RunStatus; finishedAt: Date; counts: object; api: object; watermark: string | null; error?: string | null},
  ): Promise<void> {
    await this.knex('runs')
      .where({id})
      .update({
        status: result.status,
        finished_at: result.finishedAt.toISOString(),
        counts: JSON.stringify(result.counts),
        api: JSON.stringify(result.api),
        watermark: result.watermark,
        error: result.error ?? null,
      })
  }

  /** When the newest pass over the clinic (full, incremental or deep) ran to its end, `ok` or `partial`. */
  async lastPassFinishedAt(): Promise<string | undefined> {
    const row = await this.knex('runs')
      .whereIn('mode', ['full', 'incremental', 'deep'])
      .whereIn('status', ['ok', 'partial'])
      .orderBy('id', 'desc')
      .first('finished_at')
    return (row?.finished_at as string | null | undefined) ?? undefined
  }

  async recentRuns(limit = 10): Promise<RunRecord[]> {
    const rows = await this.knex('runs').select().orderBy('id', 'desc').limit(limit)
    return rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      mode: r.mode as RunMode,
      dryRun: Boolean(r.dry_run),
      startedAt: String(r.started_at),
      finishedAt: (r.finished_at as string | null) ?? null,
      status: r.status as RunStatus,
      counts: r.counts ? JSON.parse(String(r.counts)) : null,
      api: r.api ? JSON.parse(String(r.api)) : null,
      watermark: (r.watermark as string | null) ?? null,
      error: (r.error as string | null) ?? null,
    }))
  }
}

function toLink(row: LinkRow): LinkRecord {
  return {
    patientId: row.patient_id,
    contactId: Number(row.contact_id),
    payloadHash: row.payload_hash,
    fieldHashes: JSON.parse(row.field_hashes) as Record<string, string>,
    writtenPhones: JSON.parse(row.written_phones) as string[],
    writtenEmails: JSON.parse(row.written_emails) as string[],
    refusedFields: JSON.parse(row.refused_fields ?? '{}') as Record<string, string>,
    writtenAt: row.written_at,
  }
}

/**
 * The state whose every method turns a full disk, a read-only file system or a damaged file into an
 * error that says so (SQLite's own words are "database or disk is full", and which disk is unsaid).
 */
function withStorageErrors(state: SyncState, translate: (error: unknown) => AppError | undefined): SyncState {
  return new Proxy(state, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      // the class's methods only: `knex` and `writtenValueKey` are handed out as they are
      if (typeof value !== 'function' || property === 'constructor' || !Object.hasOwn(SyncState.prototype, property)) return value
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args)
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw translate(error) ?? error
            })
          : result
      }
    },
  })
}
