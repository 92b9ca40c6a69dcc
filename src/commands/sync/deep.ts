import {SyncCommand} from '../../sync-command.js'

export default class SyncDeep extends SyncCommand<typeof SyncDeep> {
  static override summary = 'Full reconciliation: repair drift between IDENT and what amoCRM actually holds.'
  static override description =
    'Like sync full, but every linked patient is compared with the contact as amoCRM holds it now: fields edited by hand in the CRM are put back, contacts deleted in the CRM are re-linked or re-created, cleared ids are restored, duplicates (several contacts with one patient id) and patients missing in IDENT are reported. Nothing is ever deleted in amoCRM.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --batch-size 250 --json',
  ]
  protected readonly mode = 'deep' as const
}
