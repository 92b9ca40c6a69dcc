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
export {DEAL_KEYS, dealSettingRows} from './deals.js'
export type {DealFieldSetting, DealKeyDef, DealsConfig} from './deals.js'
export {readSecretStorageChoice, saveDealStages, saveFieldIds, saveSecretStorageChoice, setConfigValue} from './file.js'
export type {SecretStorageChoice} from './file.js'
export {SECRET_SETTINGS, SETTING_BY_NAME, SETTINGS, settingByKey} from './settings.js'
export type {SettingDef, SettingName} from './settings.js'
