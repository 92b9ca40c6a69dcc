import type {AmoApi} from '../amocrm/api.js'
import {AmoOutcomeUnknownError, AmoValidationError, describeProblems} from '../amocrm/errors.js'
import type {Contact, ContactWrite, ValidationProblem} from '../amocrm/types.js'
import {terminalMessage} from '../errors.js'
import type {Logger} from '../log/index.js'
import type {LinkRecord, SyncState} from './state.js'

export type WriteOutcome = 'created' | 'updated' | 'linked'

/** One contact write, with what the state records once amoCRM has confirmed it. */
export interface WriteOp {
  kind: 'create' | 'update'
  patientId: string
  payload: ContactWrite
  /** The link to record after success (`contactId` is filled from the response for creates). */
  record: Omit<LinkRecord, 'contactId'> & {contactId?: number}
  outcome: WriteOutcome
}

/**
 * `detail` is safe to log and keep (amoCRM's error codes and fields); `shown`, when given, adds
 * amoCRM's own text, which may quote the refused value: for the terminal of the run at hand only.
 */
export interface WriterEvents {
  written(op: WriteOp, contactId: number): void
  failed(patientId: string, reason: string, detail: string, shown?: string): void
  /** A field value amoCRM refused; the contact went without it. */
  refused(patientId: string, fieldId: number | string | undefined, detail: string, shown?: string): void
  /** An update named a contact that no longer exists (deleted in the CRM): the caller re-plans it. */
  deadLink(op: WriteOp): void
  /** A create whose outcome was unknown turned out to have been applied, more than once. */
  duplicates(patientId: string, contactIds: number[]): void
}

export interface ContactKeyReader {
  identId(contact: Contact): string | null
}

const MAX_ROUNDS = 8
/** How far back a reconciliation looks for contacts a lost create may have made (clock skew margin). */
const RECONCILE_WINDOW_S = 3600

/**
 * Sends creates and updates in batches (≤ 250) and records each confirmed batch in the state in one
 * transaction. amoCRM rejects a whole batch for one bad element: the named elements are repaired
 * (the refused field is dropped and reported) or removed (reported as failed) and the rest resent.
 * A create whose outcome is unknown is reconciled — the contacts touched since just before it are
 * searched for the batch's patient ids — before anything is sent again, so it never makes a duplicate.
 */
export class ContactBatchWriter {
  private creates: WriteOp[] = []
  private updates: WriteOp[] = []
  /**
   * Date fields for which amoCRM refused a pre-1970 value in this run: such values are then left out
   * before sending (and reported the same way) instead of costing every later batch a refused request.
   */
  private readonly refusesPre1970 = new Set<number | string>()

  constructor(
    private readonly deps: {
      api: AmoApi
      state: SyncState
      keys: ContactKeyReader
      batchSize: number
      events: WriterEvents
      /** Field key of a custom field id or code, to remember a refused value in the link. */
      keyOfField: (fieldId: number | string | undefined) => string | undefined
      logger: Logger
      now?: () => Date
    },
  ) {}

  get pending(): number {
    return this.creates.length + this.updates.length
  }

  async add(op: WriteOp): Promise<void> {
    if (this.refusesPre1970.size > 0) op = this.withoutKnownRefusals(op)
    const queue = op.kind === 'create' ? this.creates : this.updates
    queue.push(op)
    if (queue.length >= this.deps.batchSize) await this.flushQueue(op.kind)
  }

  /** Sends everything queued. */
  async flush(): Promise<void> {
    await this.flushQueue('update')
    await this.flushQueue('create')
  }

  private async flushQueue(kind: 'create' | 'update'): Promise<void> {
    const queue = kind === 'create' ? this.creates : this.updates
    while (queue.length > 0) {
      const batch = queue.splice(0, this.deps.batchSize)
      await (kind === 'create' ? this.sendCreates(batch) : this.sendUpdates(batch))
    }
  }

  private async sendUpdates(batch: WriteOp[]): Promise<void> {
    let ops = batch
    for (let round = 0; round < MAX_ROUNDS && ops.length > 0; round++) {
      // An update whose every value was refused has nothing left to send: only the state records it.
      const empty = ops.filter((op) => isEmptyUpdate(op.payload))
      if (empty.length > 0) {
        await this.confirm(empty.map((op) => [op, op.payload.id!] as const))
        ops = ops.filter((op) => !empty.includes(op))
        if (ops.length === 0) return
      }
      try {
        const results = await this.deps.api.updateContacts(ops.map((op) => ({...op.payload, request_id: op.patientId})))
        const ids = new Map(results.map((r) => [r.request_id, r.id]))
        await this.confirm(ops.map((op) => [op, ids.get(op.patientId) ?? op.payload.id!] as const))
        return
      } catch (error) {
        if (error instanceof AmoValidationError) {
          ops = this.repair(ops, error)
          continue
        }
        throw error
      }
    }
    for (const op of ops) this.deps.events.failed(op.patientId, 'validation', 'amoCRM kept refusing the update')
  }

  private async sendCreates(batch: WriteOp[]): Promise<void> {
    let ops = batch
    let unknownRounds = 0
    for (let round = 0; round < MAX_ROUNDS && ops.length > 0; round++) {
      const sentAt = Math.floor((this.deps.now?.() ?? new Date()).getTime() / 1000)
      try {
        const results = await this.deps.api.createContacts(ops.map((op) => ({...op.payload, request_id: op.patientId})))
        const ids = new Map(results.map((r) => [r.request_id, r.id]))
        const confirmed: Array<readonly [WriteOp, number]> = []
        for (const op of ops) {
          const id = ids.get(op.patientId)
          if (id === undefined) this.deps.events.failed(op.patientId, 'api', 'amoCRM did not return the created contact')
          else confirmed.push([op, id])
        }
        await this.confirm(confirmed)
        return
      } catch (error) {
        if (error instanceof AmoValidationError) {
          ops = this.repair(ops, error)
          continue
        }
        if (error instanceof AmoOutcomeUnknownError) {
          unknownRounds++
          this.deps.logger.warn({patients: ops.length, err: error.message}, 'create outcome unknown: reconciling before retrying')
          ops = await this.reconcile(ops, sentAt)
          if (unknownRounds >= 5) {
            for (const op of ops)
              this.deps.events.failed(op.patientId, 'outcome_unknown', 'amoCRM did not confirm the create; the next run reconciles it')
            return
          }
          continue
        }
        throw error
      }
    }
    for (const op of ops) this.deps.events.failed(op.patientId, 'validation', 'amoCRM kept refusing the contact')
  }

  /**
   * After a create with an unknown outcome: the contacts amoCRM changed since shortly before the
   * request are read (a few requests, whatever the batch size) and searched for the batch's patient
   * ids. Found ones are linked (the create was applied); the rest are returned to be sent again.
   */
  private async reconcile(ops: WriteOp[], sentAt: number): Promise<WriteOp[]> {
    const wanted = new Map(ops.map((op) => [op.patientId, op]))
    const found = new Map<string, Contact[]>()
    for await (const page of this.deps.api.listContacts({
      updatedFrom: sentAt - RECONCILE_WINDOW_S,
      order: {field: 'id', direction: 'asc'},
      limit: 250,
    })) {
      for (const contact of page) {
        const identId = this.deps.keys.identId(contact)
        if (identId !== null && wanted.has(identId)) found.set(identId, [...(found.get(identId) ?? []), contact])
      }
    }
    const confirmed: Array<readonly [WriteOp, number]> = []
    const rest: WriteOp[] = []
    for (const op of ops) {
      const contacts = found.get(op.patientId)
      if (!contacts || contacts.length === 0) {
        rest.push(op)
        continue
      }
      contacts.sort((a, b) => a.created_at - b.created_at || a.id - b.id)
      confirmed.push([op, contacts[0]!.id])
      if (contacts.length > 1)
        this.deps.events.duplicates(
          op.patientId,
          contacts.map((c) => c.id),
        )
    }
    this.deps.logger.info({applied: confirmed.length, notApplied: rest.length}, 'reconciled creates')
    await this.confirm(confirmed)
    return rest
  }

  /** Drops refused field values (reported) and unrepairable elements (failed); returns what to resend. */
  private repair(ops: WriteOp[], error: AmoValidationError): WriteOp[] {
    if (error.problems.size === 0) {
      for (const op of ops) this.deps.events.failed(op.patientId, 'validation', error.message, terminalMessage(error))
      return []
    }
    const keep: WriteOp[] = []
    for (const op of ops) {
      const problems = error.problems.get(op.patientId)
      if (!problems) {
        keep.push(op)
        continue
      }
      if (op.kind === 'update' && problems.some(isMissingContact)) {
        this.deps.events.deadLink(op)
        continue
      }
      const repaired = dropRefusedFields(op, problems)
      if (!repaired) {
        this.deps.events.failed(op.patientId, 'validation', describeProblems(problems), describeProblems(problems, {withText: true}))
        continue
      }
      for (const refusal of repaired.refusals) {
        if (refusal.fieldId !== undefined && isPre1970(refusal.value)) this.refusesPre1970.add(refusal.fieldId)
        this.noteRefusal(
          repaired.op,
          refusal.fieldId,
          describeProblems(refusal.problems),
          describeProblems(refusal.problems, {withText: true}),
        )
      }
      keep.push(repaired.op)
    }
    return keep
  }

  private withoutKnownRefusals(op: WriteOp): WriteOp {
    const fields = op.payload.custom_fields_values
    if (!fields) return op
    const refused = fields.filter((cf) => this.refusesPre1970.has(cf.field_id ?? cf.field_code ?? '') && isPre1970(cf.values?.[0]?.value))
    if (refused.length === 0) return op
    for (const cf of refused) this.noteRefusal(op, cf.field_id ?? cf.field_code, `a date before 1970 (${PRE_1970_DETAIL})`)
    return {...op, payload: {...op.payload, custom_fields_values: fields.filter((cf) => !refused.includes(cf))}}
  }

  /** Reports a refused value and remembers it in the link, so that it is not sent again while IDENT keeps it. */
  private noteRefusal(op: WriteOp, fieldId: number | string | undefined, detail: string, shown?: string): void {
    const key = this.deps.keyOfField(fieldId)
    const hash = key === undefined ? undefined : op.record.fieldHashes[key]
    if (key !== undefined && hash !== undefined) op.record.refusedFields = {...op.record.refusedFields, [key]: hash}
    this.deps.events.refused(op.patientId, fieldId, detail, shown)
  }

  private async confirm(pairs: Array<readonly [WriteOp, number]>): Promise<void> {
    if (pairs.length === 0) return
    const records: LinkRecord[] = pairs.map(([op, contactId]) => ({...op.record, contactId}))
    await this.deps.state.recordWritten(records, this.deps.now?.())
    for (const [op, contactId] of pairs) this.deps.events.written(op, contactId)
  }
}

function isEmptyUpdate(payload: ContactWrite): boolean {
  return (
    payload.name === undefined &&
    payload.first_name === undefined &&
    payload.last_name === undefined &&
    (payload.custom_fields_values ?? []).length === 0
  )
}

const PRE_1970_DETAIL = 'amoCRM refused such a date earlier in this run'

function isPre1970(value: unknown): boolean {
  if (typeof value === 'number') return value < 0
  const m = typeof value === 'string' ? /^(\d{4})-\d{2}-\d{2}/.exec(value) : null
  return m !== null && Number(m[1]) < 1970
}

function isMissingContact(problem: ValidationProblem): boolean {
  return problem.path === 'id' || /not ?found|does not exist|deleted/i.test(problem.detail)
}

/**
 * Removes the custom-field values named by `custom_fields_values.N…` paths. Anything else (the name,
 * the id) cannot be repaired here.
 */
function dropRefusedFields(
  op: WriteOp,
  problems: ValidationProblem[],
): {op: WriteOp; refusals: Array<{fieldId: number | string | undefined; value: unknown; problems: ValidationProblem[]}>} | null {
  const fields = op.payload.custom_fields_values ?? []
  const drop = new Set<number>()
  for (const problem of problems) {
    const m = /^custom_fields_values\.(\d+)(\.|$)/.exec(problem.path)
    if (!m || Number(m[1]) >= fields.length) return null
    drop.add(Number(m[1]))
  }
  const refusals = [...drop].map((i) => ({
    fieldId: fields[i]?.field_id ?? fields[i]?.field_code,
    value: fields[i]?.values?.[0]?.value,
    problems: problems.filter((p) => p.path.startsWith(`custom_fields_values.${i}.`) || p.path === `custom_fields_values.${i}`),
  }))
  const payload: ContactWrite = {...op.payload, custom_fields_values: fields.filter((_, i) => !drop.has(i))}
  return {op: {...op, payload}, refusals}
}
