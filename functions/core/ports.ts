/**
 * The engine's ports, named by role. Adapters implement them (DynamoDB, SQS, the system clock);
 * tests use in-memory fakes. Nothing here knows about AWS. The MessageBox's ports are in message-box.ts.
 */
import type { InstanceState, SendEntry } from './instance.ts';
import type { RawMessage } from './message.ts';
import type { Tracked, TrackedEvent } from './tracking.ts';

export type {
  CorrelationKey,
  DueEntry,
  DueIndex,
  Inbox,
  InstanceHeader,
  Instances,
  InstanceStore,
  InstanceSummary,
  Listings,
  Locks,
  SuspendedMessages,
} from './message-box.ts';

/** A processing host's work queue. */
export interface WorkItem {
  readonly instanceId: string;
  /** Why it was enqueued: receive, timer, sweep... */
  readonly reason: string;
  /** Deliver no sooner than this (SQS allows up to 900 s; longer timers hop). */
  readonly delaySeconds?: number;
  /**
   * The state the instance had when this item was enqueued, as a hint that saves the first read. Never
   * trusted: a commit from it is conditioned on its revision like any other, and a stale hint only costs
   * a refused write and a fresh read.
   */
  readonly state?: InstanceState;
  /**
   * A join's wake-up from the last branch instance to end: the branch instances as it read them, all ended (an ended
   * branch does not change), so the join need not read them again. Taken on a first delivery only, like `state`.
   */
  readonly branches?: readonly InstanceState[];
  /** The instance's trace context (core/trace.ts), sent as the `traceparent` attribute. */
  readonly trace?: string;
  /**
   * It stands for a redelivered item (a busy instance's item comes back as a new one, its receive count back at 1): it
   * does what a redelivery does, such as sending again a finished instance's outbox that may not have gone out.
   */
  readonly redelivery?: boolean;
}

/** The instance's trace context, for a work item about it (core/trace.ts). */
export function traced(state: Pick<InstanceState, 'trace'> | undefined): { trace?: string } {
  return state?.trace ? { trace: state.trace } : {};
}

/** A new instance rides along with its work item (saving the processing host a read) when this small. */
export const MAX_HINT_BYTES = 64 * 1024;

/** A work item for an instance, carrying the instance when it was just created and is small enough. */
export function workItem(instanceId: string, reason: string, created?: InstanceState): WorkItem {
  const trace = traced(created);
  return created && JSON.stringify(created).length <= MAX_HINT_BYTES
    ? { instanceId, reason, state: created, ...trace }
    : { instanceId, reason, ...trace };
}

/** SQS's longest message delay: timers further out take several hops. */
export const MAX_DELAY_SECONDS = 900;

export interface WorkQueue {
  enqueue(items: readonly WorkItem[]): Promise<void>;
}

/**
 * Bodies a sender left elsewhere: a message whose body is only a reference to it (an SQS extended client's S3
 * pointer) comes back with the body in place, and without what said where it was.
 *
 * @throws InvalidMessage when the reference cannot be followed for good (no such object, too large): the message
 * is suspended with the reason, its reference kept. Other errors are retried.
 */
export interface BodyResolver {
  resolve(message: RawMessage): Promise<RawMessage>;
}

/** Send ports: deliver outbox entries. Must be idempotent in effect (the MessageId attribute is stable). */
export interface SendPort {
  dispatch(entries: readonly SendEntry[]): Promise<void>;
}

/**
 * Durable timers longer than SQS's delay: the runtime starts a timer that, when due, puts the instance's
 * work item on its work queue. Must be idempotent on `timerId` (a retried start cannot fire twice).
 */
export interface TimerScheduler {
  /** `trace`: the instance's trace context, for the work item the timer puts on the queue. */
  schedule(timer: { instanceId: string; timerId: string; dueAt: number; trace?: string }): Promise<void>;
}

/**
 * Time, as the hosts see it. Everything that waits goes through it (a step's sleep, the lease's heartbeat), so a
 * test or the simulator can move time itself and replay a run exactly.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `fire` once, `ms` from now, unless the returned function cancelled it first. */
  after(ms: number, fire: () => void): () => void;
}

/** Where the hosts' random ids come from (lease owners, commit ids): random in production, seeded in the simulator. */
export type IdSource = () => string;

/**
 * The tracked history (core/tracking.ts): written by the tracking function from the MessageBox's stream, read by
 * operators (console, CLI). Never written or read by a step.
 */
export interface HistoryStore {
  /**
   * Records what one change meant. `origin` is the change's sequence number in the MessageBox's stream (digits): it
   * orders a subject's history (the changes of one instance's items come in order), and recording the same change
   * again (a retried batch) writes the same items.
   */
  record(tracked: Tracked, origin: string): Promise<void>;
  /**
   * One page of a subject's history, in the order it happened (newest first with `newestFirst`: what it did lately,
   * however long its history); `next` continues it.
   */
  history(
    subject: string,
    page?: { readonly limit?: number; readonly after?: string; readonly newestFirst?: boolean },
  ): Promise<HistoryPage>;
  /** The subjects a flow key (see core/tracking.ts) points at, at most `limit`. */
  linked(key: string, limit?: number): Promise<string[]>;
  /** How many subjects a flow key points at, without reading them out. */
  countLinked(key: string): Promise<number>;
}

export interface HistoryPage {
  readonly events: readonly TrackedEvent[];
  /** Absent on the last page. */
  readonly next?: string;
}
