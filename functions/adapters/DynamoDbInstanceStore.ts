import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { OwnershipLost } from '../core/errors.ts';
import {
  InstanceStatus,
  TERMINAL_STATUSES,
  type InstanceState,
  type Lease,
  type MessageResolution,
  type SuspendedMessage,
} from '../core/instance.ts';
import type { DueEntry, InstanceHeader, InstanceStore, InstanceSummary } from '../core/ports.ts';
import { dueOfClaim } from '../core/due.ts';
import { LISTED_MESSAGE_BYTES, type InboundMessage, type InboxEntry } from '../core/message.ts';
import { MAX_STORED_BODY_BYTES } from '../core/receive-host.ts';
import { MESSAGEBOX } from '../settings.ts';
import { CLAIMED, PayloadMissing, payloadKeys, withClaimedValues, type ClaimCheck } from './claim-check.ts';
import type { Item } from './item.ts';
import { ownershipCondition, ownershipNames } from './dynamodb/conditions.ts';
import {
  INBOX,
  IN_FLIGHT_COUNTED,
  LARGE_MESSAGE,
  STATE,
  SUSPENDED,
  TAKEN,
  compress,
  dueKey,
  expiry,
  fromItem,
  inFlightAs,
  inboxText,
  instanceKey,
  renamed,
  sortKey,
  statusKey,
  suspendedFromItem,
  toItem,
} from './dynamodb/items.ts';

export { COMPRESS_FROM, fromItem, inboxText, suspendedFromItem } from './dynamodb/items.ts';

/*
 * Item layout (single table):
 *   I#<instanceId> / STATE      one item per instance; the engine state as JSON, in `doc`, or brotli-compressed
 *                               in `z` once it is large enough for that to pay (see packState); the attributes
 *                               beside it are what conditions and indexes need.
 *   I#<instanceId> / MSG#<id>  a message delivered to the instance, held until a receive takes it;
 *   I#<instanceId> / TOOK#<id> once taken, what is left of it (see `settle`): the inbox holds only what waits.
 *   M#<messageId>  / SUSPENDED  a message that could not become an instance.
 * With a claim check configured, the state of an instance item (`zref` for `z`), the message of an inbox item
 * (`messageRef`) and the body of a suspended message (`bodyRef`) are kept in the object store once they are large
 * (see claim-check.ts); every read here puts them back, so nothing above the store sees the difference.
 * The status index is sparse: only instances an operator lists by status carry gsi1pk (dehydrated ones, waiting for
 * a message or a timer, and suspended ones; see `statusIndexed`), sharded so no index partition takes every write,
 * and sorted by creation, so a commit that keeps the status writes nothing to it. The due index is sparse too: an
 * instance carries duePk/dueAt only while something about it is due at a time (core/due.ts), which is all the sweeper
 * reads; running instances and joins are listed from it. Each change of an index key costs two index writes: the
 * sample's orchestrations (an order and its two branch instances) write the indexes twice in their whole life.
 */
/** SQS keeps a message at most 14 days: past that (and a day's margin) no copy of a settled one can come back. */
const SETTLED_RECORD_SECONDS = 15 * 86_400;
/**
 * Entries one sweep reads in a shard at most: after an outage, the ended instances' entries ahead of the cursor are
 * passed over a few thousand at a time, each sweep saving how far it got, so no sweep outlives its time limit.
 */
const MAX_READ_PER_SWEEP = 5_000;
/** Due entries a shard's sweep cursor holds past it (looked at again each sweep until they move); the rest wait ahead of it. */
const MAX_HELD = 200;
/**
 * With one: 8 MiB, eight times what SQS carries in a message (1 MiB), for bodies that arrive by the extended clients'
 * pointer (they go up to 2 GB; the engine holds a body in memory, parsed, so it stops well before).
 */
export const MAX_CLAIM_CHECKED_BODY_BYTES = 8 * 1024 * 1024;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET = 100;
/** Statuses an operator can list: waiting and suspended from the status index, running from the due index. */
const LISTED: ReadonlySet<string> = new Set([InstanceStatus.Running, InstanceStatus.Waiting, InstanceStatus.Suspended]);

export class DynamoDbInstanceStore implements InstanceStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #claimCheck?: ClaimCheck;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: { claimCheck?: ClaimCheck } = {}) {
    this.#client = client;
    this.#table = tableName;
    this.#claimCheck = options.claimCheck;
  }

  /** The largest message body this store keeps: with a claim check, what SQS and its extended clients carry. */
  get maxBodyBytes(): number {
    return this.#claimCheck ? MAX_CLAIM_CHECKED_BODY_BYTES : MAX_STORED_BODY_BYTES;
  }

  async create(state: InstanceState): Promise<boolean> {
    const item = await this.#claimState(toItem(state), state);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.#discardUnlessReferenced(item);
      return false;
    }
  }

  async load(instanceId: string): Promise<InstanceState | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: STATE },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(await this.#whole(Item)) : undefined;
  }

  /**
   * The state goes to the object store, under its revision and digest, when it is larger than the claim check's
   * threshold (compressed if it was not worth it below); the item keeps the key in `zref`, and beside it what the
   * instance is (its orchestration and version), so a listing for display reads no object (see `listInstances`). An
   * item that keeps its state has no need of them, and its writes stay as small as they were.
   */
  async #claimState(item: Item, state: InstanceState): Promise<Item> {
    const claim = this.#claimCheck;
    const size = item.z?.byteLength ?? Buffer.byteLength(item.doc ?? '');
    if (!claim || size <= claim.fromBytes) return item;
    const bytes: Uint8Array = item.z ?? compress(item.doc);
    const key = payloadKeys.state(String(item.pk).slice(2), item.rev, bytes);
    await claim.payloads.put(key, bytes);
    const { z: _z, doc: _doc, ...rest } = item;
    return { ...rest, [CLAIMED.z]: key, orchestration: state.orchestration, version: state.version };
  }

  /**
   * After a write that lost its condition: the object written for it is deleted, unless the item that won refers to
   * it (the same contents under the same key). A failure here leaves the object behind, nothing else.
   */
  async #discardUnlessReferenced(item: Item, ref: string = CLAIMED.z): Promise<void> {
    const key = item[ref];
    if (!this.#claimCheck || typeof key !== 'string') return;
    try {
      const { Item } = await this.#client.send(
        new GetCommand({
          TableName: this.#table,
          Key: { pk: item.pk, sk: item.sk },
          ConsistentRead: true,
          ProjectionExpression: '#ref',
          ExpressionAttributeNames: { '#ref': ref },
        }),
      );
      if (Item?.[ref] !== key) await this.#claimCheck.payloads.delete([key]);
    } catch {
      // An orphaned object costs storage, not correctness.
    }
  }

  /**
   * An item with its claim-checked values read back in place. Between reading an item and its object the item may
   * move on and the object be deleted (tracking deletes what no item refers to): then the newer item is read, once.
   */
  async #whole(item: Item): Promise<Item> {
    try {
      return await withClaimedValues(item, this.#claimCheck?.payloads);
    } catch (error) {
      if (!(error instanceof PayloadMissing)) throw error;
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: this.#table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
      );
      if (!Item) throw error;
      return withClaimedValues(Item, this.#claimCheck?.payloads);
    }
  }

  /** A message (or a body) over the threshold goes to the object store under `key`; the item keeps the key in `ref`. */
  async #claimText(
    attribute: 'message' | 'body' | 'edited',
    text: string,
    key: (bytes: Uint8Array) => string,
  ): Promise<Record<string, unknown>> {
    const claim = this.#claimCheck;
    const bytes = Buffer.from(text, 'utf8');
    if (!claim || bytes.byteLength <= claim.fromBytes) return { [attribute]: text };
    const at = key(bytes);
    await claim.payloads.put(at, bytes);
    return { [CLAIMED[attribute]]: at };
  }

  async claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState> {
    // A running instance is due past its lease (core/due.ts): the claim moves both (a branch instance is watched by its join).
    const dueAt = dueOfClaim(state, lease.expiresAt);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceKey(state.instanceId), sk: STATE },
          UpdateExpression: `SET #leaseOwner = :owner, #leaseExp = :exp, #rev = :next${dueAt === undefined ? '' : ', #duePk = :duePk, #dueAt = :dueAt'}`,
          ConditionExpression: ownershipCondition,
          ExpressionAttributeNames: {
            ...ownershipNames,
            ...(dueAt === undefined ? {} : { '#duePk': 'duePk', '#dueAt': 'dueAt' }),
          },
          ExpressionAttributeValues: {
            ...(dueAt === undefined ? {} : { ':duePk': dueKey(state.instanceId), ':dueAt': dueAt }),
            ':owner': lease.owner,
            ':exp': lease.expiresAt,
            ':next': state.revision + 1,
            ':expected': state.revision,
            ':takeoverBefore': takeoverBefore,
            ':me': lease.owner,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new OwnershipLost(state.instanceId, state.revision, { cause: error });
      throw error;
    }
    return { ...state, lease, revision: state.revision + 1 };
  }

  async commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void> {
    const item = await this.#claimState(toItem(next), next);
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = { ...ownershipNames };
    const values: Record<string, unknown> = {
      ':expected': expectedRevision,
      ':takeoverBefore': takeoverBefore,
      ':me': hostId,
    };
    // `attempts` is never in the item a commit writes: a persistence point ends the count. An instance that ends keeps
    // its due entry: taking it out would cost an index write, and the sweeper passes over it once (see `listDue`)
    // until the item's expiry deletes both, free.
    const kept = TERMINAL_STATUSES.has(next.status) ? new Set(['duePk', 'dueAt']) : new Set<string>();
    for (const attribute of [
      'rev',
      'status',
      'doc',
      'z',
      CLAIMED.z,
      'orchestration',
      'version',
      'trace',
      'updatedAt',
      'leaseOwner',
      'leaseExp',
      'gsi1pk',
      'gsi1sk',
      'ttl',
      'attempts',
      'duePk',
      'dueAt',
      'joinOf',
    ].filter((a) => !kept.has(a))) {
      names[`#${attribute}`] = attribute;
      if (item[attribute] === undefined) remove.push(`#${attribute}`);
      else {
        set.push(`#${attribute} = :${attribute}`);
        values[`:${attribute}`] = item[attribute];
      }
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: item.pk, sk: STATE },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: ownershipCondition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        await this.#discardUnlessReferenced(item);
        throw new OwnershipLost(next.instanceId, expectedRevision, { cause: error });
      }
      throw error;
    }
  }

  async countAttempt(instanceId: string, revision: number): Promise<number> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceKey(instanceId), sk: STATE },
          UpdateExpression: 'ADD #attempts :one',
          ConditionExpression: '#rev = :rev',
          ExpressionAttributeNames: { '#attempts': 'attempts', '#rev': 'rev' },
          ExpressionAttributeValues: { ':one': 1, ':rev': revision },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.attempts ?? 1);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new OwnershipLost(instanceId, revision, { cause: error });
      throw error;
    }
  }

  async summaryOf(instanceId: string): Promise<InstanceSummary | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: STATE },
        ProjectionExpression: 'pk, #status, createdAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ConsistentRead: true,
      }),
    );
    return Item === undefined
      ? undefined
      : {
          status: Item.status as InstanceStatus,
          createdAt: Item.createdAt === undefined ? undefined : Number(Item.createdAt),
        };
  }

  async dueOf(instanceId: string): Promise<{ due: boolean; status: InstanceStatus; revision: number } | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: STATE },
        ProjectionExpression: 'pk, #status, rev, dueAt',
        ExpressionAttributeNames: { '#status': 'status' },
      }),
    );
    return Item === undefined
      ? undefined
      : { due: Item.dueAt !== undefined, status: Item.status as InstanceStatus, revision: Number(Item.rev) };
  }

  async markDispatched(instanceId: string, revision: number): Promise<void> {
    // If the instance moved on, that later commit carries its own outbox.
    await this.#updateUnlessMoved(
      instanceId,
      'SET dispatchedRev = :rev',
      '#rev = :rev',
      { '#rev': 'rev' },
      { ':rev': revision },
    );
  }

  async retire(instanceIds: readonly string[], now: number): Promise<void> {
    await this.#updateFinished(
      instanceIds,
      'SET #ttl = :ttl REMOVE duePk, dueAt, joinOf',
      'attribute_exists(pk)',
      { '#ttl': MESSAGEBOX.ttlAttribute },
      { ':ttl': expiry(now) },
    );
  }

  /** One update per instance, applied only to those that exist and are finished; the others are left alone. */
  async #updateFinished(
    instanceIds: readonly string[],
    update: string,
    exists: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    await Promise.all(
      instanceIds.map((instanceId) =>
        this.#updateUnlessMoved(
          instanceId,
          update,
          `${exists} AND #status IN (:completed, :terminated)`,
          { ...names, '#status': 'status' },
          { ...values, ':completed': InstanceStatus.Completed, ':terminated': InstanceStatus.Terminated },
        ),
      ),
    );
  }

  /**
   * An update of an instance's item that applies only while `condition` holds; when it no longer does (the
   * instance moved on, ended, or is gone), there is nothing to do, and that is not an error.
   */
  async #updateUnlessMoved(
    instanceId: string,
    update: string,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceKey(instanceId), sk: STATE },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async deliver(instanceId: string, message: InboundMessage): Promise<void> {
    // A copy of a message the instance took and settled: delivered already.
    if ((await this.settled(instanceId, [message.messageId])).size > 0) return;
    // Keyed by message id alone: a redelivery (a later receivedAt) finds the first copy. Its object, by the copy's
    // digest too: a late copy that recreates a settled inbox item gets an object of its own, not the one its first
    // copy's removal lets go of. `head` is the message without its body, which a listing reads instead of a large one.
    const { body: _body, ...head } = message;
    const text = JSON.stringify(message);
    // Listed whole when small, unless the claim check takes it (a threshold set below the listing's).
    const bytes = Buffer.byteLength(text, 'utf8');
    const listed = bytes <= LISTED_MESSAGE_BYTES && !(this.#claimCheck && bytes > this.#claimCheck.fromBytes);
    const held = listed
      ? { message: text }
      : renamed(
          await this.#claimText('message', text, (bytes) => payloadKeys.inbox(instanceId, message.messageId, bytes)),
          'message',
          LARGE_MESSAGE,
        );
    const item = {
      pk: instanceKey(instanceId),
      sk: `${INBOX}${message.messageId}`,
      head: JSON.stringify(head),
      ...held,
    };
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      // A redelivered message is already in the inbox.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.#discardUnlessReferenced(item, CLAIMED.message);
    }
    // Due from now (not from when the message was received): the sweeper's cursor never passes a time this recent.
    await this.#markDue(instanceId, Math.max(message.receivedAt, Date.now()));
  }

  /**
   * A waiting instance with an unread delivery is due now: if the wake-up work item that follows is lost, the
   * sweeper finds it here. A running instance is due anyway (its lease or its last write), a finished one never
   * takes it; an earlier due time (a timer already past) is kept.
   */
  async #markDue(instanceId: string, at: number): Promise<void> {
    await this.#updateUnlessMoved(
      instanceId,
      'SET #duePk = :duePk, #dueAt = :at',
      '#status = :waiting AND (attribute_not_exists(#dueAt) OR #dueAt > :at)',
      { '#duePk': 'duePk', '#dueAt': 'dueAt', '#status': 'status' },
      { ':duePk': dueKey(instanceId), ':at': at, ':waiting': InstanceStatus.Waiting },
    );
  }

  async rest(instanceId: string, revision: number, nextDue: number | undefined): Promise<void> {
    // If it moved on, that commit set what is due.
    await this.#updateUnlessMoved(
      instanceId,
      nextDue === undefined ? 'REMOVE #duePk, #dueAt' : 'SET #duePk = :duePk, #dueAt = :at',
      '#rev = :rev AND #status IN (:waiting, :suspended)',
      { '#duePk': 'duePk', '#dueAt': 'dueAt', '#rev': 'rev', '#status': 'status' },
      {
        ':rev': revision,
        ':waiting': InstanceStatus.Waiting,
        ':suspended': InstanceStatus.Suspended,
        ...(nextDue === undefined ? {} : { ':duePk': dueKey(instanceId), ':at': nextDue }),
      },
    );
  }

  /**
   * What is due before `before`. An instance that ended keeps its due entry (see `commit`), so the entries read are
   * checked against their items (an eventually consistent read of a few attributes, half a unit each): an ended one
   * is passed over, and each shard keeps how far it has passed over them (a cursor item per shard, written only when
   * it moves), so an ended instance's entry is read once, whatever the number of instances. Entries still due are
   * held by the cursor (up to MAX_HELD; past that it stops before them) and found by every sweep until they move.
   * Every write puts a due time at or after its own time, and the cursor stays a staleness behind the sweeps, so no
   * new entry can land behind it.
   */
  async listDue(before: number, limit = 10_000): Promise<DueEntry[]> {
    const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
    const shards = await Promise.all(
      [...Array(MESSAGEBOX.statusShards).keys()].map((shard) => this.#dueInShard(shard, before, perShard)),
    );
    return shards.flat().sort((a, b) => a.at - b.at);
  }

  async #dueInShard(shard: number, before: number, limit: number): Promise<DueEntry[]> {
    const { dueIndex } = MESSAGEBOX;
    const cursorKey = { pk: `SWEEP#${shard}`, sk: 'CURSOR' };
    const { Item: cursor } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: cursorKey, ConsistentRead: true }),
    );
    // Entries found due that the cursor went past: looked at again until they move (a wake-up may be lost again).
    const held: Item[] = [];
    const due: DueEntry[] = [];
    const isDue = (entry: Item, item: Item | undefined) =>
      // Gone, ended (no join to wake), or moved on (the index lags the item): nothing is due for it at this entry.
      item !== undefined &&
      Number(item.dueAt) === Number(entry.dueAt) &&
      !(TERMINAL_STATUSES.has(item.status) && !item.joinOf);
    const take = (entry: Item, item: Item) => {
      held.push({
        pk: entry.pk,
        sk: entry.sk,
        duePk: entry.duePk,
        dueAt: entry.dueAt,
        ...(entry.joinOf ? { joinOf: entry.joinOf } : {}),
      });
      due.push({
        instanceId: String(entry.pk).slice(2),
        at: Number(entry.dueAt),
        ...(entry.joinOf ? { joinOf: String(entry.joinOf) } : {}),
        ...(typeof item.trace === 'string' ? { trace: item.trace } : {}),
      });
    };
    const heldBefore = (cursor?.held ?? []) as Item[];
    const rechecked = await this.#statusOf(heldBefore);
    for (const entry of heldBefore) {
      const item = rechecked.get(String(entry.pk));
      if (isDue(entry, item)) take(entry, item!);
    }

    let start = cursor?.after as Record<string, unknown> | undefined;
    let passed = start;
    let read = 0;
    // Everything up to the cursor was looked at, and what is held is above: nothing new to read yet.
    if (!start || Number(start.dueAt) < before) {
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: dueIndex.name,
            KeyConditionExpression: '#duePk = :pk AND #dueAt < :before',
            ExpressionAttributeNames: { '#duePk': dueIndex.partitionKey, '#dueAt': dueIndex.sortKey },
            ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':before': before },
            Limit: Math.max(1, limit - due.length),
            ExclusiveStartKey: start,
          }),
        );
        const entries = page.Items ?? [];
        const items = await this.#statusOf(entries);
        for (const entry of entries) {
          const item = items.get(String(entry.pk));
          if (isDue(entry, item)) {
            // Past MAX_HELD, the cursor stops at the first of the rest: they are read again from there.
            if (held.length >= MAX_HELD) break;
            take(entry, item!);
          }
          passed = { pk: entry.pk, sk: entry.sk, duePk: entry.duePk, dueAt: entry.dueAt };
        }
        start = held.length >= MAX_HELD ? undefined : page.LastEvaluatedKey;
        read += entries.length;
      } while (start && due.length < limit && read < MAX_READ_PER_SWEEP);
    }
    const next = { after: passed, held };
    if (JSON.stringify(next) !== JSON.stringify({ after: cursor?.after, held: cursor?.held ?? [] })) {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: { ...cursorKey, ...(passed ? { after: passed } : {}), held } }),
      );
    }
    return due;
  }

  /** Status, due time and trace of the items of due entries (eventually consistent: an ended instance stays ended). */
  async #statusOf(entries: readonly Item[]): Promise<Map<string, Item>> {
    const items = await this.#batchGet(
      entries.map((e) => ({ pk: e.pk, sk: e.sk })),
      {
        ProjectionExpression: 'pk, #status, dueAt, joinOf, #trace',
        ExpressionAttributeNames: { '#status': 'status', '#trace': 'trace' },
      },
    );
    return new Map(items.map((item) => [String(item.pk), item]));
  }

  /**
   * The newest entries of the due index (running orchestrations and joins are among them; ended instances' entries
   * are older), at most `limit` in all, each shard its share: the listings' source, not the sweeper's.
   */
  async #newestDue(limit: number, within?: { from: number; to: number }): Promise<Item[]> {
    const { dueIndex } = MESSAGEBOX;
    const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
    const shards = await Promise.all(
      [...Array(MESSAGEBOX.statusShards).keys()].map(async (shard) => {
        const items: Item[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await this.#client.send(
            new QueryCommand({
              TableName: this.#table,
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
              Limit: perShard - items.length,
              ExclusiveStartKey: start,
              ScanIndexForward: false,
            }),
          );
          items.push(...(page.Items ?? []));
          start = page.LastEvaluatedKey;
        } while (start && items.length < perShard);
        return items;
      }),
    );
    return shards.flat();
  }

  async deliveries(instanceId: string): Promise<InboxEntry[]> {
    const messages: InboxEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      // Small messages whole, large ones by their head only: a backlog of large messages is not read on every wake-up.
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inbox)',
          ExpressionAttributeValues: { ':pk': instanceKey(instanceId), ':inbox': INBOX },
          ProjectionExpression: 'pk, sk, head, message, #ref',
          ExpressionAttributeNames: { '#ref': CLAIMED.message },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.message === 'string') messages.push(JSON.parse(item.message) as InboundMessage);
        else if (typeof item.head === 'string')
          messages.push({ ...(JSON.parse(item.head) as Omit<InboundMessage, 'body'>), bodyLeft: true });
        // Written before inbox items had a head: read whole, as then.
        else {
          const whole = await this.delivery(instanceId, String(item.sk).slice(INBOX.length));
          if (whole) messages.push(whole);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return messages.sort((a, b) => a.receivedAt - b.receivedAt || a.messageId.localeCompare(b.messageId));
  }

  async delivery(instanceId: string, messageId: string): Promise<InboundMessage | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: `${INBOX}${messageId}` },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    let whole: Item;
    try {
      whole = await this.#whole(Item);
    } catch (error) {
      // Settled or discarded between the read of the item and of its object: it left the inbox.
      if (error instanceof PayloadMissing) return undefined;
      throw error;
    }
    return JSON.parse(inboxText(whole)) as InboundMessage;
  }

  async settle(instanceId: string, messageIds: readonly string[], now: number): Promise<void> {
    const pk = instanceKey(instanceId);
    const ttl = Math.floor(now / 1000) + SETTLED_RECORD_SECONDS;
    // The records first: removing an inbox item before its record exists would let a late copy in again. One request
    // per item (a commit takes one message, usually): the embedded stack streams single-item writes only.
    await Promise.all(
      messageIds.map((id) =>
        this.#client.send(
          new PutCommand({ TableName: this.#table, Item: { pk, sk: `${TAKEN}${id}`, [MESSAGEBOX.ttlAttribute]: ttl } }),
        ),
      ),
    );
    await Promise.all(
      messageIds.map((id) =>
        this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { pk, sk: `${INBOX}${id}` } })),
      ),
    );
  }

  async discard(instanceId: string, messageIds: readonly string[]): Promise<void> {
    // Its claim-checked object, if any, goes with it: the tracking function deletes what a removed item let go of.
    await Promise.all(
      messageIds.map((id) =>
        this.#client.send(
          new DeleteCommand({ TableName: this.#table, Key: { pk: instanceKey(instanceId), sk: `${INBOX}${id}` } }),
        ),
      ),
    );
  }

  async settled(instanceId: string, messageIds: readonly string[]): Promise<ReadonlySet<string>> {
    const pk = instanceKey(instanceId);
    const records = await this.#batchGet(
      messageIds.map((id) => ({ pk, sk: `${TAKEN}${id}` })),
      { ConsistentRead: true, ProjectionExpression: 'sk' },
    );
    return new Set(records.map((item) => String(item.sk).slice(TAKEN.length)));
  }

  /**
   * Items by key, those that exist, a hundred keys a request (BatchGetItem's most); keys DynamoDB leaves unprocessed
   * (it does under throttling) are asked again after a pause, not at once.
   */
  async #batchGet(
    keys: readonly Record<string, unknown>[],
    read: { ConsistentRead?: boolean; ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
  ): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET);
      while (pending?.length) {
        const reply: {
          Responses?: Record<string, Item[]>;
          UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
        } = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ...read } } }),
        );
        found.push(...(reply.Responses?.[this.#table] ?? []));
        pending = reply.UnprocessedKeys?.[this.#table]?.Keys;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return found;
  }

  async putSuspendedMessage(message: SuspendedMessage): Promise<void> {
    const { body, ...rest } = message;
    const item = {
      pk: `M#${message.messageId}`,
      sk: SUSPENDED,
      status: InstanceStatus.Suspended,
      gsi1pk: statusKey('message', message.messageId),
      gsi1sk: sortKey(message.receivedAt, message.messageId),
      ...rest,
      ...(await this.#claimText('body', body, (bytes) => payloadKeys.suspended(message.messageId, bytes))),
    };
    try {
      // A redelivery of the same bad message keeps the first record.
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.#discardUnlessReferenced(item, CLAIMED.body);
    }
  }

  /**
   * Instances in a status, at most `limit`: waiting and suspended ones from the status index; running ones, and those
   * waiting at a join, from the due index (where every running orchestration instance is, from its last write on).
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
    const indexed = status === InstanceStatus.Running ? [] : await this.#queryShards(status, limit, false);
    // A running instance is due within a lease and a window of now (core/due.ts), or in the past when stranded: read
    // that stretch only, so timers due days ahead do not crowd it out.
    const within =
      status === InstanceStatus.Running ? { from: Date.now() - 86_400_000, to: Date.now() + 60 * 60_000 } : undefined;
    const inFlight =
      status === InstanceStatus.Suspended
        ? []
        : (await this.#fetch(await this.#newestDue(limit, within), false)).filter((item) => inFlightAs(item, status));
    const items = [...indexed, ...inFlight].slice(0, limit);
    return Promise.all(items.map(async (item) => (states ? fromItem(await this.#whole(item)) : this.#header(item))));
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
        : fromItem(await this.#whole(item));
    return {
      instanceId,
      orchestration,
      version,
      status: item.status,
      createdAt: Number(item.createdAt),
      updatedAt: Number(item.updatedAt),
    };
  }

  /** The items themselves (the indexes project keys only), those still there. */
  /** The items of index entries; with their claim-checked values read back unless `whole` is false. */
  async #fetch(keys: readonly Record<string, unknown>[], whole = true): Promise<Item[]> {
    const full = await Promise.all(
      keys.map(async (key) => {
        const { Item } = await this.#client.send(
          new GetCommand({ TableName: this.#table, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
        );
        return Item;
      }),
    );
    const found = full.filter((item): item is Item => item !== undefined);
    return whole ? Promise.all(found.map((item) => this.#whole(item))) : found;
  }

  async listSuspendedMessages(limit = 1_000, options: { readonly bodies?: boolean } = {}): Promise<SuspendedMessage[]> {
    const items = await this.#queryShards('message', limit, options.bodies !== false);
    return items.filter((item) => !item.resolution).map(suspendedFromItem);
  }

  async suspendedMessage(
    messageId: string,
    options: { readonly bodies?: boolean } = {},
  ): Promise<SuspendedMessage | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: `M#${messageId}`, sk: SUSPENDED }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return suspendedFromItem(options.bodies === false ? Item : await this.#whole(Item));
  }

  async resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean> {
    // An edited body is kept beside the message's own, in the claim check once large (its object first, as always).
    const { body, ...rest } = resolution;
    const key = { pk: `M#${messageId}`, sk: SUSPENDED };
    const edited =
      body === undefined
        ? {}
        : await this.#claimText('edited', body, (bytes) => payloadKeys.resubmitted(messageId, bytes));
    const [attribute, value] = Object.entries(edited)[0] ?? [];
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          // Out of the status index (no longer listed as suspended); the record itself stays, with what was done.
          UpdateExpression: `SET #resolution = :resolution${attribute ? ', #edited = :edited' : ''} REMOVE gsi1pk, gsi1sk`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#resolution)',
          ExpressionAttributeNames: { '#resolution': 'resolution', ...(attribute ? { '#edited': attribute } : {}) },
          ExpressionAttributeValues: { ':resolution': rest, ...(attribute ? { ':edited': value } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.#discardUnlessReferenced({ ...key, ...edited }, CLAIMED.edited);
      return false;
    }
  }

  /**
   * Counts per indexed status (and `message`, suspended messages), for status lines and alarms. Pages the status
   * index: its cost grows with the instances counted, so the sweeper counts only the suspended.
   */
  async countByStatus(statuses: readonly string[] = [...LISTED, 'message']): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const status of statuses) {
      counts[status] = 0;
      if (status !== InstanceStatus.Running)
        for await (const page of this.#statusPages(status, { Select: 'COUNT' })) counts[status] += page.Count ?? 0;
    }
    // Running instances and joins are in the due index only, beside timers: counted from their items' attributes (no
    // state read), up to a bound.
    if (statuses.includes(InstanceStatus.Running) || statuses.includes(InstanceStatus.Waiting)) {
      for (const item of await this.#fetch(await this.#newestDue(IN_FLIGHT_COUNTED), false)) {
        if (inFlightAs(item, InstanceStatus.Running) && statuses.includes(InstanceStatus.Running)) counts.running!++;
        else if (inFlightAs(item, InstanceStatus.Waiting) && statuses.includes(InstanceStatus.Waiting))
          counts.waiting!++;
      }
    }
    return counts;
  }

  /** Pages of the status index for one status, shard after shard. */
  async *#statusPages(status: string, extra: { Select?: 'COUNT'; Limit?: () => number; shard?: number }) {
    const shards = extra.shard === undefined ? [...Array(MESSAGEBOX.statusShards).keys()] : [extra.shard];
    for (const shard of shards) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: MESSAGEBOX.statusIndex.name,
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `STATUS#${status}#${shard}` },
            Select: extra.Select,
            Limit: extra.Limit?.(),
            ExclusiveStartKey: start,
          }),
        );
        yield page;
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }

  async #queryShards(status: string, limit: number, whole = true): Promise<Item[]> {
    const results: Item[] = [];
    // Each shard gets its own share, so a crowded first shard cannot hide the others.
    const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
    for (let shard = 0; shard < MESSAGEBOX.statusShards; shard++) {
      let fromShard = 0;
      for await (const page of this.#statusPages(status, { Limit: () => perShard - fromShard, shard })) {
        results.push(...(page.Items ?? []));
        fromShard += page.Items?.length ?? 0;
        if (fromShard >= perShard) break;
      }
    }
    // The index projects keys only (cheaper writes); fetch the items themselves.
    return (await this.#fetch(results, whole)).filter(
      (item) => item.status === (status === 'message' ? InstanceStatus.Suspended : status),
    );
  }
}
