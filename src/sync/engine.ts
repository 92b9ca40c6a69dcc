import type {AmoApi} from '../amocrm/api.js'
import type {ContactWrite} from '../amocrm/types.js'
import {AppError, errorMessage} from '../errors.js'
import type {Patient} from '../ident/types.js'
import type {Logger} from '../log/index.js'
import {ContactIndex} from './contact-index.js'
import type {SyncMapper} from './mapper.js'
import {familyFromState, type FamilyPhones, lookUpContact, type Match, matchInIndex} from './matcher.js'
import {emptyCounts, type SyncReport} from './report.js'
import type {LinkRecord, RunMode, SyncState} from './state.js'
import {ContactBatchWriter, type WriteOp} from './writer.js'

/** The part of the IDENT reader the engine uses. */
export interface PatientSource {
  readPatients(filter: {since?: string; ids?: string[]; limit?: number}): AsyncIterable<Patient>
  readDatabaseClock(): Promise<string>
}

/** One line of a dry-run plan (and of the progress log): what would happen to a patient. */
export interface PlanEntry {
  patientId: string
  action: 'create' | 'update' | 'link' | 'unchanged' | 'duplicate'
  contactId: number | null
  via: Match['via']
  /** Field keys that would be written. */
  fields: string[]
}

export interface SyncProgress {
  phase: 'contacts' | 'family' | 'patients' | 'writing' | 'done'
  read: number
  written: number
  contacts?: number
  requests: number
}

export interface SyncOptions {
  mode: RunMode
  dryRun: boolean
  limit?: number
  batchSize: number
  /** `patient` mode: the patient ids to sync. */
  patientIds?: string[]
}

export interface SyncDeps {
  source: PatientSource
  /** amoCRM, created on first use: an incremental pass with nothing to do sends no request at all. */
  api: () => Promise<AmoApi>
  /** The mapping for this account, resolved on first use (field ids, enums, timezones). */
  mapper: (api: () => Promise<AmoApi>, fresh: boolean) => Promise<SyncMapper>
  state: SyncState
  logger: Logger
  onProgress?: (progress: SyncProgress) => void
  onPlan?: (entry: PlanEntry) => void
  /** Aborted by Ctrl+C / SIGTERM: the engine finishes the current batch, saves state and stops. */
  signal?: AbortSignal
  now?: () => Date
}

/** Stopped by the user: state is consistent, the run is recorded as interrupted. */
export class SyncInterruptedError extends AppError {
  constructor(readonly report: SyncReport) {
    super('the sync was interrupted; state is saved and the next run continues where this one stopped', {
      exitCode: 130,
      code: 'E_INTERRUPTED',
    })
  }
}

/** The run stopped on a fatal condition; `report` says what had been done. */
export class SyncAbortedError extends AppError {
  constructor(
    override readonly cause: AppError,
    readonly report: SyncReport,
  ) {
    super(cause.message, {exitCode: cause.exitCode, code: cause.code, hint: cause.hint, cause, serverText: cause.serverText})
  }
}

/** Patients whose links are read from the state with one query. */
const LINK_GROUP = 250

/** The watermark is the database's clock at the start of the pass minus this overlap (product.md §4). */
const WATERMARK_OVERLAP_MS = 5 * 60 * 1000

/**
 * One sync pass: IDENT patients → desired contacts → plan → batches → amoCRM, the state recorded
 * after each confirmed batch. See product.md §4 for the semantics of each mode.
 */
export async function runSync(options: SyncOptions, deps: SyncDeps): Promise<SyncReport> {
  const run = new SyncRun(options, deps)
  return run.execute()
}

class SyncRun {
  private readonly counts = emptyCounts()
  private readonly failures: SyncReport['failures'] = []
  private readonly duplicates: SyncReport['duplicates'] = []
  private readonly startedAt: Date
  private apiInstance: AmoApi | undefined
  private mapperInstance: SyncMapper | undefined
  private writer: ContactBatchWriter | undefined
  private readonly claimed = new Set<number>()
  /** Ops whose link turned out dead during the write: re-planned after the batch. */
  private deadOps: WriteOp[] = []
  private readonly desiredByPatient = new Map<string, {patient: Patient; desired: unknown}>()
  private written = 0
  private watermark: string | null = null

  constructor(
    private readonly options: SyncOptions,
    private readonly deps: SyncDeps,
  ) {
    this.startedAt = this.now()
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date()
  }

  private async api(): Promise<AmoApi> {
    this.apiInstance ??= await this.deps.api()
    return this.apiInstance
  }

  private async mapper(fresh: boolean): Promise<SyncMapper> {
    this.mapperInstance ??= await this.deps.mapper(() => this.api(), fresh)
    return this.mapperInstance
  }

  async execute(): Promise<SyncReport> {
    const {state, logger} = this.deps
    const {mode, dryRun} = this.options
    const runId = dryRun ? undefined : await state.startRun(mode, dryRun, this.startedAt)
    logger.info({event: 'run_start', runId, mode, dryRun, limit: this.options.limit, batchSize: this.options.batchSize}, 'sync started')
    try {
      const dbClock = await this.deps.source.readDatabaseClock()
      if (mode === 'incremental') await this.incremental()
      else if (mode === 'patient') await this.patients()
      else await this.fullOrDeep(mode === 'deep')
      await this.flushWriter()
      // The watermark moves only after everything up to it is in amoCRM (or recorded as a failure to retry).
      if (!dryRun && !this.options.limit && mode !== 'patient') {
        this.watermark = minusOverlap(dbClock)
        await state.setWatermark(this.watermark)
      } else {
        this.watermark = (await state.getWatermark()) ?? null
      }
      const report = this.report()
      if (runId !== undefined)
        await state.finishRun(runId, {
          status: report.counts.failed > 0 ? 'partial' : 'ok',
          finishedAt: new Date(report.finishedAt),
          counts: report.counts,
          api: report.api,
          watermark: report.watermark,
        })
      logger.info(
        {
          event: 'run_end',
          runId,
          mode,
          status: report.counts.failed > 0 ? 'partial' : 'ok',
          counts: report.counts,
          api: report.api,
          warnings: this.warningCounts,
          durationMs: report.durationMs,
        },
        'sync finished',
      )
      this.deps.onProgress?.({phase: 'done', read: this.counts.read, written: this.written, requests: report.api.requests})
      return report
    } catch (error) {
      // Planned but never sent because the run stopped: the next run picks them up (nothing recorded them).
      this.counts.skipped += this.writer?.pending ?? 0
      await state.recordFailures(this.pendingFailures.splice(0), this.now()).catch(() => undefined)
      this.watermark = (await state.getWatermark().catch(() => undefined)) ?? null
      const report = this.report()
      const interrupted = error instanceof SyncInterruptedError || this.deps.signal?.aborted
      if (runId !== undefined)
        await state.finishRun(runId, {
          status: interrupted ? 'interrupted' : 'failed',
          finishedAt: new Date(report.finishedAt),
          counts: report.counts,
          api: report.api,
          watermark: report.watermark,
          error: errorMessage(error),
        })
      logger.error(
        {
          event: 'run_end',
          runId,
          mode,
          status: interrupted ? 'interrupted' : 'failed',
          counts: report.counts,
          api: report.api,
          err: errorMessage(error),
        },
        'sync stopped',
      )
      if (interrupted) throw new SyncInterruptedError(report)
      if (error instanceof AppError) throw new SyncAbortedError(error, report)
      throw error
    }
  }

  private report(): SyncReport {
    const finishedAt = this.now()
    const stats = this.apiInstance?.stats ?? {requests: 0, retries: 0, throttled: 0}
    return {
      mode: this.options.mode,
      dryRun: Boolean(this.options.dryRun),
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
      counts: {...this.counts, duplicates: this.duplicates.length},
      api: {requests: stats.requests, retries: stats.retries, throttled: stats.throttled},
      failures: [...this.failures],
      duplicates: [...this.duplicates],
      watermark: this.watermark,
    }
  }

  // --- modes ---------------------------------------------------------------------------------------

  /** `sync full` and `sync deep`: every contact read once into an index, every patient streamed. */
  private async fullOrDeep(deep: boolean): Promise<void> {
    const mapper = await this.mapper(true)
    const api = await this.api()
    const index = await ContactIndex.read(api, {identId: (c) => mapper.identId(c), phones: (c) => mapper.contactPhones(c)}, (n) =>
      this.progress('contacts', n),
    )
    // Only which contact each patient is linked to is kept for the whole run; the rest of a link
    // (hashes, written phones) is read for each group of patients as they stream by.
    const targets = await this.deps.state.linkTargets()
    for (const [patientId, contactId] of targets) {
      const entry = index.byId.get(contactId)
      if (entry && (entry.identId === null || entry.identId === patientId)) this.claimed.add(entry.id)
    }
    const family = index.hasPhoneCandidates ? await this.familyPhones(mapper) : () => 1
    const plan = async (group: Patient[]) => {
      const links = await this.deps.state.getLinks(group.map((p) => p.id))
      for (const patient of group) {
        this.checkAbort()
        const desired = mapper.desired(patient)
        this.noteWarnings(mapper, desired)
        const link = links.get(patient.id)
        const match = matchInIndex(patient, mapper.phones(desired), link, index, this.claimed, family, mapper)
        if (match.duplicates.length > 0) this.duplicates.push({patientId: patient.id, contactIds: [match.contact!.id, ...match.duplicates]})
        await this.planWithContact(patient, desired, match, link, deep)
        this.progress('patients')
      }
    }
    let group: Patient[] = []
    for await (const patient of this.deps.source.readPatients({limit: this.options.limit})) {
      this.checkAbort()
      this.counts.read++
      targets.delete(patient.id)
      group.push(patient)
      if (group.length >= LINK_GROUP) {
        await plan(group)
        group = []
      }
    }
    await plan(group)
    if (deep && !this.options.limit) {
      // Linked patients that disappeared from IDENT: reported, nothing is deleted in amoCRM.
      for (const [patientId, contactId] of targets)
        this.failures.push({
          patientId,
          reason: 'missing_in_ident',
          detail: `linked to contact ${contactId}, but the patient is no longer in IDENT; nothing was deleted`,
        })
    }
  }

  /** `sync incremental`: the patients changed since the watermark, plus the failures of earlier runs. */
  private async incremental(): Promise<void> {
    const since = await this.deps.state.getWatermark()
    if (!since)
      throw new AppError('there is no previous successful sync to continue from', {
        hint: 'run `ident-amo sync full` first',
        code: 'E_NO_WATERMARK',
      })
    const retry = (await this.deps.state.pendingFailures()).map((f) => f.patientId)
    const seen = new Set<string>()
    const handle = async (patient: Patient) => {
      if (seen.has(patient.id)) return
      this.checkAbort()
      seen.add(patient.id)
      this.counts.read++
      await this.planWithoutIndex(patient, false)
      this.progress('patients')
    }
    for await (const patient of this.deps.source.readPatients({since, limit: this.options.limit})) await handle(patient)
    const missed = retry.filter((id) => !seen.has(id))
    if (missed.length > 0 && !this.options.limit) {
      const found = new Set<string>()
      for await (const patient of this.deps.source.readPatients({ids: missed})) {
        found.add(patient.id)
        await handle(patient)
      }
      // A failed patient that vanished from IDENT has nothing left to retry.
      const gone = missed.filter((id) => !found.has(id))
      if (gone.length > 0 && !this.options.dryRun) await this.deps.state.clearFailures(gone)
    }
  }

  /** `patient test` and single-patient syncs: compared with what amoCRM holds now, like deep. */
  private async patients(): Promise<void> {
    for await (const patient of this.deps.source.readPatients({ids: this.options.patientIds ?? []})) {
      this.counts.read++
      await this.planWithoutIndex(patient, true)
    }
  }

  // --- planning ------------------------------------------------------------------------------------

  /**
   * Incremental / single patient: a linked patient is planned from the stored hashes without reading
   * amoCRM (`compareWithAmo` reads the contact instead); an unlinked one is looked up with `query`.
   */
  private async planWithoutIndex(patient: Patient, compareWithAmo: boolean): Promise<void> {
    const link = await this.deps.state.getLink(patient.id)
    const mapper = await this.mapper(false)
    const desired = mapper.desired(patient)
    this.noteWarnings(mapper, desired)
    if (link && !compareWithAmo) {
      const changed = mapper.changedKeys(desired, link.fieldHashes)
      if (changed.length === 0) {
        this.plan({patientId: patient.id, action: 'unchanged', contactId: link.contactId, via: 'link', fields: []})
        this.counts.unchanged++
        return
      }
      const withoutContact = changed.filter((k) => !mapper.needsContact(k))
      if (withoutContact.length === changed.length) {
        const payload = mapper.updateWithoutContact(desired, link.contactId, changed)
        await this.queueUpdate(patient, desired, link, link.contactId, payload, 'updated', 'link')
        return
      }
    }
    const api = await this.api()
    let match: Match
    if (link) {
      const contact = await api.getContact(link.contactId)
      const owner = contact ? mapper.identId(contact) : undefined
      if (contact && !contact.is_deleted && (owner === null || owner === patient.id)) {
        this.claimed.add(contact.id)
        match = {contact, via: 'link', duplicates: [], deadLink: false}
      } else {
        match = await lookUpContact(
          api,
          patient,
          mapper.phones(desired),
          this.claimed,
          await familyFromState(this.deps.state, patient.id, mapper.phones(desired)),
          mapper,
        )
        match.deadLink = true
      }
    } else {
      match = await lookUpContact(
        api,
        patient,
        mapper.phones(desired),
        this.claimed,
        await familyFromState(this.deps.state, patient.id, mapper.phones(desired)),
        mapper,
      )
    }
    if (match.duplicates.length > 0) this.duplicates.push({patientId: patient.id, contactIds: [match.contact!.id, ...match.duplicates]})
    await this.planWithContact(patient, desired, match, match.deadLink ? undefined : link, true)
  }

  /** Plans a patient whose contact (or its absence) is known. */
  private async planWithContact(
    patient: Patient,
    desired: unknown,
    match: Match,
    link: LinkRecord | undefined,
    compareWithAmo: boolean,
  ): Promise<void> {
    const mapper = await this.mapper(false)
    if (!match.contact) {
      if (match.deadLink && !this.options.dryRun)
        this.deps.logger.info({patientId: patient.id, contactId: link?.contactId}, 'linked contact is gone: creating a new one')
      const payload = mapper.createPayload(desired)
      this.plan({patientId: patient.id, action: 'create', contactId: null, via: 'none', fields: mapper.keysOfPayload(payload)})
      if (this.options.dryRun) {
        this.counts.created++
        return
      }
      await (
        await this.writerFor()
      ).add({kind: 'create', patientId: patient.id, payload, record: this.recordFor(mapper, desired), outcome: 'created'})
      return
    }
    const contact = match.contact
    const validLink = match.via === 'link' ? link : undefined
    // A linked patient whose hashes say nothing changed costs nothing — unless deep compares with amoCRM.
    if (validLink && !compareWithAmo && mapper.changedKeys(desired, validLink.fieldHashes).length === 0) {
      this.plan({patientId: patient.id, action: 'unchanged', contactId: contact.id, via: 'link', fields: []})
      this.counts.unchanged++
      return
    }
    const previously = {
      phones: validLink?.writtenPhones ?? link?.writtenPhones ?? [],
      emails: validLink?.writtenEmails ?? link?.writtenEmails ?? [],
    }
    // A value amoCRM refused before (a birthday before 1970) is not sent again while IDENT still says the same.
    const hashes = mapper.fieldHashes(desired)
    const stillRefused = Object.entries(validLink?.refusedFields ?? {})
      .filter(([key, hash]) => hashes[key] === hash)
      .map(([key]) => key)
    const payload = mapper.updateFromContact(desired, contact, previously, undefined, stillRefused)
    const outcome = match.via === 'link' ? 'updated' : 'linked'
    await this.queueUpdate(patient, desired, validLink, contact.id, payload, outcome, match.via)
  }

  private async queueUpdate(
    patient: Patient,
    desired: unknown,
    link: LinkRecord | undefined,
    contactId: number,
    payload: ContactWrite | null,
    outcome: 'updated' | 'linked',
    via: Match['via'],
  ): Promise<void> {
    const mapper = await this.mapper(false)
    const record = {
      ...this.recordFor(mapper, desired),
      contactId,
      refusedFields: keepStillRefused(link?.refusedFields, mapper.fieldHashes(desired)),
    }
    if (!payload) {
      // Nothing differs in amoCRM: only the link (or the hashes) need recording.
      this.plan({patientId: patient.id, action: outcome === 'linked' ? 'link' : 'unchanged', contactId, via, fields: []})
      if (outcome === 'linked') this.counts.linked++
      else this.counts.unchanged++
      if (!this.options.dryRun && (!link || link.payloadHash !== record.payloadHash))
        await this.deps.state.recordWritten([record], this.now())
      return
    }
    this.plan({
      patientId: patient.id,
      action: outcome === 'linked' ? 'link' : 'update',
      contactId,
      via,
      fields: mapper.keysOfPayload(payload),
    })
    if (this.options.dryRun) {
      this.counts[outcome]++
      return
    }
    // Kept until the batch is confirmed: an update may meet a contact deleted meanwhile and be re-planned.
    this.desiredByPatient.set(patient.id, {patient, desired})
    await (await this.writerFor()).add({kind: 'update', patientId: patient.id, payload, record, outcome})
  }

  private recordFor(mapper: SyncMapper, desired: unknown): Omit<LinkRecord, 'contactId'> {
    const written = mapper.writtenValues(desired)
    return {
      patientId: mapper.patientId(desired),
      payloadHash: mapper.payloadHash(desired),
      fieldHashes: mapper.fieldHashes(desired),
      writtenPhones: written.phones,
      writtenEmails: written.emails,
      refusedFields: {},
      writtenAt: null,
    }
  }

  // --- writing -------------------------------------------------------------------------------------

  private async writerFor(): Promise<ContactBatchWriter> {
    if (this.writer) return this.writer
    const api = await this.api()
    const mapper = await this.mapper(false)
    this.writer = new ContactBatchWriter({
      api,
      state: this.deps.state,
      keys: {identId: (c) => mapper.identId(c)},
      keyOfField: (fieldId) => mapper.keyOfField(fieldId),
      batchSize: this.options.batchSize,
      logger: this.deps.logger,
      now: () => this.now(),
      events: {
        written: (op) => {
          this.counts[op.outcome]++
          this.written++
          this.desiredByPatient.delete(op.patientId)
          this.progress('writing')
        },
        failed: (patientId, reason, detail, shown) => {
          this.counts.failed++
          // amoCRM's own words (`shown`) are for this run's report only: the state and the log get codes and fields.
          this.failures.push({patientId, reason, detail: shown ?? detail})
          this.desiredByPatient.delete(patientId)
          this.pendingFailures.push({patientId, reason, detail})
          this.deps.logger.warn({patientId, reason, detail}, 'patient failed')
        },
        refused: (patientId, fieldId, detail, shown) => {
          const key = mapper.keyOfField(fieldId) ?? String(fieldId)
          this.failures.push({patientId, reason: 'field_refused', detail: this.refusalText(key, shown ?? detail)})
          this.deps.logger.debug({patientId, field: key}, 'field value refused by amoCRM; written without it')
          this.tally(`refused:${key}`)
        },
        deadLink: (op) => {
          this.deadOps.push(op)
        },
        duplicates: (patientId, contactIds) => {
          this.duplicates.push({patientId, contactIds})
        },
      },
    })
    return this.writer
  }

  private pendingFailures: Array<{patientId: string; reason: string; detail: string}> = []

  private async flushWriter(): Promise<void> {
    if (!this.writer) return
    try {
      await this.writer.flush()
      // Contacts deleted in the CRM under a link: look the patient up again, or create it anew.
      for (let round = 0; round < 2 && this.deadOps.length > 0; round++) {
        const dead = this.deadOps
        this.deadOps = []
        for (const op of dead) {
          await this.deps.state.removeLink(op.patientId)
          const entry = this.desiredByPatient.get(op.patientId)
          if (!entry) continue
          const mapper = await this.mapper(false)
          const phones = mapper.phones(entry.desired)
          const match = await lookUpContact(
            await this.api(),
            entry.patient,
            phones,
            this.claimed,
            await familyFromState(this.deps.state, op.patientId, phones),
            mapper,
          )
          await this.planWithContact(entry.patient, entry.desired, {...match, deadLink: true}, undefined, true)
        }
        await this.writer.flush()
      }
    } finally {
      await this.deps.state.recordFailures(this.pendingFailures.splice(0), this.now())
    }
  }

  // --- helpers -------------------------------------------------------------------------------------

  /** Reads IDENT's phones once (only when some contact could be claimed by phone) to find families. */
  private async familyPhones(mapper: SyncMapper): Promise<FamilyPhones> {
    const counts = new Map<string, number>()
    let n = 0
    for await (const patient of this.deps.source.readPatients({})) {
      for (const phone of new Set(mapper.phones(mapper.desired(patient)))) counts.set(phone, (counts.get(phone) ?? 0) + 1)
      if (++n % 1000 === 0) this.progress('family')
    }
    return (phone) => counts.get(phone) ?? 0
  }

  private noteWarnings(mapper: SyncMapper, desired: unknown): void {
    for (const w of mapper.warnings(desired)) {
      this.deps.logger.debug({patientId: mapper.patientId(desired), field: w.field, code: w.code}, 'mapping warning')
      this.tally(`${w.code}:${w.field}`)
    }
  }

  /** One string per kind of refusal: thousands of patients refused alike share it instead of each holding a copy. */
  private readonly refusalTexts = new Map<string, string>()

  private refusalText(key: string, detail: string): string {
    const id = `${key}\u0000${detail}`
    let text = this.refusalTexts.get(id)
    if (text === undefined)
      this.refusalTexts.set(id, (text = `amoCRM refused the field '${key}', the contact was written without it: ${detail}`))
    return text
  }

  /** Warnings and refusals counted per kind: one log line per run instead of one per patient (debug has those). */
  private readonly warningCounts: Record<string, number> = {}

  private tally(kind: string): void {
    this.warningCounts[kind] = (this.warningCounts[kind] ?? 0) + 1
  }

  private plan(entry: PlanEntry): void {
    this.deps.onPlan?.(entry)
  }

  private checkAbort(): void {
    if (this.deps.signal?.aborted) throw new SyncInterruptedError(this.report())
  }

  private progress(phase: SyncProgress['phase'], contacts?: number): void {
    this.deps.onProgress?.({
      phase,
      read: this.counts.read,
      written: this.written,
      contacts,
      requests: this.apiInstance?.stats.requests ?? 0,
    })
  }
}

function keepStillRefused(refused: Record<string, string> | undefined, hashes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(refused ?? {}).filter(([key, hash]) => hashes[key] === hash))
}

function minusOverlap(naive: string): string {
  // Naive local time: do the arithmetic in UTC fields, which keeps it naive.
  const t = Date.parse(`${naive.replace(' ', 'T')}Z`) - WATERMARK_OVERLAP_MS
  return new Date(t).toISOString().replace('T', ' ').slice(0, 19)
}
