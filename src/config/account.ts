import {UsageError} from '../errors.js'
import type {SettingName} from './settings.js'

/** The hosts of amoCRM and Kommo accounts; any other address is a proxy or the sandbox (AMOCRM_BASE_URL). */
export const AMO_ACCOUNT_HOST = /^([a-z\d][a-z\d-]*)\.(amocrm\.ru|amocrm\.com|kommo\.com)$/i

/**
 * What the user typed for the account: `clinic`, `clinic.amocrm.ru`, `clinic.kommo.com` or an address
 * `https://clinic.amocrm.ru/…`, as settings.
 */
export function parseAccountAddress(text: string): Partial<Record<Extract<SettingName, 'AMOCRM_SUBDOMAIN' | 'AMOCRM_DOMAIN'>, string>> {
  const host = text
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/[/?#].*$/, '')
  const match = /^([a-z\d][a-z\d-]*)(?:\.([a-z\d-]+(?:\.[a-z\d-]+)+))?$/.exec(host)
  if (!match)
    throw new UsageError(
      `'${text}' is not an amoCRM account`,
      'give the subdomain (`clinic` of clinic.amocrm.ru) or the full host (clinic.kommo.com)',
    )
  return match[2] ? {AMOCRM_SUBDOMAIN: match[1]!, AMOCRM_DOMAIN: match[2]} : {AMOCRM_SUBDOMAIN: match[1]!}
}
