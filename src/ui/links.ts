import {amoBaseUrl, type AppConfig} from '../config/index.js'

/** `https://SUB.amocrm.ru/contacts/detail/ID` (or under AMOCRM_BASE_URL): what a person clicks to see a contact. */
export function contactUrl(config: AppConfig): (id: number) => string {
  const base = accountUrl(config)
  return (id) => `${base}/contacts/detail/${id}`
}

/** `https://SUB.amocrm.ru/leads/detail/ID`: what a person clicks to see a deal. */
export function dealUrl(config: AppConfig): (id: number) => string {
  const base = accountUrl(config)
  return (id) => `${base}/leads/detail/${id}`
}

function accountUrl(config: AppConfig): string {
  try {
    return amoBaseUrl(config)
  } catch {
    return 'https://<subdomain>.amocrm.ru'
  }
}
