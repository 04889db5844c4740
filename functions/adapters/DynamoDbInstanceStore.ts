import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  InstanceState,
  InstanceStatus,
  Lease,
  LockHolder,
  LockKey,
  MessageResolution,
  SuspendedMessage,
} from '../core/instance.ts';
import type { InboundMessage, InboxEntry } from '../core/message.ts';
import type { CorrelationKey, DueEntry, InstanceHeader, InstanceStore, InstanceSummary } from '../core/ports.ts';
import { MAX_STORED_BODY_BYTES } from '../core/receive-host.ts';
import { DynamoDbDueIndex } from './dynamodb/DynamoDbDueIndex.ts';
import { DynamoDbInbox } from './dynamodb/DynamoDbInbox.ts';
import { DynamoDbInstances } from './dynamodb/DynamoDbInstances.ts';
import { DynamoDbListings } from './dynamodb/DynamoDbListings.ts';
import { DynamoDbLocks } from './dynamodb/DynamoDbLocks.ts';
import { DynamoDbSuspendedMessages } from './dynamodb/DynamoDbSuspendedMessages.ts';
import { MessageBoxTable, type TableOptions } from './dynamodb/table.ts';

/**
 * With one: 8 MiB, eight times what SQS carries in a message (1 MiB), for bodies that arrive by the extended clients'
 * pointer (they go up to 2 GB; the engine holds a body in memory, parsed, so it stops well before).
 */
export const MAX_CLAIM_CHECKED_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The MessageBox on one DynamoDB table: each concern's adapter (dynamodb/DynamoDb<Port>.ts) over the same table, put
 * together for the hosts that use them all. The item layout is in dynamodb/items.ts.
 */
export class DynamoDbInstanceStore implements InstanceStore {
  readonly instances: DynamoDbInstances;
  readonly inbox: DynamoDbInbox;
  readonly locks: DynamoDbLocks;
  readonly due: DynamoDbDueIndex;
  readonly suspended: DynamoDbSuspendedMessages;
  readonly listings: DynamoDbListings;
  readonly #table: MessageBoxTable;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: TableOptions = {}) {
    const table = new MessageBoxTable(client, tableName, options);
    this.#table = table;
    this.instances = new DynamoDbInstances(table);
    this.due = new DynamoDbDueIndex(table);
    this.inbox = new DynamoDbInbox(table, this.due);
    this.locks = new DynamoDbLocks(table);
    this.suspended = new DynamoDbSuspendedMessages(table);
    this.listings = new DynamoDbListings(table, this.due);
  }

  /** The largest message body this store keeps: with a claim check, what SQS and its extended clients carry. */
  get maxBodyBytes(): number {
    return this.#table.claimCheck ? MAX_CLAIM_CHECKED_BODY_BYTES : MAX_STORED_BODY_BYTES;
  }

  // Instances
  create(state: InstanceState): Promise<boolean> {
    return this.instances.create(state);
  }
  load(instanceId: string): Promise<InstanceState | undefined> {
    return this.instances.load(instanceId);
  }
  claim(state: InstanceState, lease: Lease, takeoverBefore: number): Promise<InstanceState> {
    return this.instances.claim(state, lease, takeoverBefore);
  }
  commit(next: InstanceState, expectedRevision: number, hostId: string, takeoverBefore: number): Promise<void> {
    return this.instances.commit(next, expectedRevision, hostId, takeoverBefore);
  }
  correlate(key: CorrelationKey, instanceId: string): Promise<void> {
    return this.instances.correlate(key, instanceId);
  }

  correlated(key: CorrelationKey): Promise<string | undefined> {
    return this.instances.correlated(key);
  }

  summaryOf(instanceId: string): Promise<InstanceSummary | undefined> {
    return this.instances.summaryOf(instanceId);
  }
  markDispatched(instanceId: string, revision: number): Promise<void> {
    return this.instances.markDispatched(instanceId, revision);
  }
  retire(instanceIds: readonly string[], now: number): Promise<void> {
    return this.instances.retire(instanceIds, now);
  }
  countAttempt(instanceId: string, revision: number): Promise<number> {
    return this.instances.countAttempt(instanceId, revision);
  }

  // Inbox
  deliver(instanceId: string, message: InboundMessage): Promise<void> {
    return this.inbox.deliver(instanceId, message);
  }
  deliveries(instanceId: string): Promise<InboxEntry[]> {
    return this.inbox.deliveries(instanceId);
  }
  delivery(instanceId: string, messageId: string): Promise<InboundMessage | undefined> {
    return this.inbox.delivery(instanceId, messageId);
  }
  settle(instanceId: string, messageIds: readonly string[], now: number): Promise<void> {
    return this.inbox.settle(instanceId, messageIds, now);
  }
  discard(instanceId: string, messageIds: readonly string[]): Promise<void> {
    return this.inbox.discard(instanceId, messageIds);
  }
  settled(instanceId: string, messageIds: readonly string[]): Promise<ReadonlySet<string>> {
    return this.inbox.settled(instanceId, messageIds);
  }

  // Locks
  acquireLock(lock: LockKey, holder: LockHolder, stale?: LockHolder): Promise<boolean> {
    return this.locks.acquireLock(lock, holder, stale);
  }
  awaitLock(lock: LockKey, waiter: string): Promise<LockHolder | undefined> {
    return this.locks.awaitLock(lock, waiter);
  }
  releaseLock(lock: LockKey, holder: LockHolder, now: number): Promise<readonly string[]> {
    return this.locks.releaseLock(lock, holder, now);
  }

  // Due index
  listDue(before: number, limit?: number): Promise<DueEntry[]> {
    return this.due.listDue(before, limit);
  }
  rest(instanceId: string, revision: number, nextDue: number | undefined): Promise<void> {
    return this.due.rest(instanceId, revision, nextDue);
  }
  dueOf(instanceId: string): Promise<{ due: boolean; status: InstanceStatus; revision: number } | undefined> {
    return this.due.dueOf(instanceId);
  }

  // Suspended messages
  putSuspendedMessage(message: SuspendedMessage): Promise<void> {
    return this.suspended.putSuspendedMessage(message);
  }
  listSuspendedMessages(limit?: number, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage[]> {
    return this.suspended.listSuspendedMessages(limit, options);
  }
  suspendedMessage(messageId: string, options?: { readonly bodies?: boolean }): Promise<SuspendedMessage | undefined> {
    return this.suspended.suspendedMessage(messageId, options);
  }
  resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean> {
    return this.suspended.resolveSuspendedMessage(messageId, resolution);
  }

  // Listings
  listInstances(status: InstanceStatus, limit?: number): Promise<InstanceState[]>;
  listInstances(
    status: InstanceStatus,
    limit: number | undefined,
    options: { readonly states: false },
  ): Promise<InstanceHeader[]>;
  listInstances(
    status: InstanceStatus,
    limit?: number,
    options?: { readonly states: false },
  ): Promise<InstanceHeader[]> {
    return options ? this.listings.listInstances(status, limit, options) : this.listings.listInstances(status, limit);
  }
  countByStatus(statuses?: readonly string[]): Promise<Record<string, number>> {
    return this.listings.countByStatus(statuses);
  }
}
