import { describe, expect, it } from 'vitest';
import { activate } from '../../functions/core/engine.ts';
import { InstanceStatus } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { ManualClock, MemoryInstanceStore, MemoryWorkQueue } from '../helpers/memory.ts';

const orchestration = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;
const instance = (id: string, at: number) => activate(orchestration, { messageId: id, messageType: 'Order', body: {}, properties: {}, receivedAt: at }, at);

describe('sweep', () => {
  it('re-enqueues running instances that went quiet without a live lease, and only those', async () => {
    const clock = new ManualClock();
    const store = new MemoryInstanceStore();
    const workQueue = new MemoryWorkQueue();
    const t0 = clock.now();
    const lost = instance('lost', t0);
    const fresh = instance('fresh', t0 + 50_000);
    const leased = { ...instance('leased', t0), lease: { owner: 'h', expiresAt: t0 + 120_000 } };
    const done = { ...instance('done', t0), status: InstanceStatus.Completed };
    for (const s of [lost, fresh, leased, done]) await store.create(s);
    clock.advance(60_000);

    const requeued = await sweep({ store, workQueue, clock }, { staleAfterMs: 30_000, lease: DEFAULT_LEASE });
    expect(requeued).toEqual([lost.instanceId]);
    expect(workQueue.items).toEqual([{ instanceId: lost.instanceId, reason: 'sweep' }]);
  });
});
