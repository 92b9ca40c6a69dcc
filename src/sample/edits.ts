import Database from 'better-sqlite3'

import {
  type CraftedOrder,
  type CraftedPatient,
  type CraftedPayment,
  type CraftedReception,
  writeCraftedOrder,
  writeCraftedPatient,
  writeCraftedPayment,
  writeCraftedReception,
} from './crafted.js'
import {ClinicWriter} from './writer.js'

/**
 * Changes to a sample clinic file, as the clinic's staff would make them in IDENT: each sets
 * `DateTimeChanged` to the database's local now. They open their own writable connection — the
 * reader never writes — and are meant for the sample/test SQLite file only.
 */

function withClinic<T>(file: string, action: (writer: ClinicWriter, now: string) => T): T {
  const db = new Database(file, {fileMustExist: true})
  try {
    const {now} = db.prepare("SELECT datetime('now', 'localtime') AS now").get() as {now: string}
    return db.transaction(() => action(new ClinicWriter(db), now))()
  } finally {
    db.close()
  }
}

/** Adds a patient (all of its rows); returns its id (the next free one unless given). */
export function addPatient(file: string, patient: CraftedPatient): number {
  return withClinic(file, (writer, now) => {
    return writeCraftedPatient(writer, patient, patient.id ?? writer.nextPatientId(), now)
  })
}

/** Marks the patient's Patients (or Persons) row as changed now, without changing a value. */
export function touchPatient(file: string, id: number, table: 'Patients' | 'Persons' = 'Patients'): void {
  withClinic(file, (writer, now) => {
    const column = table === 'Patients' ? 'ID_Persons' : 'ID'
    const changed = writer.db.prepare(`UPDATE ${table} SET DateTimeChanged = ? WHERE ${column} = ?`).run(now, id).changes
    if (changed === 0) throw new Error(`no ${table} row for patient ${id}`)
  })
}

/** Sets columns of the patient's Persons and/or Patients rows (IDENT column names) and marks them changed. */
export function updatePatient(
  file: string,
  id: number,
  changes: {persons?: Record<string, unknown>; patients?: Record<string, unknown>},
): void {
  withClinic(file, (writer, now) => {
    for (const [table, key, values] of [
      ['Persons', 'ID', changes.persons],
      ['Patients', 'ID_Persons', changes.patients],
    ] as const) {
      if (!values || Object.keys(values).length === 0) continue
      const columns = Object.keys(values)
      for (const c of columns) if (!/^\w+$/.test(c)) throw new Error(`bad column name ${c}`)
      const sql = `UPDATE ${table} SET ${columns.map((c) => `${c} = @${c}`).join(', ')}, DateTimeChanged = @__now WHERE ${key} = @__id`
      writer.db.prepare(sql).run({...values, __now: now, __id: id})
    }
  })
}

/** Adds a reception (by default a visit that took place now with the first doctor); returns its id. */
export function addVisit(file: string, id: number, reception: Partial<CraftedReception> = {}): number {
  return withClinic(file, (writer, now) => {
    const doctor = reception.doctor ?? writer.firstDoctor()
    return writeCraftedReception(writer, id, {planStart: now, appeared: true, ...reception, doctor}, now)
  })
}

/** The status datetimes a reception may get at the desk, each `true` (now) or a time. */
export interface ReceptionStatus {
  appeared?: true | string
  started?: true | string
  ended?: true | string
  checkIssued?: true | string
  canceled?: true | string
}

const STATUS_COLUMNS = {
  appeared: 'PatientAppeared',
  started: 'ReceptionStarted',
  ended: 'ReceptionEnded',
  checkIssued: 'CheckIssued',
  canceled: 'ReceptionCanceled',
} as const

/**
 * Sets status datetimes of a reception as IDENT may: **without** touching its `DateTimeChanged` (a
 * real-database integrator saw exactly this), so only the status columns say it changed.
 */
export function setReceptionStatus(file: string, receptionId: number, status: ReceptionStatus): void {
  withClinic(file, (writer, now) => {
    const entries = Object.entries(status) as Array<[keyof ReceptionStatus, true | string]>
    if (entries.length === 0) return
    const sql = `UPDATE Receptions SET ${entries.map(([key]) => `${STATUS_COLUMNS[key]} = @${key}`).join(', ')} WHERE ID = @__id`
    const values = Object.fromEntries(entries.map(([key, value]) => [key, value === true ? now : value]))
    if (writer.db.prepare(sql).run({...values, __id: receptionId}).changes === 0) throw new Error(`no reception ${receptionId}`)
  })
}

/** Adds a payment received now (unless `at` is given). */
export function addPayment(file: string, id: number, payment: Partial<CraftedPayment> & {amount: number}): void {
  withClinic(file, (writer, now) => writeCraftedPayment(writer, id, {at: now, ...payment}, now))
}

/** Adds a bill (Orders + OrderPaymentsJournal) made now (unless `at` is given); returns the order id. */
export function addOrder(file: string, id: number, order: Partial<CraftedOrder> & {amount: number}): number {
  return withClinic(file, (writer, now) => writeCraftedOrder(writer, id, {at: now, ...order}, now))
}

/** Archives the patient with a reason (created when new). */
export function archivePatient(file: string, id: number, reason: string): void {
  withClinic(file, (writer, now) => {
    const reasonId = writer.referenceId('ArchivingReasons', reason)
    writer.db.prepare('UPDATE Patients SET ID_ArchivingReasons = ?, DateTimeChanged = ? WHERE ID_Persons = ?').run(reasonId, now, id)
  })
}

/**
 * Cancels a reception at the desk, now: `ReceptionCanceled`, the reason (its ReceptionCancelReasons row
 * created when new) and the comment, `DateTimeChanged` set as IDENT does when the booking is edited.
 */
export function cancelReception(file: string, receptionId: number, reason: string, comment: string | null = null): void {
  withClinic(file, (writer, now) => {
    const reasonId = writer.referenceId('ReceptionCancelReasons', reason)
    const changed = writer.db
      .prepare(
        'UPDATE Receptions SET ReceptionCanceled = ?, ID_ReceptionCancelReasons = ?, CancelReasonComment = ?, DateTimeChanged = ? WHERE ID = ?',
      )
      .run(now, reasonId, comment, now, receptionId).changes
    if (changed === 0) throw new Error(`no reception ${receptionId}`)
  })
}
