import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../../functions/adapters/DynamoDbInstanceStore.ts';
import { S3PayloadStore } from '../../functions/adapters/S3PayloadStore.ts';
import type { PayloadStore } from '../../functions/adapters/claim-check.ts';
import { PayloadMissing } from '../../functions/core/errors.ts';
import { OwnershipLost } from '../../functions/core/errors.ts';
import { InstanceStatus, type InstanceState } from '../../functions/core/instance.ts';
import { provision } from '../../local/provision.ts';
import { announceSkip, startTargetEndpoint, targets } from '../helpers/targets.ts';
import { freshInstance } from '../helpers/orders.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

let counter = 0;
const fresh = (now = Date.now()) => freshInstance('claim', now);
/** Random text: it does not compress, so its size is what the item would hold. */
const noise = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes);
/** A threshold far below the default, so the tests stay small. */
const FROM_BYTES = 8 * 1024;

/** The bucket, with every request it took. */
class Watched implements PayloadStore {
  readonly puts: string[] = [];
  readonly gets: string[] = [];
  readonly deletes: string[] = [];
  readonly inner: PayloadStore;
  constructor(inner: PayloadStore) {
    this.inner = inner;
  }
  async put(key: string, body: Uint8Array) {
    this.puts.push(key);
    return this.inner.put(key, body);
  }
  async get(key: string) {
    this.gets.push(key);
    return this.inner.get(key);
  }
  async delete(keys: readonly string[]) {
    this.deletes.push(...keys);
    return this.inner.delete(keys);
  }
}

for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(
    `the claim check on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    () => {
      let stop: () => Promise<void>;
      let store: DynamoDbInstanceStore;
      let bucket: Watched;
      let raw: ReturnType<typeof dynamoDbDocumentClient>;
      let table: string;
      const item = async (pk: string, sk: string) =>
        (await raw.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))).Item!;
      const exists = async (key: string) =>
        bucket.inner.get(key).then(
          () => true,
          (error) => {
            if (error instanceof PayloadMissing) return false;
            throw error;
          },
        );

      beforeAll(async () => {
        const started = await startTargetEndpoint(target);
        stop = started.stop;
        const { endpoint } = started;
        const resources = await provision(
          { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }), s3: s3Client({ endpoint }) },
          `claim${process.pid}${Date.now().toString(36)}`,
        );
        expect(resources.claimCheckOff).toBeUndefined();
        bucket = new Watched(new S3PayloadStore(s3Client({ endpoint }), resources.claimCheckBucket!));
        store = new DynamoDbInstanceStore(dynamoDbDocumentClient({ endpoint }), resources.tableName, {
          claimCheck: { payloads: bucket, fromBytes: FROM_BYTES },
        });
        raw = dynamoDbDocumentClient({ endpoint });
        table = resources.tableName;
      });
      afterAll(async () => stop?.());

      it('keeps a state over the threshold in the bucket, under its revision and digest, and reads it back whole; a small one goes back into the item', async () => {
        const large = { ...fresh(), vars: { attachment: noise(3 * FROM_BYTES) } };
        await store.create(large);
        const created = await item(`I#${large.instanceId}`, 'STATE');
        expect(created.z).toBeUndefined();
        expect(created.doc).toBeUndefined();
        expect(created.zref).toMatch(new RegExp(`^state/${large.instanceId}/0-[0-9a-f]{32}$`));
        expect(await store.load(large.instanceId)).toEqual({
          ...large,
          lease: undefined,
          dispatchedRevision: undefined,
          attempts: undefined,
        });

        // Each commit writes its own object; the one before stays until the stream says no item refers to it.
        const next = { ...large, revision: 1, vars: { attachment: noise(3 * FROM_BYTES) } };
        await store.commit(next, 0, 'h', Date.now());
        const committed = await item(`I#${large.instanceId}`, 'STATE');
        expect(committed.zref).toMatch(new RegExp(`^state/${large.instanceId}/1-`));
        expect((await store.load(large.instanceId))!.vars).toEqual(next.vars);
        expect(await exists(created.zref), created.zref).toBe(true);

        await store.commit({ ...next, revision: 2, vars: {} }, 1, 'h', Date.now());
        const small = await item(`I#${large.instanceId}`, 'STATE');
        expect(small.zref).toBeUndefined();
        expect((await store.load(large.instanceId))!.vars).toEqual({});
        expect(await exists(committed.zref), committed.zref).toBe(true);
      });

      it("lists instances for display (the console's overview) and counts them without reading a claim-checked state: what each is is kept beside its key", async () => {
        const large = () => ({ attachment: noise(3 * FROM_BYTES) });
        const waiting = { ...fresh(), status: InstanceStatus.Waiting, vars: large() };
        const running = { ...fresh(), vars: large() };
        const small = { ...fresh(), status: InstanceStatus.Waiting };
        for (const state of [waiting, running, small]) await store.create(state);
        const claimed = await item(`I#${waiting.instanceId}`, 'STATE');
        expect(claimed).toMatchObject({
          orchestration: waiting.orchestration,
          version: waiting.version,
          zref: expect.stringMatching(/^state\//),
        });
        // An item that keeps its state has no need of them: its writes stay as small as they were.
        expect((await item(`I#${small.instanceId}`, 'STATE')).orchestration).toBeUndefined();

        const header = (s: InstanceState) => ({
          instanceId: s.instanceId,
          orchestration: s.orchestration,
          version: s.version,
          status: s.status,
          createdAt: s.createdAt,
          updatedAt: s.updatedAt,
        });
        bucket.gets.length = 0;
        const listed = [
          ...(await store.listInstances(InstanceStatus.Waiting, undefined, { states: false })),
          ...(await store.listInstances(InstanceStatus.Running, undefined, { states: false })),
        ];
        expect(listed).toEqual(expect.arrayContaining([header(waiting), header(running), header(small)]));
        const counts = await store.countByStatus();
        expect(counts.running).toBeGreaterThanOrEqual(1);
        expect(counts.waiting).toBeGreaterThanOrEqual(2);
        expect(bucket.gets).toEqual([]);

        // Listed whole, the states are read back; a commit that brings one back into the item drops what stood beside it.
        expect(
          (await store.listInstances(InstanceStatus.Waiting)).find((s) => s.instanceId === waiting.instanceId)?.vars,
        ).toEqual(waiting.vars);
        expect(bucket.gets).toContain(claimed.zref);
        await store.commit({ ...waiting, revision: 1, vars: {} }, 0, 'h', Date.now());
        const back = await item(`I#${waiting.instanceId}`, 'STATE');
        expect([back.zref, back.orchestration, back.version]).toEqual([undefined, undefined, undefined]);
      });

      it('reads the state kept in the item over a key left beside it (a host of the earlier version committed it during an upgrade)', async () => {
        const large = { ...fresh(), vars: { attachment: noise(2 * FROM_BYTES) } };
        await store.create(large);
        const claimed = await item(`I#${large.instanceId}`, 'STATE');
        // 0.3 commits `z` and knows nothing of `zref`: its commit leaves the key where it was.
        const small = { ...large, revision: 1, vars: { note: 'newer' } };
        const { revision: _r, lease: _l, status: _s, dispatchedRevision: _d, attempts: _a, ...doc } = small;
        await raw.send(new PutCommand({ TableName: table, Item: { ...claimed, rev: 1, doc: JSON.stringify(doc) } }));
        expect((await store.load(large.instanceId))!.vars).toEqual({ note: 'newer' });
      });

      it('leaves the object of the host that took an instance over, and deletes the one a host that lost its lease wrote', async () => {
        const state = { ...fresh(), vars: { attachment: noise(2 * FROM_BYTES) } };
        await store.create(state);
        const owner = await store.claim(
          (await store.load(state.instanceId))!,
          { owner: 'h/new', expiresAt: Date.now() + 10_000 },
          Date.now(),
        );
        await store.commit(
          { ...owner, revision: owner.revision + 1, vars: { attachment: noise(2 * FROM_BYTES) } },
          owner.revision,
          'h/new',
          Date.now(),
        );
        const winner = (await item(`I#${state.instanceId}`, 'STATE')).zref as string;

        // A zombie still at revision 1 commits what it computed: the same revision, other bytes, another key.
        bucket.puts.length = 0;
        await expect(
          store.commit(
            { ...owner, revision: owner.revision + 1, vars: { attachment: noise(2 * FROM_BYTES) } },
            owner.revision,
            'h/old',
            Date.now(),
          ),
        ).rejects.toBeInstanceOf(OwnershipLost);
        const lost = bucket.puts[0]!;
        expect(lost).not.toBe(winner);
        expect(await exists(lost)).toBe(false);
        expect(await exists(winner), winner).toBe(true);

        // A create that finds the instance there already (a redelivered activation) with the same bytes: the same key, kept.
        const again = { ...fresh(), vars: { attachment: noise(2 * FROM_BYTES) } };
        await store.create(again);
        const first = (await item(`I#${again.instanceId}`, 'STATE')).zref as string;
        expect(await store.create(again)).toBe(false);
        expect(await exists(first), first).toBe(true);
      });

      it('keeps a large delivered message and a large suspended body in the bucket, and gives them back whole', async () => {
        const waiting = fresh();
        await store.create(waiting);
        const message = {
          messageId: `m-${process.pid}-${++counter}`,
          messageType: 'Approval',
          body: { note: noise(2 * FROM_BYTES) },
          properties: {},
          receivedAt: Date.now(),
        };
        await store.deliver(waiting.instanceId, message);
        const inbox = await item(`I#${waiting.instanceId}`, `MSG#${message.messageId}`);
        expect(inbox.message).toBeUndefined();
        expect(inbox.messageRef).toMatch(new RegExp(`^inbox/${waiting.instanceId}/${message.messageId}-[0-9a-f]{32}$`));
        // Listed by its head, the body left where it is (issue 22, path 7: a wake-up reads the bodies it takes, not all
        // that wait); read whole on its own.
        const { body: _body, ...head } = message;
        bucket.gets.length = 0;
        expect(await store.deliveries(waiting.instanceId)).toEqual([{ ...head, bodyLeft: true }]);
        expect(bucket.gets).toEqual([]);
        expect(await store.delivery(waiting.instanceId, message.messageId)).toEqual(message);
        expect(bucket.gets).toEqual([inbox.messageRef]);
        // Delivered again (SQS does, later): one item, the first copy's; the copy's own object is deleted, the first kept.
        bucket.puts.length = 0;
        await store.deliver(waiting.instanceId, { ...message, receivedAt: message.receivedAt + 1 });
        expect(await store.delivery(waiting.instanceId, message.messageId)).toEqual(message);
        expect(bucket.puts).toHaveLength(1);
        expect(bucket.puts[0]).not.toBe(inbox.messageRef);
        expect(await exists(bucket.puts[0]!)).toBe(false);
        expect(await exists(inbox.messageRef), inbox.messageRef).toBe(true);

        const suspended = {
          messageId: `s-${process.pid}-${++counter}`,
          reason: 'no route',
          body: noise(2 * FROM_BYTES),
          attributes: { MessageType: 'Mystery' },
          receivedAt: Date.now(),
          source: 'receive',
        };
        await store.putSuspendedMessage(suspended);
        const record = await item(`M#${suspended.messageId}`, 'SUSPENDED');
        expect(record.body).toBeUndefined();
        expect(record.bodyRef).toMatch(new RegExp(`^suspended/${suspended.messageId}-[0-9a-f]{32}$`));
        expect(await store.suspendedMessage(suspended.messageId)).toEqual(suspended);
        expect((await store.listSuspendedMessages()).find((m) => m.messageId === suspended.messageId)).toEqual(
          suspended,
        );
        // A listing for display (the console's) reads no object: the large body stays where it is, named.
        bucket.gets.length = 0;
        const listed = await store.listSuspendedMessages(undefined, { bodies: false });
        expect(listed.find((m) => m.messageId === suspended.messageId)).toEqual({
          ...suspended,
          body: '',
          bodyRef: record.bodyRef,
        });
        expect(bucket.gets).toEqual([]);

        // Below the threshold nothing leaves the item.
        const small = { ...suspended, messageId: `s-${process.pid}-${++counter}`, body: 'short' };
        await store.putSuspendedMessage(small);
        expect(
          (await store.listSuspendedMessages(undefined, { bodies: false })).find(
            (m) => m.messageId === small.messageId,
          ),
        ).toEqual(small);
        expect((await item(`M#${small.messageId}`, 'SUSPENDED')).body).toBe('short');
      });

      it("claims a suspended message for one resubmission: of two claims at once one wins, with the edited body it goes with kept beside (in the bucket once large), the other's object deleted", async () => {
        // Routed to several, taken by one: the record names it, for the resubmission to skip.
        const suspended = {
          messageId: `s-${process.pid}-${++counter}`,
          reason: 'bad',
          body: noise(2 * FROM_BYTES),
          attributes: { MessageType: 'Order' },
          receivedAt: Date.now(),
          source: 'receive',
          takenBy: ['Orders'],
        };
        await store.putSuspendedMessage(suspended);
        const claim = (by: string) => ({
          kind: 'resubmitted' as const,
          by,
          at: Date.now(),
          resubmittedAs: `r-${by}`,
          reason: 'edited',
          body: noise(2 * FROM_BYTES),
        });
        const [ada, bob] = [claim('ada'), claim('bob')];
        bucket.puts.length = 0;
        const won = await Promise.all([
          store.resolveSuspendedMessage(suspended.messageId, ada),
          store.resolveSuspendedMessage(suspended.messageId, bob),
        ]);
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won[0] ? ada : bob;
        const record = await item(`M#${suspended.messageId}`, 'SUSPENDED');
        expect(record.editedRef).toMatch(new RegExp(`^suspended/${suspended.messageId}-resubmitted-[0-9a-f]{32}$`));
        expect(record.resolution).toEqual({
          kind: 'resubmitted',
          by: winner.by,
          at: winner.at,
          resubmittedAs: winner.resubmittedAs,
          reason: 'edited',
        });
        expect(bucket.puts).toHaveLength(2);
        expect(await Promise.all(bucket.puts.map(exists))).toEqual(bucket.puts.map((key) => key === record.editedRef));
        expect(await store.suspendedMessage(suspended.messageId)).toEqual({ ...suspended, resolution: winner });
        // What the receive host reads of it to check a resubmission: no object.
        bucket.gets.length = 0;
        expect((await store.suspendedMessage(suspended.messageId, { bodies: false }))?.resolution?.resubmittedAs).toBe(
          winner.resubmittedAs,
        );
        expect(bucket.gets).toEqual([]);

        // A small edit stays in the item.
        const other = { ...suspended, messageId: `s-${process.pid}-${++counter}`, body: 'short' };
        await store.putSuspendedMessage(other);
        expect(await store.resolveSuspendedMessage(other.messageId, { ...ada, body: '{"fixed":true}' })).toBe(true);
        expect((await item(`M#${other.messageId}`, 'SUSPENDED')).edited).toBe('{"fixed":true}');
        expect((await store.suspendedMessage(other.messageId))?.resolution?.body).toBe('{"fixed":true}');
      });
    },
  );
}
