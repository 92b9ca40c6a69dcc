import {type EntityWrite, type KeptRecord, type Outcome, OUTCOME_OF, type PlanStep} from './plan.js'

/**
 * Where plan steps go: the batch writer (amoCRM, then the state) or the dry-run sink (nowhere). The
 * engine plans and hands every step over; only the executor knows whether anything is written.
 */
export interface PlanExecutor<P extends EntityWrite, R extends KeptRecord> {
  execute(step: PlanStep<P, R>): Promise<void>
  /**
   * Sends what is queued now, as batches however short, without waiting for their answers (beyond the
   * writes kept in flight): nothing more is coming soon.
   */
  sendQueued(): Promise<void>
  /** Sends everything still queued, and waits until every write sent is confirmed or failed. */
  flush(): Promise<void>
  /**
   * The run stops (Ctrl+C, a fatal error): sends nothing new, waits for the writes in flight and
   * records them; what stays unconfirmed is recorded for the next run.
   */
  settle(): Promise<void>
}

/** What an executor reports as steps are done; the run tally (and progress) listen. */
export interface ExecutorEvents {
  /** A step is done: its write confirmed and recorded (`wrote`), or nothing had to be sent. */
  settled(key: string, outcome: Outcome, wrote: boolean): void
}

/** `--dry-run`: every step counts as done, nothing is sent, nothing is recorded. */
export class DryRunSink<P extends EntityWrite, R extends KeptRecord> implements PlanExecutor<P, R> {
  constructor(private readonly events: ExecutorEvents) {}

  async execute(step: PlanStep<P, R>): Promise<void> {
    this.events.settled(step.key, OUTCOME_OF[step.action], false)
  }

  async sendQueued(): Promise<void> {}

  async flush(): Promise<void> {}

  async settle(): Promise<void> {}
}
