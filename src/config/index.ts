export {AMO_ACCOUNT_HOST, parseAccountAddress} from './account.js'
export {
  amoBaseUrl,
  checkAmoTransport,
  configFilePath,
  configuredAmoBaseUrl,
  identConfigured,
  isLoopbackHost,
  loadConfig,
  parseBoolean,
  readDotenv,
  settingWarning,
  validateSetting,
} from './load.js'
export type {AppConfig, FieldSetting, IdentRenames, LoadConfigOptions, SettingSource} from './load.js'
export {readSecretStorageChoice, saveDealStages, saveFieldIds, saveSecretStorageChoice, setConfigValue, storedSettingNames} from './file.js'
export type {SecretStorageChoice, SetConfigResult} from './file.js'
export {DEAL_KEYS, dealSettingRows} from './deals.js'
export type {DealFieldSetting, DealKeyDef, DealsConfig} from './deals.js'
export {applyConfigInit, currentInitAnswers, planConfigInit} from './init-plan.js'
export type {InitAnswers, InitPlan, InitSecretName, InitWritten} from './init-plan.js'
export {SECRET_SETTINGS, SETTING_BY_NAME, SETTINGS, settingByKey} from './settings.js'
export type {SettingDef, SettingName} from './settings.js'
