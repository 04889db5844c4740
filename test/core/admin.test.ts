import { createWorld } from '../helpers/world.ts';
import { ProcessingHost } from '../../functions/core/processing-host.ts';
import { ReceiveHost } from '../../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { describe, expect, it } from 'vitest';
import { code, complete, orchestration, receive, send } from '../../functions/core/builder.ts';
import { InvalidTransition, OwnershipLost } from '../../functions/core/errors.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { rawMessage } from '../helpers/orders.ts';

let pricingUp = false;
const flaky = orchestration('Flaky', 1, [
  receive('start', 'Go', { into: 'go' }),
  code('callPricing', () => { if (!pricingUp) throw new Error('pricing service down'); }, { retry: { attempts: 2, backoffMs: 1 } }),
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

describe('versioning', () => {
  it('keeps running instances on the version they started with while new ones take the newest', async () => {
    const v1 = orchestration('Greeter', 1, [receive('r', 'Hi', { into: 'hi' }), code('wait', () => {}, { persistAfter: true }), send('s', 'send', 'HelloV1', () => ({})), complete('e')]);
    const v2 = orchestration('Greeter', 2, [receive('r', 'Hi', { into: 'hi' }), code('wait', () => {}, { persistAfter: true }), send('s', 'send', 'HelloV2', () => ({})), complete('e')]);
    const before = world([v1]);
    await before.receiver.receive([rawMessage({}, { MessageType: 'Hi' })]);
    // Deploy v2 side by side, on the same MessageBox: new hosts know both versions.
    const registry = new OrchestrationRegistry([v1, v2]);
    const after = { ...before, receiver: new ReceiveHost({ registry, store: before.store, workQueue: before.workQueue, clock: before.clock, source: 'receive' }) };
    await after.receiver.receive([rawMessage({}, { MessageType: 'Hi' })]);
    const host = new ProcessingHost({ registry, store: before.store, sendPort: before.sendPort, workQueue: before.workQueue, clock: before.clock, lease: DEFAULT_LEASE, hostId: 'v2-host' });
    while (before.workQueue.items.length) await host.process(before.workQueue.items.shift()!, { receiveCount: 1 });
    expect(before.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['HelloV1', 'HelloV2']);
    const versions = [...before.store.items.values()].map((v) => JSON.parse(v).version).sort();
    expect(versions).toEqual([1, 2]);
  });
});
