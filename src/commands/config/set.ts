import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {SETTING_BY_NAME, type SetConfigResult, setConfigValue} from '../../config/index.js'
import {UsageError} from '../../errors.js'
import {openSecretStore} from '../../secrets/index.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Set one configuration value (secrets go to the keychain).'
  static override description = `KEY is a setting name (see \`config show\`), fields.<key>.id, fields.<key> (false disables a field), a deals key (deals.enabled, deals.pipeline_id, deals.stages.<key>, deals.protected_stages, deals.claim, deals.claim_pipelines, deals.responsible_user_id, deals.users.<staff id>, fields.deal.<key>.id), ident.tables.<Table> or ident.columns.<Table>.<Column> (renames for clinics whose IDENT differs). An empty VALUE removes the key. DB_PASSWORD and AMOCRM_CLIENT_SECRET are stored in the OS keychain, never in the config file.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> DB_HOST 192.168.1.10',
    '<%= config.bin %> <%= command.id %> fields.age.id 123456',
    '<%= config.bin %> <%= command.id %> ident.columns.Persons.MobilePhone CellPhone',
    '<%= config.bin %> <%= command.id %> fields.inn false',
    '<%= config.bin %> <%= command.id %> deals.stages.no_show 61234567',
  ]
  static override args = {
    key: Args.string({required: true, description: 'setting name or dotted key'}),
    value: Args.string({required: true, description: 'the new value ("" removes it)'}),
  }
  static override flags = {}

  async run(): Promise<SetConfigResult & {stored: 'config file' | 'keychain'}> {
    const {key, value} = this.args
    const setting = SETTING_BY_NAME.get(key)
    if (key === 'AMOCRM_ACCESS_TOKEN')
      throw new UsageError(
        'AMOCRM_ACCESS_TOKEN is read from the environment only',
        'store a long-lived token with `ident-amo auth login --token -` (it reads the token from standard input), or set AMOCRM_ACCESS_TOKEN in the environment or .env',
      )
    if (setting?.secret) {
      const store = await openSecretStore({configDir: this.config.configDir, dataDir: this.config.dataDir})
      if (value === '') await store.delete(key)
      else await store.set(key, value)
      this.log(`${key} ${value === '' ? 'removed from' : 'saved in'} ${store.describe()}`)
      return {key, value: value === '' ? null : '****', stored: 'keychain'}
    }
    const result = setConfigValue(this.config.configDir, key, value)
    this.log(result.value === undefined ? `${key} removed` : `${key} = ${JSON.stringify(result.value)}`)
    if (result.also) this.log(`${result.also.key} = ${JSON.stringify(result.also.value)}`)
    if (result.warning) this.warn(result.warning)
    return {...result, stored: 'config file'}
  }
}
