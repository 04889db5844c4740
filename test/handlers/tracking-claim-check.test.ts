import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { PayloadMissing, type PayloadStore } from '../../functions/adapters/claim-check.ts';
import { createTrackingHandler } from '../../functions/handlers/tracking.ts';
import { activate } from '../../functions/core/engine.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import type { HistoryStore } from '../../functions/core/ports.ts';
import type { Tracked } from '../../functions/core/tracking.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { MemoryHistory } from '../helpers/memory-history.ts';

/** The bucket in memory. */
class MemoryPayloads implements PayloadStore {
  readonly objects = new Map<string, Uint8Array>();
  async put(key: string, body: Uint8Array) { this.objects.set(key, body); }
  async get(key: string) {
    const body = this.objects.get(key);
    if (!body) throw new PayloadMissing(key);
    return body;
  }
  async delete(keys: readonly string[]) { for (const key of keys) this.objects.delete(key); }
}

const orchestration = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;
const state = activate(orchestration, { messageId: 'order-1', messageType: 'Order', body: {}, properties: {}, receivedAt: 1_000 }, 1_000);
const { revision: _r, lease: _l, status: _s, dispatchedRevision: _d, attempts: _a, ...doc } = state;
const json = JSON.stringify(doc);

/** An instance item at `rev` whose state is claim-checked under `key` (every object holds the same state, compressed). */
function stored(rev: number, key: string) {
  return { pk: `I#${state.instanceId}`, sk: 'STATE', rev, status: 'running', updatedAt: 1_000 + rev, createdAt: 1_000, zref: key };
}

function record(sequence: number, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): DynamoDBRecord {
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
  return { ...history, record: async (tracked: Tracked, origin: string) => {
    if (sequences.has(origin)) throw new Error(`history unavailable for ${origin}`);
    return history.record(tracked, origin);
  } } as HistoryStore;
}

describe('the tracking function with a claim check', async () => {
  const { brotliCompressSync } = await import('node:zlib');
  const bytes = brotliCompressSync(json);
  const fill = (payloads: MemoryPayloads, keys: string[]) => { for (const key of keys) payloads.objects.set(key, bytes); };

  it('deletes the objects a batch let go of (a state rewritten, an item removed) once the whole batch is tracked, and keeps the current one', async () => {
    const payloads = new MemoryPayloads();
    fill(payloads, ['A', 'B', 'C', 'D']);
    const history = new MemoryHistory();
    const handler = createTrackingHandler(history, undefined, payloads);
    // One item's consecutive changes in one batch (the records run side by side), and another item removed.
    const event: DynamoDBStreamEvent = { Records: [record(1, stored(1, 'A'), stored(2, 'B')), record(2, stored(2, 'B'), stored(3, 'C')), record(3, { ...stored(9, 'D'), pk: 'I#other' }, undefined)] };
    const response = await handler(event);
    expect(response.batchItemFailures).toEqual([]);
    expect([...payloads.objects.keys()]).toEqual(['C']);
  });

  it('keeps every object a failed record refers to (it is retried and needs them), and passes over a retried record whose objects are gone', async () => {
    const payloads = new MemoryPayloads();
    fill(payloads, ['A', 'B', 'C']);
    const history = new MemoryHistory();
    const records = [record(1, stored(1, 'A'), stored(2, 'B')), record(2, stored(2, 'B'), stored(3, 'C'))];
    const first = await createTrackingHandler(failing(history, new Set(['1'])), undefined, payloads)({ Records: records });
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
    const again = await createTrackingHandler(history, { warn: (m: string) => warnings.push(m), error: () => {} } as never, payloads)({ Records: records });
    expect(again.batchItemFailures).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect([...payloads.objects.keys()]).toEqual(['C']);
  });

  it('keeps a key an item let go of and took again later in the batch (an inbox item settled, then a stray copy delivered)', async () => {
    const payloads = new MemoryPayloads();
    payloads.objects.set('K', Buffer.from(JSON.stringify({ messageId: 'm-1', messageType: 'Approval', body: {}, properties: {}, receivedAt: 1 })));
    const inbox = { pk: `I#${state.instanceId}`, sk: 'MSG#m-1', messageRef: 'K' };
    const event: DynamoDBStreamEvent = { Records: [record(1, inbox, undefined), record(2, undefined, inbox)] };
    expect((await createTrackingHandler(new MemoryHistory(), undefined, payloads)(event)).batchItemFailures).toEqual([]);
    expect([...payloads.objects.keys()]).toEqual(['K']);
  });
});
