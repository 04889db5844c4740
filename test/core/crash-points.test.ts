import { describe, expect, it } from 'vitest';
import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import type { RawMessage } from '../../functions/core/message.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import type { WorkItem } from '../../functions/core/ports.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';
import { audit, everything } from '../fixtures/every-shape.ts';

/** Timers as a deployment would have them: the cool-off takes two SQS hops (no timer scheduler here). */
const everythingHere = everything({ approvalTimeoutMs: 3_600_000, settleMs: 5_000, coolOffMs: 20 * 60_000 });

type Crash = { kind: 'commit' | 'dispatch' | 'enqueue' | 'create' | 'deliver' | 'lock'; at: number };

/**
 * Drives one scenario to quiescence. With `crash`, the host dies at the n-th call of that kind (the call
 * does not happen); the work item it held comes back after its lease, to another host.
 */
async function drive(definitions: OrchestrationDefinition[], inputs: RawMessage[], crash?: Crash) {
  const w = createWorld(definitions);
  const calls = { commit: 0, dispatch: 0, enqueue: 0, create: 0, deliver: 0, lock: 0 };
  let crashed = false;
  const trap = (kind: Crash['kind']) => {
    calls[kind]++;
    if (crash && !crashed && crash.kind === kind && calls[kind] === crash.at) {
      crashed = true;
      throw new Error(`host killed before ${kind} #${crash.at}`);
    }
  };
  const { store, sendPort, workQueue } = w;
  const commit = store.commit.bind(store);
  store.commit = async (...args) => {
    trap('commit');
    return commit(...args);
  };
  const dispatch = sendPort.dispatch.bind(sendPort);
  sendPort.dispatch = async (entries) => {
    trap('dispatch');
    return dispatch(entries);
  };
  const enqueue = workQueue.enqueue.bind(workQueue);
  workQueue.enqueue = async (items) => {
    trap('enqueue');
    return enqueue(items);
  };
  // Instances created (activations, branches, starts) and inbox deliveries (convoys, branch reports).
  const create = store.create.bind(store);
  store.create = async (state) => {
    trap('create');
    return create(state);
  };
  const deliver = store.deliver.bind(store);
  store.deliver = async (...args) => {
    trap('deliver');
    return deliver(...args);
  };
  // A synchronized scope's lock, taken and freed (the fixture's parallel branches).
  const { acquireLock, releaseLock } = store;
  store.acquireLock = async (...args) => {
    trap('lock');
    return acquireLock.apply(store, args);
  };
  store.releaseLock = async (...args) => {
    trap('lock');
    return releaseLock.apply(store, args);
  };

  const receiveCounts = new Map<WorkItem, number>();
  let hostNumber = 0;
  for (const input of inputs) {
    // A receive that failed stays on the receive queue and comes back.
    for (let count = 1; (await w.receiver.receive([{ ...input, receiveCount: count }])).failures.size > 0; count++) {
      if (count > 5) throw new Error('receive keeps failing');
    }
    for (let guard = 0; guard < 500; guard++) {
      const ready = workQueue.items.findIndex((i) => !i.delaySeconds);
      let item: WorkItem;
      if (ready >= 0) item = workQueue.items.splice(ready, 1)[0]!;
      else if (workQueue.items.length > 0 && input === inputs.at(-1)) {
        // Only timers left: let time pass until the nearest fires.
        workQueue.items.sort((a, b) => a.delaySeconds! - b.delaySeconds!);
        item = workQueue.items.shift()!;
        w.clock.advance(item.delaySeconds! * 1000);
        workQueue.items.forEach(
          (i, n) =>
            (workQueue.items[n] = {
              ...i,
              delaySeconds: Math.max(0, i.delaySeconds! - item.delaySeconds!) || undefined,
            }),
        );
      } else break;
      const count = (receiveCounts.get(item) ?? 0) + 1;
      try {
        await w.host(`host-${hostNumber}`).process(item, { receiveCount: count });
      } catch (error) {
        if (!String(error).includes('host killed')) throw error;
        // The work item comes back after the lease (the visibility heartbeat stopped with the host).
        hostNumber++;
        w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
        receiveCounts.set(item, count);
        workQueue.items.unshift(item);
      }
    }
  }
  const byId = new Map<string, string>();
  for (const m of sendPort.sent) {
    const seen = byId.get(m.messageId);
    const content = `${m.messageType} ${JSON.stringify(m.body)}`;
    if (seen !== undefined) expect(seen, `message ${m.messageId} re-sent with other content`).toBe(content);
    byId.set(m.messageId, content);
  }
  const states = [...store.items.values()].map((v) => JSON.parse(v) as InstanceState);
  return {
    outputs: [...byId.entries()].sort(),
    // Every instance (the order's, its branches, the ones it started) and how it ended.
    statuses: states.map((s) => `${s.instanceId} ${s.status}`).sort(),
    status: states[0]!.status as string,
    calls,
    crashed,
  };
}

const order = (orderId: string, sku = 'A', unitPrice = 10) =>
  rawMessage({ orderId, customerId: 'c-1', lines: [{ sku, qty: 1, unitPrice }] }, { MessageType: 'Order' });
const message = (type: string, body: unknown) => rawMessage(body, { MessageType: type });

/**
 * The sample as deployed, with its timers shortened: a 20-minute approval timeout still takes two SQS hops;
 * the cancellation window outlasts the lease a crash costs (a crash after the window opened must not close it).
 */
const sample = () => sampleOrchestrations({ approvalTimeoutMs: 20 * 60_000, cancellationWindowMs: 60_000 });

const scenarios: [string, OrchestrationDefinition[], () => RawMessage[]][] = [
  [
    'every shape, approved',
    [everythingHere, audit],
    () => [message('Order', { orderId: 'o-1' }), message('Approval', { orderId: 'o-1', approved: true })],
  ],
  [
    'every shape, refused (compensation, terminate)',
    [everythingHere, audit],
    () => [message('Order', { orderId: 'o-2' }), message('Approval', { orderId: 'o-2', approved: false })],
  ],
  [
    'every shape, timed out (compensation, terminate)',
    [everythingHere, audit],
    () => [message('Order', { orderId: 'o-3' })],
  ],
  [
    'sample: large order approved',
    sample(),
    () => [order('s-1', 'GOLD', 20_000), message('Approval', { orderId: 's-1', approved: true })],
  ],
  ['sample: approval timeout', sample(), () => [order('s-2', 'GOLD', 20_000)]],
  [
    'sample: cancelled in the window (compensation)',
    sample(),
    () => [order('s-3'), message('Cancel', { orderId: 's-3' })],
  ],
  ['sample: out of stock (branch failure, compensation)', sample(), () => [order('s-4', 'OOS-9')]],
];

describe('crash at every persistence point and every effect', () => {
  let total = 0;
  for (const [name, definitions, inputs] of scenarios) {
    it(`${name}: every crash point gives the same outbound messages as the run without crash`, async () => {
      const messages = inputs();
      const baseline = await drive(definitions, messages);
      expect(['completed', 'terminated']).toContain(baseline.status);
      expect(baseline.outputs.length).toBeGreaterThan(0);
      let points = 0;
      for (const kind of ['commit', 'dispatch', 'enqueue', 'create', 'deliver', 'lock'] as const) {
        for (let at = 1; at <= baseline.calls[kind]; at++) {
          const run = await drive(definitions, messages, { kind, at });
          expect(run.crashed, `${kind} #${at}`).toBe(true);
          expect(run.statuses, `${kind} #${at}`).toEqual(baseline.statuses);
          expect(run.outputs, `${kind} #${at}`).toEqual(baseline.outputs);
          points++;
        }
      }
      expect(points).toBeGreaterThanOrEqual(5);
      total += points;
      const c = baseline.calls;
      console.log(
        `crash points covered (${name}): ${points} = ${c.commit} persistence points + ${c.dispatch} dispatches + ${c.enqueue} work-item enqueues + ${c.create} instance creations + ${c.deliver} inbox deliveries + ${c.lock} lock writes; ${baseline.outputs.length} outbound messages, ${baseline.statuses.length} instances`,
      );
    });
  }
  it('covered every scenario', () => {
    console.log(`crash points covered in all: ${total}`);
    expect(total).toBeGreaterThan(100);
  });
});
