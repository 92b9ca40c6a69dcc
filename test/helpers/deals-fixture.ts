import type {Lead} from '../../src/amocrm/types.js'
import {type AppConfig, loadConfig} from '../../src/config/index.js'
import {type DealStageKey, loadDealAccount, dealMappingContext} from '../../src/fields/index.js'
import {openIdent, type Reception} from '../../src/ident/index.js'
import {createDealMapper, type DealMapper} from '../../src/sync/deals/mapper.js'
import {type SyncFixture, syncFixture} from './sync-fixture.js'

export const DEALS_ON = {DEALS: 'on'}

/** A generated clinic and a sandbox account with the contact fields and the deals setup created (DEALS=on). */
export async function dealsFixture(options: {patients: number; seed?: number}): Promise<SyncFixture> {
  const f = await syncFixture({patients: options.patients, seed: options.seed, createFields: false})
  const created = await f.cli(['fields', 'create'], DEALS_ON)
  if (created.code !== 0) throw new Error(`fields create failed:\n${created.stdout}\n${created.stderr}`)
  f.sandbox.resetStats()
  return f
}

export function dealsConfig(f: SyncFixture, env: Record<string, string> = {}): AppConfig {
  return loadConfig({configDir: f.home.configDir, dataDir: f.home.dataDir, env: {...f.env, ...DEALS_ON, ...env}, cwd: f.home.root})
}

/** The receptions of the window as IDENT holds them now, at the database's clock. */
export async function receptionsInWindow(f: SyncFixture): Promise<Reception[]> {
  const config = dealsConfig(f)
  const reader = await openIdent(config)
  try {
    const now = await reader.readDatabaseClock()
    const out: Reception[] = []
    for await (const r of reader.readReceptions({now, historyDays: config.deals.historyDays, noShowHours: config.deals.noShowHours}))
      out.push(r)
    return out
  } finally {
    await reader.close()
  }
}

/** The deals mapping as the CLI resolves it for this account (read from the sandbox, no request). */
export async function dealMapperFor(f: SyncFixture): Promise<DealMapper> {
  const config = dealsConfig(f)
  const account = await loadDealAccount(
    async () => ({
      listPipelines: async () => f.sandbox.deals.listPipelines(),
      listLeadCustomFields: async () => f.sandbox.deals.listFields(),
      listLossReasons: async () => f.sandbox.deals.listLossReasons(),
    }),
    undefined,
    true,
  )
  return createDealMapper(dealMappingContext(account, config), {deals: config.deals, clinicTimezone: f.sandbox.store.account.timezone})
}

/** Live deals per "ID приёма IDENT". */
export function dealsByReception(f: SyncFixture, mapper: DealMapper): Map<string, Lead[]> {
  const out = new Map<string, Lead[]>()
  for (const lead of f.sandbox.deals.listLeads()) {
    const id = mapper.receptionIdOf(lead)
    if (id !== null) out.set(id, [...(out.get(id) ?? []), lead])
  }
  return out
}

export function stageId(mapper: DealMapper, key: DealStageKey): number {
  return mapper.context.statusIds[key]
}

/** `POST` and `PATCH /api/v4/leads` requests. */
export function dealWrites(f: SyncFixture): number {
  return (
    f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/leads'}) +
    f.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/leads'})
  )
}
