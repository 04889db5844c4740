import { describe, expect, it } from 'vitest';
import { activate } from '../../functions/core/engine.ts';
import { InstanceStatus } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { branch, code, complete, delay, orchestration as orchestrationDefinition, parallel, receive, receiveCorrelated } from '../../functions/core/builder.ts';
import { createWorld } from '../helpers/world.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
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

  it('wakes an orchestration at a join when a branch ended unheard, lets an early branch rest, and joins once the last ends (path 5)', async () => {
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
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config);
    // Branch a ended and its wake-up of the join was lost; branch b has not run (its work item is held here, so
    // to the sweeper it looks lost too).
    await w.host().process(forks[0]!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect((await sweepNow()).sort()).toEqual([forks[1]!.instanceId, parentId].sort());
    // The join, woken for a alone, waits for b and lets a rest: the next sweep does not wake it again for a.
    const wake = w.workQueue.items.splice(0).find((i) => i.instanceId === parentId)!;
    await expect(w.host().process(wake, { receiveCount: 1 })).resolves.toMatchObject({ detail: 'waiting for its parallel branches' });
    expect(await sweepNow()).toEqual([forks[1]!.instanceId]);
    w.workQueue.items.splice(0);
    // The last branch ends, and its wake-up never arrives (lost): the sweeper finds the join.
    await w.host().process(forks[1]!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([parentId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(parentId))!.status).toBe('completed');
    // Joined: its branches were retired, nothing is due any more.
    expect(await sweepNow()).toEqual([]);
  });

  it('wakes a waiting instance whose delivery was never read, and one it cannot take yet only once (path 5 and 11)', async () => {
    const approvals = orchestrationDefinition('Approvals', 1, [
      receive('order', 'Order', { into: 'order', correlation: 'order' }),
      receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
      receiveCorrelated('payment', 'Payment', { into: 'payment', correlation: 'order' }),
      complete('done'),
    ], { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Payment: orderIdOf } } });
    const w = createWorld([approvals]);
    const config = { staleAfterMs: 30_000, lease: DEFAULT_LEASE };
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config);
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [instanceId] = w.store.items.keys();
    expect((await w.store.load(instanceId!))!.status).toBe('waiting');
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([]); // waiting on a receive, nothing delivered: nothing is due
    // A Payment arrives before the Approval; its wake-up is lost.
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Payment' })]);
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await expect(w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 })).resolves.toMatchObject({ detail: 'waiting; nothing it can take yet' });
    expect(await sweepNow()).toEqual([]); // it rests until the next delivery
    // The Approval arrives; its wake-up is lost too: the sweeper wakes it, and it takes both.
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Approval' })]);
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(await sweepNow()).toEqual([]);
  });

  it('wakes a waiting instance whose timer work item was lost, not before the timer is due', async () => {
    const waits = orchestrationDefinition('Waits', 1, [receive('r', 'Go', { into: 'go' }), delay('nap', { hours: 2 }), complete('done')]);
    const w = createWorld([waits]);
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, { staleAfterMs: 30_000, lease: DEFAULT_LEASE });
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    w.workQueue.items.splice(0); // the timer's work item is lost
    const [instanceId] = w.store.items.keys();
    w.clock.advance(3_600_000);
    expect(await sweepNow()).toEqual([]);
    w.clock.advance(3_600_000 + 31_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
  });
});
