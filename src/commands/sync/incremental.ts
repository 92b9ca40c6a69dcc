import {SyncCommand} from '../../sync-command.js'

export default class SyncIncremental extends SyncCommand<typeof SyncIncremental> {
  static override summary = 'One pass over what changed in IDENT since the last successful pass.'
  static override description =
    "Reads the patients whose Patients, Persons, Receptions, PaymentsIn or Orders rows changed since the watermark (the database's own clock at the start of the last successful pass, minus 5 minutes), plus the patients that failed before. Linked patients are compared with what was last written, without reading amoCRM; nothing changed means no request at all."
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --batch-size 250 --json',
  ]
  protected readonly mode = 'incremental' as const
}
