export type {IdentStatus, Patient, Reception, Unparseable, Visit} from './types.js'
export {IDENT_STATUSES, MAX_VISITS_READ, UNPARSEABLE} from './types.js'
export {IdentReader, normalizeWatermark, openIdent, readCancelReasonNames} from './reader.js'
export type {IdentWarning, PatientScan, ReadPatientsOptions, ReadReceptionsOptions, ReceptionClock, WritePermission} from './reader.js'
export {checkIdentDatabase} from './check.js'
export type {DbCheckReport} from './check.js'
export {describeIdentTarget} from './connection.js'
export {IdentError} from './errors.js'
export type {IdentErrorCode} from './errors.js'
export {
  CHANGE_SOURCES,
  DEAL_VALUE_SOURCES,
  DOCTOR_SOURCES,
  IDENT_COLUMNS,
  IDENT_TABLES,
  missingCoreError,
  PATIENT_VALUE_SOURCES,
  PATIENT_VALUES,
  READ_TABLES,
  RECEPTION_COLUMNS,
  RECEPTION_TABLES,
  RECEPTION_VALUE_SOURCES,
  RECEPTION_VALUES,
  VISIT_MARKS,
} from './schema.js'
export type {
  ColumnRef,
  ColumnStatus,
  DealValueKey,
  DoctorsReport,
  IdentSchemaReport,
  IdentTable,
  PatientValue,
  ReceptionSchemaReport,
  ReceptionValue,
  SchemaColumnReport,
  SchemaTableReport,
  ValueSource,
} from './schema.js'
export {formatDoctor, parseBirthday} from './rows.js'
export {receptionStage} from './receptions.js'
export {clinicNow} from './time.js'
