import { wakeJoin } from '../branches.ts';
import { takeNext } from '../compensable.ts';
import type { StepContext } from '../context.ts';
import { correlationValue, REPLY_SET } from '../correlation.ts';
import { END, type DelayShape, type ForEachShape, type ReceiveShape } from '../definition.ts';
import type { CompiledOrchestration, MessageSchemas } from '../program.ts';
import { DefinitionCodeFailed, boundReason, describeError } from '../errors.ts';
import {
  InstanceStatus,
  TERMINAL_STATUSES,
  type InstanceState,
  type LaneState,
  type OutboxEntry,
  type Thread,
} from '../instance.ts';
import { unlockEntry } from '../locks.ts';
import { bodyLeft, type InboundMessage, type InboxEntry } from '../message.ts';
import { conform, describeIssues, type Schema } from '../schema.ts';
import { arrivedWhileWaiting } from './transient.ts';

/** Why a run stopped: each is a persistence point except `needsLease`. */
export type StopReason =
  | 'completed'
  | 'terminated'
  /** A `persistAfter` step finished, or a run went long (see MAX_SHAPES_PER_RUN); more to run. */
  | 'checkpoint'
  | 'suspended'
  /** A later receive has no matching message yet: the instance dehydrates until one is delivered. */
  | 'waiting'
  /** The next step is exclusive: the host must claim the lease before running it. */
  | 'needsLease'
  /** The next shape is a synchronized scope whose lock the run does not hold: the host must take it first (`lock`). */
  | 'needsLock';

export interface RunResult {
  /** The state to persist. Its revision is the one read; the store sets the next. */
  readonly state: InstanceState;
  readonly stop: StopReason;
  readonly shapesRun: number;
  /** The lock to take, when the run stopped for it (`needsLock`). */
  readonly lock?: string;
}

export interface RunOptions {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** True when the caller holds the lease, so exclusive steps may run. */
  readonly holdsLease: boolean;
  /** The revision the lease was last written at, handed to exclusive steps (see `StepContext.fencingToken`). */
  readonly fencingToken?: number;
  /** Reads the messages delivered to this instance (oldest first, consumed or not); called only at a receive or listen. */
  readonly inbox?: () => Promise<readonly InboxEntry[]>;
  /** Reads a message of the inbox whole, for a receive that takes one listed without its body; undefined once it left. */
  readonly whole?: (entry: InboxEntry) => Promise<InboundMessage | undefined>;
  /**
   * Which of these messages the instance already settled (see `InstanceStore.settle`): asked of a message about to be
   * taken that `consumed` no longer lists, since a copy SQS brought back while it was being settled may lie in the inbox.
   */
  readonly settled?: (messageIds: readonly string[]) => Promise<ReadonlySet<string>>;
  /**
   * Locks the host took for this run (core/locks.ts), by name, with the revision it took each at; the lock the thread
   * holds as committed counts too.
   */
  readonly locks?: ReadonlyMap<string, number>;
  /** A lock the host found held by another: the run waits for it at its synchronized scope. */
  readonly blocked?: string;
  /** The branch instances of the fork the instance waits on (see `forkedBranches`), as stored now. */
  readonly branches?: readonly InstanceState[];
  /**
   * Schemas of every deployed message type (the registry), for outbound bodies: a type this orchestration
   * only names may be declared with a schema elsewhere, and a Start shape's body is the started
   * orchestration's activating message. @defaultValue this orchestration's own schemas
   */
  readonly schemas?: MessageSchemas;
}

/** The branch instances let run on that an instance remembers (see `InstanceState.outliving`). */
export const MAX_OUTLIVING = 1_000;

/** Shapes one run may execute before it persists and continues (a checkpoint). */
export const MAX_SHAPES_PER_RUN = 1_000;

const STATUS_AT: Record<StopReason, InstanceStatus> = {
  completed: InstanceStatus.Completed,
  terminated: InstanceStatus.Terminated,
  suspended: InstanceStatus.Suspended,
  waiting: InstanceStatus.Waiting,
  checkpoint: InstanceStatus.Running,
  needsLease: InstanceStatus.Running,
  needsLock: InstanceStatus.Running,
};

/**
 * What one run of an instance holds while it goes from shape to shape (engine.ts runs the loop, run/shapes/ one
 * handler per shape kind): the working copy of the instance's variables, messages and outbox, its thread, and the
 * inbox as read at its first receive. Nothing here touches the outside world: the result is a state to persist.
 */
export class RunState {
  readonly orchestration: CompiledOrchestration;
  /** The instance's correlation values: the activation's, and those its sends initialized (see SendShape). */
  correlations: Record<string, string>;
  readonly current: InstanceState;
  readonly options: RunOptions;
  readonly vars: Record<string, unknown>;
  readonly outbox: OutboxEntry[] = [];
  readonly messages: Record<string, InboundMessage>;
  readonly consumed: string[];
  sendSequence: number;
  causationId: string;
  compensable: string[];
  forks: number;
  thread: Thread;
  /** Branch instances its joins let run on (see `InstanceState.outliving`). */
  outliving: readonly string[];
  /** Forks whose branches a join let run on, blocking the shape's next fork (see `InstanceState.blocking`). */
  blocking: NonNullable<InstanceState['blocking']>;
  /** A For Each's lane: its working copy (see `LaneState`). */
  lane: LaneState | undefined;
  /** A lane's items, read once a run (see `items`). */
  #items: readonly unknown[] | undefined;
  /**
   * The locks this run holds, by name, with the revision each was taken at: those the host took for it and the one
   * its thread holds as committed. One its thread no longer holds where the run stops is freed by that commit.
   */
  readonly locks: Map<string, number>;
  shapesRun = 0;
  #inbox: readonly InboxEntry[] | undefined;
  /** Messages of the inbox that left it between the listing and their reading (another host took them): passed over. */
  readonly #gone = new Set<string>();

  constructor(orchestration: CompiledOrchestration, current: InstanceState, options: RunOptions) {
    this.orchestration = orchestration;
    this.current = current;
    this.options = options;
    this.vars = structuredClone(current.vars) as Record<string, unknown>;
    this.sendSequence = current.sendSequence;
    this.correlations = { ...current.correlations };
    this.messages = { ...current.messages };
    this.consumed = [...(current.consumed ?? [])];
    this.causationId = current.causationId;
    this.compensable = [...(current.compensable ?? [])];
    this.forks = current.forks ?? 0;
    this.thread = current.cursor.threads.find((t) => t.id === 'main') ?? { id: 'main', at: END, attempts: 0 };
    this.lane = current.lane;
    this.outliving = current.outliving ?? [];
    this.blocking = current.blocking ?? {};
    this.locks = new Map(options.locks ?? []);
    if (this.thread.holds) this.locks.set(this.thread.holds.lock, this.thread.holds.since);
  }

  /** A join went on and let these branch instances run on: a terminate must still find them. */
  letRunOn(instanceIds: readonly string[]): void {
    this.outliving = [...this.outliving, ...instanceIds].slice(-MAX_OUTLIVING);
  }

  /**
   * A lane's items: its For Each's list, read from the variables the orchestration had at the fork (the lane's base),
   * as the fork read it. Read once a run; a lane runs many items a run.
   */
  items(forEach: ForEachShape, key: string): readonly unknown[] {
    this.#items ??= this.evaluate(`the items of forEach "${forEach.id}" failed`, key, () => {
      const items = forEach.items({
        ...this.context(false, false),
        vars: structuredClone(this.lane?.base ?? this.vars),
      });
      if (!Array.isArray(items)) throw new Error(`they must be an array, not ${JSON.stringify(items)?.slice(0, 80)}`);
      return items;
    });
    return this.#items;
  }

  /** What step code sees; an exclusive step run under the lease gets its fencing token. */
  context(exclusive = false, withItem = true): StepContext {
    return {
      ...(exclusive && this.options.holdsLease ? { fencingToken: this.options.fencingToken } : {}),
      instanceId: this.current.instanceId,
      orchestration: this.current.orchestration,
      version: this.current.version,
      vars: this.vars,
      now: this.options.now(),
      ...(withItem ? this.#itemOf() : {}),
      message: (name) => {
        const message = this.messages[name];
        if (!message) throw new Error(`no message bound to "${name}"`);
        return message;
      },
    };
  }

  /** In a lane, at an item: the item and its index, for step code. */
  #itemOf(): { item?: unknown; index?: number } {
    const lane = this.lane;
    const key = this.current.branchOf?.parallel;
    const forEach = key === undefined ? undefined : this.orchestration.shapes.get(key);
    if (!lane || lane.index < 0 || forEach?.kind !== 'forEach') return {};
    return { item: this.items(forEach, key!)[lane.index], index: lane.index };
  }

  /** The shape after `key`. */
  after(key: string): string {
    return this.orchestration.next.get(key)!;
  }

  /** The first shape of `branch` of the shape at `key`. */
  entry(key: string, branch: string): string {
    return this.orchestration.branchEntry.get(key)!.get(branch)!;
  }

  advanceTo(at: string): void {
    this.thread = this.#arrive(at);
    this.shapesRun++;
  }

  /** The thread come to `at`, afresh: what it kept of an earlier visit there is dropped (see `Thread.reached`). */
  #arrive(at: string, moved: Partial<Thread> = {}): Thread {
    const next = { ...this.thread, ...moved, at, attempts: 0 };
    if (next.reached?.[at] === undefined) return next;
    const { [at]: _earlier, ...reached } = next.reached;
    const { reached: _all, ...rest } = next;
    return Object.keys(reached).length > 0 ? { ...rest, reached } : rest;
  }

  /**
   * When the thread reached the shape at `key`, which has a transient receive: as kept, when it waits there since an
   * earlier run (or a run that stopped there); else now, kept on the thread for the commit that follows.
   */
  reached(key: string): number {
    const kept = this.thread.reached?.[key];
    if (kept !== undefined) return kept;
    const now = this.options.now();
    this.thread = { ...this.thread, reached: { ...this.thread.reached, [key]: now } };
    return now;
  }

  /**
   * A step failed (past its retries) or threw. The innermost enclosing scope with an error handler takes
   * over; with none, the instance is suspended with the reason. Returns the result to return, if any.
   */
  fail(text: string, shapeId: string): RunResult | undefined {
    // An exception's message may be of any size: what the instance keeps of it (lastError, its error) is bounded.
    const reason = boundReason(text);
    const scopes = this.thread.scopes ?? [];
    for (let i = scopes.length - 1; i >= 0; i--) {
      const handler = this.orchestration.branchEntry.get(scopes[i]!)?.get('onError');
      if (handler === undefined) continue;
      this.vars.lastError = reason;
      this.thread = this.#arrive(handler, { scopes: scopes.slice(0, i) });
      this.thread = { ...this.thread, at: handler, attempts: 0, scopes: scopes.slice(0, i) };
      // Out of a synchronized scope: its lock is freed by the commit that says so.
      if (this.thread.holds && !this.thread.scopes!.includes(this.thread.holds.scope)) this.leaveLock();
      this.shapesRun++;
      return undefined;
    }
    if (this.current.branchOf?.handled) {
      // The orchestration has a handler around the Parallel Actions: the branch ends and the join raises it.
      const error = `${this.current.branchOf.child ? 'child' : 'branch'} "${this.current.branchOf.branch}" failed: ${reason}`;
      this.outbox.push(wakeJoin(this.current, this.orchestration));
      return this.finish('completed', { error: { reason: error, shapeId, at: this.options.now() } });
    }
    return this.finish('suspended', { error: { reason, shapeId, at: this.options.now() } });
  }

  /**
   * Runs a piece of the definition's own code (a condition, a message body, a duration). If it throws, the
   * definition is at fault, not the moment: the instance is suspended with the reason (see the run loop's catch).
   */
  evaluate<T>(what: string, shapeId: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw new DefinitionCodeFailed(`${what}: ${describeError(error)}`, shapeId);
    }
  }

  /**
   * Validates an outbound body against its type's schema. A body that does not match fails the step like a
   * failed code step (the scope's handler, else suspended): it is deterministic, so it is not retried.
   */
  async conformOutbound(
    type: string | undefined,
    body: unknown,
    shapeId: string,
    what: string,
  ): Promise<{ body: unknown; output: unknown } | { failed: string }> {
    const schema = this.#schemaOf(type);
    if (!schema) return { body, output: body };
    let result: Awaited<ReturnType<typeof conform>>;
    try {
      result = await conform(schema, body);
    } catch (error) {
      throw new DefinitionCodeFailed(`${what}: the schema of ${type} threw: ${describeError(error)}`, shapeId);
    }
    return result.ok
      ? { body, output: result.value }
      : { failed: `${what}: the ${type} it built does not match its schema: ${describeIssues(result.issues)}` };
  }

  #schemaOf(type: string | undefined): Schema | undefined {
    if (type === undefined) return undefined;
    return this.options.schemas ? this.options.schemas.schemaOf(type) : this.orchestration.schemas.get(type);
  }

  /**
   * The oldest delivered, unconsumed message a receive takes: its type, with the instance's key; read whole. A
   * transient receive's thread reached it at `reached`: a message that came before does not count (see
   * `arrivedWhileWaiting`), and stays in the inbox.
   */
  async findDelivery(receive: ReceiveShape, reached?: number): Promise<InboundMessage | undefined> {
    // A reply is this instance's own: its key is the instance's id (correlation.ts).
    const expected =
      receive.correlation === REPLY_SET ? this.current.instanceId : this.correlations[receive.correlation!];
    this.#inbox ??= (await this.options.inbox?.()) ?? [];
    for (;;) {
      const found = this.#inbox.find(
        (m) =>
          // A message delivered to an earlier instance of the same id (a convoy whose predecessor expired) is not this one's.
          (m.incarnation === undefined || m.incarnation === this.current.createdAt) &&
          m.messageType === receive.messageType &&
          (reached === undefined || arrivedWhileWaiting(m, reached)) &&
          !this.consumed.includes(m.messageId) &&
          !this.#gone.has(m.messageId) &&
          expected !== undefined &&
          this.#keyOf(m, receive.correlation!) === expected,
      );
      if (!found) return undefined;
      if (this.options.settled && (await this.options.settled([found.messageId])).has(found.messageId)) {
        // A copy of a message taken before: counted as consumed, so it is settled (removed) after this commit.
        this.consumed.push(found.messageId);
        continue;
      }
      if (!bodyLeft(found)) return found;
      const whole = await this.options.whole?.(found);
      if (whole) return whole;
      this.#gone.add(found.messageId);
    }
  }

  /** The key a message was delivered under for a set: read at delivery, else (an older delivery, whole) from its body. */
  #keyOf(m: InboxEntry, set: string): string | undefined {
    return m.keys?.[set] ?? (bodyLeft(m) ? undefined : correlationValue(this.orchestration, set, m));
  }

  /** Binds a message a receive (or a listen's branch) took. */
  take(into: string, message: InboundMessage): void {
    this.messages[into] = message;
    this.consumed.push(message.messageId);
    this.causationId = message.messageId;
  }

  /** Starts the thread's timer for a delay (or a listen's timeout) unless it is already running. */
  startTimer(trigger: DelayShape): void {
    if (this.thread.timerDue !== undefined) return;
    const ms = this.evaluate(`delay "${trigger.id}" could not compute its duration`, trigger.id, () =>
      typeof trigger.duration === 'function' ? trigger.duration(this.context()) : trigger.duration,
    );
    this.thread = { ...this.thread, timerDue: this.options.now() + Math.max(0, ms) };
  }

  /** Clears the thread's timer: it fired, or a message came first. */
  clearTimer(): void {
    const { timerDue: _cleared, ...rest } = this.thread;
    this.thread = rest;
  }

  /** Entry of the next compensation to run, or where the Compensate shape continues when all ran. */
  nextCompensation(): string {
    const next = takeNext(this.thread.compensating ?? []);
    if (next === undefined) {
      const { compensating: _c, returnTo, ...plain } = this.thread;
      this.thread = plain;
      return returnTo ?? END;
    }
    this.thread = { ...this.thread, compensating: next.rest };
    return this.orchestration.branchEntry.get(next.scope)!.get('compensation')!;
  }

  /**
   * Sends and starts are persisted before the instance ends, in a commit of their own (a persistence point, as BizTalk
   * persists after a send): once finished, nothing but its work item's redelivery would bring back a dispatch its host
   * died before, and SQS may have deleted that item with a copy another host took. Running, the instance is due, and
   * the sweeper brings it back. So a run that would end with sends still to go out stops here first.
   */
  endsAfterSends(): boolean {
    return this.outbox.some((e) => e.kind === 'send' || e.kind === 'start');
  }

  /** The thread leaves the synchronized scope it is in: the lock it holds is freed where the run stops. */
  leaveLock(): void {
    const { holds: _left, ...rest } = this.thread;
    this.thread = rest;
  }

  /**
   * Whether a lock this run held is to be freed (the thread left its scope): the next persistence point frees it, so
   * a run that would otherwise claim the lease for an exclusive step (a write that frees nothing) persists instead.
   */
  releasing(): boolean {
    return [...this.locks.keys()].some((name) => this.thread.holds?.lock !== name);
  }

  /** The state to persist where the run stops. */
  finish(stop: StopReason, extra: Partial<InstanceState> = {}): RunResult {
    // An instance that ends holds nothing; what it held (or took for this run and left) is freed after this commit.
    if (TERMINAL_STATUSES.has(STATUS_AT[stop]) && this.thread.holds) this.leaveLock();
    for (const [name, since] of this.locks)
      if (this.thread.holds?.lock !== name) this.outbox.push(unlockEntry(this.current, name, since));
    return {
      stop,
      shapesRun: this.shapesRun,
      state: {
        ...this.current,
        status: STATUS_AT[stop],
        cursor: { threads: [this.thread] },
        vars: this.vars,
        messages: this.messages,
        consumed: this.#stillConsumed(),
        causationId: this.causationId,
        compensable: this.compensable,
        outbox: this.outbox,
        sendSequence: this.sendSequence,
        correlations: this.correlations,
        forks: this.forks,
        ...(this.lane ? { lane: this.lane } : {}),
        ...(this.outliving.length > 0 ? { outliving: this.outliving } : {}),
        blocking: Object.keys(this.blocking).length > 0 ? this.blocking : undefined,
        updatedAt: this.options.now(),
        ...extra,
        ...(extra.error ? { error: { ...extra.error, reason: boundReason(extra.error.reason) } } : {}),
      },
    };
  }

  /**
   * What `consumed` must keep: the activating message (index 0, which a redelivered activation is recognised by) and
   * the messages still in the inbox. Those the inbox no longer holds were settled: their records stand for them.
   */
  #stillConsumed(): string[] {
    if (this.#inbox === undefined) return this.consumed;
    const held = new Set(this.#inbox.map((m) => m.messageId));
    return this.consumed.filter((id, i) => (i === 0 && !this.current.branchOf) || held.has(id));
  }
}
