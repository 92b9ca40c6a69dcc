export type {Patient, Visit} from './types.js'
export {MAX_VISITS_READ} from './types.js'
export {IdentReader, normalizeWatermark, openIdent} from './reader.js'
export type {ReadPatientsOptions, WritePermission} from './reader.js'
export {checkIdentDatabase} from './check.js'
export type {DbCheckReport} from './check.js'
export {describeIdentTarget} from './connection.js'
export {IdentError} from './errors.js'
export type {IdentErrorCode} from './errors.js'
export {CHANGE_SOURCES, IDENT_COLUMNS, IDENT_TABLES, missingCoreError, PATIENT_VALUE_SOURCES, PATIENT_VALUES} from './schema.js'
export type {
  ColumnRef,
  ColumnStatus,
  IdentSchemaReport,
  IdentTable,
  PatientValue,
  SchemaColumnReport,
  SchemaTableReport,
  ValueSource,
} from './schema.js'
export {formatDoctor} from './rows.js'
export {
  addOrder,
  addPatient,
  addPayment,
  addVisit,
  archivePatient,
  DEFAULT_SAMPLE_SEED,
  generateClinic,
  localNow,
  touchPatient,
  updatePatient,
} from './sample/index.js'
export type {
  CraftedOrder,
  CraftedPatient,
  CraftedPayment,
  CraftedReception,
  GenerateClinicOptions,
  GeneratedClinic,
} from './sample/index.js'
