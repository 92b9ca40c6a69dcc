import {BaseCommand} from '../../base-command.js'
import {type AppConfig, type DealsConfig, dealSettingRows, SETTINGS, type SettingName, settingWarning} from '../../config/index.js'
import {errorMessage} from '../../errors.js'
import {openSecretStore} from '../../secrets/index.js'
import {chalk, renderTable} from '../../ui/index.js'

export interface ConfigShowResult {
  configFile: string
  settings: Array<{
    name: string
    /** Secrets: never the value, only whether one is set (`set`). */
    value: string | null
    source: string
    secret: boolean
    /** What is wrong with the value (the default is used instead until it is corrected). */
    invalid?: string
    warning?: string
  }>
  fields: Record<string, unknown>
  /** The deals keys (`deals.*`, `fields.deal.*`) with their values and sources. */
  deals: {settings: Array<{key: string; value: string; source: string}>; effective: Omit<DealsConfig, 'keysInFile'>}
  ident: unknown
}

export default class ConfigShow extends BaseCommand<typeof ConfigShow> {
  static override summary = 'Show the effective configuration and where each value comes from.'
  static override description =
    'Precedence: flags > environment > .env in the working directory > config file > defaults. Secrets are never shown: only where each is kept (environment, .env, the OS keychain or the insecure file). An invalid value is shown and marked, with what is wrong, so that it can be corrected.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<ConfigShowResult> {
    const config = this.loadAppConfig({}, {lenient: true})
    const storedSecrets = await this.storedSecrets(config)
    const settings: ConfigShowResult['settings'] = SETTINGS.map((s) => {
      const {value, source, invalid} = config.values[s.env]
      const secret = 'secret' in s && s.secret === true
      const warning = value === undefined || invalid || secret ? undefined : settingWarning(s.env, value)
      const stored = secret && source === 'unset' ? storedSecrets[s.env] : undefined
      return {
        name: s.env,
        value: secret ? (value !== undefined || stored?.set ? 'set' : null) : (value ?? null),
        source: stored?.where ?? source,
        secret,
        ...(invalid ? {invalid} : {}),
        ...(warning ? {warning} : {}),
      }
    })
    this.log(`config file: ${config.paths.configFile}`)
    this.log(
      renderTable(
        ['setting', 'value', 'from'],
        settings.map((s) => [
          s.name,
          s.invalid ? `${s.value} ${chalk.red('✗ invalid')}` : s.warning ? `${s.value} ${chalk.yellow('! above 7')}` : (s.value ?? ''),
          s.source,
        ]),
      ),
    )
    for (const s of settings) if (s.invalid) this.logToStderr(chalk.red(`✗ ${s.invalid}; the default is used until it is corrected`))
    for (const s of settings) if (s.warning) this.logToStderr(chalk.yellow(`! ${s.warning}`))
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

  /** Where each secret not given by the environment is kept: "OS keychain…" or "file …", or why that is unknown. */
  private async storedSecrets(config: AppConfig): Promise<Partial<Record<SettingName, {set: boolean; where: string}>>> {
    const wanted = SETTINGS.filter(
      (s) => 'secret' in s && s.secret && config.values[s.env].source === 'unset' && s.env !== 'AMOCRM_ACCESS_TOKEN',
    )
    if (wanted.length === 0) return {}
    try {
      const store = await openSecretStore({configDir: config.paths.configDir, dataDir: config.paths.dataDir})
      const out: Partial<Record<SettingName, {set: boolean; where: string}>> = {}
      for (const s of wanted) if ((await store.get(s.env)) !== undefined) out[s.env] = {set: true, where: store.describe()}
      return out
    } catch (error) {
      // No keychain here: say so rather than "unset", which may be wrong.
      return Object.fromEntries(wanted.map((s) => [s.env, {set: false, where: `unknown: ${errorMessage(error)}`}]))
    }
  }
}
