export type {SecretStore, StoredTokens} from './types.js'
export {SECRET_KEYS} from './types.js'
export {openSecretStore} from './store.js'
