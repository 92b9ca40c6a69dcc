import {Flags} from '@oclif/core'
import inquirer from 'inquirer'

import type {Dirs} from '../../amo-connection.js'
import {BaseCommand} from '../../base-command.js'
import type {AppConfig} from '../../config/index.js'
import {
  inspectPatient,
  inspectPatientDeals,
  type MatchVia,
  openSyncSession,
  type PatientInspection,
  type ReceptionInspection,
  reportExitCode,
  runPass,
  type SyncReport,
} from '../../sync/index.js'
import {chalk} from '../../ui/index.js'
import {contactUrl, dealUrl} from '../../ui/links.js'
import {dealFieldsTable, patientDealsTable, patientFieldsTable} from '../../ui/patient.js'
import {renderSyncReport} from '../../ui/sync-report.js'

export interface PatientTestResult {
  patientId: string
  contactId: number | null
  match: MatchVia
  fields: Array<{key: string; name: string; ident: string; amo: string; equal: boolean; refused?: 'before_1970'}>
  action: 'create' | 'update' | 'link' | 'unchanged'
  duplicates: number[]
  /** With deals on: the patient's receptions in the window beside their deals; null with deals off. */
  deals: ReceptionInspection[] | null
  report: SyncReport | null
}

const MATCH_TEXT = {
  link: 'the stored link',
  id_field: 'its "ID пациента IDENT" field',
  phone: 'its phone (the contact had no patient id)',
  none: 'none: a new contact would be created',
} as const

export default class PatientTest extends BaseCommand<typeof PatientTest> {
  static override summary = "Compare one patient's IDENT data with its amoCRM contact, field by field, then sync it."
  static override description = `Reads the patient from IDENT and its contact from amoCRM (by the stored link, else by the matching rules of a sync: the "ID пациента IDENT" field, then the phone), and prints every mapped field side by side: the IDENT value as it would be sent, the amoCRM value, ✓ or ✗. It says which contact matched and why, or that one would be created, and lists duplicates. With deals on (DEALS=on) it also shows the patient's receptions in the window beside their deals — stage, price and deal fields, ✓ or ✗, and what a sync would do with each (the deals pipeline is read once to find them, as sync full does). Then it syncs that one patient, and its deals: it asks first on a terminal; --yes syncs without asking; --dry-run only shows.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --patient-id 123',
    '<%= config.bin %> <%= command.id %> --patient-id 123 --dry-run',
    '<%= config.bin %> <%= command.id %> --patient-id 123 --yes --json',
  ]
  static override flags = {
    'patient-id': Flags.string({description: 'the IDENT patient id (Patients.ID_Persons)', required: true}),
    yes: Flags.boolean({char: 'y', description: 'sync without asking'}),
    'dry-run': Flags.boolean({description: 'only show the comparison; write nothing'}),
  }

  async run(): Promise<PatientTestResult> {
    const patientId = this.flags['patient-id'].trim()
    const config = this.loadAppConfig()
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const url = contactUrl(config)
    const {contact: inspection, deals} = await inspect(config, dirs, patientId)
    const result: PatientTestResult = {
      patientId,
      contactId: inspection.contact?.id ?? null,
      match: inspection.match,
      fields: inspection.fields.map((f) => ({
        key: f.key,
        name: f.name,
        ident: f.desired,
        amo: f.actual,
        equal: f.equal,
        ...(f.refused ? {refused: f.refused} : {}),
      })),
      action: inspection.action,
      duplicates: inspection.duplicates,
      deals,
      report: null,
    }
    this.log(chalk.bold(`patient ${patientId}`) + (inspection.contact ? ` → contact ${url(inspection.contact.id)}` : ''))
    this.log(`matched by: ${MATCH_TEXT[inspection.match]}`)
    if (inspection.duplicates.length > 0)
      this.log(chalk.yellow(`duplicates (left alone): ${inspection.duplicates.map((id) => url(id)).join(', ')}`))
    this.log(patientFieldsTable(inspection.fields))
    for (const w of inspection.warnings) this.log(chalk.yellow(`! ${w.field}: ${w.detail}`))
    // A birthday before 1970 is not a difference: amoCRM cannot hold it, a sync would not change that.
    const differing = inspection.fields.filter((f) => !f.equal && !f.refused).length
    const summary = {
      create: 'a new contact would be created',
      update: `${differing} field(s) differ and would be updated`,
      link: `the contact would be linked${differing ? ` and ${differing} field(s) updated` : ''}`,
      unchanged: 'everything is in step: nothing to write',
    }[inspection.action]
    this.log(summary)
    if (deals) this.showDeals(deals, dealUrl(config))
    const dealsInStep = (deals ?? []).every((r) => r.action === 'unchanged' || (r.action === 'skip' && r.skipReason !== 'no_contact'))

    if (this.flags['dry-run'] || (inspection.action === 'unchanged' && dealsInStep)) return result
    let go = this.flags.yes
    if (!go && this.interactive && process.stdin.isTTY)
      go = (
        await inquirer.prompt<{sync: boolean}>([{type: 'confirm', name: 'sync', message: `Sync patient ${patientId} now?`, default: true}])
      ).sync
    else if (!go) {
      this.log('not synced: pass --yes to sync without a terminal')
      return result
    }
    if (!go) return result

    const pass = await runPass(config, dirs, {
      mode: 'patient',
      batchSize: 1,
      patientIds: [patientId],
      command: `ident-amo patient test --patient-id ${patientId}`,
    })
    result.report = pass.report
    this.log(renderSyncReport(result.report, url))
    if (reportExitCode(result.report) > 0) process.exitCode = 3
    return result
  }

  /**
   * The receptions in the window: one row each (stage, price and fields ✓, or what differs), then each
   * deal that differs — or is still to be made — side by side with what IDENT would send (--json has them all).
   */
  private showDeals(deals: ReceptionInspection[], url: (id: number) => string): void {
    this.log('')
    if (deals.length === 0) {
      this.log(chalk.bold('deals: no reception of this patient in the window'))
      return
    }
    this.log(chalk.bold(`deals: ${deals.length} reception(s) in the window`))
    this.log(patientDealsTable(deals))
    for (const r of deals) {
      if (r.dealId !== null && r.fields.every((f) => f.equal) && r.duplicates.length === 0) continue
      this.log('')
      this.log(chalk.bold(`reception ${r.receptionId}`) + (r.dealId === null ? ' — no deal yet' : ` → deal ${url(r.dealId)}`))
      if (r.duplicates.length > 0) this.log(chalk.yellow(`duplicates (left alone): ${r.duplicates.map((id) => url(id)).join(', ')}`))
      this.log(dealFieldsTable(r.fields))
    }
    const count = (action: ReceptionInspection['action']) => deals.filter((r) => r.action === action).length
    const moves = deals.filter((r) => r.moves).length
    const parts = [
      count('create') ? `${count('create')} deal(s) would be created` : '',
      count('update') ? `${count('update')} updated` : '',
      count('link') ? `${count('link')} linked` : '',
      moves ? `${moves} moved to IDENT's stage` : '',
      deals.some((r) => r.skipReason === 'no_contact') ? 'the deals follow the contact, in the same sync' : '',
    ].filter((p) => p !== '')
    this.log(parts.length > 0 ? parts.join(', ') : 'every deal is in step: nothing to write')
  }
}

/**
 * The comparison, in a session of its own: nothing is held open (or locked) while the user decides.
 * The deals are planned against the contact the sync would keep (none yet: they wait for it).
 */
async function inspect(
  config: AppConfig,
  dirs: Dirs,
  patientId: string,
): Promise<{contact: PatientInspection; deals: ReceptionInspection[] | null}> {
  const session = await openSyncSession(config, dirs)
  try {
    const contact = await inspectPatient(session, patientId)
    const deals = config.deals.enabled ? await inspectPatientDeals(session, contact.patient.id, contact.contact?.id ?? null) : null
    return {contact, deals}
  } finally {
    await session.close()
  }
}
