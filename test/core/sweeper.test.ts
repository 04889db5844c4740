import { describe, expect, it } from 'vitest';
import { activate } from '../../functions/core/engine.ts';
import { InstanceStatus } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { branch, code, complete, orchestration as orchestrationDefinition, parallel, receive } from '../../functions/core/builder.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';
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

  it('re-enqueues an orchestration waiting at a join whose branches all ended (their wake-up was lost), and not before', async () => {
    const forked = orchestrationDefinition('Forked', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('a', [code('x', () => {})]), branch('b', [code('y', () => {})])]),
      complete('done'),
    ]);
    const w = createWorld([forked]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    const parentId = forks[0]!.instanceId.split('~')[0]!;
    const config = { staleAfterMs: 30_000, lease: DEFAULT_LEASE };
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock, registry: w.registry }, config);
    // One branch ended; the other has not run yet (its work item is held here, so to the sweeper it looks
    // lost): the branch is re-enqueued, the join is left alone.
    await w.host().process(forks[0]!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([forks[1]!.instanceId]);
    w.workQueue.items.splice(0);
    // The last branch ends, and its wake-up never arrives (lost): the sweeper finds the join.
    await w.host().process(forks[1]!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    expect(await sweepNow()).toEqual([parentId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(parentId))!.status).toBe('completed');
  });
});
