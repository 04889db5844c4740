import { createWorld } from '../helpers/world.ts';
import { describe, expect, it } from 'vitest';
import { complete, delay, orchestration, receive, send } from '../../functions/core/builder.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { ProcessingHost } from '../../functions/core/processing-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { MemoryWorkQueue } from '../helpers/memory.ts';
import { rawMessage } from '../helpers/orders.ts';

const reminder = orchestration('Reminder', 1, [
  receive('start', 'Remind', { into: 'remind' }),
  delay('wait', { minutes: 40 }),
  send('ring', 'send', 'Ring', () => ({ ring: true })),
  complete('done'),
]);

function world() {
  const base = createWorld([reminder]);
  return { ...base, host: base.host('h') };
}

describe('delay (durable timer)', () => {
  it('dehydrates, hops on SQS delays of at most 15 minutes, and continues when due', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Remind' })]);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [id] = w.store.items.keys();
    const { status, trace } = (await w.store.load(id!))!;
    expect(status).toBe('waiting');
    // Each hop carries the instance's trace context: the step it wakes is in the same trace.
    expect(trace).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(w.workQueue.items).toEqual([{ instanceId: id, reason: 'timer', delaySeconds: 900, trace }]);

    // 15 minutes later the first hop arrives: 25 minutes to go, so it hops again.
    w.clock.advance(15 * 60_000);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(w.workQueue.items).toEqual([{ instanceId: id, reason: 'timer', delaySeconds: 900, trace }]);
    w.clock.advance(15 * 60_000);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(w.workQueue.items).toEqual([{ instanceId: id, reason: 'timer', delaySeconds: 600, trace }]);
    expect(w.sendPort.sent).toHaveLength(0);

    w.clock.advance(10 * 60_000);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(id!))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Ring']);
  });

  it('hands a timer beyond 15 minutes to the timer scheduler when there is one, named after instance and due time', async () => {
    const w = world();
    const scheduled: { instanceId: string; timerId: string; dueAt: number; trace?: string }[] = [];
    const host = new ProcessingHost({
      registry: new OrchestrationRegistry([reminder]),
      store: w.store,
      sendPort: w.sendPort,
      workQueue: w.workQueue,
      clock: w.clock,
      lease: DEFAULT_LEASE,
      hostId: 'h',
      timers: {
        schedule: async (timer) => {
          scheduled.push(timer);
        },
      },
    });
    await w.receiver.receive([rawMessage({}, { MessageType: 'Remind' })]);
    await host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [id] = w.store.items.keys();
    const dueAt = w.clock.now() + 40 * 60_000;
    // With the instance's trace, for the work item the state machine sends.
    expect(scheduled).toEqual([
      { instanceId: id, timerId: `${id}-${dueAt}`, dueAt, trace: (await w.store.load(id!))!.trace },
    ]);
    expect(scheduled[0]!.trace).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(w.workQueue.items).toHaveLength(0);
    // The state machine puts the work item on the queue when due.
    w.clock.advance(40 * 60_000);
    await host.process({ instanceId: id!, reason: 'timer' }, { receiveCount: 1 });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Ring']);
  });

  it('arms one next hop, not two, when a timer hop is delivered again (its delete was lost)', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Remind' })]);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [id] = w.store.items.keys();
    const hop = w.workQueue.items.shift()!;
    w.clock.advance(15 * 60_000);
    // SQS delivers the hop a second time: one chain of hops goes on, not two.
    await w.host.process(hop, { receiveCount: 2 });
    expect(w.workQueue.items).toEqual([
      { instanceId: id, reason: 'timer', delaySeconds: 900, trace: (await w.store.load(id!))!.trace },
    ]);
  });

  it('ignores a stray work item before the timer is due', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Remind' })]);
    await w.host.process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [id] = w.store.items.keys();
    const before = (await w.store.load(id!))!.revision;
    await w.host.process({ instanceId: id!, reason: 'sweep' }, { receiveCount: 1 });
    expect((await w.store.load(id!))!.revision).toBe(before);
    expect(w.sendPort.sent).toHaveLength(0);
  });

  it("is re-armed by the sweeper when the host died between the commit and the timer's work item", async () => {
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Remind' })]);
    w.workQueue.enqueue = async () => {
      throw new Error('host killed');
    };
    await expect(
      w.host.process({ instanceId: [...w.store.items.keys()][0]!, reason: 'receive' }, { receiveCount: 1 }),
    ).rejects.toThrow('host killed');
    w.workQueue.enqueue = MemoryWorkQueue.prototype.enqueue.bind(w.workQueue);
    w.clock.advance(41 * 60_000);
    const found = await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: 30_000, lease: DEFAULT_LEASE },
    );
    expect(found).toHaveLength(1);
    await w.host.process(w.workQueue.items.at(-1)!, { receiveCount: 1 });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Ring']);
  });
});
