import type {SecretStore} from './types.js'

/** Placeholder until the keychain store lands: refuses clearly. */
export async function openSecretStore(_options: {configDir: string; dataDir: string; insecure?: boolean}): Promise<SecretStore> {
  throw new Error('the secret store is not available yet')
}
