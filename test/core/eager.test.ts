import { describe, expect, it } from 'vitest';
import {
  branch,
  complete,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  send,
  start,
} from '../../functions/core/builder.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import type { ProcessingHostDeps } from '../../functions/core/processing-host.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { OWNERSHIP } from '../../functions/settings.ts';
import { rawMessage, validOrder } from '../helpers/orders.ts';
import { createWorld } from '../helpers/world.ts';

/**
 * Eager execution (core/host/eager.ts): the work items a run makes for other instances run in the same invocation.
 * What must hold: the same messages as through the queue, fewer hops and reads, nothing lost when a run fails or the
 * host dies with items it kept.
 */
const eager = (items = 16): Partial<ProcessingHostDeps> => ({ eager: { items, minRemainingMs: 2_000 } });

/** The sample world, its store's loads counted. */
function world() {
  const w = createWorld(sampleOrchestrations({ cancellationWindowMs: 0 }));
  const counted = { load: 0 };
  const load = w.store.load.bind(w.store);
  w.store.load = (id: string) => {
    counted.load++;
    return load(id);
  };
  return { w, counted };
}

/** Runs the work queue to empty on hosts made by `host`, counting the work items taken. */
async function drain(w: ReturnType<typeof world>['w'], extra: Partial<ProcessingHostDeps>): Promise<number> {
  let items = 0;
  for (let round = 0; w.workQueue.items.length > 0; round++) {
    if (round > 50) throw new Error('the queue does not drain');
    const ready = w.workQueue.items.splice(0).filter((i) => !i.delaySeconds);
    items += ready.length;
    await Promise.all(ready.map((item, n) => w.host(`host-${n}`, extra).process(item, { receiveCount: 1 })));
  }
  return items;
}

const sentTypes = (w: ReturnType<typeof world>['w']) =>
  w.sendPort.sent.map((e) => `${(e as { body: { orderId: string } }).body.orderId} ${e.messageType}`).sort();

describe('eager execution', () => {
  it("runs an order's branch instances and its join in the invocation of its first work item: the same messages as through the queue, one work item, fewer reads", async () => {
    const queued = world();
    const fast = world();
    for (const { w } of [queued, fast])
      for (let i = 0; i < 5; i++) await w.receiver.receive([rawMessage(validOrder(`o-${i}`))]);
    const itemsQueued = await drain(queued.w, {});
    const itemsEager = await drain(fast.w, eager());
    expect(sentTypes(fast.w)).toEqual(sentTypes(queued.w));
    expect(sentTypes(fast.w)).toHaveLength(10);
    expect(itemsQueued).toBe(20);
    expect(itemsEager).toBe(5);
    // The join starts from what its invocation committed, and a branch's sibling that ended there is not read again.
    expect(fast.counted.load).toBeLessThan(queued.counted.load);
  });

  it('sends what exceeds its room through the work queue, and those still complete', async () => {
    const { w } = world();
    await w.receiver.receive([rawMessage(validOrder('o-room'))]);
    const first = w.workQueue.items.splice(0);
    // Room for one: the fork's first branch runs here, the second goes through the queue.
    await w.host('h', eager(1)).process(first[0]!, { receiveCount: 1 });
    expect(w.workQueue.items.map((i) => i.reason)).toEqual(['fork']);
    await drain(w, eager(1));
    expect(sentTypes(w)).toEqual(['o-room Invoice', 'o-room Shipment']);
  });

  it('sends a run that fails through the work queue, where it runs again', async () => {
    const { w } = world();
    await w.receiver.receive([rawMessage(validOrder('o-fails'))]);
    const commit = w.store.commit.bind(w.store);
    let failed = false;
    w.store.commit = async (next: InstanceState, ...rest: [number, string, number]) => {
      if (!failed && next.instanceId.endsWith('~payment')) {
        failed = true;
        throw new Error('the store is down');
      }
      return commit(next, ...rest);
    };
    const [first] = w.workQueue.items.splice(0);
    await w.host('h', eager()).process(first!, { receiveCount: 1 });
    expect(failed).toBe(true);
    expect(w.workQueue.items.some((i) => i.instanceId.endsWith('~payment'))).toBe(true);
    await drain(w, eager());
    expect(sentTypes(w)).toEqual(['o-fails Invoice', 'o-fails Shipment']);
  });

  it('loses nothing when a kept run fails and the queue cannot take it either: the join watches its branch instances', async () => {
    const { w } = world();
    await w.receiver.receive([rawMessage(validOrder('o-lost'))]);
    const [first] = w.workQueue.items.splice(0);
    // The payment branch's run fails, and so does the send that would put its work item on the queue: a work item lost,
    // as one is when its host dies before sending it.
    const commit = w.store.commit.bind(w.store);
    const enqueue = w.workQueue.enqueue.bind(w.workQueue);
    w.store.commit = async (next: InstanceState, ...rest: [number, string, number]) => {
      if (next.instanceId.endsWith('~payment')) throw new Error('host died');
      return commit(next, ...rest);
    };
    w.workQueue.enqueue = async () => {
      throw new Error('the queue is out of reach');
    };
    const outcome = await w.host('h', eager()).process(first!, { receiveCount: 1 });
    expect(outcome.result).toBe('done');
    w.store.commit = commit;
    w.workQueue.enqueue = enqueue;
    expect(w.workQueue.items).toEqual([]);
    expect(sentTypes(w)).toEqual([]);
    // The join's watch (core/due.ts): a sweep wakes it, it gives the branch whose work item was lost a new one.
    w.clock.advance(10 * 60_000);
    await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
    );
    await drain(w, eager());
    expect(sentTypes(w)).toEqual(['o-lost Invoice', 'o-lost Shipment']);
  });

  it("sends a resting instance's outbox once, when a later run of the invocation starts from what it committed", async () => {
    const account = (m: { body: unknown }) => (m.body as { account: string }).account;
    // Q, a convoy: acknowledges its first Open, then waits for a second one of its account.
    const q = orchestration(
      'Q',
      1,
      [
        receive('open', 'Open', { into: 'open', correlation: 'account' }),
        send('ack', 'send', 'Ack', () => ({})),
        receiveCorrelated('second', 'Open', { into: 'second', correlation: 'account' }),
        send('done', 'send', 'Done', () => ({})),
        complete('end'),
      ],
      { correlationSets: { account: { Open: account } } },
    );
    // P starts Q, then, two forks deep (Q has rested by then, in the same invocation), starts it again.
    const p = orchestration('P', 1, [
      receive('go', 'Go', { into: 'go' }),
      start('s1', 'Q', () => ({ account: 'a1' })),
      parallel('outer', [
        branch('b', [parallel('inner', [branch('c', [start('s2', 'Q', () => ({ account: 'a1' }))])])]),
      ]),
      complete('end'),
    ]);
    const sent: Record<string, string[]> = {};
    for (const [name, extra] of [
      ['queue', {}],
      ['eager', eager()],
    ] as const) {
      const w = createWorld([p, q]);
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      await drain({ ...w, store: w.store } as never, extra);
      sent[name] = w.sendPort.sent.map((m) => m.messageType).sort();
    }
    expect(sent.queue).toEqual(['Ack', 'Done']);
    expect(sent.eager).toEqual(sent.queue);
  });

  it('sends what a failed work item kept through the queue, where it runs', async () => {
    const { w } = world();
    await w.receiver.receive([rawMessage(validOrder('o-kept'))]);
    const [first] = w.workQueue.items.splice(0);
    // Room for one: the fork keeps its first branch's item and sends the second, and that send fails (once), which
    // fails the work item after the first was kept.
    const enqueue = w.workQueue.enqueue.bind(w.workQueue);
    let failures = 0;
    w.workQueue.enqueue = async (items) => {
      if (items.some((i) => i.reason === 'fork') && failures++ === 0) throw new Error('the queue is out of reach');
      return enqueue(items);
    };
    await expect(w.host('h', eager(1)).process(first!, { receiveCount: 1 })).rejects.toThrow(
      'the queue is out of reach',
    );
    expect(w.workQueue.items.filter((i) => i.reason === 'fork')).toHaveLength(1);
    // SQS brings the failed work item back; with the kept one, the order completes.
    w.workQueue.items.push(first!);
    await drain(w, eager(1));
    expect(sentTypes(w)).toEqual(['o-kept Invoice', 'o-kept Shipment']);
  });
});
