import {type AppConfig} from '../config/index.js'
import {normalizePhone} from '../fields/index.js'
import {openIdent} from '../ident/index.js'
import type {Sandbox} from '../sandbox/index.js'

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
