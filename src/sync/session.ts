import {createAmoApi, type Dirs} from '../amo-connection.js'
import type {AmoClient} from '../amocrm/index.js'
import type {AppConfig} from '../config/index.js'
import {type IdentReader, openIdent} from '../ident/index.js'
import {createFileLogger, type Logger} from '../log/index.js'
import {resolveDbPassword} from '../secrets/index.js'
import type {SyncDeps} from './engine.js'
import {createFieldsMapper, loadMappingContext, systemTimezone} from './fields-mapper.js'
import {SyncState} from './state.js'

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
  /** The engine's dependencies (without progress/plan callbacks and signal); a dry run caches nothing. */
  deps(options?: {dryRun?: boolean}): Pick<SyncDeps, 'source' | 'api' | 'mapper' | 'state' | 'logger'>
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
  return {
    config,
    state,
    reader,
    logger,
    api,
    deps: (depsOptions = {}) => ({
      source: reader,
      api,
      state,
      logger,
      mapper: async (getApi, fresh) => {
        const build = async (refetch: boolean) => {
          const context = await loadMappingContext(getApi, state, refetch, {cache: !depsOptions.dryRun})
          return createFieldsMapper(context, {
            fields: config.fields,
            clinicTimezone: config.sync.timezone ?? context.accountTimezone ?? systemTimezone(),
            writtenKey: state.writtenValueKey,
          })
        }
        if (fresh) return build(true)
        try {
          return await build(false)
        } catch {
          // The cached field definitions may predate `fields create` / `fields check --fix`: read them again.
          return build(true)
        }
      },
    }),
    async close() {
      await reader.close().catch(() => undefined)
      await state.close().catch(() => undefined)
      await fileLogger?.close()
    },
  }
}
