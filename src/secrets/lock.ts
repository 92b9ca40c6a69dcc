import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import lockfile from 'proper-lockfile'

import {AppError} from '../errors.js'

/** A lock older than this (its holder died without releasing it) is taken over. */
const STALE_MS = 30_000

/** Next to the tokens: the config dir (the file store's directory, and the keychain entries' key). */
export function tokenLockPath(configDir: string): string {
  return path.join(configDir, 'token.lock')
}

/**
 * Takes the cross-process token lock (`<configDir>/token.lock`): only one ident-amo process refreshes or
 * replaces the stored tokens at a time (docs/architecture.md "Secrets and tokens"), so that a `sync watch` and a `patient test`
 * never burn each other's single-use refresh token. The lock lives next to the tokens, not in the data
 * dir: processes with different data dirs share one config's tokens. Waits up to about half a minute
 * for another holder.
 */
export async function acquireTokenLock(configDir: string): Promise<() => Promise<void>> {
  await mkdir(configDir, {recursive: true, mode: 0o700})
  const lockfilePath = tokenLockPath(configDir)
  try {
    const release = await lockfile.lock(path.join(configDir, 'token'), {
      realpath: false,
      lockfilePath,
      stale: STALE_MS,
      retries: {retries: 60, factor: 1.3, minTimeout: 50, maxTimeout: 1000, randomize: true},
      // Losing the lock (e.g. a suspended laptop) must not crash the process: the store is re-read
      // under the next lock and a refresh token burnt twice is reported as such.
      onCompromised: () => {},
    })
    return async () => {
      try {
        await release()
      } catch {
        // already released or taken over as stale
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED')
      throw new AppError('another ident-amo process has been refreshing the amoCRM token for too long', {
        code: 'E_TOKEN_LOCK',
        hint: `if no other ident-amo is running, remove ${lockfilePath} and try again`,
        cause: error,
      })
    throw error
  }
}
