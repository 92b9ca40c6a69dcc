import {createAmoApi, type Dirs} from '../amo-connection.js'
import {type AmoApi, type AmoClient, DEFAULT_TIMEOUT_MS} from '../amocrm/index.js'
import type {AppConfig} from '../config/index.js'
import {type IdentReader, openIdent} from '../ident/index.js'
import {createFileLogger, type Logger} from '../log/index.js'
import {resolveDbPassword} from '../secrets/index.js'
import {dealMappingContext, loadDealAccount} from '../fields/index.js'
import {cachedMappingContext, createFieldsMapper, type FieldsMapper, loadMappingContext, systemTimezone} from './contacts/fields-mapper.js'
import {createDealMapper, type DealMapper} from './deals/mapper.js'
import type {SyncDeps} from './engine.js'
import {SyncState} from './state.js'
import type {InFlightOptions} from './writer.js'

/** A create left unanswered is parked this many request timeouts: by then it can no longer land. */
const PARK_TIMEOUTS = 1.5

/**
 * Everything a sync needs, opened from the configuration: the local state, the IDENT reader, the
 * amoCRM client (lazily: an idle incremental sends nothing) and the mapping for the account.
 */
export interface SyncSession {
  config: AppConfig
  state: SyncState
  reader: IdentReader
  logger: Logger
  /** The client, created on first use. */
  api(): Promise<AmoClient>
  /**
   * The contact mapping for this account: `fresh` reads the account's fields and timezone again (and
   * caches them unless `cache` is false), otherwise the cached ones are used when there are any.
   */
  mapper(
    fresh: boolean,
    options?: {cache?: boolean; api?: () => Promise<Pick<AmoApi, 'getAccount' | 'listCustomFields'>>},
  ): Promise<FieldsMapper>
  /** The engine's dependencies (without progress/plan callbacks and signal); a dry run caches nothing. */
  deps(options?: {dryRun?: boolean}): Pick<SyncDeps, 'source' | 'api' | 'mapper' | 'state' | 'logger' | 'inFlight' | 'deals'>
  /**
   * The deals mapping for this account (DEALS=on): the pipelines, deal fields and loss reasons read
   * again when `fresh`, else the cached ones (read again when those no longer fit the config).
   */
  dealMapper(fresh: boolean, options?: {cache?: boolean}): Promise<DealMapper>
  close(): Promise<void>
}

export async function openSyncSession(config: AppConfig, dirs: Dirs, options: {logger?: Logger} = {}): Promise<SyncSession> {
  const fileLogger = options.logger ? undefined : createFileLogger({file: config.log.file, level: config.log.level})
  const logger = options.logger ?? fileLogger!.logger
  const state = await SyncState.open(dirs.dataDir)
  let reader: IdentReader
  try {
    reader = await openIdent(config, {password: await resolveDbPassword(config)})
    // Missing assumed columns are said once per run, not once per patient.
    for (const warning of reader.schema.warnings) logger.warn({event: 'ident_schema'}, warning)
    // Odd rows (a patient id returned twice) are said once per run, with the patient id only.
    reader.onWarning((w) => logger.warn({event: 'ident_row', code: w.code, patientId: w.patientId}, w.message))
  } catch (error) {
    await state.close()
    await fileLogger?.close()
    throw error
  }
  let client: AmoClient | undefined
  const api = async () => {
    client ??= createAmoApi(config, dirs, {logger})
    return client
  }
  const mapper: SyncSession['mapper'] = async (fresh, mapperOptions = {}) => {
    const context = await loadMappingContext(mapperOptions.api ?? api, state, fresh, {cache: mapperOptions.cache})
    return createFieldsMapper(context, {
      fields: config.fields,
      clinicTimezone: config.sync.timezone ?? context.accountTimezone ?? systemTimezone(),
      writtenKey: state.writtenValueKey,
    })
  }
  const dealMapper: SyncSession['dealMapper'] = async (fresh, mapperOptions = {}) => {
    const context = async (freshAccount: boolean) =>
      dealMappingContext(await loadDealAccount(api, state, freshAccount, mapperOptions), {
        deals: config.deals,
        dealFields: config.dealFields,
      })
    let resolved
    try {
      resolved = await context(fresh)
    } catch (error) {
      // The cached account may predate `fields create` / `fields check --fix`: read it again.
      if (fresh) throw error
      resolved = await context(true)
    }
    const clinicTimezone = config.sync.timezone ?? (await cachedMappingContext(state))?.accountTimezone ?? systemTimezone()
    return createDealMapper(resolved, {deals: config.deals, clinicTimezone})
  }
  return {
    config,
    state,
    reader,
    logger,
    api,
    mapper,
    dealMapper,
    deps: (depsOptions = {}) => ({
      source: reader,
      api,
      state,
      logger,
      inFlight: inFlightOptions(config),
      mapper: async (engineApi, fresh) => {
        const cache = !depsOptions.dryRun
        if (fresh) return mapper(true, {cache, api: engineApi})
        try {
          return await mapper(false, {cache, api: engineApi})
        } catch {
          // The cached field definitions may predate `fields create` / `fields check --fix`: read them again.
          return mapper(true, {cache, api: engineApi})
        }
      },
      ...(config.deals.enabled
        ? {
            deals: {
              source: reader,
              api,
              deals: config.deals,
              mapper: (fresh: boolean) => dealMapper(fresh, {cache: !depsOptions.dryRun}),
            },
          }
        : {}),
    }),
    async close() {
      await reader.close().catch(() => undefined)
      await state.close().catch(() => undefined)
      await fileLogger?.close()
    },
  }
}

/** How many writes the writer keeps in flight, within the rate limit, and how long it parks an unanswered create. */
export function inFlightOptions(config: AppConfig): InFlightOptions {
  return {
    concurrency: config.amocrm.concurrency ?? 1,
    rate: config.amocrm.rateLimit,
    parkMs: (config.amocrm.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS) * PARK_TIMEOUTS,
  }
}
