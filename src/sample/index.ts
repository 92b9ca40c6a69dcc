export {DEFAULT_SAMPLE_SEED, generateClinic, localNow} from './generate.js'
export type {GenerateClinicOptions, GeneratedClinic} from './generate.js'
export type {CraftedOrder, CraftedPatient, CraftedPayment, CraftedReception, CraftedReceptionOrder} from './crafted.js'
export {
  addOrder,
  addPatient,
  addPayment,
  addVisit,
  archivePatient,
  cancelReception,
  setReceptionStatus,
  touchPatient,
  updatePatient,
} from './edits.js'
export type {ReceptionStatus} from './edits.js'
export type {ClinicShape} from './writer.js'
export {STAFF_PERSON_IDS_FROM} from './writer.js'
export {countSyncedContacts, findInterestingPatient, pipelineStageCounts, upcomingBookings} from './tour.js'
export type {StageCount, UpcomingBooking} from './tour.js'
