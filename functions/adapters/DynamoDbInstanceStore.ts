import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
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
  type SuspendedMessage,
} from '../core/instance.ts';
import type { InstanceStore, InstanceSummary } from '../core/ports.ts';
import type { InboundMessage } from '../core/message.ts';
import { MESSAGEBOX } from '../../infra/settings.ts';

/*
 * Item layout (single table):
 *   I#<instanceId> / STATE      one item per instance; `doc` holds the engine state as JSON, the
 *                               attributes beside it are what conditions and indexes need.
 *   I#<instanceId> / MSG#<id>  a message delivered to the instance, held until a receive takes it.
 *   M#<messageId>  / SUSPENDED  a message that could not become an instance.
 * The status index is sparse: only instances needing attention (running, waiting, suspended) carry
 * gsi1pk, sharded so no index partition takes every write.
 */
const STATE = 'STATE';
const INBOX = 'MSG#';
const SUSPENDED = 'SUSPENDED';
const INDEXED: ReadonlySet<string> = new Set([InstanceStatus.Running, InstanceStatus.Waiting, InstanceStatus.Suspended]);

// Named clauses of the ownership condition (see core/ownership.ts). Timeline of a takeover:
//   host A commits rev 4 keeping the lease until t; A pauses; t + skew passes;
//   host B's write matches `leaseExpired` and moves rev to 5; A wakes, its write fails `revisionIs`.
const revisionIs = '#rev = :expected';
const leaseFree = 'attribute_not_exists(#leaseOwner)';
const leaseExpired = '#leaseExp < :takeoverBefore';
const leaseIsMine = '#leaseOwner = :me';
const ownershipCondition = `${revisionIs} AND (${leaseFree} OR ${leaseExpired} OR ${leaseIsMine})`;
const ownershipNames = { '#rev': 'rev', '#leaseOwner': 'leaseOwner', '#leaseExp': 'leaseExp' };

type Doc = Omit<InstanceState, 'revision' | 'lease' | 'status' | 'dispatchedRevision' | 'attempts'>;

export class DynamoDbInstanceStore implements InstanceStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async create(state: InstanceState): Promise<boolean> {
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#table,
        Item: toItem(state),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async load(instanceId: string): Promise<InstanceState | undefined> {
    const { Item } = await this.#client.send(new GetCommand({
      TableName: this.#table,
      Key: { pk: instanceKey(instanceId), sk: STATE },
      ConsistentRead: true,
    }));
    return Item ? fromItem(Item) : undefined;
  }

  async claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState> {
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(state.instanceId), sk: STATE },
        UpdateExpression: 'SET #leaseOwner = :owner, #leaseExp = :exp, #rev = :next',
        ConditionExpression: ownershipCondition,
        ExpressionAttributeNames: ownershipNames,
        ExpressionAttributeValues: {
          ':owner': lease.owner,
          ':exp': lease.expiresAt,
          ':next': state.revision + 1,
          ':expected': state.revision,
          ':takeoverBefore': takeoverBefore,
          ':me': lease.owner,
        },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new OwnershipLost(state.instanceId, state.revision, { cause: error });
      throw error;
    }
    return { ...state, lease, revision: state.revision + 1 };
  }

  async commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void> {
    const item = toItem(next);
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = { ...ownershipNames };
    const values: Record<string, unknown> = { ':expected': expectedRevision, ':takeoverBefore': takeoverBefore, ':me': hostId };
    // `attempts` is never in the item a commit writes: a persistence point ends the count.
    for (const attribute of ['rev', 'status', 'doc', 'updatedAt', 'leaseOwner', 'leaseExp', 'gsi1pk', 'gsi1sk', 'ttl', 'attempts']) {
      names[`#${attribute}`] = attribute;
      if (item[attribute] === undefined) remove.push(`#${attribute}`);
      else {
        set.push(`#${attribute} = :${attribute}`);
        values[`:${attribute}`] = item[attribute];
      }
    }
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: { pk: item.pk, sk: STATE },
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: ownershipCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new OwnershipLost(next.instanceId, expectedRevision, { cause: error });
      throw error;
    }
  }

  async countAttempt(instanceId: string, revision: number): Promise<number> {
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: STATE },
        UpdateExpression: 'ADD #attempts :one',
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#attempts': 'attempts', '#rev': 'rev' },
        ExpressionAttributeValues: { ':one': 1, ':rev': revision },
        ReturnValues: 'UPDATED_NEW',
      }));
      return Number(Attributes?.attempts ?? 1);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new OwnershipLost(instanceId, revision, { cause: error });
      throw error;
    }
  }

  async summaryOf(instanceId: string): Promise<InstanceSummary | undefined> {
    const { Item } = await this.#client.send(new GetCommand({
      TableName: this.#table,
      Key: { pk: instanceKey(instanceId), sk: STATE },
      ProjectionExpression: 'pk, #status, createdAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ConsistentRead: true,
    }));
    return Item === undefined ? undefined : { status: Item.status as InstanceStatus, createdAt: Item.createdAt === undefined ? undefined : Number(Item.createdAt) };
  }

  async markDispatched(instanceId: string, revision: number): Promise<void> {
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: { pk: instanceKey(instanceId), sk: STATE },
        UpdateExpression: 'SET dispatchedRev = :rev',
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: { ':rev': revision },
      }));
    } catch (error) {
      // The instance moved on: that later commit carries its own outbox.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async retire(instanceIds: readonly string[], now: number): Promise<void> {
    await Promise.all(instanceIds.map(async (instanceId) => {
      try {
        await this.#client.send(new UpdateCommand({
          TableName: this.#table,
          Key: { pk: instanceKey(instanceId), sk: STATE },
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:completed, :terminated)',
          ExpressionAttributeNames: { '#ttl': MESSAGEBOX.ttlAttribute, '#status': 'status' },
          ExpressionAttributeValues: { ':ttl': expiry(now), ':completed': InstanceStatus.Completed, ':terminated': InstanceStatus.Terminated },
        }));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }));
  }

  async deliver(instanceId: string, message: InboundMessage): Promise<void> {
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#table,
        // Keyed by message id alone: a redelivery (a later receivedAt) finds the first copy.
        Item: { pk: instanceKey(instanceId), sk: `${INBOX}${message.messageId}`, message: JSON.stringify(message) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
    } catch (error) {
      // A redelivered message is already in the inbox.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async deliveries(instanceId: string): Promise<InboundMessage[]> {
    const messages: InboundMessage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inbox)',
        ExpressionAttributeValues: { ':pk': instanceKey(instanceId), ':inbox': INBOX },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      messages.push(...(page.Items ?? []).map((item) => JSON.parse(item.message as string) as InboundMessage));
      start = page.LastEvaluatedKey;
    } while (start);
    return messages.sort((a, b) => a.receivedAt - b.receivedAt || a.messageId.localeCompare(b.messageId));
  }

  async putSuspendedMessage(message: SuspendedMessage): Promise<void> {
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#table,
        Item: {
          pk: `M#${message.messageId}`,
          sk: SUSPENDED,
          status: InstanceStatus.Suspended,
          gsi1pk: statusKey('message', message.messageId),
          gsi1sk: sortKey(message.receivedAt, message.messageId),
          ...message,
        },
        // A redelivery of the same bad message keeps the first record.
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async listInstances(status: InstanceStatus, limit = 1_000): Promise<InstanceState[]> {
    if (!INDEXED.has(status)) throw new Error(`status "${status}" is not indexed; indexed: ${[...INDEXED].join(', ')}`);
    const items = await this.#queryShards(status, limit);
    return items.map(fromItem);
  }

  async listSuspendedMessages(limit = 1_000): Promise<SuspendedMessage[]> {
    const items = await this.#queryShards('message', limit);
    return items.map((item) => ({
      messageId: item.messageId,
      reason: item.reason,
      body: item.body,
      attributes: item.attributes ?? {},
      receivedAt: item.receivedAt,
      source: item.source,
      ...(item.issues ? { issues: item.issues } : {}),
    }));
  }

  /** Counts per indexed status, for status lines and alarms. */
  async countByStatus(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const status of [...INDEXED, 'message']) {
      counts[status] = 0;
      for await (const page of this.#statusPages(status, { Select: 'COUNT' })) counts[status] += page.Count ?? 0;
    }
    return counts;
  }

  /** Pages of the status index for one status, shard after shard. */
  async *#statusPages(status: string, extra: { Select?: 'COUNT'; Limit?: () => number; shard?: number }) {
    const shards = extra.shard === undefined ? [...Array(MESSAGEBOX.statusShards).keys()] : [extra.shard];
    for (const shard of shards) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.#client.send(new QueryCommand({
          TableName: this.#table,
          IndexName: MESSAGEBOX.statusIndex.name,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': `STATUS#${status}#${shard}` },
          Select: extra.Select,
          Limit: extra.Limit?.(),
          ExclusiveStartKey: start,
        }));
        yield page;
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }

  async #queryShards(status: string, limit: number): Promise<Record<string, any>[]> {
    const results: Record<string, any>[] = [];
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
    const full = await Promise.all(results.map(async (key) => {
      const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
      return Item;
    }));
    return full.filter((item): item is Record<string, any> => item !== undefined && item.status === (status === 'message' ? InstanceStatus.Suspended : status));
  }
}

function instanceKey(instanceId: string): string {
  return `I#${instanceId}`;
}

function shardOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % MESSAGEBOX.statusShards;
}

function statusKey(status: string, id: string): string {
  return `STATUS#${status}#${shardOf(id)}`;
}

function sortKey(time: number, id: string): string {
  return `${String(time).padStart(15, '0')}#${id}`;
}

function toItem(state: InstanceState): Record<string, any> {
  const { revision, lease, status, dispatchedRevision: _kept, attempts: _counted, ...doc } = state;
  const indexed = INDEXED.has(status);
  const finished = TERMINAL_STATUSES.has(status);
  return {
    pk: instanceKey(state.instanceId),
    sk: STATE,
    rev: revision,
    status,
    doc: JSON.stringify(doc satisfies Doc),
    updatedAt: state.updatedAt,
    // Beside the doc so a delivery can name the incarnation it goes to with a small read (see summaryOf).
    createdAt: state.createdAt,
    leaseOwner: lease?.owner,
    leaseExp: lease?.expiresAt,
    gsi1pk: indexed ? statusKey(status, state.instanceId) : undefined,
    gsi1sk: indexed ? sortKey(state.updatedAt, state.instanceId) : undefined,
    // A finished branch instance waits for its join without expiring (see RetireEntry).
    ttl: finished && !state.branchOf ? expiry(state.updatedAt) : undefined,
  };
}

/** When a finished instance expires (DynamoDB TTL, epoch seconds): the retention counted from `from`. */
function expiry(from: number): number {
  return Math.floor(from / 1000) + MESSAGEBOX.finishedRetentionDays * 86_400;
}

function fromItem(item: Record<string, any>): InstanceState {
  const doc = JSON.parse(item.doc) as Doc;
  return {
    ...doc,
    status: item.status,
    revision: Number(item.rev),
    dispatchedRevision: item.dispatchedRev === undefined ? undefined : Number(item.dispatchedRev),
    attempts: item.attempts === undefined ? undefined : Number(item.attempts),
    lease: item.leaseOwner === undefined ? undefined : { owner: item.leaseOwner, expiresAt: Number(item.leaseExp) },
  };
}
