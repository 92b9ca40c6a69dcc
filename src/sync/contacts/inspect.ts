import type {Contact} from '../../amocrm/types.js'
import {AppError} from '../../errors.js'
import {diffContact, type DesiredContact, type FieldDiff} from '../../fields/index.js'
import type {Patient} from '../../ident/types.js'
import type {SyncSession} from '../session.js'
import {ContactMatcher, type Match} from './matcher.js'

export interface PatientInspection {
  patient: Patient
  desired: DesiredContact
  contact: Contact | null
  /** How the contact was found: the stored link, the "ID пациента IDENT" field, a phone; `none` = would be created. */
  match: Match['via']
  /** Other contacts carrying this patient's id. */
  duplicates: number[]
  fields: FieldDiff[]
  /** What a sync of this patient would do. */
  action: 'create' | 'update' | 'link' | 'unchanged'
  warnings: Array<{field: string; code: string; detail: string}>
}

/**
 * One patient side by side with its amoCRM contact (`patient test`): the contact found by the same
 * rules a sync uses, and every mapped field as IDENT would send it next to what amoCRM holds.
 */
export async function inspectPatient(session: SyncSession, patientId: string): Promise<PatientInspection> {
  const patient = await session.reader.readPatient(patientId)
  if (!patient)
    throw new AppError(`patient ${patientId} not found in IDENT`, {
      hint: 'check the id: it is Patients.ID_Persons (the number IDENT shows as the patient id)',
      code: 'E_NO_PATIENT',
    })
  const api = await session.api()
  const mapper = await session.mapper(true)
  const desired = mapper.desired(patient)
  const link = await session.state.getLink(patient.id)

  const found = await new ContactMatcher(mapper, {api: session.api, state: session.state}).lookUp(patient, mapper.phones(desired), link)
  const {contact, via: match} = found
  let duplicates = found.duplicates
  if (match === 'link') {
    // Duplicates of a linked contact: other contacts carrying the same patient id.
    duplicates = []
    for await (const page of api.listContacts({query: patient.id, limit: 250}))
      for (const c of page) if (c.id !== contact!.id && mapper.identId(c) === patient.id) duplicates.push(c.id)
  }
  const fields = diffContact(desired, contact, mapper.resolved, {
    accountTimezone: mapper.accountTimezone,
    previous: {phone: link?.writtenPhones ?? [], email: link?.writtenEmails ?? []},
    writtenKey: session.state.writtenValueKey,
  })
  // A value amoCRM cannot hold (a birthday before 1970) is not a difference a sync could remove.
  const equal = fields.every((f) => f.equal || f.refused)
  const action = !contact ? 'create' : equal ? (match === 'link' ? 'unchanged' : 'link') : match === 'link' ? 'update' : 'link'
  return {patient, desired, contact, match, duplicates, fields, action, warnings: mapper.warnings(desired)}
}
