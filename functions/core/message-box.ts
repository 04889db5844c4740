/**
 * The MessageBox's ports, one per concern: the instances (their state, guarded by conditional writes), their inboxes,
 * the locks of synchronized scopes, the due index the sweeper reads, the suspended messages, and the listings
 * operators read. `InstanceStore` is the
 * MessageBox whole, for the hosts that use most of it; a part that needs one concern asks for that one.
 */
import type {
  InstanceState,
  InstanceStatus,
  Lease,
  LockHolder,
  LockKey,
  MessageResolution,
  SuspendedMessage,
} from './instance.ts';
import type { InboundMessage, InboxEntry } from './message.ts';

/** Instance state: created once, read, claimed and committed under the ownership condition (core/ownership.ts). */
export interface Instances {
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
   * Records that `instanceId` owns a value of one of its orchestration's correlation sets, initialized at a send (the
   * activating receive's set needs none: the instance's id derives from its value). The latest to initialize a value
   * owns it. Idempotent.
   */
  correlate(key: CorrelationKey, instanceId: string): Promise<void>;
  /** The instance that initialized a correlation value at a send, if any did. */
  correlated(key: CorrelationKey): Promise<string | undefined>;
}

/** A value of a correlation set of an orchestration. */
export interface CorrelationKey {
  readonly orchestration: string;
  readonly set: string;
  readonly value: string;
}

/** An instance's inbox: the messages delivered to it and not yet taken by a receive. */
export interface Inbox {
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
}

/**
 * The locks of synchronized scopes (core/locks.ts): one item per orchestration instance and lock name, beside that
 * instance's own items and written only by its branches, so no item is shared beyond one instance. Not a persistence
 * point: the second write a synchronized scope makes, one to take its lock at its entry and one to free it after it.
 */
export interface Locks {
  /**
   * Takes `lock` for `holder` if it is free, held by that instance already from an earlier revision (or the same: taken
   * again by a run after a crash), or held by exactly `stale` (a holder found gone, see core/locks.ts). The holder
   * leaves the lock's waiters. True when it took it.
   */
  acquireLock(lock: LockKey, holder: LockHolder, stale?: LockHolder): Promise<boolean>;
  /**
   * Adds `waiter` to the lock's waiters, so that freeing it wakes the waiter, and says who holds it; undefined when it
   * is free (nothing is written: take it instead).
   */
  awaitLock(lock: LockKey, waiter: string): Promise<LockHolder | undefined>;
  /**
   * Frees the lock if `holder` holds it (that instance, from that revision) and returns its waiters, to be woken; when
   * it was free already (a release dispatched again), its waiters too; when another holds it, none (its release wakes
   * them). A free lock expires after the retention, as a finished instance does.
   */
  releaseLock(lock: LockKey, holder: LockHolder, now: number): Promise<readonly string[]>;
}

/** What is due when (core/due.ts): the sweeper's only read, whatever the number of instances. */
export interface DueIndex {
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
}

/** Messages that could not be processed, kept with their reason until an operator resolves them. */
export interface SuspendedMessages {
  /** Keeps a message that could not be processed. Idempotent on messageId. */
  putSuspendedMessage(message: SuspendedMessage): Promise<void>;
  /**
   * Suspended messages not yet resolved by an operator. `bodies: false` leaves the bodies kept in the claim check
   * unread (`body` empty, `bodyRef` their key), so a listing of many large messages reads no objects; `suspendedMessage`
   * reads one whole. @defaultValue bodies true
   */
  listSuspendedMessages(limit?: number, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage[]>;
  /**
   * One suspended message, resolved or not. `bodies: false` leaves a body (and an edited one) kept in the claim check
   * unread, as `listSuspendedMessages` does (`body` empty, `bodyRef` its key). @defaultValue bodies true
   */
  suspendedMessage(messageId: string, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage | undefined>;
  /**
   * Records what an operator did with a suspended message: it leaves the list, the record (body, reason) stays. A
   * resubmission's record is its claim, written before it is sent (core/resubmission.ts), with what it is sent with.
   * Returns false when it was already resolved (two operators at once: the first wins) or is not there.
   */
  resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean>;
}

/** What operators list and count: instances by status, and suspended messages counted beside them. */
export interface Listings {
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
   * How many instances are in each of `statuses` (and, under `message`, how many suspended messages are unresolved),
   * for status lines and alarms. Its cost grows with what it counts; running instances are counted up to a bound.
   * @defaultValue statuses running, waiting, suspended and message
   */
  countByStatus(statuses?: readonly string[]): Promise<Record<string, number>>;
}

/** The MessageBox whole: what the processing and receive hosts use. */
export interface InstanceStore extends Instances, Inbox, Locks, DueIndex, SuspendedMessages, Listings {}

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
