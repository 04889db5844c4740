import type { HistoryPage, HistoryStore } from '../../functions/core/ports.ts';
import type { Change, Tracked, TrackedEvent } from '../../functions/core/tracking.ts';
import { track } from '../../functions/core/tracking.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import type { createWorld } from './world.ts';

/** The history table in memory: one entry an event (DynamoDbHistory keeps a change's events in one item), paged alike. */
export class MemoryHistory implements HistoryStore {
  readonly events = new Map<string, Map<string, TrackedEvent>>();
  readonly links = new Map<string, Set<string>>();

  async record(tracked: Tracked, origin: string): Promise<void> {
    tracked.events.forEach((event, n) => {
      const own = this.events.get(event.subject) ?? new Map<string, TrackedEvent>();
      own.set(`${origin.padStart(40, '0')}#${String(n).padStart(3, '0')}`, event);
      this.events.set(event.subject, own);
    });
    for (const link of tracked.links)
      this.links.set(link.key, (this.links.get(link.key) ?? new Set()).add(link.subject));
  }

  async history(
    subject: string,
    page: { limit?: number; after?: string; newestFirst?: boolean } = {},
  ): Promise<HistoryPage> {
    const sorted = [...(this.events.get(subject)?.keys() ?? [])].sort();
    const ordered = page.newestFirst ? sorted.reverse() : sorted;
    const keys = ordered.filter(
      (k) => page.after === undefined || (page.newestFirst ? k < page.after : k > page.after),
    );
    const taken = keys.slice(0, page.limit ?? 100);
    const own = this.events.get(subject)!;
    return { events: taken.map((k) => own.get(k)!), ...(keys.length > taken.length ? { next: taken.at(-1)! } : {}) };
  }

  async linked(key: string, limit = 200): Promise<string[]> {
    return [...(this.links.get(key) ?? [])].slice(0, limit);
  }

  async countLinked(key: string): Promise<number> {
    return this.links.get(key)?.size ?? 0;
  }
}

/**
 * Feeds every change of an in-memory MessageBox (instance items, inbox deliveries, suspended messages and what an
 * operator did with them) to tracking, as the table's stream feeds the tracking function: the old and new image of
 * each write, in order.
 */
export function trackWorld(w: ReturnType<typeof createWorld>, history = new MemoryHistory()) {
  const changes: Change[] = [];
  let origin = 0;
  const feed = (change: Change) => {
    changes.push(change);
    void history.record(track(change), String(++origin).padStart(10, '0'));
  };
  const items = w.store.items;
  const set = items.set.bind(items);
  items.set = (key: string, value: string) => {
    const before = items.get(key);
    feed({
      kind: 'instance',
      at: w.clock.now(),
      before: before === undefined ? undefined : (JSON.parse(before) as InstanceState),
      after: JSON.parse(value) as InstanceState,
    });
    return set(key, value);
  };
  const deliver = w.store.deliver.bind(w.store);
  w.store.deliver = async (instanceId, message) => {
    const known = (await w.store.deliveries(instanceId)).some((m) => m.messageId === message.messageId);
    await deliver(instanceId, message);
    if (!known) feed({ kind: 'delivery', at: w.clock.now(), instanceId, message });
  };
  const putSuspended = w.store.putSuspendedMessage.bind(w.store);
  w.store.putSuspendedMessage = async (message) => {
    const known = w.store.suspended.has(message.messageId);
    await putSuspended(message);
    if (!known) feed({ kind: 'suspended-message', at: w.clock.now(), message });
  };
  const resolve = w.store.resolveSuspendedMessage.bind(w.store);
  w.store.resolveSuspendedMessage = async (messageId, resolution) => {
    const done = await resolve(messageId, resolution);
    if (done) feed({ kind: 'message-resolved', at: w.clock.now(), message: w.store.suspended.get(messageId)! });
    return done;
  };
  return { history, changes };
}
