import {Flags} from '@oclif/core'

import {connectAmo} from '../../amo-connection.js'
import {BaseCommand} from '../../base-command.js'
import {saveFieldIds} from '../../config/index.js'
import {checkFields, type FieldStatus, type FieldsCheckResult} from '../../fields/index.js'
import {chalk, mark, renderTable} from '../../ui/index.js'

export interface FieldsCheckJson {
  ok: boolean
  summary: string
  saved: Record<string, number>
  fields: Array<{
    key: string
    name: string
    id: number | null
    type: string | null
    enabled: boolean
    ok: boolean
    /** What is wrong, in words. */
    problem: string | null
    /** not_found | configured_id_not_found | wrong_type | missing_options. */
    problemCode: string | null
    fix: string | null
  }>
}

export function fieldsTable(fields: FieldStatus[]): string {
  const rows = fields.map((f) => [
    f.key,
    f.name,
    f.id,
    f.type,
    f.enabled ? mark.bool(f.ok) : chalk.dim('off'),
    f.enabled ? [f.message, f.fix].filter(Boolean).join('\n→ ') : chalk.dim(`disabled (fields.${f.key} = false): never sent`),
  ])
  // On a terminal, wrap the long last column to the window instead of letting every line overflow.
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined
  let colWidths: Array<number | null> | undefined
  if (columns) {
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => String(r[i] ?? '').length), 4) + 2)
    const rest = columns - widths.reduce((a, b) => a + b, 0) - 7
    if (rest >= 30) colWidths = [...widths, rest]
  }
  return renderTable(['key', 'name', 'id', 'type', '', 'problem / fix'], rows, colWidths ? {colWidths} : {})
}

export function fieldsJson(result: FieldsCheckResult): FieldsCheckJson {
  return {
    ok: result.ok,
    summary: result.summary,
    saved: result.saved as Record<string, number>,
    fields: result.fields.map((f) => ({
      key: f.key,
      name: f.name,
      id: f.id,
      type: f.type,
      enabled: f.enabled,
      ok: f.ok,
      problem: f.message,
      problemCode: f.problem,
      fix: f.fix,
    })),
  }
}

export default class FieldsCheck extends BaseCommand<typeof FieldsCheck> {
  static override summary = 'Check that every mapped contact field exists in amoCRM with the right type and options.'
  static override description = `Reads the account's contact custom fields and checks each mapped field (see \`config show\` for the ids): found by its configured id, else by code (PHONE, EMAIL) or default name; of a compatible type; a select with every option. Prints a table with ✓/✗ and the fix for each problem. --fix saves the ids found by code or name in the config file. Exit code 0 only when every enabled field is usable.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --fix',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {
    fix: Flags.boolean({description: 'save the ids of the fields found by code or name in the config file'}),
  }

  async run(): Promise<FieldsCheckJson> {
    const config = this.loadAppConfig()
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const {api} = await connectAmo(config, dirs)
    const result = await checkFields(api, config.fields, this.flags.fix ? {saveIds: (ids) => saveFieldIds(dirs.configDir, ids)} : {})
    this.log(fieldsTable(result.fields))
    const saved = Object.entries(result.saved)
    if (saved.length > 0) this.log(`saved ${saved.map(([k, id]) => `fields.${k}.id = ${id}`).join(', ')} in ${config.paths.configFile}`)
    if (result.ok) this.log(`${mark.ok()} ${result.summary}`)
    else {
      process.exitCode = 1
      this.logToStderr(`${mark.fail()} ${result.summary}`)
    }
    return fieldsJson(result)
  }
}
