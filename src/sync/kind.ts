import type {EntityWrite, KeptRecord, PlanStep, SkipStep} from './plan.js'
import type {WriteTarget} from './writer.js'

/** The types one entity kind works with. */
export interface KindTypes {
  /** A source entity (an IDENT patient). */
  item: unknown
  /** What amoCRM should hold for it (the mapping's desired contact). */
  desired: unknown
  /** What the state keeps about it (the link patient → contact). */
  link: unknown
  /** What matching found for it in amoCRM. */
  found: unknown
  /** One element of a write batch. */
  payload: EntityWrite
  /** What the state records once a write is confirmed. */
  record: KeptRecord
}

export type KindStep<T extends KindTypes> = PlanStep<T['payload'], T['record']>

/** The planner's answer when what is stored is not enough: look the entity up in amoCRM, then plan again. */
export const LOOK_UP = 'look_up'

/** Which source entities a pass reads. */
export interface ReadFilter {
  /** Changed since this watermark (naive database time). */
  since?: string
  ids?: string[]
  limit?: number
}

export type IndexProgress = (phase: 'index' | 'family', count?: number) => void

/**
 * One kind of entity the sync keeps in step — contacts now; deals (a reception → a lead) next. The
 * engine runs the modes over any kind: the kind brings its source reader, its mapping, its matcher,
 * its planner and its amoCRM endpoints; the plan → write → record machinery is shared.
 *
 * Reading the source and the state needs no mapping; everything else comes from `prepare`, which
 * resolves the mapping for the account (an incremental pass with nothing to do never asks for it).
 */
export interface SyncKind<T extends KindTypes> {
  /** How log lines name a key (`patientId`) and how messages name a source entity (`patient`). */
  readonly keyName: string
  readonly sourceNoun: string
  read(filter: ReadFilter): AsyncIterable<T['item']>
  keyOf(item: T['item']): string
  /** The stored links of these keys. */
  links(keys: string[]): Promise<Map<string, T['link']>>
  /** Key → remote id of every stored link (`sync deep` reports the keys gone from the source). */
  linkTargets(): Promise<Map<string, number>>
  /** Keys that failed in earlier runs: an incremental pass retries them. */
  failedKeys(): Promise<string[]>
  /** Failed keys that vanished from the source: nothing is left to retry. */
  forgetFailures(keys: string[]): Promise<void>
  /** The mapping for this account; `fresh` reads the account's definitions again instead of the cached ones. */
  prepare(fresh: boolean): Promise<PreparedKind<T>>
}

/** A kind with its mapping resolved: what planning and writing need. */
export interface PreparedKind<T extends KindTypes> {
  desired(item: T['item']): T['desired']
  /** Per-field warnings of the mapping (no personal data), counted by kind in the run log. */
  warnings(desired: T['desired']): ReadonlyArray<{field: string; code: string}>
  /** `sync full` / `sync deep`: every remote entity read once; matching against it sends nothing. */
  readIndex(progress: IndexProgress): Promise<(item: T['item'], desired: T['desired'], link: T['link'] | undefined) => T['found']>
  /**
   * While `readIndex` is still reading: `{found}` when what it has read already decides the match (the
   * answer the whole index would give, bar duplicates), `later` when more of it may, `end` when only the
   * whole index does. Absent: every entity waits for the whole index.
   */
  matchEarly?(item: T['item'], link: T['link'] | undefined): {found: T['found']} | 'later' | 'end'
  /** Once the index is read: the duplicates of the entities matched early (their early match carries none). */
  earlyDuplicates?(): Array<{key: string; remoteIds: number[]}>
  /** Frees what `readIndex` holds (the contact index's temporary store); the index is not asked after. */
  releaseIndex?(): void
  /** One entity without the index: its link checked, else searched for in amoCRM. */
  lookUp(item: T['item'], desired: T['desired'], link: T['link'] | undefined): Promise<T['found']>
  /** The pure planner: `found` absent means nothing was looked up yet. */
  plan(input: {
    desired: T['desired']
    link: T['link'] | undefined
    found?: T['found']
    compareWithAmo: boolean
  }): KindStep<T> | SkipStep | typeof LOOK_UP
  /** The writer's side: endpoints and records. */
  readonly target: WriteTarget<T['payload'], T['record']>
}
