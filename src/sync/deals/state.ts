import type {DealStageKey} from '../../fields/index.js'
import type {KeptRecord} from '../plan.js'
import {readFailures, type SyncState, upsertFailures} from '../state.js'
import type {FailureNote} from '../writer.js'

/** What the state keeps per reception once its deal is written (tables of migration `004_deals`). */
export interface DealLink extends KeptRecord {
  receptionId: string
  patientId: string
  dealId: number
  /** Hash of everything last written. */
  payloadHash: string
  /** IDENT's stage key when the tool last wrote (or left) the deal: a move is due only when it changes. */
  stageKey: DealStageKey | null
  writtenAt: string | null
}

/** A reception whose deal failed, retried by the next pass. */
export interface DealFailureRecord {
  receptionId: string
  reason: string
  detail: string
  attempts: number
  firstFailedAt: string
  lastFailedAt: string
}

/** A deal link before amoCRM says which deal it is (a create). */
export type PendingDealLink = Omit<DealLink, 'dealId'>

interface DealLinkRow {
  reception_id: string
  patient_id: string
  deal_id: number
  payload_hash: string | null
  field_hashes: string
  refused_fields: string
  stage_key: string | null
  written_at: string | null
}

/** The meta key of the IDENT clock of the last pass that planned deals: the no-shows since are due. */
const DEALS_CLOCK = 'deals_clock'

/** The deals' side of the local state: links per reception and their failures, next to the contacts'. */
export class DealState {
  constructor(private readonly state: SyncState) {}

  private get knex() {
    return this.state.knex
  }

  async getLinks(receptionIds: string[]): Promise<Map<string, DealLink>> {
    const out = new Map<string, DealLink>()
    for (let i = 0; i < receptionIds.length; i += 500) {
      const rows = await this.knex<DealLinkRow>('deal_links').whereIn('reception_id', receptionIds.slice(i, i + 500))
      for (const row of rows) out.set(row.reception_id, toDealLink(row))
    }
    return out
  }

  /** Reception id → deal id of every link. */
  async linkTargets(): Promise<Map<string, number>> {
    const rows = await this.knex<DealLinkRow>('deal_links').select('reception_id', 'deal_id')
    return new Map(rows.map((r) => [r.reception_id, Number(r.deal_id)]))
  }

  async countLinks(): Promise<number> {
    const row = (await this.knex('deal_links').count({n: '*'}).first()) as {n: number} | undefined
    return Number(row?.n ?? 0)
  }

  /** Records confirmed writes in one transaction, and clears those receptions' failures. */
  async recordWritten(records: DealLink[], now = new Date()): Promise<void> {
    if (records.length === 0) return
    const at = now.toISOString()
    await this.knex.transaction(async (trx) => {
      for (let i = 0; i < records.length; i += 200) {
        const chunk = records.slice(i, i + 200)
        await trx('deal_links')
          .insert(
            chunk.map((r) => ({
              reception_id: r.receptionId,
              patient_id: r.patientId,
              deal_id: r.dealId,
              payload_hash: r.payloadHash,
              field_hashes: JSON.stringify(r.fieldHashes),
              refused_fields: JSON.stringify(r.refusedFields),
              stage_key: r.stageKey,
              linked_at: at,
              written_at: r.writtenAt ?? at,
            })),
          )
          .onConflict('reception_id')
          .merge(['patient_id', 'deal_id', 'payload_hash', 'field_hashes', 'refused_fields', 'stage_key', 'written_at'])
        await trx('deal_failures')
          .whereIn(
            'reception_id',
            chunk.map((r) => r.receptionId),
          )
          .delete()
      }
    })
  }

  async removeLink(receptionId: string): Promise<void> {
    await this.knex('deal_links').where({reception_id: receptionId}).delete()
  }

  async recordFailures(failures: FailureNote[], now = new Date()): Promise<void> {
    await upsertFailures(this.knex, {table: 'deal_failures', key: 'reception_id'}, failures, now)
  }

  async failedKeys(): Promise<string[]> {
    const rows = await this.knex('deal_failures').select('reception_id').orderBy('last_failed_at', 'desc')
    return rows.map((r: {reception_id: string}) => String(r.reception_id))
  }

  /** The receptions the next pass retries, with why their deals failed, latest first (`sync status`). */
  async pendingFailures(): Promise<DealFailureRecord[]> {
    return (await readFailures(this.knex, {table: 'deal_failures', key: 'reception_id'})).map(({key, ...f}) => ({receptionId: key, ...f}))
  }

  async countFailures(): Promise<number> {
    const row = (await this.knex('deal_failures').count({n: '*'}).first()) as {n: number} | undefined
    return Number(row?.n ?? 0)
  }

  async clearFailures(receptionIds: string[]): Promise<void> {
    for (let i = 0; i < receptionIds.length; i += 500)
      await this.knex('deal_failures')
        .whereIn('reception_id', receptionIds.slice(i, i + 500))
        .delete()
  }

  /** IDENT's clock when the last pass planned the deals (naive local): receptions that became no-shows since are due. */
  async getClock(): Promise<string | undefined> {
    return this.state.getMeta(DEALS_CLOCK)
  }

  async setClock(naive: string): Promise<void> {
    await this.state.setMeta(DEALS_CLOCK, naive)
  }
}

function toDealLink(row: DealLinkRow): DealLink {
  return {
    receptionId: row.reception_id,
    patientId: row.patient_id,
    dealId: Number(row.deal_id),
    payloadHash: row.payload_hash ?? '',
    fieldHashes: JSON.parse(row.field_hashes) as Record<string, string>,
    refusedFields: JSON.parse(row.refused_fields) as Record<string, string>,
    stageKey: (row.stage_key as DealStageKey | null) ?? null,
    writtenAt: row.written_at,
  }
}
