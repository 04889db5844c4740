import { InstanceStatus, type InstanceState } from '../../core/instance.ts';
import type { InstanceHeader, Listings } from '../../core/ports.ts';
import type { Item } from '../item.ts';
import type { DynamoDbDueIndex } from './DynamoDbDueIndex.ts';
import { IN_FLIGHT_COUNTED, fromItem, inFlightAs } from './items.ts';
import { inStatus, statusPages } from './status-index.ts';
import type { MessageBoxTable } from './table.ts';

/** Statuses an operator can list: waiting and suspended from the status index, running from the due index. */
export const LISTED: ReadonlySet<string> = new Set([
  InstanceStatus.Running,
  InstanceStatus.Waiting,
  InstanceStatus.Suspended,
]);

/**
 * What operators list and count, from the two sparse indexes: waiting (not at a join) and suspended instances, and
 * suspended messages, from the status index; running instances and joins from the due index, where every running
 * orchestration instance is from its last write on.
 */
export class DynamoDbListings implements Listings {
  readonly #table: MessageBoxTable;
  readonly #due: DynamoDbDueIndex;

  constructor(table: MessageBoxTable, due: DynamoDbDueIndex) {
    this.#table = table;
    this.#due = due;
  }

  /**
   * Running branch instances are not listed: their orchestration, waiting at its join, is. With `states: false`, what
   * each is without its state: an item's attributes say it, so no claim-checked state is read (an item written before
   * they were kept beside it is read whole, until its next commit).
   */
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
    if (!LISTED.has(status)) throw new Error(`status "${status}" is not listed; listed: ${[...LISTED].join(', ')}`);
    const states = options.states !== false;
    const indexed = status === InstanceStatus.Running ? [] : await inStatus(this.#table, status, limit, false);
    // A running instance is due within a lease and a window of now (core/due.ts), or in the past when stranded: read
    // that stretch only, so timers due days ahead do not crowd it out.
    const now = this.#table.clock.now();
    const within = status === InstanceStatus.Running ? { from: now - 86_400_000, to: now + 60 * 60_000 } : undefined;
    const inFlight =
      status === InstanceStatus.Suspended
        ? []
        : (await this.#table.fetch(await this.#due.newest(limit, within), false)).filter((item) =>
            inFlightAs(item, status),
          );
    const items = [...indexed, ...inFlight].slice(0, limit);
    return Promise.all(
      items.map(async (item) => (states ? fromItem(await this.#table.whole(item)) : this.#header(item))),
    );
  }

  /** What an instance is, from its item: from the attributes beside a claim-checked state, else from the state it keeps. */
  async #header(item: Item): Promise<InstanceHeader> {
    const { instanceId, orchestration, version } =
      typeof item.orchestration === 'string' && item.version !== undefined
        ? {
            instanceId: String(item.pk).slice(2),
            orchestration: item.orchestration as string,
            version: Number(item.version),
          }
        : fromItem(await this.#table.whole(item));
    return {
      instanceId,
      orchestration,
      version,
      status: item.status,
      createdAt: Number(item.createdAt),
      updatedAt: Number(item.updatedAt),
    };
  }

  /**
   * Pages the status index (Select COUNT): its cost grows with the instances counted, so the sweeper counts only the
   * suspended.
   */
  async countByStatus(statuses: readonly string[] = [...LISTED, 'message']): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const status of statuses) {
      counts[status] = 0;
      if (status !== InstanceStatus.Running)
        for await (const page of statusPages(this.#table, status, { count: true })) counts[status] += page.Count ?? 0;
    }
    // Running instances and joins are in the due index only, beside timers: counted from their items' attributes (no
    // state read), up to a bound.
    if (statuses.includes(InstanceStatus.Running) || statuses.includes(InstanceStatus.Waiting)) {
      for (const item of await this.#table.fetch(await this.#due.newest(IN_FLIGHT_COUNTED), false)) {
        if (inFlightAs(item, InstanceStatus.Running) && statuses.includes(InstanceStatus.Running)) counts.running!++;
        else if (inFlightAs(item, InstanceStatus.Waiting) && statuses.includes(InstanceStatus.Waiting))
          counts.waiting!++;
      }
    }
    return counts;
  }
}
