import {connectAmo} from '../../amo-connection.js'
import {BaseCommand} from '../../base-command.js'
import {saveFieldIds} from '../../config/index.js'
import {createMissingFields, type FieldsCheckJson, fieldsCheckJson} from '../../fields/index.js'
import {fieldsTable} from '../../ui/fields.js'
import {mark, terminalWidth, wrapText} from '../../ui/index.js'

export interface FieldsCreateJson extends FieldsCheckJson {
  created: Array<{key: string; name: string; id: number; type: string}>
}

export default class FieldsCreate extends BaseCommand<typeof FieldsCreate> {
  static override summary = 'Create the mapped contact fields amoCRM is missing and save their ids.'
  static override description = `Creates each enabled mapped field the account lacks, with the right type (visit history and comment as textarea, birthday as birthday) and the options of Пол and Статус, then saves the ids of all mapped fields in the config file. Running it again creates nothing. A field that exists with a wrong type or without an option is reported, not duplicated. The built-in Телефон and Email are never created.`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override flags = {}

  async run(): Promise<FieldsCreateJson> {
    const config = this.loadAppConfig()
    const dirs = {configDir: this.config.configDir, dataDir: this.config.dataDir}
    const {api} = await connectAmo(config, dirs)
    const result = await createMissingFields(api, config.fields, {saveIds: (ids) => saveFieldIds(dirs.configDir, ids)})
    if (result.created.length === 0) this.log('no field was missing: nothing created')
    for (const c of result.created) this.log(`${mark.ok()} created '${c.name}' (${c.type}), id ${c.id}`)
    this.log(fieldsTable(result.fields))
    const saved = Object.keys(result.saved).length
    if (saved > 0) this.log(`saved ${saved} field id(s) in ${config.paths.configFile}`)
    if (result.ok) this.log(`${mark.ok()} ${result.summary}`)
    else {
      process.exitCode = 1
      this.logToStderr(wrapText(`${mark.fail()} ${result.summary}`, {maxWidth: terminalWidth(process.stderr)}))
    }
    return {...fieldsCheckJson(result), created: result.created}
  }
}
