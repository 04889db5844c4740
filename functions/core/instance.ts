import type { InboundMessage } from './message.ts';

/** The statuses an instance goes through, by name: `InstanceStatus.Waiting` is `'waiting'`. */
export const InstanceStatus = {
  /** Runnable: has work to do now (a new message or a continuation). */
  Running: 'running',
  /** Dehydrated: waits for a message or a timer (used by later shapes). */
  Waiting: 'waiting',
  /** Ended: it completed (a Complete shape, or the end of its steps). */
  Completed: 'completed',
  /** Stopped by an error; resumable. */
  Suspended: 'suspended',
  /** Ended: a Terminate shape, or an operator, terminated it. */
  Terminated: 'terminated',
} as const;
/** An instance's status: `running`, `waiting`, `completed`, `suspended` or `terminated`. */
export type InstanceStatus = (typeof InstanceStatus)[keyof typeof InstanceStatus];

export const TERMINAL_STATUSES: ReadonlySet<InstanceStatus> = new Set([
  InstanceStatus.Completed,
  InstanceStatus.Terminated,
]);

/**
 * Where an instance is: one thread, `main`. Parallel branches run as branch instances of their own (each
 * with its own owner), not as threads of this one; the list leaves room for other shapes of concurrency.
 */
export interface Cursor {
  readonly threads: readonly Thread[];
}

export interface Thread {
  readonly id: string;
  /** Id of the next shape to run, or END. */
  readonly at: string;
  /** Attempts already spent on the shape at `at` (retry policy). */
  readonly attempts: number;
  /** Epoch ms when the delay at `at` ends (set while the thread waits on a timer). */
  readonly timerDue?: number;
  /** Scopes the thread is inside, outermost first. */
  readonly scopes?: readonly string[];
  /** Scopes whose compensation is still to run (a Compensate in progress), next first (`id*n` as in `compensable`). */
  readonly compensating?: readonly string[];
  /** Where the thread goes once compensation is done. */
  readonly returnTo?: string;
  /** The fork number of the Parallel Actions shape at `at`, once its branches were forked. */
  readonly fork?: number;
  /** The branches that fork made, by name, when their guards left some out (absent: all of them). */
  readonly forked?: readonly string[];
  /** How many of them must end for the join to go on, when not all (a `first` or `atLeast` join). */
  readonly need?: number;
  /**
   * In a scope's non-interrupting event handler: the thread as it was where the scope waited, taken back at the
   * handler's end.
   */
  readonly handling?: Thread;
  /** At a For Each: its lanes (the branch instances it forked) and its items. */
  readonly lanes?: number;
  readonly count?: number;
  /** At a fork whose branches an earlier visit let run on (`rest: 'block'`): waiting for them before forking again. */
  readonly draining?: true;
  /**
   * When the thread last reached each shape with a transient receive (a receive, a listen with a transient branch, or
   * a scope with an event handler whose trigger is transient), by the shape's key: epoch ms on the clock of the host
   * that ran it, set as the run gets there and persisted with the commit that follows (the one that dehydrates it
   * there, when it waits: no write of its own). Dropped when the thread comes to that shape again, kept when it moves
   * on: a message a transient receive passed over says so when the instance ends (host/unread.ts).
   */
  readonly reached?: Readonly<Record<string, number>>;
  /**
   * The lock the thread holds (core/locks.ts): it is inside the synchronized scope `scope`, and took `lock` at revision
   * `since` of its instance. Its waiters judge by this whether it still holds it.
   */
  readonly holds?: { readonly lock: string; readonly since: number; readonly scope: string };
  /** The lock the thread waits for, at the synchronized scope at `at`: the instance dehydrated until it is freed. */
  readonly waitsFor?: string;
}

/**
 * An effect committed with the step that produced it and dispatched after the commit, idempotently (a host
 * that dies before dispatching leaves it to the next one): a message to a send port, an orchestration to
 * start, a parallel branch to fork, a branch's result to report to its orchestration, a lock to free.
 */
export type OutboxEntry =
  | SendEntry
  | StartEntry
  | ForkEntry
  | JoinEntry
  | RetireEntry
  | CancelEntry
  | UnlockEntry
  | CorrelateEntry;

/**
 * A correlation value a send initialized: recorded as this instance's before the commit's messages go out, so an
 * answer to them finds the instance (see `Instances.correlate`).
 */
export interface CorrelateEntry {
  readonly kind: 'correlate';
  readonly orchestration: string;
  readonly set: string;
  readonly value: string;
  readonly instanceId: string;
}

export interface SendEntry {
  readonly kind: 'send';
  readonly messageId: string;
  readonly port: string;
  readonly messageType: string;
  readonly body: unknown;
  readonly instanceId: string;
  /** Id of the message that caused this one. */
  readonly correlationId: string;
  /** The sending instance's trace context (core/trace.ts), sent as the `traceparent` attribute. */
  readonly trace?: string;
}

/** Start Orchestration: the activation message of a new instance of `orchestration` (newest version). */
export interface StartEntry {
  readonly kind: 'start';
  /** Deterministic: the started instance's id derives from it, so a re-dispatch finds the same instance. */
  readonly messageId: string;
  readonly orchestration: string;
  /** The activating message type the body was validated as, when the step ran (absent on older entries). */
  readonly messageType?: string;
  readonly body: unknown;
  /** The starting instance. */
  readonly instanceId: string;
}

/** Creates a branch instance (Parallel Actions). Creating it twice is a no-op. */
export interface ForkEntry {
  readonly kind: 'fork';
  /**
   * The branch instance to create, without the variables and bound messages it starts with: those are the forking
   * instance's own at the commit that carries this entry (it waits at the join, unchanged, until its branches end),
   * added when the entry is dispatched. So the forking instance's item holds them once, not once more per branch.
   * Entries of versions before 0.3 carry them.
   */
  readonly branch: BranchSeed;
}

export type BranchSeed = Omit<InstanceState, 'vars' | 'messages'> & Partial<Pick<InstanceState, 'vars' | 'messages'>>;

/**
 * A branch instance ended: wake its orchestration, whose join reads the branch instances themselves (their
 * variables, completed scopes, error). Nothing is written for it, so waking twice costs only a read.
 */
export interface JoinEntry {
  readonly kind: 'join';
  readonly instanceId: string;
  /**
   * The other branch instances of the fork: the join is woken only once they ended too, so it is woken by the last
   * branch to end rather than by each (absent on entries of earlier versions: those always wake it).
   */
  readonly siblings?: readonly string[];
  /** The fork the branch instance belongs to (set with `siblings`). */
  readonly fork?: number;
  /** How many of the fork's branches must end for the join to go on, when not all (see `Thread.need`). */
  readonly need?: number;
  /** A For Each's lanes: the siblings are its lanes, named by their number (their ids made when dispatched). */
  readonly lanes?: number;
}

/**
 * A join went on while branch instances of its fork still ran (a `first` or `atLeast` join, or a branch that failed):
 * they are terminated with the reason, waking nothing. Ending one twice is a no-op, so dispatching it again is safe.
 */
export interface CancelEntry {
  readonly kind: 'cancel';
  readonly instanceIds: readonly string[];
  readonly reason: string;
}

/**
 * Lets finished instances expire, counting the retention from now. A join's branch instances written by versions
 * before 0.3 kept no expiry until their join read them, and still get it from this; a join the sweeper wakes while it
 * waits gives those that ended a fresh retention (so one that ended days before its slowest sibling is still there).
 */
export interface RetireEntry {
  readonly kind: 'retire';
  readonly instanceIds: readonly string[];
}

/**
 * A For Each's lane: a branch instance that runs the items `index`, `index + lanes`, ... in turn, each from the
 * variables the orchestration had at the fork.
 */
export interface LaneState {
  /** The item it runs now; before its first, its first less the lanes. */
  readonly index: number;
  /** Items it completed. */
  readonly done: number;
  /** The variables each item starts from: the forking instance's at the fork (taken at the lane's first item). */
  readonly base?: Readonly<Record<string, unknown>>;
  /** Its items' results, by index (with `into`). */
  readonly results?: Readonly<Record<string, unknown>>;
}

/** A synchronized scope's lock (core/locks.ts): the orchestration instance whose branches share it, and its name. */
export interface LockKey {
  readonly instanceId: string;
  readonly name: string;
}

/** Who holds a lock: an instance (an orchestration's, a branch's), from the revision it had when it took the lock. */
export interface LockHolder {
  readonly instanceId: string;
  readonly revision: number;
}

/**
 * The instance left a synchronized scope (its end, a failure out of it, its own end): its lock is freed and those
 * waiting for it are woken, once the commit that left it landed and its other effects went out. Freeing it again is a
 * no-op (it is conditioned on the holder and the revision it took the lock at) that wakes the waiters again.
 */
export interface UnlockEntry {
  readonly kind: 'unlock';
  readonly lock: LockKey;
  readonly holder: LockHolder;
}

/** What a branch instance knows of the orchestration instance that forked it. */
export interface BranchOf {
  readonly instanceId: string;
  readonly parallel: string;
  readonly fork: number;
  readonly branch: string;
  /**
   * Whether a scope around the Parallel Actions has an error handler: then an unhandled failure in the branch
   * ends the branch and is raised at the join; otherwise the branch instance itself is suspended, resumable.
   */
  readonly handled: boolean;
  /**
   * Its join carries a due time from the fork on (core/due.ts): forked by 0.3 or later. A branch of an earlier fork
   * has none, and gives its join one when it ends before its siblings.
   */
  readonly watched?: boolean;
  /** The forking instance's incarnation, part of its branch instances' ids (see `InstanceState.incarnation`). */
  readonly incarnation?: string;
  /** A For Each's lane: how many lanes and items its fan-out has (see `LaneState`). */
  readonly lanes?: number;
  readonly count?: number;
  /**
   * The orchestration instance whose synchronized scopes' locks it shares (core/locks.ts), when that is not
   * `instanceId`: a branch of a branch. Absent on a child orchestration's instance, whose locks are its own.
   */
  readonly root?: string;
  /** It is a child orchestration's instance (see `ChildShape`), not a parallel branch: `parallel` is its child shape. */
  readonly child?: true;
  /** The branches of its fork, by name, when guards left some out (see `Thread.forked`). */
  readonly forked?: readonly string[];
  /** How many branches of its fork must end for the join to go on, when not all (see `Thread.need`). */
  readonly need?: number;
  /**
   * It may outlive its join (a join that goes on without it and lets it run, `rest: 'ignore'`): then no join watches
   * it, and it carries a due time of its own, as an orchestration instance does (core/due.ts).
   */
  readonly outlives?: boolean;
}

export interface Lease {
  readonly owner: string;
  /** Epoch ms on the owner's clock. See ownership.ts for the skew this tolerates. */
  readonly expiresAt: number;
}

export interface InstanceError {
  readonly reason: string;
  readonly shapeId?: string;
  readonly at: number;
}

/** Everything the MessageBox keeps about one orchestration instance. */
export interface InstanceState {
  /** Its id (a parallel branch instance's: `<instanceId>~<fork>~<branch>`). */
  readonly instanceId: string;
  /** Its orchestration's name. */
  readonly orchestration: string;
  /** The version of the orchestration it runs. */
  readonly version: number;
  /** Where it stands. */
  readonly status: InstanceStatus;
  /** Where it is in its orchestration: the shape it runs next. */
  readonly cursor: Cursor;
  /** Its orchestration variables, as last persisted. */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Messages bound to message variables by receives. */
  readonly messages: Readonly<Record<string, InboundMessage>>;
  /** Effects of the last commit; possibly not yet dispatched. */
  readonly outbox: readonly OutboxEntry[];
  /** Values of the correlation sets this instance initialized, by set name. */
  readonly correlations: Readonly<Record<string, string>>;
  /** Completed scopes that have a compensation, in order of completion (a scope completed n times in a row: `id*n`, see compensable.ts). */
  readonly compensable?: readonly string[];
  /** Ids of delivered messages already consumed by a receive (idempotent delivery). */
  readonly consumed: readonly string[];
  /**
   * Tells this instance apart from earlier ones under the same id: set on a convoy's instance (its id derives from its
   * correlation value, so one can be made again once its predecessor expired), from its creation time. Part of every id
   * it makes (sends, starts, branch instances), so none is its predecessor's. Absent elsewhere, and on convoys an
   * earlier version created: their ids are as they were.
   */
  readonly incarnation?: string;
  /** Number of messages sent so far: the source of deterministic outbound ids. */
  readonly sendSequence: number;
  /** Id of the message that last drove this instance (CorrelationId of what it sends). */
  readonly causationId: string;
  /**
   * The W3C trace context of the message that started it (core/trace.ts), carried by all it causes. Absent on
   * instances an earlier version created.
   */
  readonly trace?: string;
  /** Fencing token: incremented by every write; every write is conditioned on it. */
  readonly revision: number;
  /** Which host instance holds it, and until when. */
  readonly lease?: Lease;
  /** Why it is suspended or terminated: the reason, and the shape where it happened. */
  readonly error?: InstanceError;
  /** Host instance that made the last commit. */
  readonly lastHost?: string;
  /** Revision whose outbox is known to be dispatched (recorded for dehydrated instances only). */
  readonly dispatchedRevision?: number;
  /** Random id of the last commit: tells a host whether an ambiguous write (reply lost, retried) was its own. */
  readonly commitId?: string;
  /** Set on a branch instance of Parallel Actions, and on a child orchestration's instance. */
  readonly branchOf?: BranchOf;
  /**
   * Branch instances its joins let run on (`rest: 'ignore'`), newest last, the last 1,000 kept: a terminate ends those
   * still running, so none keeps sending for an orchestration that is over.
   */
  readonly outliving?: readonly string[];
  /**
   * Forks its joins let run on with `rest: 'block'`, by the shape's key: the next visit to that shape waits for them to
   * end before it forks again.
   */
  readonly blocking?: Readonly<Record<string, Pick<Thread, 'fork' | 'forked' | 'lanes' | 'count'>>>;
  /** A For Each's lane: the item it runs and what it did (see `ForEachShape`). */
  readonly lane?: LaneState;
  /** A child orchestration's result, once it ended (see `ChildShape`): its parent takes it at its join. */
  readonly result?: unknown;
  /** Parallel Actions forked so far: the source of deterministic branch instance ids. */
  readonly forks?: number;
  /** Times the instance was resumed by a host after another one stopped mid-step. */
  readonly failovers: number;
  /**
   * Runs started on a redelivered work item since the last persistence point (see `InstanceStore.countAttempt`).
   * A step that hangs, runs out of memory or outlives the host's time limit never reaches a catch; this count,
   * kept on the instance rather than on one queue message, is what finds it. Every commit clears it.
   */
  readonly attempts?: number;
  /**
   * Read from the store, never written: a finished branch instance that an earlier version kept from expiring until
   * its join retired it (its join still does; branch instances now expire like any other).
   */
  readonly awaitsRetire?: boolean;
  /** A finished instance suspended because its last effects kept failing: what it was, to be restored on resume. */
  readonly suspendedFrom?: { readonly status: InstanceStatus; readonly error?: InstanceError };
  /** Epoch ms when it was created. */
  readonly createdAt: number;
  /** Epoch ms of its last persisted change. */
  readonly updatedAt: number;
}

/** A message that could not become an instance: kept with its reason and original body. */
export interface SuspendedMessage {
  /** The message's id. */
  readonly messageId: string;
  /** Why it could not become an instance (`Order does not match its schema: ...`, `no subscription matches ...`). */
  readonly reason: string;
  /** When the body did not match its type's schema: each issue with its path in the body. */
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
  /** Its body, as it arrived. */
  readonly body: string;
  /**
   * Set (and `body` empty) only by a listing that left the bodies kept in the claim check unread: where this one is
   * (see `InstanceStore.listSuspendedMessages`).
   */
  readonly bodyRef?: string;
  /** Its message attributes, `MessageType` included. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms when it was received. */
  readonly receivedAt: number;
  /** Where it came from: `receive` (the receive queue), `start by <instance>`, `inbox of <instance>`. */
  readonly source: string;
  /**
   * The orchestrations that took it, when it was routed to several and some refused it (or, for a resubmission, took
   * the message it resubmits): a resubmission of it goes to the others only.
   */
  readonly takenBy?: readonly string[];
  /**
   * The business keys it carries (the correlation values the orchestrations it goes to read from it: an order's id),
   * when it could be read: its tracked history is linked to them, so the message flow of a key shows it. Absent on
   * records written before 0.4, and on a message none could be read from.
   */
  readonly keys?: readonly string[];
  /** What an operator did with it: resubmitted as a new message (kept, referenced) or discarded with a reason. */
  readonly resolution?: MessageResolution;
}

export interface MessageResolution {
  readonly kind: 'resubmitted' | 'discarded';
  /** Who did it (the operator's name or AWS identity). */
  readonly by: string;
  readonly at: number;
  readonly reason?: string;
  /**
   * The resubmission's id: chosen when the operator claimed the record, before anything was sent, and sent with it
   * (core/resubmission.ts); the receive host takes it as the message's id. Records resolved by earlier versions hold
   * the SQS MessageId of what they sent.
   */
  readonly resubmittedAs?: string;
  /** The message type the resubmission goes as, when the operator changed it. */
  readonly messageType?: string;
  /** The body it goes with, when the operator edited it (else the record's own): sending it again sends the same. */
  readonly body?: string;
}
