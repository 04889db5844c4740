import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dueOfClaim } from '../../core/due.ts';
import { OwnershipLost, type Collision } from '../../core/errors.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState, type Lease } from '../../core/instance.ts';
import type { CorrelationKey, Instances, InstanceSummary } from '../../core/ports.ts';
import { MESSAGEBOX } from '../../settings.ts';
import { CLAIMED } from '../claim-check.ts';
import type { Item } from '../item.ts';
import { atRevision, finished, itemIsNew, ownershipCondition, ownershipNames } from './conditions.ts';
import {
  CORRELATION,
  STATE,
  correlationExpiry,
  correlationKey,
  dueKey,
  expiry,
  fromItem,
  instanceKey,
  toItem,
} from './items.ts';
import type { MessageBoxTable } from './table.ts';

/**
 * The attributes a commit writes (or removes, when the state has none): all of the instance item's but the count of
 * runs (a persistence point ends it) and what others write (`dispatchedRev`, `createdAt`, which never changes).
 */
const COMMITTED = [
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
] as const;

/** Instance items (`I#<id>` / `STATE`), written under the ownership condition. */
export class DynamoDbInstances implements Instances {
  readonly #table: MessageBoxTable;

  constructor(table: MessageBoxTable) {
    this.#table = table;
  }

  async create(state: InstanceState): Promise<boolean> {
    const table = this.#table;
    const item = await table.claimState(toItem(state), state);
    try {
      await table.client.send(new PutCommand({ TableName: table.name, Item: item, ConditionExpression: itemIsNew }));
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await table.discardUnlessReferenced(item);
      return false;
    }
  }

  async load(instanceId: string): Promise<InstanceState | undefined> {
    const item = await this.#table.get({ pk: instanceKey(instanceId), sk: STATE });
    return item ? fromItem(await this.#table.whole(item)) : undefined;
  }

  async claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState> {
    // A running instance is due past its lease (core/due.ts): the claim moves both (a branch instance is watched by its join).
    const dueAt = dueOfClaim(state, lease.expiresAt);
    const due = dueAt === undefined ? undefined : { duePk: dueKey(state.instanceId), dueAt };
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: { pk: instanceKey(state.instanceId), sk: STATE },
          UpdateExpression: `SET #leaseOwner = :owner, #leaseExp = :exp, #rev = :next${due ? ', #duePk = :duePk, #dueAt = :dueAt' : ''}`,
          ConditionExpression: ownershipCondition,
          // The item that won comes back with the refusal, at no cost in capacity: the error says what it collided with.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeNames: { ...ownershipNames, ...(due ? { '#duePk': 'duePk', '#dueAt': 'dueAt' } : {}) },
          ExpressionAttributeValues: {
            ...(due ? { ':duePk': due.duePk, ':dueAt': due.dueAt } : {}),
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
      if (error instanceof ConditionalCheckFailedException) throw lost(state.instanceId, state.revision, error);
      throw error;
    }
    return { ...state, lease, revision: state.revision + 1 };
  }

  async commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void> {
    const item = await this.#table.claimState(toItem(next), next);
    // An instance that ends keeps its due entry: taking it out would cost an index write, and the sweeper passes over
    // it once (see DynamoDbDueIndex) until the item's expiry deletes both, free.
    const kept = TERMINAL_STATUSES.has(next.status) ? new Set(['duePk', 'dueAt']) : new Set<string>();
    const { update, names, values } = assignments(
      item,
      COMMITTED.filter((a) => !kept.has(a)),
    );
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: { pk: item.pk, sk: STATE },
          UpdateExpression: update,
          ConditionExpression: ownershipCondition,
          // The item that won comes back with the refusal, at no cost in capacity: the error says what it collided with.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeNames: { ...ownershipNames, ...names },
          ExpressionAttributeValues: {
            ...values,
            ':expected': expectedRevision,
            ':takeoverBefore': takeoverBefore,
            ':me': hostId,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        await this.#table.discardUnlessReferenced(item);
        throw lost(next.instanceId, expectedRevision, error);
      }
      throw error;
    }
  }

  async countAttempt(instanceId: string, revision: number): Promise<number> {
    try {
      const { Attributes } = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: { pk: instanceKey(instanceId), sk: STATE },
          UpdateExpression: 'ADD #attempts :one',
          ConditionExpression: atRevision,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeNames: { '#attempts': 'attempts', '#rev': 'rev' },
          ExpressionAttributeValues: { ':one': 1, ':rev': revision },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.attempts ?? 1);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw lost(instanceId, revision, error);
      throw error;
    }
  }

  async correlate(key: CorrelationKey, instanceId: string): Promise<void> {
    // Unconditional: the latest instance to initialize a value owns it, and a re-dispatch writes the same item.
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.name,
        Item: {
          pk: correlationKey(key),
          sk: CORRELATION,
          owner: instanceId,
          ttl: correlationExpiry(this.#table.clock.now()),
        },
      }),
    );
  }

  async correlated(key: CorrelationKey): Promise<string | undefined> {
    const item = await this.#table.get({ pk: correlationKey(key), sk: CORRELATION });
    return typeof item?.owner === 'string' ? item.owner : undefined;
  }

  async summaryOf(instanceId: string): Promise<InstanceSummary | undefined> {
    const item = await this.#table.get(
      { pk: instanceKey(instanceId), sk: STATE },
      { ProjectionExpression: 'pk, #status, createdAt', ExpressionAttributeNames: { '#status': 'status' } },
    );
    return item === undefined
      ? undefined
      : {
          status: item.status as InstanceStatus,
          createdAt: item.createdAt === undefined ? undefined : Number(item.createdAt),
        };
  }

  async markDispatched(instanceId: string, revision: number): Promise<void> {
    // If the instance moved on, that later commit carries its own outbox.
    await this.#table.updateUnlessMoved(
      instanceId,
      'SET dispatchedRev = :rev',
      atRevision,
      { '#rev': 'rev' },
      { ':rev': revision },
    );
  }

  async retire(instanceIds: readonly string[], now: number): Promise<void> {
    // One update per instance, applied only to those that exist and are finished; the others are left alone.
    await Promise.all(
      instanceIds.map((instanceId) =>
        this.#table.updateUnlessMoved(
          instanceId,
          'SET #ttl = :ttl REMOVE duePk, dueAt, joinOf',
          finished,
          { '#ttl': MESSAGEBOX.ttlAttribute, '#status': 'status' },
          { ':ttl': expiry(now), ':completed': InstanceStatus.Completed, ':terminated': InstanceStatus.Terminated },
        ),
      ),
    );
  }
}

/** An update expression that sets each of `attributes` the item has and removes those it has not. */
function assignments(
  item: Item,
  attributes: readonly string[],
): { update: string; names: Record<string, string>; values: Record<string, unknown> } {
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const attribute of attributes) {
    names[`#${attribute}`] = attribute;
    if (item[attribute] === undefined) remove.push(`#${attribute}`);
    else {
      set.push(`#${attribute} = :${attribute}`);
      values[`:${attribute}`] = item[attribute];
    }
  }
  return { update: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`, names, values };
}

/** A write's refusal as the engine knows it: with the instance it found in its place, when DynamoDB returned it. */
function lost(instanceId: string, revision: number, error: ConditionalCheckFailedException): OwnershipLost {
  let collided: Collision | undefined;
  try {
    collided = error.Item ? collisionWith(unmarshall(error.Item) as Item) : undefined;
  } catch {
    // What it collided with is for the reader; an item that cannot be read back still lost the write.
  }
  // The cause keeps the refusal, not the whole item that won (up to 400 KB) for as long as the error lives.
  error.Item = undefined;
  return new OwnershipLost(instanceId, revision, { cause: error, ...(collided ? { collided } : {}) });
}

function collisionWith(item: Item): Collision {
  return {
    revision: Number(item.rev),
    status: String(item.status),
    ...(item.leaseOwner === undefined
      ? {}
      : { lease: { owner: String(item.leaseOwner), expiresAt: Number(item.leaseExp) } }),
  };
}
