import { PutCommand, QueryCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { InstanceStatus, TERMINAL_STATUSES } from '../../core/instance.ts';
import type { DueEntry, DueIndex } from '../../core/ports.ts';
import { MESSAGEBOX } from '../../settings.ts';
import type { Item } from '../item.ts';
import { restingAt, waitingNotDueBefore } from './conditions.ts';
import { STATE, dueKey, instanceKey } from './items.ts';
import type { MessageBoxTable } from './table.ts';

/**
 * Entries one sweep reads in a shard at most: after an outage, the ended instances' entries ahead of the cursor are
 * passed over a few thousand at a time, each sweep saving how far it got, so no sweep outlives its time limit.
 */
const MAX_READ_PER_SWEEP = 5_000;
/** Due entries a shard's sweep cursor holds past it (looked at again each sweep until they move); the rest wait ahead of it. */
const MAX_HELD = 200;

/** A shard's sweep cursor: the last entry passed over, and the entries found due that it went past. */
interface Cursor {
  readonly after?: Record<string, unknown>;
  readonly held: Item[];
}

/**
 * The due index (`duePk`/`dueAt` on instance items, sharded): an instance carries them while something about it is due
 * at a time (core/due.ts), and a shard's sweep cursor (`SWEEP#<shard>` / `CURSOR`) keeps how far the sweeper passed.
 */
export class DynamoDbDueIndex implements DueIndex {
  readonly #table: MessageBoxTable;

  constructor(table: MessageBoxTable) {
    this.#table = table;
  }

  /**
   * What is due before `before`. An instance that ended keeps its due entry (see DynamoDbInstances' commit), so the
   * entries read are checked against their items (an eventually consistent read of a few attributes, half a unit
   * each): an ended one is passed over, and each shard keeps how far it has passed over them (a cursor item per shard,
   * written only when it moves), so an ended instance's entry is read once, whatever the number of instances. Entries
   * still due are held by the cursor (up to MAX_HELD; past that it stops before them) and found by every sweep until
   * they move. Every write puts a due time at or after its own time, and the cursor stays a staleness behind the
   * sweeps, so no new entry can land behind it.
   */
  async listDue(before: number, limit = 10_000): Promise<DueEntry[]> {
    const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
    const shards = await Promise.all(
      [...Array(MESSAGEBOX.statusShards).keys()].map((shard) => this.#dueInShard(shard, before, perShard)),
    );
    return shards.flat().sort((a, b) => a.at - b.at);
  }

  async #dueInShard(shard: number, before: number, limit: number): Promise<DueEntry[]> {
    const cursorKey = { pk: `SWEEP#${shard}`, sk: 'CURSOR' };
    const cursor = (await this.#table.get(cursorKey)) as Cursor | undefined;
    const found = new DueFound();
    // Entries found due that the cursor went past: looked at again until they move (a wake-up may be lost again).
    const heldBefore = cursor?.held ?? [];
    const rechecked = await this.#statusOf(heldBefore);
    for (const entry of heldBefore) found.consider(entry, rechecked.get(String(entry.pk)));
    // Everything up to the cursor was looked at, and what is held is above: nothing new to read yet.
    const after =
      !cursor?.after || Number(cursor.after.dueAt) < before
        ? await this.#readAhead(shard, before, limit, cursor?.after, found)
        : cursor.after;
    if (JSON.stringify({ after, held: found.held }) !== JSON.stringify({ after: cursor?.after, held: heldBefore })) {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.name,
          Item: { ...cursorKey, ...(after ? { after } : {}), held: found.held },
        }),
      );
    }
    return found.due;
  }

  /**
   * Reads the shard's entries due before `before` from the cursor on, a page at a time, until `limit` are found due,
   * MAX_HELD are held or MAX_READ_PER_SWEEP are read; returns the last entry passed. Each page's size depends on what
   * the pages before it found, which the SDK's paginator cannot ask for.
   */
  async #readAhead(
    shard: number,
    before: number,
    limit: number,
    from: Record<string, unknown> | undefined,
    found: DueFound,
  ): Promise<Record<string, unknown> | undefined> {
    const { dueIndex } = MESSAGEBOX;
    let start = from;
    let passed = from;
    let read = 0;
    do {
      const page = await this.#table.client.send(
        new QueryCommand({
          TableName: this.#table.name,
          IndexName: dueIndex.name,
          KeyConditionExpression: '#duePk = :pk AND #dueAt < :before',
          ExpressionAttributeNames: { '#duePk': dueIndex.partitionKey, '#dueAt': dueIndex.sortKey },
          ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':before': before },
          Limit: Math.max(1, limit - found.due.length),
          ExclusiveStartKey: start,
        }),
      );
      const entries = page.Items ?? [];
      const items = await this.#statusOf(entries);
      for (const entry of entries) {
        // Past MAX_HELD, the cursor stops at the first of the rest: they are read again from there.
        if (found.held.length >= MAX_HELD && found.isDue(entry, items.get(String(entry.pk)))) break;
        found.consider(entry, items.get(String(entry.pk)));
        passed = { pk: entry.pk, sk: entry.sk, duePk: entry.duePk, dueAt: entry.dueAt };
      }
      start = found.held.length >= MAX_HELD ? undefined : page.LastEvaluatedKey;
      read += entries.length;
    } while (start && found.due.length < limit && read < MAX_READ_PER_SWEEP);
    return passed;
  }

  /** Status, due time and trace of the items of due entries (eventually consistent: an ended instance stays ended). */
  async #statusOf(entries: readonly Item[]): Promise<Map<string, Item>> {
    const items = await this.#table.batchGet(
      entries.map((e) => ({ pk: e.pk, sk: e.sk })),
      {
        ProjectionExpression: 'pk, #status, dueAt, joinOf, #trace',
        ExpressionAttributeNames: { '#status': 'status', '#trace': 'trace' },
      },
    );
    return new Map(items.map((item) => [String(item.pk), item]));
  }

  async rest(instanceId: string, revision: number, nextDue: number | undefined): Promise<void> {
    // If it moved on, that commit set what is due.
    await this.#table.updateUnlessMoved(
      instanceId,
      nextDue === undefined ? 'REMOVE #duePk, #dueAt' : 'SET #duePk = :duePk, #dueAt = :at',
      restingAt,
      { '#duePk': 'duePk', '#dueAt': 'dueAt', '#rev': 'rev', '#status': 'status' },
      {
        ':rev': revision,
        ':waiting': InstanceStatus.Waiting,
        ':suspended': InstanceStatus.Suspended,
        ...(nextDue === undefined ? {} : { ':duePk': dueKey(instanceId), ':at': nextDue }),
      },
    );
  }

  async dueOf(instanceId: string): Promise<{ due: boolean; status: InstanceStatus; revision: number } | undefined> {
    const item = await this.#table.get(
      { pk: instanceKey(instanceId), sk: STATE },
      {
        ProjectionExpression: 'pk, #status, rev, dueAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ConsistentRead: false,
      },
    );
    return item === undefined
      ? undefined
      : { due: item.dueAt !== undefined, status: item.status as InstanceStatus, revision: Number(item.rev) };
  }

  /**
   * A waiting instance with an unread delivery is due at `at`: if the wake-up work item that follows is lost, the
   * sweeper finds it here (see `waitingNotDueBefore`).
   */
  async markDue(instanceId: string, at: number): Promise<void> {
    await this.#table.updateUnlessMoved(
      instanceId,
      'SET #duePk = :duePk, #dueAt = :at',
      waitingNotDueBefore,
      { '#duePk': 'duePk', '#dueAt': 'dueAt', '#status': 'status' },
      { ':duePk': dueKey(instanceId), ':at': at, ':waiting': InstanceStatus.Waiting },
    );
  }

  /**
   * The newest entries of the due index (running orchestrations and joins are among them; ended instances' entries
   * are older), at most `limit` in all, each shard its share: the listings' source, not the sweeper's.
   */
  async newest(limit: number, within?: { from: number; to: number }): Promise<Item[]> {
    const { dueIndex } = MESSAGEBOX;
    const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
    const shards = await Promise.all(
      [...Array(MESSAGEBOX.statusShards).keys()].map(async (shard) => {
        const items: Item[] = [];
        const pages = paginateQuery(
          { client: this.#table.client, pageSize: perShard },
          {
            TableName: this.#table.name,
            IndexName: dueIndex.name,
            KeyConditionExpression: `#duePk = :pk${within ? ' AND #dueAt BETWEEN :from AND :to' : ''}`,
            ExpressionAttributeNames: {
              '#duePk': dueIndex.partitionKey,
              ...(within ? { '#dueAt': dueIndex.sortKey } : {}),
            },
            ExpressionAttributeValues: {
              ':pk': `DUE#${shard}`,
              ...(within ? { ':from': within.from, ':to': within.to } : {}),
            },
            ScanIndexForward: false,
          },
        );
        for await (const page of pages) {
          items.push(...(page.Items ?? []));
          if (items.length >= perShard) break;
        }
        return items.slice(0, perShard);
      }),
    );
    return shards.flat();
  }
}

/** What a shard's sweep found: the entries due (for the sweeper) and those its cursor holds (to look at again). */
class DueFound {
  readonly held: Item[] = [];
  readonly due: DueEntry[] = [];

  /** Gone, ended (no join to wake), or moved on (the index lags the item): nothing is due for it at this entry. */
  isDue(entry: Item, item: Item | undefined): item is Item {
    return (
      item !== undefined &&
      Number(item.dueAt) === Number(entry.dueAt) &&
      !(TERMINAL_STATUSES.has(item.status) && !item.joinOf)
    );
  }

  /** Takes the entry when it is due. */
  consider(entry: Item, item: Item | undefined): void {
    if (!this.isDue(entry, item)) return;
    const joinOf = entry.joinOf ? { joinOf: String(entry.joinOf) } : {};
    this.held.push({ pk: entry.pk, sk: entry.sk, duePk: entry.duePk, dueAt: entry.dueAt, ...joinOf });
    this.due.push({
      instanceId: String(entry.pk).slice(2),
      at: Number(entry.dueAt),
      ...joinOf,
      ...(typeof item.trace === 'string' ? { trace: item.trace } : {}),
    });
  }
}
