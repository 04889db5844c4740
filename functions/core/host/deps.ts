import type { InstanceState } from '../instance.ts';
import type { LeaseConfig } from '../ownership.ts';
import type { Clock, IdSource, InstanceStore, SendPort, TimerScheduler, WorkItem, WorkQueue } from '../ports.ts';
import type { OrchestrationRegistry } from '../registry.ts';

export interface Delivery {
  /** How many times the transport delivered this work item (SQS ApproximateReceiveCount). */
  readonly receiveCount: number;
  /**
   * When the run must be over, on the host's clock (a Lambda invocation's time limit): an exclusive step's lease is
   * not renewed past it, since nothing of this run may act after it. @defaultValue the start plus `runTimeLimitMs`
   */
  readonly deadline?: number;
}

export type ProcessOutcome =
  | {
      readonly result: 'done';
      readonly detail: string;
      readonly instance?: InstanceState;
      /** Shapes this call ran and persisted (what a state machine would count as state transitions). */
      readonly shapes?: number;
      /**
       * The work item found nothing to do: no step, no effect, no write (a wake-up for an instance that had already
       * moved on, a join with branches still running, an inbox with nothing it takes). A sweep that looks after a
       * join is not idle: it is that join's watch.
       */
      readonly idle?: boolean;
      /**
       * What the runs this call made for other instances did, run right after it in the same invocation (eager
       * execution, see `ProcessingHostDeps.eager`): a fork's branch instances, the join the last of them woke, ...
       */
      readonly eager?: readonly ProcessOutcome[];
    }
  /** Another host holds a live lease: redeliver after this long. */
  | { readonly result: 'retry'; readonly retryAfterMs: number; readonly detail: string };

export interface ProcessingHostDeps {
  readonly registry: OrchestrationRegistry;
  readonly store: InstanceStore;
  readonly sendPort: SendPort;
  /** The host's own work queue: durable timers are delayed work items on it. */
  readonly workQueue: WorkQueue;
  /** For timers beyond SQS's 15-minute delay (Step Functions on AWS); without it they hop on SQS. */
  readonly timers?: TimerScheduler;
  readonly clock: Clock;
  readonly lease: LeaseConfig;
  /** This host instance's identity, as recorded in leases. */
  readonly hostId: string;
  /**
   * Runs from one persistence point that redelivered work items may start before the instance is suspended
   * instead (see `InstanceState.attempts`). @defaultValue DEFAULT_MAX_ATTEMPTS
   */
  readonly maxAttempts?: number;
  /**
   * How long one run (the handling of one work item) may keep an exclusive step's lease by its heartbeat. A step that
   * hangs past it lets the lease run out, so another host instance takes the instance over and counts the run (see `maxAttempts`), rather than a hung
   * process holding it for as long as it lives. @defaultValue DEFAULT_RUN_TIME_LIMIT_MS
   */
  readonly runTimeLimitMs?: number;
  /** Random ids (lease owners, commit ids). @defaultValue randomUUID */
  readonly newId?: IdSource;
  /**
   * Eager execution: the work items a run makes for other instances (a fork's branch instances, the join the last of
   * them wakes, an orchestration a Start shape begins) run in the same invocation, right after the work item that
   * made them, up to `items` of them per work item handled, instead of going through the work queue, while more than
   * `minRemainingMs` is left before the invocation's deadline. The rest go through the queue, as every item does
   * without this. Nothing else changes: each run claims and commits as any run does, and one lost with its host is
   * found as a lost work item is (a join watches its branches; a running instance is due).
   * @defaultValue none: all through the queue
   */
  readonly eager?: {
    readonly items: number;
    readonly minRemainingMs: number;
    /** Wraps each eager run, as the transport wraps a work item it delivers (the runtime gives each its trace span). */
    readonly around?: (item: WorkItem, run: () => Promise<ProcessOutcome>) => Promise<ProcessOutcome>;
  };
}

/** The work items eager execution may run at once: wake-ups of instances a run just made or woke, due now. */
export const EAGER_REASONS: ReadonlySet<string> = new Set(['fork', 'join', 'start']);

/**
 * The reason of a work item a run enqueues for itself when what follows its commit failed (dispatch, settling, the
 * timer, the inbox of an ended instance): it does those again, as a redelivery would.
 */
export const FINISH = 'finish';

/**
 * Whether a work item does again what followed the last commit (its dispatch, a finished instance's inbox): a redelivery
 * does (the run before it may have died after its commit), so do an item that stands for one (a busy instance's
 * redelivered item comes back as a new one) and a run's own `finish` item. A first delivery does not: re-sending would
 * duplicate what a run that ended well already sent.
 */
export function redoes(item: WorkItem, delivery: Delivery): boolean {
  return delivery.receiveCount > 1 || item.redelivery === true || item.reason === FINISH;
}

/** A Lambda invocation lasts at most 15 minutes: no run outlives that on AWS. */
export const DEFAULT_RUN_TIME_LIMIT_MS = 15 * 60_000;

/** Below the work queue's receive limit, so a step that hangs is suspended before its work item reaches the DLQ. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Whether the last commit's effects may not have gone out: it has some, and they are not recorded as dispatched
 * (`markDispatched`, written once they went out at a dehydration or a suspension).
 */
export function undispatched(state: InstanceState): boolean {
  return state.outbox.length > 0 && state.dispatchedRevision !== state.revision;
}
