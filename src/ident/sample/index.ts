export {DEFAULT_SAMPLE_SEED, generateClinic, localNow} from './generate.js'
export type {GenerateClinicOptions, GeneratedClinic} from './generate.js'
export type {CraftedOrder, CraftedPatient, CraftedPayment, CraftedReception} from './crafted.js'
export {addOrder, addPatient, addPayment, addVisit, archivePatient, touchPatient, updatePatient} from './edits.js'
