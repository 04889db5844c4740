import { createWorld, settle } from '../helpers/world.ts';
import { ProcessingHost } from '../../functions/core/processing-host.ts';
import { ReceiveHost } from '../../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { describe, expect, it } from 'vitest';
import {
  code,
  complete,
  orchestration,
  receive,
  receiveCorrelated,
  send,
  start,
} from '../../functions/core/builder.ts';
import { InvalidTransition, OwnershipLost, UnknownOrchestration } from '../../functions/core/errors.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { rawMessage } from '../helpers/orders.ts';

let pricingUp = false;
const flaky = orchestration('Flaky', 1, [
  receive('start', 'Go', { into: 'go' }),
  code(
    'callPricing',
    () => {
      if (!pricingUp) throw new Error('pricing service down');
    },
    { retry: { attempts: 2, backoffMs: 1 } },
  ),
  send('out', 'send', 'Priced', () => ({ ok: true })),
  complete('done'),
]);

function world(definitions = [flaky]) {
  return createWorld(definitions);
}

describe('suspend, resume, terminate', () => {
  it('resumes a suspended instance from its failed step, once the cause is fixed', async () => {
    pricingUp = false;
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [id] = w.store.items.keys();
    expect((await w.store.load(id!))!.status).toBe('suspended');
    await expect(w.host().resume(id!)).resolves.toMatchObject({ status: 'running' });
    await expect(w.host().resume(id!)).rejects.toBeInstanceOf(InvalidTransition);

    pricingUp = true;
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(id!))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Priced']);
  });

  it('terminates an instance, but not under a live lease of another host', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const [id] = w.store.items.keys();
    const state = (await w.store.load(id!))!;
    await w.store.claim(state, { owner: 'busy-host', expiresAt: w.clock.now() + 5_000 }, w.clock.now());
    await expect(w.host('admin').terminate(id!, 'operator')).rejects.toBeInstanceOf(OwnershipLost);
    w.clock.advance(5_000 + DEFAULT_LEASE.maxClockSkewMs + 1);
    await expect(w.host('admin').terminate(id!, 'operator')).resolves.toMatchObject({ status: 'terminated' });
    // A work item still in flight finds it terminated and sends nothing.
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(w.sendPort.sent).toHaveLength(0);
  });
});

describe('resume and terminate by a host without the definitions (an operator not given the module)', () => {
  it('terminates an instance that waits at no join, and keeps the messages it did not take as suspended messages', async () => {
    const convoy = orchestration(
      'Convoy',
      1,
      [
        receive('r', 'Open', { into: 'open', correlation: 'k' }),
        receiveCorrelated('b', 'B', { into: 'b', correlation: 'k' }),
        receiveCorrelated('c', 'C', { into: 'c', correlation: 'k' }),
        complete('done'),
      ],
      { correlationSets: { k: { Open: () => 'k-1', B: () => 'k-1', C: () => 'k-1' } } },
    );
    const w = world([convoy]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Open' })]);
    await settle(w);
    // C arrives before B: it waits in the inbox.
    await w.receiver.receive([rawMessage({}, { MessageType: 'C' }, 'm-early-c')]);
    await settle(w);
    const [id] = w.store.items.keys();
    expect((await w.store.load(id!))!.status).toBe('waiting');
    const ended = await w
      .host('console:ada', { registry: new OrchestrationRegistry([]) })
      .terminate(id!, 'closed by hand');
    expect(ended.status).toBe('terminated');
    expect(w.store.suspended.get('m-early-c')?.reason).toContain(
      `delivered to ${id} (Convoy version 1), which ended terminated without taking it`,
    );
  });

  it('refuses to resume an instance whose effects start an orchestration it does not know, before sending anything', async () => {
    let targetUp = false;
    const target = orchestration('Target', 1, [
      receive('r', 'Work', { into: 'work' }),
      send('s', 'send', 'Worked', () => ({})),
      complete('done'),
    ]);
    const starter = orchestration('Starter', 1, [
      receive('r', 'Kick', { into: 'kick' }),
      send('told', 'send', 'Kicked', () => ({})),
      start('startTarget', 'Target', () => ({})),
      code(
        'after',
        () => {
          if (!targetUp) throw new Error('not yet');
        },
        { retry: { attempts: 1, backoffMs: 0 } },
      ),
      complete('done'),
    ]);
    const w = world([starter, target]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Kick' })]);
    await settle(w);
    const suspended = [...w.store.items.values()]
      .map(
        (v) =>
          JSON.parse(v) as { instanceId: string; orchestration: string; status: string; outbox: { kind: string }[] },
      )
      .find((s) => s.orchestration === 'Starter')!;
    expect(suspended.status).toBe('suspended');
    expect(suspended.outbox.map((e) => e.kind)).toEqual(['send', 'start']);
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Kicked', 'Worked']);

    const refused = w.host('console:ada', { registry: new OrchestrationRegistry([]) }).resume(suspended.instanceId);
    await expect(refused).rejects.toBeInstanceOf(UnknownOrchestration);
    await expect(refused).rejects.toThrow(
      `cannot resume instance ${suspended.instanceId}: its last effects start orchestration Target, which is not known to console:ada`,
    );
    expect((await w.store.load(suspended.instanceId))!.status).toBe('suspended');
    expect(w.sendPort.sent).toHaveLength(2);

    targetUp = true;
    await expect(w.host('console:ada').resume(suspended.instanceId)).resolves.toMatchObject({ status: 'running' });
    await settle(w);
    expect((await w.store.load(suspended.instanceId))!.status).toBe('completed');
    // The start went out again under the same message id: the same Target instance, which does not run twice.
    expect(w.sendPort.sent.map((m) => m.messageType).filter((t) => t === 'Worked')).toEqual(['Worked']);
  });
});

describe('versioning', () => {
  it('keeps running instances on the version they started with while new ones take the newest', async () => {
    const v1 = orchestration('Greeter', 1, [
      receive('r', 'Hi', { into: 'hi' }),
      code('wait', () => {}, { persistAfter: true }),
      send('s', 'send', 'HelloV1', () => ({})),
      complete('e'),
    ]);
    const v2 = orchestration('Greeter', 2, [
      receive('r', 'Hi', { into: 'hi' }),
      code('wait', () => {}, { persistAfter: true }),
      send('s', 'send', 'HelloV2', () => ({})),
      complete('e'),
    ]);
    const before = world([v1]);
    await before.receiver.receive([rawMessage({}, { MessageType: 'Hi' })]);
    // Deploy v2 side by side, on the same MessageBox: new hosts know both versions.
    const registry = new OrchestrationRegistry([v1, v2]);
    const after = {
      ...before,
      receiver: new ReceiveHost({
        registry,
        store: before.store,
        workQueue: before.workQueue,
        clock: before.clock,
        source: 'receive',
      }),
    };
    await after.receiver.receive([rawMessage({}, { MessageType: 'Hi' })]);
    const host = new ProcessingHost({
      registry,
      store: before.store,
      sendPort: before.sendPort,
      workQueue: before.workQueue,
      clock: before.clock,
      lease: DEFAULT_LEASE,
      hostId: 'v2-host',
    });
    while (before.workQueue.items.length) await host.process(before.workQueue.items.shift()!, { receiveCount: 1 });
    expect(before.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['HelloV1', 'HelloV2']);
    const versions = [...before.store.items.values()].map((v) => JSON.parse(v).version).sort();
    expect(versions).toEqual([1, 2]);
  });
});
