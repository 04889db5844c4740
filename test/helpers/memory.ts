import { OwnershipLost, type Collision } from '../../functions/core/errors.ts';
import type {
  InstanceState,
  InstanceStatus,
  Lease,
  LockHolder,
  LockKey,
  MessageResolution,
  SendEntry,
  SuspendedMessage,
} from '../../functions/core/instance.ts';
import type {
  CorrelationKey,
  Clock,
  DueEntry,
  InstanceHeader,
  InstanceStore,
  InstanceSummary,
  SendPort,
  WorkItem,
  WorkQueue,
} from '../../functions/core/ports.ts';
import { dueOf, dueOfClaim } from '../../functions/core/due.ts';
import { LISTED_MESSAGE_BYTES, type InboundMessage, type InboxEntry } from '../../functions/core/message.ts';

/** An in-memory MessageBox with the same conditions as the DynamoDB store. */
export class MemoryInstanceStore implements InstanceStore {
  readonly items = new Map<string, string>();
  readonly suspended = new Map<string, SuspendedMessage>();
  writes = 0;
  /** Runs before a commit is applied; throw to simulate a crash before the write. */
  beforeCommit?: (next: InstanceState) => void | Promise<void>;
  /** Runs after a commit was applied; throw to simulate a lost reply. */
  afterCommit?: (next: InstanceState) => void | Promise<void>;
  /** Runs after a claim was applied; throw to simulate a lost reply (the SDK's retry then fails its condition). */
  afterClaim?: (next: InstanceState) => void | Promise<void>;

  async create(state: InstanceState): Promise<boolean> {
    this.writes++;
    if (this.items.has(state.instanceId)) return false;
    this.items.set(state.instanceId, JSON.stringify(state));
    return true;
  }

  /**
   * With a clock, finished instances expire as DynamoDB's TTL makes them: gone once their retention, counted from
   * their last write or their last retire, has passed.
   */
  expiry?: { readonly clock: Clock; readonly retentionMs: number };

  /** When a finished instance expires (undefined while it is not finished). */
  expiresAt(instanceId: string): number | undefined {
    const item = this.items.get(instanceId);
    const state = item === undefined ? undefined : (JSON.parse(item) as InstanceState);
    if (state?.status !== 'completed' && state?.status !== 'terminated') return undefined;
    return Math.max(state.updatedAt, this.retired.get(instanceId) ?? 0) + (this.expiry?.retentionMs ?? 0);
  }

  async load(instanceId: string): Promise<InstanceState | undefined> {
    const item = this.items.get(instanceId);
    if (item === undefined) return undefined;
    const expires = this.expiry && this.expiresAt(instanceId);
    if (expires !== undefined && expires < this.expiry!.clock.now()) {
      this.items.delete(instanceId);
      return undefined;
    }
    return JSON.parse(item) as InstanceState;
  }

  #check(instanceId: string, expectedRevision: number, owner: string, takeoverBefore: number): void {
    const stored = this.items.get(instanceId);
    const current = stored ? (JSON.parse(stored) as InstanceState) : undefined;
    const leaseOk = !current?.lease || current.lease.owner === owner || current.lease.expiresAt < takeoverBefore;
    if (!current || current.revision !== expectedRevision || !leaseOk)
      throw new OwnershipLost(instanceId, expectedRevision, collidedWith(current));
  }

  async claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState> {
    this.writes++;
    this.#check(state.instanceId, state.revision, lease.owner, takeoverBefore);
    const current = JSON.parse(this.items.get(state.instanceId)!) as InstanceState;
    const next = { ...current, lease, revision: current.revision + 1 };
    this.items.set(state.instanceId, JSON.stringify(next));
    const due = dueOfClaim(next, lease.expiresAt);
    if (due !== undefined) this.overrides.set(state.instanceId, due);
    await this.afterClaim?.(next);
    return next;
  }

  async commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void> {
    await this.beforeCommit?.(next);
    this.writes++;
    this.#check(next.instanceId, expectedRevision, hostId, takeoverBefore);
    this.items.set(next.instanceId, JSON.stringify({ ...next, attempts: undefined }));
    // A commit sets what is due from the state it writes (see core/due.ts), as the DynamoDB item does.
    this.marks.delete(next.instanceId);
    this.overrides.delete(next.instanceId);
    await this.afterCommit?.(next);
  }

  readonly inboxes = new Map<string, InboundMessage[]>();

  async countAttempt(instanceId: string, revision: number): Promise<number> {
    this.writes++;
    // Read and write with no await between, like DynamoDB's atomic ADD.
    const stored = this.items.get(instanceId);
    const current = stored === undefined ? undefined : (JSON.parse(stored) as InstanceState);
    if (current?.revision !== revision) throw new OwnershipLost(instanceId, revision, collidedWith(current));
    const attempts = (current.attempts ?? 0) + 1;
    this.items.set(instanceId, JSON.stringify({ ...current, attempts }));
    return attempts;
  }

  /** Correlation values initialized at a send, by `orchestration#set#value`: their owners. */
  readonly correlations = new Map<string, string>();

  async correlate(key: CorrelationKey, instanceId: string): Promise<void> {
    this.writes++;
    this.correlations.set(`${key.orchestration}#${key.set}#${key.value}`, instanceId);
  }

  async correlated(key: CorrelationKey): Promise<string | undefined> {
    return this.correlations.get(`${key.orchestration}#${key.set}#${key.value}`);
  }

  async summaryOf(instanceId: string): Promise<InstanceSummary | undefined> {
    const state = await this.load(instanceId);
    return state && { status: state.status, createdAt: state.createdAt };
  }

  /** Messages each instance settled (taken and moved out of its inbox). */
  readonly settledMessages = new Map<string, Set<string>>();

  async settle(instanceId: string, messageIds: readonly string[]): Promise<void> {
    this.writes += 2 * messageIds.length;
    const settled = this.settledMessages.get(instanceId) ?? new Set<string>();
    messageIds.forEach((id) => settled.add(id));
    this.settledMessages.set(instanceId, settled);
    this.inboxes.set(
      instanceId,
      (this.inboxes.get(instanceId) ?? []).filter((m) => !settled.has(m.messageId)),
    );
  }

  async discard(instanceId: string, messageIds: readonly string[]): Promise<void> {
    this.writes += messageIds.length;
    this.inboxes.set(
      instanceId,
      (this.inboxes.get(instanceId) ?? []).filter((m) => !messageIds.includes(m.messageId)),
    );
  }

  async settled(instanceId: string, messageIds: readonly string[]): Promise<ReadonlySet<string>> {
    const settled = this.settledMessages.get(instanceId);
    return new Set(messageIds.filter((id) => settled?.has(id)));
  }

  async deliver(instanceId: string, message: InboundMessage): Promise<void> {
    if (this.settledMessages.get(instanceId)?.has(message.messageId)) return;
    this.writes++;
    const inbox = this.inboxes.get(instanceId) ?? [];
    if (!inbox.some((m) => m.messageId === message.messageId)) inbox.push(message);
    this.inboxes.set(instanceId, inbox);
    const state = await this.load(instanceId);
    if (state?.status === 'waiting') {
      this.writes++;
      const current = this.#dueAt(state);
      if (current === undefined || current > message.receivedAt) this.marks.set(instanceId, message.receivedAt);
    }
  }

  /**
   * What the DynamoDB item's due attributes hold beyond the state: due marks of unread deliveries, and due times set
   * by a claim or a rest (undefined: nothing due) until the next commit sets them from the state again.
   */
  readonly marks = new Map<string, number>();
  readonly overrides = new Map<string, number | undefined>();

  #dueAt(state: InstanceState): number | undefined {
    const due = this.overrides.has(state.instanceId) ? this.overrides.get(state.instanceId) : dueOf(state)?.at;
    const mark = state.status === 'waiting' ? this.marks.get(state.instanceId) : undefined;
    return due === undefined ? mark : mark === undefined ? due : Math.min(due, mark);
  }

  async listDue(before: number): Promise<DueEntry[]> {
    const entries: DueEntry[] = [];
    for (const item of this.items.values()) {
      const state = JSON.parse(item) as InstanceState;
      const at = this.#dueAt(state);
      if (at !== undefined && at < before)
        entries.push({ instanceId: state.instanceId, at, ...(state.trace ? { trace: state.trace } : {}) });
    }
    return entries.sort((a, b) => a.at - b.at);
  }

  async rest(instanceId: string, revision: number, nextDue: number | undefined): Promise<void> {
    this.writes++;
    const state = await this.load(instanceId);
    if (state?.revision !== revision || (state.status !== 'waiting' && state.status !== 'suspended')) return;
    this.marks.delete(instanceId);
    this.overrides.set(instanceId, nextDue);
  }

  async dueOf(instanceId: string): Promise<{ due: boolean; status: InstanceStatus; revision: number } | undefined> {
    const state = await this.load(instanceId);
    return state && { due: this.#dueAt(state) !== undefined, status: state.status, revision: state.revision };
  }

  async markDispatched(instanceId: string, revision: number): Promise<void> {
    this.writes++;
    const current = await this.load(instanceId);
    if (current?.revision === revision)
      this.items.set(instanceId, JSON.stringify({ ...current, dispatchedRevision: revision }));
  }

  /** Instances given their retention by a retire, with the `now` it counts from (a finished instance otherwise counts from its last write). */
  readonly retired = new Map<string, number>();

  async retire(instanceIds: readonly string[], now: number): Promise<void> {
    this.writes += instanceIds.length;
    for (const id of instanceIds) {
      const status = (await this.load(id))?.status;
      if (status === 'completed' || status === 'terminated') this.retired.set(id, now);
    }
  }

  /**
   * Locks of synchronized scopes, by orchestration instance and name: their holder (none once freed) and waiters, and
   * when one was last freed (the DynamoDB item's expiry counts from then).
   */
  readonly locks = new Map<string, { holder?: LockHolder; waiters: string[]; freedAt?: number }>();

  lockOf(lock: LockKey): { holder?: LockHolder; waiters: string[]; freedAt?: number } | undefined {
    return this.locks.get(`${lock.instanceId}\u0000${lock.name}`);
  }

  async acquireLock(lock: LockKey, holder: LockHolder, stale?: LockHolder): Promise<boolean> {
    this.writes++;
    const item = this.lockOf(lock);
    const held = item?.holder;
    const taken =
      held === undefined ||
      (held.instanceId === holder.instanceId && held.revision <= holder.revision) ||
      (stale !== undefined && held.instanceId === stale.instanceId && held.revision === stale.revision);
    if (!taken) return false;
    const waiters = (item?.waiters ?? []).filter((w) => w !== holder.instanceId);
    this.locks.set(`${lock.instanceId}\u0000${lock.name}`, { holder, waiters });
    return true;
  }

  async awaitLock(lock: LockKey, waiter: string): Promise<LockHolder | undefined> {
    this.writes++;
    const item = this.lockOf(lock);
    if (item?.holder === undefined) return undefined;
    if (!item.waiters.includes(waiter)) item.waiters.push(waiter);
    return item.holder;
  }

  async releaseLock(lock: LockKey, holder: LockHolder, now: number): Promise<readonly string[]> {
    this.writes++;
    const item = this.lockOf(lock);
    if (item === undefined) return [];
    if (item.holder === undefined) return [...item.waiters];
    if (item.holder.instanceId !== holder.instanceId || item.holder.revision !== holder.revision) return [];
    const waiters = item.waiters.filter((w) => w !== holder.instanceId);
    this.locks.set(`${lock.instanceId}\u0000${lock.name}`, { waiters, freedAt: now });
    return [...waiters];
  }

  /** Messages read whole from inboxes (`delivery`, or a listing's small ones), for tests that count what a wake-up reads. */
  bodiesRead = 0;

  async deliveries(instanceId: string): Promise<InboxEntry[]> {
    // As the DynamoDB store lists them: oldest first, a large message without its body.
    const inbox = structuredClone(this.inboxes.get(instanceId) ?? []).sort(
      (a, b) => a.receivedAt - b.receivedAt || a.messageId.localeCompare(b.messageId),
    );
    return inbox.map((message) => {
      if (JSON.stringify(message).length <= LISTED_MESSAGE_BYTES) {
        this.bodiesRead++;
        return message;
      }
      const { body: _left, ...head } = message;
      return { ...head, bodyLeft: true as const };
    });
  }

  async delivery(instanceId: string, messageId: string): Promise<InboundMessage | undefined> {
    const message = this.inboxes.get(instanceId)?.find((m) => m.messageId === messageId);
    if (message) this.bodiesRead++;
    return message && structuredClone(message);
  }

  async putSuspendedMessage(message: SuspendedMessage): Promise<void> {
    this.writes++;
    if (!this.suspended.has(message.messageId)) this.suspended.set(message.messageId, message);
  }

  listInstances(status: InstanceStatus, limit?: number): Promise<InstanceState[]>;
  listInstances(
    status: InstanceStatus,
    limit: number | undefined,
    options: { readonly states: false },
  ): Promise<InstanceHeader[]>;
  async listInstances(
    status: InstanceStatus,
    limit = 1_000,
    options: { readonly states?: boolean } = {},
  ): Promise<InstanceHeader[]> {
    // The statuses the DynamoDB store can list (it has no index of the ended ones).
    if (!['running', 'waiting', 'suspended'].includes(status))
      throw new Error(`status "${status}" is not listed; listed: running, waiting, suspended`);
    const states = [...this.items.values()]
      .map((v) => JSON.parse(v) as InstanceState)
      .filter((s) => s.status === status && !(status === 'running' && s.branchOf))
      .slice(0, limit);
    if (options.states !== false) return states;
    return states.map(({ instanceId, orchestration, version, createdAt, updatedAt }) => ({
      instanceId,
      orchestration,
      version,
      status,
      createdAt,
      updatedAt,
    }));
  }

  async countByStatus(
    statuses: readonly string[] = ['running', 'waiting', 'suspended', 'message'],
  ): Promise<Record<string, number>> {
    const states = [...this.items.values()].map((v) => JSON.parse(v) as InstanceState);
    const unresolved = (await this.listSuspendedMessages()).length;
    return Object.fromEntries(
      statuses.map((status) => [
        status,
        // As the DynamoDB store counts: running branch instances are not counted (their join, waiting, is).
        status === 'message'
          ? unresolved
          : states.filter((s) => s.status === status && !(status === 'running' && s.branchOf)).length,
      ]),
    );
  }

  async listSuspendedMessages(): Promise<SuspendedMessage[]> {
    return [...this.suspended.values()].filter((m) => !m.resolution);
  }

  async suspendedMessage(messageId: string): Promise<SuspendedMessage | undefined> {
    return this.suspended.get(messageId);
  }

  async resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean> {
    const message = this.suspended.get(messageId);
    if (!message || message.resolution) return false;
    this.suspended.set(messageId, { ...message, resolution });
    return true;
  }
}

export class MemoryWorkQueue implements WorkQueue {
  readonly items: WorkItem[] = [];
  async enqueue(items: readonly WorkItem[]): Promise<void> {
    this.items.push(...items);
  }
}

export class MemorySendPort implements SendPort {
  readonly sent: SendEntry[] = [];
  /** Throw from here to simulate a crash between the commit and the dispatch. */
  beforeDispatch?: (entries: readonly SendEntry[]) => void | Promise<void>;
  async dispatch(entries: readonly SendEntry[]): Promise<void> {
    await this.beforeDispatch?.(entries);
    this.sent.push(...entries);
  }
}

/** A clock tests move by hand; sleeps advance it instead of waiting. */
export class ManualClock implements Clock {
  current: number;
  constructor(start = Date.UTC(2026, 10, 24)) {
    this.current = start;
  }
  now = (): number => this.current;
  sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
  };
  /** Timers fire when the clock is moved past them (by `advance` or a sleep), in the order they are due. */
  readonly #timers: { at: number; fire: () => void }[] = [];
  after = (ms: number, fire: () => void): (() => void) => {
    const timer = { at: this.current + ms, fire };
    this.#timers.push(timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  };
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.current = Math.max(this.current, next.at);
      next.fire();
    }
    this.current = until;
  }
}

/** What a refused write found, as DynamoDB returns it with the refusal (nothing when the instance is gone). */
function collidedWith(current: InstanceState | undefined): { collided?: Collision } {
  if (!current) return {};
  const { revision, status, lease } = current;
  return {
    collided: { revision, status, ...(lease ? { lease: { owner: lease.owner, expiresAt: lease.expiresAt } } : {}) },
  };
}
