import {SyncCommand} from '../../sync-command.js'

export default class SyncFull extends SyncCommand<typeof SyncFull> {
  static override summary = 'First full import: every IDENT patient becomes one amoCRM contact.'
  static override description =
    'Reads every contact of the account once (250 per page) and every IDENT patient (streamed), matches them (stored link → "ID пациента IDENT" → phone on a contact with an empty id; families by name), then creates and updates contacts in batches of up to 250. Unchanged patients cost nothing; a second run writes nothing. Safe to interrupt and re-run: no duplicate, no lost change.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run --limit 20',
    '<%= config.bin %> <%= command.id %> --batch-size 250 --json',
  ]
  protected readonly mode = 'full' as const
}
