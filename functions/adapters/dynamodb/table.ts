/**
 * The MessageBox's table as each of its adapters reaches it: the client, the table's name, the claim check (large
 * values kept in the object store) and the clock; and the reads and writes they share.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports.ts';
import { PayloadMissing } from '../../core/errors.ts';
import { CLAIMED, payloadKeys, withClaimedValues, type ClaimCheck } from '../claim-check.ts';
import type { Item } from '../item.ts';
import { systemClock } from '../system-clock.ts';
import { STATE, compress, instanceKey } from './items.ts';

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET = 100;

export interface TableOptions {
  readonly claimCheck?: ClaimCheck;
  /** What the adapters take the time from (a delivery's due time, a listing's window). @defaultValue the system clock */
  readonly clock?: Pick<Clock, 'now'>;
}

/** What a read of one item asks for, beside its key: a few attributes, or an eventually consistent read. */
export interface ItemRead {
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ConsistentRead?: boolean;
}

export class MessageBoxTable {
  readonly client: DynamoDBDocumentClient;
  readonly name: string;
  readonly claimCheck?: ClaimCheck;
  readonly clock: Pick<Clock, 'now'>;

  constructor(client: DynamoDBDocumentClient, name: string, options: TableOptions = {}) {
    this.client = client;
    this.name = name;
    this.claimCheck = options.claimCheck;
    this.clock = options.clock ?? systemClock;
  }

  /** One item by key, as stored (claim-checked values not read back). @defaultValue ConsistentRead true */
  async get(key: Record<string, unknown>, read: ItemRead = {}): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true, ...read }),
    );
    return Item;
  }

  /**
   * An item with its claim-checked values read back in place. Between reading an item and its object the item may
   * move on and the object be deleted (tracking deletes what no item refers to): then the newer item is read, once.
   */
  async whole(item: Item): Promise<Item> {
    try {
      return await withClaimedValues(item, this.claimCheck?.payloads);
    } catch (error) {
      if (!(error instanceof PayloadMissing)) throw error;
      const again = await this.get({ pk: item.pk, sk: item.sk });
      if (!again) throw error;
      return withClaimedValues(again, this.claimCheck?.payloads);
    }
  }

  /** The items of index entries (the indexes project keys only), those still there; read whole unless `whole` is false. */
  async fetch(keys: readonly Record<string, unknown>[], whole = true): Promise<Item[]> {
    const full = await Promise.all(keys.map((key) => this.get({ pk: key.pk, sk: key.sk })));
    const found = full.filter((item): item is Item => item !== undefined);
    return whole ? Promise.all(found.map((item) => this.whole(item))) : found;
  }

  /**
   * Items by key, those that exist, a hundred keys a request (BatchGetItem's most); keys DynamoDB leaves unprocessed
   * (it does under throttling) are asked again after a pause, not at once. The SDK has no paginator for this.
   */
  async batchGet(
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
        } = await this.client.send(new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ...read } } }));
        found.push(...(reply.Responses?.[this.name] ?? []));
        pending = reply.UnprocessedKeys?.[this.name]?.Keys;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return found;
  }

  /**
   * An update of an instance's item that applies only while `condition` holds; when it no longer does (the
   * instance moved on, ended, or is gone), there is nothing to do, and that is not an error.
   */
  async updateUnlessMoved(
    instanceId: string,
    update: string,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.name,
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

  /**
   * The state goes to the object store, under its revision and digest, when it is larger than the claim check's
   * threshold (compressed if it was not worth it below); the item keeps the key in `zref`, and beside it what the
   * instance is (its orchestration and version), so a listing for display reads no object (see `listInstances`). An
   * item that keeps its state has no need of them, and its writes stay as small as they were.
   */
  async claimState(item: Item, state: { orchestration: string; version: number }): Promise<Item> {
    const claim = this.claimCheck;
    const size = item.z?.byteLength ?? Buffer.byteLength(item.doc ?? '');
    if (!claim || size <= claim.fromBytes) return item;
    const bytes: Uint8Array = item.z ?? compress(item.doc);
    const key = payloadKeys.state(String(item.pk).slice(2), item.rev, bytes);
    await claim.payloads.put(key, bytes);
    const { z: _z, doc: _doc, ...rest } = item;
    return { ...rest, [CLAIMED.z]: key, orchestration: state.orchestration, version: state.version };
  }

  /** A message (or a body) over the threshold goes to the object store under `key`; the item keeps the key in `ref`. */
  async claimText(
    attribute: 'message' | 'body' | 'edited',
    text: string,
    key: (bytes: Uint8Array) => string,
  ): Promise<Record<string, unknown>> {
    const claim = this.claimCheck;
    const bytes = Buffer.from(text, 'utf8');
    if (!claim || bytes.byteLength <= claim.fromBytes) return { [attribute]: text };
    const at = key(bytes);
    await claim.payloads.put(at, bytes);
    return { [CLAIMED[attribute]]: at };
  }

  /**
   * After a write that lost its condition: the object written for it is deleted, unless the item that won refers to
   * it (the same contents under the same key). A failure here leaves the object behind, nothing else.
   */
  async discardUnlessReferenced(item: Item, ref: string = CLAIMED.z): Promise<void> {
    const key = item[ref];
    if (!this.claimCheck || typeof key !== 'string') return;
    try {
      const won = await this.get(
        { pk: item.pk, sk: item.sk },
        { ProjectionExpression: '#ref', ExpressionAttributeNames: { '#ref': ref } },
      );
      if (won?.[ref] !== key) await this.claimCheck.payloads.delete([key]);
    } catch {
      // An orphaned object costs storage, not correctness.
    }
  }
}
