import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LockHolder, LockKey } from '../../core/instance.ts';
import type { Locks } from '../../core/ports.ts';
import { MESSAGEBOX } from '../../settings.ts';
import type { Item } from '../item.ts';
import { lockFree, lockHeld, lockHeldAsRead, lockHeldBy, lockTakenBack } from './conditions.ts';
import { LOCK, expiry, instanceKey } from './items.ts';
import type { MessageBoxTable } from './table.ts';

const key = (lock: LockKey) => ({ pk: instanceKey(lock.instanceId), sk: `${LOCK}${lock.name}` });

/** The waiters an item names, less `but`. */
function waitersOf(item: Item | undefined, but: string): string[] {
  const waiters = item?.waiters as Set<string> | string[] | undefined;
  return [...(waiters ?? [])].filter((w) => w !== but);
}

/**
 * Locks of synchronized scopes (core/locks.ts): `I#<instanceId>` / `LOCK#<name>`, in the partition of the orchestration
 * instance whose branches share it. `holder` and `since` say who took it at which of its revisions (absent once freed),
 * `waiters` (a string set) whom its release wakes; a freed lock expires after the retention (`ttl`), a held one never.
 * Each method is one conditional `UpdateItem` (a release that finds the lock moved reads it once more).
 */
export class DynamoDbLocks implements Locks {
  readonly #table: MessageBoxTable;

  constructor(table: MessageBoxTable) {
    this.#table = table;
  }

  async acquireLock(lock: LockKey, holder: LockHolder, stale?: LockHolder): Promise<boolean> {
    const table = this.#table;
    try {
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key(lock),
          UpdateExpression: 'SET #holder = :me, #since = :rev REMOVE #ttl DELETE #waiters :meSet',
          ConditionExpression: `${lockFree} OR (${lockTakenBack})${stale ? ` OR (${lockHeldAsRead})` : ''}`,
          ExpressionAttributeNames: {
            '#holder': 'holder',
            '#since': 'since',
            '#waiters': 'waiters',
            '#ttl': MESSAGEBOX.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ':me': holder.instanceId,
            ':rev': holder.revision,
            ':meSet': new Set([holder.instanceId]),
            ...(stale ? { ':stale': stale.instanceId, ':staleSince': stale.revision } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async awaitLock(lock: LockKey, waiter: string): Promise<LockHolder | undefined> {
    const table = this.#table;
    try {
      const { Attributes } = await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key(lock),
          UpdateExpression: 'ADD #waiters :meSet',
          ConditionExpression: lockHeld,
          ExpressionAttributeNames: { '#holder': 'holder', '#waiters': 'waiters' },
          ExpressionAttributeValues: { ':meSet': new Set([waiter]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { instanceId: String(Attributes!.holder), revision: Number(Attributes!.since) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async releaseLock(lock: LockKey, holder: LockHolder, now: number): Promise<readonly string[]> {
    const table = this.#table;
    try {
      const { Attributes } = await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key(lock),
          UpdateExpression: 'REMOVE #holder, #since SET #ttl = :ttl DELETE #waiters :meSet',
          ConditionExpression: lockHeldBy,
          ExpressionAttributeNames: {
            '#holder': 'holder',
            '#since': 'since',
            '#waiters': 'waiters',
            '#ttl': MESSAGEBOX.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ':me': holder.instanceId,
            ':rev': holder.revision,
            ':meSet': new Set([holder.instanceId]),
            ':ttl': expiry(now),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return waitersOf(Attributes, holder.instanceId);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Freed already (this release dispatched again): its waiters may not have been woken. Held by another: its release
    // wakes them.
    const item = await table.get(key(lock));
    return item === undefined || item.holder !== undefined ? [] : waitersOf(item, holder.instanceId);
  }
}
