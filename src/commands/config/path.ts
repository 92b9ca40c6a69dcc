import {BaseCommand} from '../../base-command.js'
import {configFilePath} from '../../config/index.js'

export default class ConfigPath extends BaseCommand<typeof ConfigPath> {
  static override summary = 'Print where the config file, state and logs live.'
  static override description =
    'The config file holds no secrets (they are in the OS keychain). State (links, watermark, runs) and logs live in the data directory. IDENT_AMO_CONFIG_DIR and IDENT_AMO_DATA_DIR override both.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{configFile: string; configDir: string; dataDir: string; logFile: string; stateFile: string}> {
    const config = this.loadAppConfig()
    const result = {
      configFile: configFilePath(this.config.configDir),
      configDir: this.config.configDir,
      dataDir: this.config.dataDir,
      logFile: config.log.file,
      stateFile: `${this.config.dataDir}/state.sqlite`,
    }
    this.log(`config file  ${result.configFile}`)
    this.log(`data dir     ${result.dataDir}`)
    this.log(`state        ${result.stateFile}`)
    this.log(`log file     ${result.logFile}`)
    return result
  }
}
