import {Flags} from '@oclif/core'

import {saveFieldIds} from '../../config/index.js'
import {dealIdsSaved, dealIdsSaver, FieldsCommand} from '../../fields-command.js'
import {checkDeals, checkFields, type FieldsCheckJson} from '../../fields/index.js'

export default class FieldsCheck extends FieldsCommand<typeof FieldsCheck> {
  static override summary =
    'Check the mapped contact fields in amoCRM (and with DEALS on, the deals pipeline, stages, fields and loss reasons).'
  static override description = `Reads the account's contact custom fields and checks each mapped field (see \`config show\` for the ids): found by its configured id, else by code (PHONE, EMAIL) or default name; of a compatible type; a select with every option. Prints a table with ✓/✗ and the fix for each problem. With DEALS on, a second section checks what the deals need: the pipeline (deals.pipeline_id, else the one named «Приёмы IDENT»), the stage of each key in it (deals.stages.<key>, else by default name; paid and cancelled are amoCRM's closed stages 142 and 143 unless set), the deal fields (fields.deal.<key>.id, else by name) and the loss reasons: "Отменён в IDENT" is required, one per cancel reason of IDENT (read from its ReceptionCancelReasons table) is a warning when missing, as those cancellations then go as "Отменён в IDENT". --fix saves the ids found by code or name in the config file. Exit code 0 only when every enabled field — and with DEALS on, the deals setup — is usable.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --fix',
    'DEALS=on <%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {
    fix: Flags.boolean({
      description: 'save the ids of the fields (and with DEALS on, the pipeline and stages) found by code or name in the config file',
    }),
  }

  async run(): Promise<FieldsCheckJson> {
    const {config, configDir, api, deals: dealsInput} = await this.openAccount()
    const {fix} = this.flags
    const contacts = await checkFields(api, config.fields, fix ? {saveIds: (ids) => saveFieldIds(configDir, ids)} : {})
    const deals = dealsInput && (await checkDeals(api, config, {...dealsInput, ...(fix ? {saveIds: dealIdsSaver(configDir)} : {})}))
    const savedContacts = Object.entries(contacts.saved).map(([k, id]) => `fields.${k}.id = ${id}`)
    const savedDeals = dealIdsSaved(deals)
    this.show({contacts, deals}, config, {
      contacts: savedContacts.length > 0 ? `saved ${savedContacts.join(', ')}` : '',
      deals: savedDeals.length > 0 ? `saved ${savedDeals.join(', ')}` : '',
    })
    return this.json({contacts, deals})
  }
}
