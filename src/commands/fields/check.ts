import {Flags} from '@oclif/core'

import {connectAmo} from '../../amo-connection.js'
import {BaseCommand} from '../../base-command.js'
import {saveFieldIds} from '../../config/index.js'
import {checkFields, type FieldsCheckJson, fieldsCheckJson} from '../../fields/index.js'
import {fieldsTable} from '../../ui/fields.js'
import {mark, terminalWidth, wrapText} from '../../ui/index.js'

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
      this.logToStderr(wrapText(`${mark.fail()} ${result.summary}`, {maxWidth: terminalWidth(process.stderr)}))
    }
    return fieldsCheckJson(result)
  }
}
