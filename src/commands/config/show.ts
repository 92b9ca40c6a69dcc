import {BaseCommand} from '../../base-command.js'
import {type DealsConfig, dealSettingRows, SETTINGS} from '../../config/index.js'
import {renderTable} from '../../ui/index.js'

export interface ConfigShowResult {
  configFile: string
  settings: Array<{name: string; value: string | null; source: string; secret: boolean}>
  fields: Record<string, unknown>
  /** The deals keys (`deals.*`, `fields.deal.*`) with their values and sources. */
  deals: {settings: Array<{key: string; value: string; source: string}>; effective: Omit<DealsConfig, 'keysInFile'>}
  ident: unknown
}

export default class ConfigShow extends BaseCommand<typeof ConfigShow> {
  static override summary = 'Show the effective configuration and where each value comes from.'
  static override description =
    'Precedence: flags > environment > .env in the working directory > config file > defaults. Secrets are masked; whether they are set in the environment is shown, values kept in the keychain are shown by `auth status`.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<ConfigShowResult> {
    const config = this.loadAppConfig()
    const settings = SETTINGS.map((s) => {
      const {value, source} = config.values[s.env]
      const secret = 'secret' in s && s.secret === true
      return {name: s.env, value: value === undefined ? null : secret ? mask(value) : value, source, secret}
    })
    this.log(`config file: ${config.paths.configFile}`)
    this.log(
      renderTable(
        ['setting', 'value', 'from'],
        settings.map((s) => [s.name, s.value ?? '', s.source]),
      ),
    )
    const fieldIds = Object.entries(config.fields)
    if (fieldIds.length > 0) {
      this.log('')
      this.log(
        renderTable(
          ['field', 'amoCRM id'],
          fieldIds.map(([k, v]) => [k, v === false ? 'disabled' : (v.id ?? '')]),
        ),
      )
    }
    const dealRows = dealSettingRows(config.deals, config.dealFields)
    this.log('')
    this.log(
      renderTable(
        ['deals key', 'value', 'from'],
        dealRows.map((r) => [r.key, r.value, r.source]),
      ),
    )
    const {keysInFile: _keysInFile, ...effective} = config.deals
    return {
      configFile: config.paths.configFile,
      settings,
      fields: config.fields,
      deals: {settings: dealRows, effective},
      ident: config.ident,
    }
  }
}

function mask(secret: string): string {
  if (secret.length <= 4) return '****'
  return `****${secret.slice(-4)}`
}
