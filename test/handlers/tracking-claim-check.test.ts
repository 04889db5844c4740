import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbHistory } from '../../functions/adapters/DynamoDbHistory.ts';
import type { PayloadStore } from '../../functions/adapters/claim-check.ts';
import { PayloadMissing } from '../../functions/core/errors.ts';
import { createTrackingHandler } from '../../functions/handlers/tracking.ts';
import { activate } from '../../functions/core/engine.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import type { HistoryStore } from '../../functions/core/ports.ts';
import { TrackedKind, type Tracked } from '../../functions/core/tracking.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { historyTableDefinition } from '../../local/provision.ts';
import { MemoryHistory } from '../helpers/memory-history.ts';
import { announceSkip, startTargetEndpoint, targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/** The bucket in memory. */
class MemoryPayloads implements PayloadStore {
  readonly objects = new Map<string, Uint8Array>();
  async put(key: string, body: Uint8Array) {
    this.objects.set(key, body);
  }
  async get(key: string) {
    const body = this.objects.get(key);
    if (!body) throw new PayloadMissing(key);
    return body;
  }
  async delete(keys: readonly string[]) {
    for (const key of keys) this.objects.delete(key);
  }
}

const orchestration = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;
const state = activate(
  orchestration,
  { messageId: 'order-1', messageType: 'Order', body: {}, properties: {}, receivedAt: 1_000 },
  1_000,
);
const { revision: _r, lease: _l, status: _s, dispatchedRevision: _d, attempts: _a, ...doc } = state;
const json = JSON.stringify(doc);

/** An instance item at `rev` whose state is claim-checked under `key` (every object holds the same state, compressed). */
function stored(rev: number, key: string) {
  return {
    pk: `I#${state.instanceId}`,
    sk: 'STATE',
    rev,
    status: 'running',
    updatedAt: 1_000 + rev,
    createdAt: 1_000,
    zref: key,
  };
}

function record(
  sequence: number,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): DynamoDBRecord {
  return {
    eventName: !before ? 'INSERT' : after ? 'MODIFY' : 'REMOVE',
    dynamodb: {
      SequenceNumber: String(sequence),
      ApproximateCreationDateTime: 1,
      ...(before ? { OldImage: marshall(before) as never } : {}),
      ...(after ? { NewImage: marshall(after) as never } : {}),
    },
  };
}

/** A history store that fails the records whose sequence numbers it is given. */
function failing(history: HistoryStore, sequences: ReadonlySet<string>): HistoryStore {
  return {
    ...history,
    record: async (tracked: Tracked, origin: string) => {
      if (sequences.has(origin)) throw new Error(`history unavailable for ${origin}`);
      return history.record(tracked, origin);
    },
  } as HistoryStore;
}

describe('the tracking function with a claim check', async () => {
  const { brotliCompressSync } = await import('node:zlib');
  const bytes = brotliCompressSync(json);
  const fill = (payloads: MemoryPayloads, keys: string[]) => {
    for (const key of keys) payloads.objects.set(key, bytes);
  };

  it('deletes the objects a batch let go of (a state rewritten, an item removed) once the whole batch is tracked, and keeps the current one', async () => {
    const payloads = new MemoryPayloads();
    fill(payloads, ['A', 'B', 'C', 'D']);
    const history = new MemoryHistory();
    const handler = createTrackingHandler(history, undefined, payloads);
    // One item's consecutive changes in one batch (the records run side by side), and another item removed.
    const event: DynamoDBStreamEvent = {
      Records: [
        record(1, stored(1, 'A'), stored(2, 'B')),
        record(2, stored(2, 'B'), stored(3, 'C')),
        record(3, { ...stored(9, 'D'), pk: 'I#other' }, undefined),
      ],
    };
    const response = await handler(event);
    expect(response.batchItemFailures).toEqual([]);
    expect([...payloads.objects.keys()]).toEqual(['C']);
  });

  it('keeps every object a failed record refers to (it is retried and needs them), and passes over a retried record whose objects are gone', async () => {
    const payloads = new MemoryPayloads();
    fill(payloads, ['A', 'B', 'C']);
    const history = new MemoryHistory();
    const records = [record(1, stored(1, 'A'), stored(2, 'B')), record(2, stored(2, 'B'), stored(3, 'C'))];
    const first = await createTrackingHandler(
      failing(history, new Set(['1'])),
      undefined,
      payloads,
    )({ Records: records });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
    // Record 2 let go of B, but record 1 (failed) refers to it: kept; so is A.
    expect([...payloads.objects.keys()].sort()).toEqual(['A', 'B', 'C']);

    // Retried from record 1, as Lambda does: both tracked, A and B deleted.
    const retried = await createTrackingHandler(history, undefined, payloads)({ Records: records });
    expect(retried.batchItemFailures).toEqual([]);
    expect([...payloads.objects.keys()]).toEqual(['C']);
    expect(history.events.size).toBeGreaterThan(0);

    // Retried once more (a duplicate delivery): record 1's objects are gone, so it was tracked: passed over, no failure.
    const warnings: string[] = [];
    const again = await createTrackingHandler(
      history,
      { warn: (m: string) => warnings.push(m), error: () => {} } as never,
      payloads,
    )({ Records: records });
    expect(again.batchItemFailures).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect([...payloads.objects.keys()]).toEqual(['C']);
  });

  it('keeps a key an item let go of and took again later in the batch (an inbox item settled, then a stray copy delivered)', async () => {
    const payloads = new MemoryPayloads();
    payloads.objects.set(
      'K',
      Buffer.from(
        JSON.stringify({ messageId: 'm-1', messageType: 'Approval', body: {}, properties: {}, receivedAt: 1 }),
      ),
    );
    const inbox = { pk: `I#${state.instanceId}`, sk: 'MSG#m-1', messageRef: 'K' };
    const event: DynamoDBStreamEvent = { Records: [record(1, inbox, undefined), record(2, undefined, inbox)] };
    expect((await createTrackingHandler(new MemoryHistory(), undefined, payloads)(event)).batchItemFailures).toEqual(
      [],
    );
    expect([...payloads.objects.keys()]).toEqual(['K']);
  });
});

for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(
    `the tracking function on the history table of ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    async () => {
      const { brotliCompressSync } = await import('node:zlib');
      let stop: () => Promise<void>;
      let history: DynamoDbHistory;
      beforeAll(async () => {
        const started = await startTargetEndpoint(target);
        stop = started.stop;
        const table = `history-cut-${process.pid}-${Date.now().toString(36)}`;
        await new DynamoDBClient({ endpoint: started.endpoint }).send(
          new CreateTableCommand(historyTableDefinition(table)),
        );
        history = new DynamoDbHistory(dynamoDbDocumentClient({ endpoint: started.endpoint }), table);
      });
      afterAll(async () => stop?.());

      it("writes the history of a suspension whose reason is larger than an item (DynamoDB's 400 KB), its text cut, and deletes the object the change let go of", async () => {
        // A reason of 600 KB, as a host of an earlier version kept it (or any text an event carries), two-byte characters
        // too: DynamoDB counts UTF-8 bytes (dynalite counts characters: 450,000 of them pass its limit as well).
        const reason = `step "price" failed: ${'é'.repeat(150_000)}${'x'.repeat(300_000)}`;
        const suspended = brotliCompressSync(
          JSON.stringify({ ...doc, error: { reason, shapeId: 'price', at: 2_000 } }),
        );
        const payloads = new MemoryPayloads();
        payloads.objects.set('A', brotliCompressSync(json));
        payloads.objects.set('B', suspended);
        const handler = createTrackingHandler(history, undefined, payloads);
        const response = await handler({
          Records: [record(1, stored(1, 'A'), { ...stored(2, 'B'), status: 'suspended' })],
        });

        expect(response.batchItemFailures).toEqual([]);
        // The state the change let go of is deleted; the one the item refers to now is kept.
        expect([...payloads.objects.keys()]).toEqual(['B']);
        const events = (await history.history(state.instanceId)).events;
        const cut = events.find((e) => e.kind === TrackedKind.Suspended)!;
        expect(cut).toMatchObject({ cut: true, shape: 'price' });
        const head = 'step "price" failed: éé';
        const tail = ` … [cut: ${Buffer.byteLength(reason)} bytes in all]`;
        expect(cut.detail!.slice(0, head.length)).toBe(head);
        expect(cut.detail!.slice(-tail.length)).toBe(tail);
        expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThan(40 * 1024);
        expect(events.map((e) => e.kind)).toContain(TrackedKind.Persisted);
      });
    },
  );
}
