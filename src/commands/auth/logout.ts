import {rmSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {saveSecretStorageChoice} from '../../config/index.js'
import {deleteStoredTokens, FileSecretStore, openSecretStore, SECRET_KEYS} from '../../secrets/index.js'

const LABELS: Record<string, string> = {
  [SECRET_KEYS.tokens]: 'the amoCRM tokens',
  [SECRET_KEYS.clientSecret]: 'the integration client secret',
  [SECRET_KEYS.dbPassword]: 'the IDENT database password',
}

export interface LogoutResult {
  /** Keys removed from the store (AMOCRM_TOKENS, AMOCRM_CLIENT_SECRET, DB_PASSWORD). */
  removed: string[]
  storage: string
  /** Secrets still set in the environment, which this command cannot remove. */
  stillInEnvironment: string[]
}

export default class AuthLogout extends BaseCommand<typeof AuthLogout> {
  static override summary = 'Remove the stored amoCRM tokens and client secret.'
  static override description =
    'Removes the amoCRM tokens and the integration client secret from the OS keychain (or the --insecure-storage file). With --all also the IDENT database password; once the insecure file is empty it is deleted and later commands use the keychain again. Secrets set in the environment (AMOCRM_ACCESS_TOKEN, AMOCRM_CLIENT_SECRET, DB_PASSWORD) are not touched: unset them yourself.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --all --json']
  static override flags = {
    all: Flags.boolean({description: 'also remove the IDENT database password'}),
  }

  async run(): Promise<LogoutResult> {
    const config = this.loadAppConfig()
    const store = await openSecretStore({configDir: this.config.configDir, dataDir: this.config.dataDir})
    const removed: string[] = []
    if (await deleteStoredTokens(store, this.config.configDir)) removed.push(SECRET_KEYS.tokens)
    if (await store.delete(SECRET_KEYS.clientSecret)) removed.push(SECRET_KEYS.clientSecret)
    if (this.flags.all && (await store.delete(SECRET_KEYS.dbPassword))) removed.push(SECRET_KEYS.dbPassword)
    const storage = store.describe()
    if (this.flags.all && store instanceof FileSecretStore && store.keys().length === 0) {
      rmSync(store.file, {force: true})
      saveSecretStorageChoice(this.config.configDir, 'keychain')
    }

    this.log(
      removed.length > 0
        ? `Removed ${removed.map((k) => LABELS[k]).join(', ')} from ${storage}.`
        : `Nothing to remove: ${storage} holds no ident-amo secrets.`,
    )
    const stillInEnvironment = [
      ...(config.amocrm.accessToken ? ['AMOCRM_ACCESS_TOKEN'] : []),
      ...(config.values.AMOCRM_CLIENT_SECRET.source === 'env' || config.values.AMOCRM_CLIENT_SECRET.source === '.env'
        ? ['AMOCRM_CLIENT_SECRET']
        : []),
      ...(config.values.DB_PASSWORD.source === 'env' || config.values.DB_PASSWORD.source === '.env' ? ['DB_PASSWORD'] : []),
    ]
    if (stillInEnvironment.length > 0)
      this.warn(
        `${stillInEnvironment.join(', ')} ${stillInEnvironment.length === 1 ? 'is' : 'are'} still set in the environment or .env and will be used`,
      )
    return {removed, storage, stillInEnvironment}
  }
}
