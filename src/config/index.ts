export {
  amoBaseUrl,
  checkAmoTransport,
  configFilePath,
  configuredAmoBaseUrl,
  isLoopbackHost,
  loadConfig,
  parseBoolean,
  readDotenv,
  validateSetting,
} from './load.js'
export type {AppConfig, FieldSetting, IdentRenames, LoadConfigOptions, SettingSource} from './load.js'
export {readSecretStorageChoice, saveFieldIds, saveSecretStorageChoice, setConfigValue} from './file.js'
export type {SecretStorageChoice} from './file.js'
export {SECRET_SETTINGS, SETTING_BY_NAME, SETTINGS} from './settings.js'
export type {SettingDef, SettingName} from './settings.js'
