/**
 * The engine's ports, named by role. Adapters implement them (DynamoDB, SQS, the system clock);
 * tests use in-memory fakes. Nothing here knows about AWS.
 */
import type {
  InstanceState,
  InstanceStatus,
  Lease,
  MessageResolution,
  SendEntry,
  SuspendedMessage,
} from './instance.ts';
import type { InboundMessage, InboxEntry, RawMessage } from './message.ts';
import type { Tracked, TrackedEvent } from './tracking.ts';

/** The MessageBox: instance state and suspended messages, guarded by conditional writes. */
export interface InstanceStore {
  /** Creates an instance unless it exists. Returns false for a duplicate (idempotent receipt). */
  create(state: InstanceState): Promise<boolean>;
  /** Strongly consistent read. */
  load(instanceId: string): Promise<InstanceState | undefined>;
  /**
   * Takes the lease without changing anything else: revision must equal `expectedRevision` and the lease
   * must be free, expired before `takeoverBefore`, or already `lease.owner`'s. Returns the new state.
   *
   * @throws OwnershipLost when the condition fails.
   */
  claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState>;
  /**
   * Persists `next` (a persistence point) in one conditional write: the stored revision must equal
   * `expectedRevision` and the lease must be free, expired before `takeoverBefore`, or `hostId`'s.
   * `next.revision` must be `expectedRevision + 1`.
   *
   * @throws OwnershipLost when the condition fails.
   */
  commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void>;
  /** The instance's status and creation time, or undefined when it does not exist (a strongly consistent read of a few attributes). */
  summaryOf(instanceId: string): Promise<InstanceSummary | undefined>;
  /**
   * Puts a message in an instance's inbox (held until a receive takes it). Idempotent on messageId, for as long as SQS
   * could bring the message back: a copy of a message the instance already settled is not put back. The message
   * carries the `incarnation` (creation time) of the instance it was delivered to: an instance made again under
   * the same id (a convoy after its predecessor expired) does not take its predecessor's messages. A waiting
   * instance becomes due (see `listDue`), so a lost wake-up is found.
   */
  deliver(instanceId: string, message: InboundMessage): Promise<void>;
  /**
   * The instance's inbox, oldest first: the messages delivered and not yet settled (see `settle`), which may include
   * some a receive took in the last commits (the state's `consumed` says which). A message of more than
   * LISTED_MESSAGE_BYTES comes without its body (`bodyLeft`): `delivery` reads it whole.
   */
  deliveries(instanceId: string): Promise<InboxEntry[]>;
  /** One message of the instance's inbox, whole (its body read from the claim check if it is there); undefined once it left. */
  delivery(instanceId: string, messageId: string): Promise<InboundMessage | undefined>;
  /**
   * Moves messages a commit took out of the inbox: each leaves a small record behind (kept while SQS could still bring
   * a copy of it back) and its inbox item goes, so the inbox holds what is waiting, whatever the number of messages
   * an instance has taken. The records first, then the removals: a crash between leaves a message both settled and in
   * the inbox, which `settled` tells apart. Idempotent.
   */
  settle(instanceId: string, messageIds: readonly string[], now: number): Promise<void>;
  /**
   * Removes messages from an instance's inbox without settling them: messages an ended instance never took, once each
   * is kept as a suspended message (so a message is never in neither place). Idempotent.
   */
  discard(instanceId: string, messageIds: readonly string[]): Promise<void>;
  /** Which of these messages the instance has settled (taken, and moved out of its inbox). */
  settled(instanceId: string, messageIds: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * Records that the outbox of `revision` went out, so waking the instance later does not send it again.
   * A no-op when the instance has moved past that revision.
   */
  markDispatched(instanceId: string, revision: number): Promise<void>;
  /**
   * Lets finished instances expire, counting the retention from `now` (see RetireEntry): a join's branch instances
   * written before they expired by themselves, and those that ended while their join still waits. Idempotent; an
   * instance that is gone or not finished is left alone.
   */
  retire(instanceIds: readonly string[], now: number): Promise<void>;
  /**
   * Counts one more run of the instance from `revision` (a redelivered work item about to run it) and returns
   * the count since the last commit. Claims keep the count; commits clear it.
   *
   * @throws OwnershipLost when the instance is no longer at `revision`.
   */
  countAttempt(instanceId: string, revision: number): Promise<number>;
  /**
   * What is due before `before` (see core/due.ts), oldest first, at most `limit`: the sweeper's only read. Its
   * cost follows what is due, whatever the number of instances.
   */
  listDue(before: number, limit?: number): Promise<DueEntry[]>;
  /**
   * A waiting (or suspended) instance at `revision` was woken by the sweeper and had nothing to take: nothing is due
   * for it before `nextDue` (its timer, or a join's next check), or at all. Clears the due mark of a delivery it does
   * not take yet. A no-op once it moved on.
   */
  rest(instanceId: string, revision: number, nextDue: number | undefined): Promise<void>;
  /**
   * Whether an instance has a due time recorded (its due-index entry), with its status and revision; undefined when it
   * does not exist. An eventually consistent read of a few attributes.
   */
  dueOf(
    instanceId: string,
  ): Promise<{ readonly due: boolean; readonly status: InstanceStatus; readonly revision: number } | undefined>;
  /** Keeps a message that could not be processed. Idempotent on messageId. */
  putSuspendedMessage(message: SuspendedMessage): Promise<void>;
  /**
   * Instances in a status, at most `limit`. With `states: false`, only what each is (`InstanceHeader`): a state kept
   * in the claim check is not read, so a listing for display (the console's overview) reads no object.
   */
  listInstances(status: InstanceStatus, limit?: number): Promise<InstanceState[]>;
  listInstances(
    status: InstanceStatus,
    limit: number | undefined,
    options: { readonly states: false },
  ): Promise<InstanceHeader[]>;
  /**
   * Suspended messages not yet resolved by an operator. `bodies: false` leaves the bodies kept in the claim check
   * unread (`body` empty, `bodyRef` their key), so a listing of many large messages reads no objects; `suspendedMessage`
   * reads one whole. @default bodies true
   */
  listSuspendedMessages(limit?: number, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage[]>;
  /**
   * One suspended message, resolved or not. `bodies: false` leaves a body (and an edited one) kept in the claim check
   * unread, as `listSuspendedMessages` does (`body` empty, `bodyRef` its key). @default bodies true
   */
  suspendedMessage(messageId: string, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage | undefined>;
  /**
   * Records what an operator did with a suspended message: it leaves the list, the record (body, reason) stays. A
   * resubmission's record is its claim, written before it is sent (core/resubmission.ts), with what it is sent with.
   * Returns false when it was already resolved (two operators at once: the first wins) or is not there.
   */
  resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean>;
}

/**
 * An entry of the due index: the instance, when it became due, and, for a finished branch, the join to wake; with the
 * instance's trace context (a branch shares its join's), so the wake-up continues its trace.
 */
export interface DueEntry {
  readonly instanceId: string;
  readonly at: number;
  readonly joinOf?: string;
  readonly trace?: string;
}

/** What an instance is, without where it is: what a listing that reads no state gives (see `listInstances`). */
export type InstanceHeader = Pick<
  InstanceState,
  'instanceId' | 'orchestration' | 'version' | 'status' | 'createdAt' | 'updatedAt'
>;

export interface InstanceSummary {
  readonly status: InstanceStatus;
  /** When this incarnation of the instance was created (absent on items written before it was recorded). */
  readonly createdAt?: number;
}

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
