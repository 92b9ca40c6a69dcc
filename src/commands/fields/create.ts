import {saveFieldIds} from '../../config/index.js'
import {dealIdsSaved, dealIdsSaver, FieldsCommand} from '../../fields-command.js'
import {createMissingDeals, createMissingFields, type FieldsCheckJson} from '../../fields/index.js'
import {mark} from '../../ui/index.js'

export interface FieldsCreateJson extends FieldsCheckJson {
  created: Array<{key: string; name: string; id: number; type: string}>
}

export default class FieldsCreate extends FieldsCommand<typeof FieldsCreate> {
  static override summary = 'Create the mapped contact fields amoCRM lacks (and with DEALS on, what the deals need) and save their ids.'
  static override description = `Creates each enabled mapped field the account lacks, with the right type (visit history and comment as textarea, birthday as birthday) and the options of Пол and Статус, then saves the ids of all mapped fields in the config file. With DEALS on it also creates what the deals lack: the pipeline «Приёмы IDENT» with its stages (Записан, Пациент пришёл, Приём завершён, Не пришёл) in one request — or, when the pipeline exists (found by name or deals.pipeline_id), only the stages it lacks —, the deal fields, and the loss reasons "Отменён в IDENT" and one per cancel reason of IDENT; then saves the pipeline, stage and deal field ids. Running it again creates nothing. A field that exists with a wrong type or without an option is reported, not duplicated. The built-in Телефон and Email are never created.`
  static override examples = ['<%= config.bin %> <%= command.id %>', 'DEALS=on <%= config.bin %> <%= command.id %> --json']
  static override flags = {}

  async run(): Promise<FieldsCreateJson> {
    const {config, configDir, api, deals: dealsInput} = await this.openAccount()
    const contacts = await createMissingFields(api, config.fields, {saveIds: (ids) => saveFieldIds(configDir, ids)})
    const deals = dealsInput && (await createMissingDeals(api, config, {...dealsInput, saveIds: dealIdsSaver(configDir)}))
    const made = deals?.created
    const count =
      contacts.created.length + (made ? (made.pipeline ? 1 : 0) + made.stages.length + made.fields.length + made.lossReasons.length : 0)
    if (count === 0) this.log(deals ? 'nothing was missing: nothing created' : 'no field was missing: nothing created')
    for (const c of contacts.created) this.log(`${mark.ok()} created '${c.name}' (${c.type}), id ${c.id}`)
    if (made) {
      if (made.pipeline) this.log(`${mark.ok()} created the pipeline '${made.pipeline.name}', id ${made.pipeline.id}`)
      for (const s of made.stages) this.log(`${mark.ok()} created the stage '${s.name}' (${s.key}), id ${s.id}`)
      for (const f of made.fields) this.log(`${mark.ok()} created the deal field '${f.name}' (${f.type}), id ${f.id}`)
      for (const r of made.lossReasons) this.log(`${mark.ok()} created the loss reason '${r.name}', id ${r.id}`)
    }
    const savedContacts = Object.keys(contacts.saved).length
    const savedDeals = dealIdsSaved(deals).length
    this.show({contacts, deals}, config, {
      contacts: savedContacts > 0 ? `saved ${savedContacts} field id(s)` : '',
      deals: savedDeals > 0 ? `saved ${savedDeals} deal id(s) (pipeline, stages, deal fields)` : '',
    })
    return {...this.json({contacts, deals}), created: contacts.created}
  }
}
