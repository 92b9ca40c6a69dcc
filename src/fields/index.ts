export {
  FIELD_CATALOGUE,
  FIELD_SPEC,
  GENDER_OPTIONS,
  STATUS_OPTIONS,
  TEXT_FIELD_LIMIT,
  TEXTAREA_FIELD_LIMIT,
  VISITS_TEXTAREA_LIMIT,
  formatVisitHistory,
  isFieldKey,
} from './catalogue.js'
export type {FieldSpec} from './catalogue.js'
export {fieldsUnavailableWith} from './availability.js'
export {
  DEAL_FIELD_CATALOGUE,
  DEAL_FIELD_KEYS,
  DEAL_PIPELINE_NAME,
  DEAL_STAGE_KEYS,
  DEAL_STAGES,
  DEAL_TAG,
  DEFAULT_LOSS_REASON,
  isDealFieldKey,
  isDealStageKey,
} from './deal-catalogue.js'
export type {DealFieldKey, DealFieldSpec, DealStageKey, DealStageSpec} from './deal-catalogue.js'
export {checkFields, createMissingFields, fieldsCheckJson} from './check.js'
export {checkDeals, createMissingDeals, dealsCheckJson} from './deal-check.js'
export type {CancelReasonNames, DealsCheckJson, DealsCheckOptions, DealsCheckResult, DealsCreateResult} from './deal-check.js'
export {dealMappingContext, loadDealAccount, lossReasonFor, resolveDeals} from './deal-setup.js'
export type {
  DealAccount,
  DealAccountApi,
  DealIds,
  DealMappingContext,
  DealResolution,
  DealSetupConfig,
  DealSetupProblemKind,
  JsonMetaStore,
  LossReasonCheck,
  PipelineCheck,
  StageCheck,
} from './deal-setup.js'
export {catalogueMarkdownTable} from './docs.js'
export type {FieldsCheckJson, FieldsCheckResult, FieldsCreateResult, FieldStatusJson, SaveIdsOption} from './check.js'
export {buildCreate, buildUpdate, diffContact, mergeMultiValues, writtenMultiValues} from './compare.js'
export type {CompareOptions, DiffKey, FieldDiff, WrittenKey, WrittenMultiValues} from './compare.js'
export {midnightRfc3339, wallTime, wholeYears} from './dates.js'
export type {WallTime} from './dates.js'
export {contactNames, mapPatient} from './map.js'
export type {DesiredContact, DesiredField, MapOptions, SkipReason} from './map.js'
export {contactIdentId, contactPhones, namesMatch} from './match.js'
export {normalizeEmail, normalizePhone} from './normalize.js'
export type {NormalizedPhone} from './normalize.js'
export {resolveDealFields, resolveFields, withFieldIds} from './resolve.js'
export type {FieldProblemKind, FieldResolution, FieldStatus} from './resolve.js'
export {FIELD_KEYS} from './types.js'
export type {DesiredScalar, FieldKey, MappingWarning, ResolvedField, ResolvedFields, ValueKind, WarningCode} from './types.js'
