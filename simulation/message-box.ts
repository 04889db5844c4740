import type { InstanceState, SuspendedMessage } from '../functions/core/instance.ts';
import type { InboundMessage } from '../functions/core/message.ts';
import type { InstanceStore } from '../functions/core/ports.ts';
import type { Change } from '../functions/core/tracking.ts';
import { MemoryInstanceStore } from '../test/helpers/memory.ts';
import type { Actor, Scheduler } from './scheduler.ts';

/**
 * The MessageBox of a simulated run: the in-memory store the unit tests use (held to DynamoDB's behaviour by the store
 * contract test), with what the table around it does: a stream of every change, old and new image (what tracking
 * reads), time-to-live deletion of finished instances, and, for each actor, a port whose every call goes through the
 * scheduler (completed in any order, faulted, or dropped by a crash). Synchronized scopes' locks are the memory
 * store's (`locks`), taken and freed through the same ports; their changes are not in the stream (tracking reads
 * none), and a freed lock is kept rather than expired (nothing reads one but the next taker).
 */
export class SimMessageBox {
  readonly inner = new MemoryInstanceStore();
  /** The stream: each change with its sequence number, in the order the writes were applied. */
  readonly stream: { readonly change: Change; readonly origin: string }[] = [];
  /** Every message a receive took (consumed by a committed state, or settled), by message id: the instances that took it, with their orchestration. */
  readonly taken = new Map<string, Map<string, string>>();
  readonly #now: () => number;
  #sequence = 0;

  constructor(now: () => number) {
    this.#now = now;
    const { items } = this.inner;
    const set = items.set.bind(items);
    items.set = (key: string, value: string) => {
      const before = items.get(key);
      const after = JSON.parse(value) as InstanceState;
      for (const id of after.consumed) this.#took(id, after.instanceId, after.orchestration);
      this.#change({
        kind: 'instance',
        at: this.#now(),
        before: before === undefined ? undefined : (JSON.parse(before) as InstanceState),
        after,
      });
      return set(key, value);
    };
    const remove = items.delete.bind(items);
    items.delete = (key: string) => {
      const before = items.get(key);
      if (before !== undefined)
        this.#change({
          kind: 'instance',
          at: this.#now(),
          before: JSON.parse(before) as InstanceState,
          after: undefined,
        });
      this.#parsed.delete(key);
      return remove(key);
    };
    const inner = this.inner;
    const deliver = inner.deliver.bind(inner);
    inner.deliver = async (instanceId: string, message: InboundMessage) => {
      const known =
        inner.inboxes.get(instanceId)?.some((m) => m.messageId === message.messageId) ||
        inner.settledMessages.get(instanceId)?.has(message.messageId);
      await deliver(instanceId, message);
      const { body: _body, ...head } = message;
      if (!known)
        this.#change({ kind: 'delivery', at: this.#now(), instanceId, message: { ...head, body: undefined } });
    };
    const settle = inner.settle.bind(inner);
    inner.settle = async (instanceId: string, messageIds: readonly string[]) => {
      const orchestration = this.state(instanceId)?.orchestration ?? '?';
      for (const id of messageIds) this.#took(id, instanceId, orchestration);
      await settle(instanceId, messageIds);
    };
    const putSuspended = inner.putSuspendedMessage.bind(inner);
    inner.putSuspendedMessage = async (message: SuspendedMessage) => {
      const known = inner.suspended.has(message.messageId);
      await putSuspended(message);
      if (!known) this.#change({ kind: 'suspended-message', at: this.#now(), message });
    };
    const resolve = inner.resolveSuspendedMessage.bind(inner);
    inner.resolveSuspendedMessage = async (messageId, resolution) => {
      const done = await resolve(messageId, resolution);
      if (done) this.#change({ kind: 'message-resolved', at: this.#now(), message: inner.suspended.get(messageId)! });
      return done;
    };
  }

  /**
   * For the simulator's own test: a store that answers the read a delivery makes after writing with what the instance
   * was before the delivery, as the receive host saw it when it had no such read (issue 22, path 2). The simulator must
   * find what that loses.
   */
  blindAfterDeliver = false;

  /** The store as `actor` calls it: each call is a call through the scheduler. */
  portFor(actor: Actor, scheduler: Scheduler, faultable = true): InstanceStore {
    const inner = this.inner as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    // The read a delivery makes after writing answers, on this port, what the read before the delivery did.
    const blind = this.blindAfterDeliver ? { last: new Map<string, unknown>(), after: new Set<string>() } : undefined;
    const apply = (name: string, args: unknown[]) => async () => {
      const id = args[0] as string;
      if (blind && name === 'deliver') blind.after.add(id);
      if (blind && name === 'summaryOf') {
        if (blind.after.delete(id) && blind.last.has(id)) return blind.last.get(id);
        const summary = await inner.summaryOf!.apply(this.inner, args);
        blind.last.set(id, summary);
        return summary;
      }
      return inner[name]!.apply(this.inner, args);
    };
    return new Proxy({} as InstanceStore, {
      // Only the store's methods: a Proxy that answered `then` would make the port look like a promise.
      get: (_target, name) =>
        typeof name !== 'string' || typeof inner[name] !== 'function'
          ? undefined
          : (...args: unknown[]) =>
              scheduler.call(actor, `store.${name}${about(args[0])}`, apply(name, args), faultable),
    });
  }

  /**
   * The instances as stored now (not through a port: what the world's oracle reads). Read only: each is parsed once
   * per write, and shared.
   */
  states(): InstanceState[] {
    return [...this.inner.items].map(([id, item]) => this.#parse(id, item));
  }

  state(instanceId: string): InstanceState | undefined {
    const item = this.inner.items.get(instanceId);
    return item === undefined ? undefined : this.#parse(instanceId, item);
  }

  /** Each item as last parsed, by id: the world looks at every instance between events, most of them unchanged. */
  readonly #parsed = new Map<string, { readonly item: string; readonly state: InstanceState }>();
  #parse(instanceId: string, item: string): InstanceState {
    const known = this.#parsed.get(instanceId);
    if (known?.item === item) return known.state;
    const state = JSON.parse(item) as InstanceState;
    this.#parsed.set(instanceId, { item, state });
    return state;
  }

  /** DynamoDB's TTL: finished instances whose retention has passed go (in no particular order, and not at once). */
  expired(now: number, retentionMs: number): string[] {
    return this.states()
      .filter(
        (s) =>
          (s.status === 'completed' || s.status === 'terminated') &&
          this.inner.expiresAt(s.instanceId)! + retentionMs < now,
      )
      .map((s) => s.instanceId);
  }

  #took(messageId: string, instanceId: string, orchestration: string): void {
    const by = this.taken.get(messageId) ?? new Map<string, string>();
    by.set(instanceId, orchestration);
    this.taken.set(messageId, by);
  }

  #change(change: Change): void {
    this.stream.push({ change, origin: String(++this.#sequence).padStart(12, '0') });
  }
}

/** What a store call is about, for the trace: the instance (or message) it names, shortened. */
function about(first: unknown): string {
  const id =
    typeof first === 'string'
      ? first
      : ((first as { instanceId?: unknown; messageId?: unknown } | undefined)?.instanceId ??
        (first as { messageId?: unknown } | undefined)?.messageId);
  if (typeof id !== 'string') return '';
  return ` ${id.length > 14 ? `${id.slice(0, 8)}${id.includes('~') ? id.slice(id.indexOf('~')) : ''}` : id}`;
}
