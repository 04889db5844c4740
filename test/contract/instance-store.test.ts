import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDbDocumentClient, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../../functions/adapters/DynamoDbInstanceStore.ts';
import { OwnershipLost } from '../../functions/core/errors.ts';
import { InstanceStatus, type InstanceState } from '../../functions/core/instance.ts';
import { LISTED_MESSAGE_BYTES, type InboundMessage } from '../../functions/core/message.ts';
import type { InstanceStore } from '../../functions/core/ports.ts';
import { startEmbeddedStack } from '../../local/embedded-stack.ts';
import { InProcessDocumentClient } from '../../local/in-process/document-client.ts';
import { provision } from '../../local/provision.ts';
import { Choices } from '../../simulation/choices.ts';
import { SimMessageBox } from '../../simulation/message-box.ts';
import { Scheduler, START } from '../../simulation/scheduler.ts';
import { MemoryInstanceStore } from '../helpers/memory.ts';
import { freshInstance } from '../helpers/orders.ts';
import { announceSkip, startTargetEndpoint, targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/**
 * The MessageBox's contract: what the engine counts on from its store, held for every store there is: the in-memory
 * one the unit tests use, the simulator's model (that store behind the scheduler's ports, with its change stream), and
 * DynamoDB (the embedded stack's dynalite, DynamoDB Local, an external endpoint). A fake that drifts from DynamoDB fails
 * here, not in a test that trusted it.
 */
interface Subject {
  readonly name: string;
  readonly skip?: string;
  /** Why a refused write cannot say what it collided with on this store (see Target.returnsNoCollision). */
  readonly returnsNoCollision?: string;
  start(): Promise<{ store: InstanceStore; stop(): Promise<void> }>;
}

/** The simulator's model, driven call by call: each call through its port is completed as soon as it is made. */
function simulated(): InstanceStore {
  const scheduler = new Scheduler(new Choices(1), START);
  const box = new SimMessageBox(() => scheduler.now);
  const port = box.portFor({ name: 'contract', dead: false, skewMs: 0 }, scheduler, false);
  return new Proxy({} as InstanceStore, {
    get: (_target, name) =>
      typeof name !== 'string' || name === 'then'
        ? undefined
        : async (...args: unknown[]) => {
            const result = (port as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args);
            let done = false;
            void result.then(
              () => {
                done = true;
              },
              () => {
                done = true;
              },
            );
            while (!done) {
              await scheduler.settle();
              if (scheduler.calls.length > 0) await scheduler.complete(0, 'none');
            }
            return result;
          },
  });
}

const subjects: Subject[] = [
  { name: 'the in-memory store', start: async () => ({ store: new MemoryInstanceStore(), stop: async () => {} }) },
  { name: "the simulator's model", start: async () => ({ store: simulated(), stop: async () => {} }) },
  {
    // The same adapter on the client the embedded stack's own host instances use: its tables, reached in-process.
    name: 'DynamoDB on the embedded stack, reached in-process',
    start: async () => {
      const stack = await startEmbeddedStack({ port: 0 });
      const resources = await provision(
        { dynamo: new DynamoDBClient({ endpoint: stack.endpoint }), sqs: sqsClient({ endpoint: stack.endpoint }) },
        `contract${process.pid}${Date.now().toString(36)}`,
      );
      return {
        store: new DynamoDbInstanceStore(new InProcessDocumentClient(stack.dynamo!), resources.tableName),
        stop: stack.stop,
      };
    },
  },
  {
    // A stack kept in a data folder an earlier version made: dynalite's LevelDB, which it still serves.
    name: "DynamoDB on the embedded stack's data folder (dynalite)",
    returnsNoCollision: 'dynalite ignores ReturnValuesOnConditionCheckFailure',
    start: async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'baton-contract-'));
      const stack = await startEmbeddedStack({ port: 0, dataDir, dynamodbEngine: 'dynalite' });
      const resources = await provision(
        { dynamo: new DynamoDBClient({ endpoint: stack.endpoint }), sqs: sqsClient({ endpoint: stack.endpoint }) },
        `contract${process.pid}${Date.now().toString(36)}`,
      );
      return {
        store: new DynamoDbInstanceStore(new InProcessDocumentClient(stack.dynamo!), resources.tableName),
        stop: async () => {
          await stack.stop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  ...targets.map(
    (target): Subject => ({
      name: `DynamoDB on ${target.name}`,
      skip: target.skip,
      returnsNoCollision: target.returnsNoCollision,
      start: async () => {
        const started = await startTargetEndpoint(target);
        const resources = await provision(
          {
            dynamo: new DynamoDBClient({ endpoint: started.endpoint }),
            sqs: sqsClient({ endpoint: started.endpoint }),
          },
          `contract${process.pid}${Date.now().toString(36)}`,
        );
        return {
          store: new DynamoDbInstanceStore(dynamoDbDocumentClient({ endpoint: started.endpoint }), resources.tableName),
          stop: started.stop,
        };
      },
    }),
  ),
];

const message = (id: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  messageId: id,
  messageType: 'Approval',
  body: { orderId: 'o-1', approved: true },
  properties: {},
  receivedAt: 1_000,
  ...extra,
});

for (const subject of subjects) {
  if (subject.skip)
    announceSkip({ name: subject.name, skip: subject.skip, start: async () => ({ stop: async () => {} }) });
  describe.skipIf(subject.skip)(`the MessageBox contract: ${subject.name}`, () => {
    let store: InstanceStore;
    let stop: () => Promise<void>;
    const now = Date.now();
    const fresh = (): InstanceState => freshInstance('contract', now);
    /** Where a waiting (or suspended) instance of the sample order stands: at a receive, not at a join. */
    const receiving = { threads: [{ id: 'main', at: 'receiveApproval', attempts: 0 }] };
    const kept = () => ({
      messageId: `s-${now}-${Math.random().toString(36).slice(2)}`,
      reason: 'no route',
      body: '{"x":1}',
      attributes: { MessageType: 'Mystery' },
      receivedAt: now,
      source: 'receive',
    });

    beforeAll(async () => ({ store, stop } = await subject.start()));
    afterAll(async () => stop?.());

    it('creates an instance once and reads it back as written', async () => {
      const state = fresh();
      expect(await store.create(state)).toBe(true);
      expect(await store.create({ ...state, vars: { other: true } })).toBe(false);
      expect(await store.load(state.instanceId)).toMatchObject({
        instanceId: state.instanceId,
        revision: 0,
        status: 'running',
        vars: {},
        consumed: state.consumed,
        createdAt: state.createdAt,
      });
      expect(await store.summaryOf(state.instanceId)).toEqual({ status: 'running', createdAt: state.createdAt });
      expect(await store.load('no-such-instance')).toBeUndefined();
      expect(await store.summaryOf('no-such-instance')).toBeUndefined();
    });

    it("commits only from the revision read, and only under a lease that is free, expired or the committer's", async () => {
      const state = fresh();
      await store.create(state);
      await store.commit(
        { ...state, revision: 1, vars: { a: 1 }, lease: { owner: 'h1/x', expiresAt: now + 10_000 } },
        0,
        'h1/x',
        now,
      );
      // A stale revision, or another owner's live lease: refused, nothing written.
      await expect(store.commit({ ...state, revision: 1, vars: { a: 2 } }, 0, 'h1/x', now)).rejects.toBeInstanceOf(
        OwnershipLost,
      );
      await expect(store.commit({ ...state, revision: 2, vars: { a: 3 } }, 1, 'h2/y', now)).rejects.toBeInstanceOf(
        OwnershipLost,
      );
      expect((await store.load(state.instanceId))!.vars).toEqual({ a: 1 });
      // The owner goes on; another host takes over once the lease expired before its takeover bound.
      await store.commit(
        { ...state, revision: 2, vars: { a: 4 }, lease: { owner: 'h1/x', expiresAt: now + 10_000 } },
        1,
        'h1/x',
        now,
      );
      await store.commit({ ...state, revision: 3, vars: { a: 5 }, lease: undefined }, 2, 'h2/y', now + 10_001);
      expect(await store.load(state.instanceId)).toMatchObject({ revision: 3, vars: { a: 5 } });
      expect((await store.load(state.instanceId))!.lease).toBeUndefined();
    });

    it('says, when a write loses, what it collided with: the revision, status and lease that won', async () => {
      const state = fresh();
      await store.create(state);
      const lease = { owner: 'h1/x', expiresAt: now + 10_000 };
      const claimed = await store.claim(state, lease, now);
      const refused = await store.claim(state, { owner: 'h2/y', expiresAt: now + 10_000 }, now).catch((e) => e);
      expect(refused).toBeInstanceOf(OwnershipLost);
      expect(refused).toMatchObject({ instanceId: state.instanceId, expectedRevision: 0 });
      if (subject.returnsNoCollision) {
        // Said, not skipped: this store refuses the write all the same, and the error names the instance and revision.
        console.warn(`[less expected] ${subject.name}: no collision reported (${subject.returnsNoCollision})`);
        expect((refused as OwnershipLost).collided).toBeUndefined();
        return;
      }
      expect((refused as OwnershipLost).collided).toEqual({ revision: 1, status: 'running', lease });
      expect((refused as Error).message).toContain(`it is running at revision 1, leased to h1/x until `);
      const counted = await store.countAttempt(state.instanceId, 0).catch((e) => e);
      expect((counted as OwnershipLost).collided).toMatchObject({ revision: claimed.revision });
      // Gone: nothing to say it collided with.
      const gone = await store.claim({ ...state, instanceId: `gone-${now}` }, lease, now).catch((e) => e);
      expect(gone).toBeInstanceOf(OwnershipLost);
      expect((gone as OwnershipLost).collided).toBeUndefined();
    });

    it('claims a lease as a fenced write that moves the revision, and counts runs until a commit clears them', async () => {
      const state = fresh();
      await store.create(state);
      const claimed = await store.claim(state, { owner: 'h1/x', expiresAt: now + 10_000 }, now);
      expect(claimed).toMatchObject({ revision: 1, lease: { owner: 'h1/x', expiresAt: now + 10_000 } });
      await expect(store.claim(state, { owner: 'h2/y', expiresAt: now + 10_000 }, now)).rejects.toBeInstanceOf(
        OwnershipLost,
      );
      await expect(store.claim(claimed, { owner: 'h2/y', expiresAt: now + 10_000 }, now)).rejects.toBeInstanceOf(
        OwnershipLost,
      );
      expect(await store.countAttempt(state.instanceId, 1)).toBe(1);
      expect(await store.countAttempt(state.instanceId, 1)).toBe(2);
      await expect(store.countAttempt(state.instanceId, 0)).rejects.toBeInstanceOf(OwnershipLost);
      // A claim keeps the count; a commit clears it.
      const again = await store.claim(claimed, { owner: 'h1/x', expiresAt: now + 20_000 }, now);
      expect((await store.load(state.instanceId))!.attempts).toBe(2);
      await store.commit({ ...again, revision: 3, lease: undefined }, 2, 'h1/x', now);
      expect((await store.load(state.instanceId))!.attempts).toBeUndefined();
    });

    it('keeps an inbox: idempotent on message id, oldest first, a large body left out of the listing and read alone', async () => {
      const state = fresh();
      await store.create(state);
      const small = message(`m-small-${now}`, {
        receivedAt: 2_000,
        incarnation: state.createdAt,
        keys: { order: 'o-1' },
      });
      const large = message(`m-large-${now}`, { receivedAt: 1_000, body: { note: 'x'.repeat(LISTED_MESSAGE_BYTES) } });
      await store.deliver(state.instanceId, small);
      await store.deliver(state.instanceId, { ...small, receivedAt: 3_000 });
      await store.deliver(state.instanceId, large);
      const { body: _body, ...head } = large;
      expect(await store.deliveries(state.instanceId)).toEqual([{ ...head, bodyLeft: true }, small]);
      expect(await store.delivery(state.instanceId, large.messageId)).toEqual(large);
      expect(await store.delivery(state.instanceId, 'no-such-message')).toBeUndefined();
    });

    it('settles taken messages out of the inbox, keeps a late copy out, and discards what it is told to', async () => {
      const state = fresh();
      await store.create(state);
      const [a, b, c] = ['a', 'b', 'c'].map((n) => message(`m-${n}-${now}`));
      for (const m of [a!, b!, c!]) await store.deliver(state.instanceId, m);
      await store.settle(state.instanceId, [a!.messageId], now);
      await store.settle(state.instanceId, [a!.messageId], now);
      expect([...(await store.settled(state.instanceId, [a!.messageId, b!.messageId]))]).toEqual([a!.messageId]);
      await store.deliver(state.instanceId, a!);
      await store.discard(state.instanceId, [b!.messageId, 'no-such-message']);
      expect((await store.deliveries(state.instanceId)).map((m) => m.messageId)).toEqual([c!.messageId]);
      expect([...(await store.settled(state.instanceId, [b!.messageId]))]).toEqual([]);
    });

    it('marks an outbox dispatched only at its revision, and lets only finished instances expire', async () => {
      const state = fresh();
      await store.create(state);
      await store.markDispatched(state.instanceId, 0);
      expect((await store.load(state.instanceId))!.dispatchedRevision).toBe(0);
      await store.commit({ ...state, revision: 1 }, 0, 'h', now);
      await store.markDispatched(state.instanceId, 0);
      // Moved on: that commit's outbox is not said to be dispatched (a revision marked before may stay, below it).
      expect((await store.load(state.instanceId))!.dispatchedRevision).not.toBe(1);
      // Not finished: left alone. Gone: no error.
      await store.retire([state.instanceId, 'no-such-instance'], now);
      expect((await store.load(state.instanceId))!.status).toBe('running');
    });

    it('records who initialized a correlation value at a send, the latest owning it', async () => {
      const key = { orchestration: `Expenses${Date.now()}`, set: 'round', value: 'r-1' };
      expect(await store.correlated(key)).toBeUndefined();
      await store.correlate(key, 'i-1');
      // Idempotent (a re-dispatch), and another set or value is another key.
      await store.correlate(key, 'i-1');
      expect(await store.correlated(key)).toBe('i-1');
      expect(await store.correlated({ ...key, set: 'other' })).toBeUndefined();
      expect(await store.correlated({ ...key, value: 'r-2' })).toBeUndefined();
      await store.correlate(key, 'i-2');
      expect(await store.correlated(key)).toBe('i-2');
    });

    it('finds a waiting instance due once a delivery it has not read lands, and rests it', async () => {
      const state = { ...fresh(), status: InstanceStatus.Waiting, cursor: receiving } as InstanceState;
      await store.create(state);
      expect((await store.dueOf(state.instanceId))!.due).toBe(false);
      await store.deliver(state.instanceId, message(`m-due-${now}`, { receivedAt: now }));
      expect(await store.dueOf(state.instanceId)).toEqual({ due: true, status: 'waiting', revision: 0 });
      await store.rest(state.instanceId, 0, undefined);
      expect((await store.dueOf(state.instanceId))!.due).toBe(false);
    });

    it("takes a synchronized scope's lock for one holder at a time, back for its own holder, over a stale one only as read", async () => {
      const lock = { instanceId: `locking-${now}-${Math.random().toString(36).slice(2)}`, name: 'stock' };
      const a = { instanceId: `${lock.instanceId}~1~a`, revision: 3 };
      const b = { instanceId: `${lock.instanceId}~1~b`, revision: 1 };
      const c = { instanceId: `${lock.instanceId}~1~c`, revision: 0 };
      expect(await store.acquireLock(lock, a)).toBe(true);
      expect(await store.acquireLock(lock, b)).toBe(false);
      // Who finds it held registers as a waiter, and learns who holds it.
      expect(await store.awaitLock(lock, b.instanceId)).toEqual(a);
      expect(await store.awaitLock(lock, c.instanceId)).toEqual(a);
      expect(await store.awaitLock(lock, c.instanceId)).toEqual(a);
      // Its holder takes it back from a later revision (a run again after a crash), never from an earlier one.
      expect(await store.acquireLock(lock, { ...a, revision: 2 })).toBe(false);
      const again = { ...a, revision: 5 };
      expect(await store.acquireLock(lock, again)).toBe(true);
      // A takeover names the holder exactly as read: one read before it was taken back loses.
      expect(await store.acquireLock(lock, b, a)).toBe(false);
      expect(await store.acquireLock(lock, b, again)).toBe(true);
      // Only that taking of it is freed: the holder before frees nothing, and wakes nobody.
      expect(await store.releaseLock(lock, again, now)).toEqual([]);
      // The holder frees it and wakes the waiters left (b left them when it took the lock).
      expect(await store.releaseLock(lock, b, now)).toEqual([c.instanceId]);
      // Freed: the release dispatched again wakes them again; a waiter that comes finds it free, and registers nothing.
      expect(await store.releaseLock(lock, b, now)).toEqual([c.instanceId]);
      expect(await store.awaitLock(lock, 'late')).toBeUndefined();
      expect(await store.acquireLock(lock, c)).toBe(true);
      expect(await store.releaseLock(lock, c, now)).toEqual([]);
      // A lock never taken: nothing to free, nobody to wake. The lock sits beside the instance's inbox, not in it.
      expect(await store.releaseLock({ ...lock, name: 'other' }, b, now)).toEqual([]);
      expect(await store.deliveries(lock.instanceId)).toEqual([]);
    });

    it('keeps a suspended message once, lists it until it is resolved, and lets the first resolution win', async () => {
      const message = kept();
      const id = message.messageId;
      await store.putSuspendedMessage(message);
      await store.putSuspendedMessage({ ...message, reason: 'again' });
      expect(await store.suspendedMessage(id)).toMatchObject({ messageId: id, reason: 'no route', body: '{"x":1}' });
      expect((await store.listSuspendedMessages()).map((m) => m.messageId)).toContain(id);
      expect(await store.resolveSuspendedMessage(id, { kind: 'discarded', by: 'ada', at: now, reason: 'junk' })).toBe(
        true,
      );
      expect(await store.resolveSuspendedMessage(id, { kind: 'discarded', by: 'bob', at: now, reason: 'junk' })).toBe(
        false,
      );
      expect((await store.listSuspendedMessages()).map((m) => m.messageId)).not.toContain(id);
      expect((await store.suspendedMessage(id))!.resolution).toMatchObject({ by: 'ada' });
      expect(await store.resolveSuspendedMessage('no-such-message', { kind: 'discarded', by: 'ada', at: now })).toBe(
        false,
      );
    });

    it('lists instances by status, whole or by what each is, and counts them beside the unresolved suspended messages', async () => {
      const before = await store.countByStatus();
      const running = fresh();
      const waiting = { ...fresh(), status: InstanceStatus.Waiting, cursor: receiving } as InstanceState;
      const suspended = { ...fresh(), status: InstanceStatus.Suspended, cursor: receiving } as InstanceState;
      for (const state of [running, waiting, suspended]) await store.create(state);
      await store.putSuspendedMessage({ ...kept(), messageId: `s-count-${now}` });
      const after = await store.countByStatus();
      expect(
        Object.fromEntries(Object.entries(after).map(([status, n]) => [status, n - (before[status] ?? 0)])),
      ).toEqual({ running: 1, waiting: 1, suspended: 1, message: 1 });
      expect(await store.countByStatus(['suspended'])).toEqual({ suspended: after.suspended });

      for (const state of [running, waiting, suspended]) {
        const listed = await store.listInstances(state.status, 1_000);
        expect(listed.find((s) => s.instanceId === state.instanceId)).toMatchObject({ vars: {}, cursor: state.cursor });
        const headers = await store.listInstances(state.status, 1_000, { states: false });
        expect(headers.find((s) => s.instanceId === state.instanceId)).toEqual({
          instanceId: state.instanceId,
          orchestration: state.orchestration,
          version: state.version,
          status: state.status,
          createdAt: state.createdAt,
          updatedAt: state.updatedAt,
        });
      }
      expect(await store.listInstances(InstanceStatus.Waiting, 1)).toHaveLength(1);
      // Ended instances are not indexed by status: asking for them is an error that says what can be listed.
      await expect(store.listInstances(InstanceStatus.Completed)).rejects.toThrow(/not listed; listed: running/);
    });

    it('lists what is due before a time, oldest first, and passes over an instance once it ended', async () => {
      const [first, second] = [fresh(), fresh()].map(
        (state) => ({ ...state, status: InstanceStatus.Waiting, cursor: receiving }) as InstanceState,
      );
      for (const state of [first!, second!]) await store.create(state);
      await store.deliver(second!.instanceId, message(`m-due-2-${now}`, { receivedAt: now + 1_000 }));
      await store.deliver(first!.instanceId, message(`m-due-1-${now}`, { receivedAt: now + 2_000 }));
      const due = (await store.listDue(Date.now() + 60_000)).filter((e) =>
        [first!.instanceId, second!.instanceId].includes(e.instanceId),
      );
      expect(due.map((e) => e.instanceId)).toEqual([second!.instanceId, first!.instanceId]);
      // Due from when it was delivered, not before the message was received.
      expect(due[0]!.at).toBeGreaterThanOrEqual(now + 1_000);
      expect(due[1]!.at).toBeGreaterThanOrEqual(now + 2_000);
      await store.commit({ ...second!, revision: 1, status: InstanceStatus.Completed }, 0, 'h', now);
      const later = (await store.listDue(Date.now() + 60_000)).map((e) => e.instanceId);
      expect(later).toContain(first!.instanceId);
      expect(later).not.toContain(second!.instanceId);
    });
  });
}
