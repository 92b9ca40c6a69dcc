export type {Patient, Unparseable, Visit} from './types.js'
export {MAX_VISITS_READ, UNPARSEABLE} from './types.js'
export {IdentReader, normalizeWatermark, openIdent} from './reader.js'
export type {IdentWarning, PatientScan, ReadPatientsOptions, WritePermission} from './reader.js'
export {checkIdentDatabase} from './check.js'
export type {DbCheckReport} from './check.js'
export {describeIdentTarget} from './connection.js'
export {IdentError} from './errors.js'
export type {IdentErrorCode} from './errors.js'
export {
  CHANGE_SOURCES,
  DOCTOR_SOURCES,
  IDENT_COLUMNS,
  IDENT_TABLES,
  missingCoreError,
  PATIENT_VALUE_SOURCES,
  PATIENT_VALUES,
  VISIT_MARKS,
} from './schema.js'
export type {
  ColumnRef,
  ColumnStatus,
  DoctorsReport,
  IdentSchemaReport,
  IdentTable,
  PatientValue,
  SchemaColumnReport,
  SchemaTableReport,
  ValueSource,
} from './schema.js'
export {formatDoctor, parseBirthday} from './rows.js'
