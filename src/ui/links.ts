import {amoBaseUrl, type AppConfig} from '../config/index.js'

/** `https://SUB.amocrm.ru/contacts/detail/ID` (or under AMOCRM_BASE_URL): what a person clicks to see a contact. */
export function contactUrl(config: AppConfig): (id: number) => string {
  let base: string
  try {
    base = amoBaseUrl(config)
  } catch {
    base = 'https://<subdomain>.amocrm.ru'
  }
  return (id) => `${base}/contacts/detail/${id}`
}
