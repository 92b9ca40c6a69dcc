import {type AppConfig} from '../config/index.js'
import {DEAL_PIPELINE_NAME, normalizePhone} from '../fields/index.js'
import {openIdent} from '../ident/index.js'
import type {Sandbox} from '../sandbox/index.js'
import {localNow} from './generate.js'

/**
 * What the demo's tour asks of the sample clinic and the sandbox after a sync: how many patients got
 * a contact, and which patient is worth showing side by side.
 */

/** Patients that have a live contact in the sandbox (distinct "ID пациента IDENT" values). */
export function countSyncedContacts(sandbox: Sandbox): number {
  const identField = sandbox.store.listFields().find((f) => f.name === 'ID пациента IDENT')
  if (!identField) return 0
  const seen = new Set<string>()
  for (const contact of sandbox.store.listContacts()) {
    const value = contact.custom_fields_values?.find((cf) => cf.field_id === identField.id)?.values[0]?.value
    if (value !== undefined && value !== '') seen.add(String(value))
  }
  return seen.size
}

/** A patient worth looking at: one who shares a phone with family and owes money (else any debtor). */
export async function findInterestingPatient(config: AppConfig): Promise<{id: string; why: string} | undefined> {
  const reader = await openIdent(config)
  try {
    const byPhone = new Map<string, string[]>()
    const debtors = new Map<string, number>()
    for await (const p of reader.readPatients()) {
      for (const raw of [p.mobilePhone, p.phone]) {
        const phone = normalizePhone(raw ?? null)?.e164
        if (phone) byPhone.set(phone, [...(byPhone.get(phone) ?? []), p.id])
      }
      if ((p.debt ?? 0) > 0) debtors.set(p.id, p.debt!)
    }
    for (const ids of byPhone.values()) {
      if (ids.length < 2) continue
      const debtor = ids.find((id) => debtors.has(id))
      if (debtor)
        return {
          id: debtor,
          why: `patient ${debtor} shares a phone with ${ids.length - 1} family member(s) and owes ${debtors.get(debtor)!.toFixed(2)} ₽`,
        }
    }
    const [first] = debtors
    return first ? {id: first[0], why: `patient ${first[0]} owes ${first[1].toFixed(2)} ₽`} : undefined
  } finally {
    await reader.close()
  }
}

/** A booked reception of the sample clinic that has not started yet. */
export interface UpcomingBooking {
  receptionId: number
  patientId: string
  /** Naive local `YYYY-MM-DD HH:MM:SS`. */
  planStart: string
}

/**
 * The clinic's next bookings (stage `booked`, starting after now), soonest first, read the way a sync
 * reads receptions: for the tour's "a patient comes" and "a patient cancels".
 */
export async function upcomingBookings(config: AppConfig, count: number): Promise<UpcomingBooking[]> {
  const reader = await openIdent(config)
  try {
    const now = localNow()
    const bookings: UpcomingBooking[] = []
    for await (const r of reader.readReceptions({now, historyDays: 0, noShowHours: config.deals.noShowHours}))
      if (r.stage === 'booked' && r.planStart > now)
        bookings.push({receptionId: Number(r.id), patientId: r.patientId, planStart: r.planStart})
    return bookings.sort((a, b) => a.planStart.localeCompare(b.planStart) || a.receptionId - b.receptionId).slice(0, count)
  } finally {
    await reader.close()
  }
}

/** One stage of the deals pipeline as the sandbox holds it: how many live deals sit there, and their sum. */
export interface StageCount {
  name: string
  statusId: number
  deals: number
  /** Σ deal price, whole rubles. */
  price: number
}

/**
 * The stages of the deals pipeline («Приёмы IDENT», or the one configured) in their order, with the live
 * deals in each; empty when the sandbox has no such pipeline.
 */
export function pipelineStageCounts(sandbox: Sandbox, pipelineId?: number): StageCount[] {
  const pipeline = sandbox.deals
    .listPipelines()
    .find((p) => (pipelineId === undefined ? p.name === DEAL_PIPELINE_NAME : p.id === pipelineId))
  if (!pipeline) return []
  const stages = [...pipeline._embedded.statuses]
    .sort((a, b) => a.sort - b.sort)
    .map((s) => ({name: s.name, statusId: s.id, deals: 0, price: 0}))
  const byStatus = new Map(stages.map((s) => [s.statusId, s]))
  for (const lead of sandbox.deals.listLeads()) {
    if (lead.pipeline_id !== pipeline.id) continue
    const stage = byStatus.get(lead.status_id)
    if (!stage) continue
    stage.deals++
    stage.price += lead.price
  }
  return stages
}
