import { describe, expect, it } from 'vitest';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { code, complete, orchestration, receive, send } from '../../functions/core/builder.ts';
import { DefinitionCodeFailed, PayloadMissing } from '../../functions/core/errors.ts';
import { ProcessingHost } from '../../functions/core/processing-host.ts';
import { handleWorkItem, type Handled } from '../../functions/core/work-items.ts';
import type { WorkItem } from '../../functions/core/ports.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

/** A processing host on real time, with a lease no other host takes over, over the world's in-memory MessageBox. */
const realTimeHost = (w: ReturnType<typeof createWorld>) =>
  new ProcessingHost({
    registry: w.registry,
    store: w.store,
    sendPort: w.sendPort,
    workQueue: w.workQueue,
    clock: systemClock,
    lease: { leaseMs: 10_000, maxClockSkewMs: 0 },
    hostId: 'h',
  });

/** The engine's retry policy (core/work-items.ts), on real hosts over the in-memory MessageBox. */
describe('the work-item policy', () => {
  it('takes over an exclusive step that hangs while its heartbeat runs, counts each run, and suspends the instance (issue 22, path 3)', async () => {
    let runs = 0;
    const hung = orchestration('Hung', 1, [
      receive('start', 'Go', { into: 'go' }),
      // An exclusive call that never returns, in a process that lives on: its heartbeat keeps renewing the lease.
      code(
        'call',
        () => {
          runs++;
          return new Promise<void>(() => {});
        },
        { exclusive: true },
      ),
      send('out', 'send', 'Done', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = createWorld([hung]);
    // Real time, short: a lease of 150 ms, renewed every 50 ms; a run keeps it for at most 400 ms.
    const lease = { leaseMs: 150, maxClockSkewMs: 0 };
    const host = (hostId: string) =>
      new ProcessingHost({
        registry: w.registry,
        store: w.store,
        sendPort: w.sendPort,
        workQueue: w.workQueue,
        clock: systemClock,
        lease,
        hostId,
        runTimeLimitMs: 400,
      });
    const policy = { workQueue: w.workQueue, suspendAtReceive: 9 };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const first = w.workQueue.items.shift()!;
    void handleWorkItem(host('a'), first, { receiveCount: 1 }, policy);

    // Its work item comes back (the hung run never acknowledged it), then as busy retries: new items, each delivered once.
    const pending: WorkItem[] = [{ ...first, state: undefined }];
    const outcomes: Handled[] = [];
    const deadline = Date.now() + 15_000;
    let redelivered = false;
    while (Date.now() < deadline && (await w.store.load(first.instanceId))!.status !== 'suspended') {
      await new Promise((resolve) => setTimeout(resolve, 60));
      pending.push(...w.workQueue.items.splice(0).map((item) => ({ ...item, delaySeconds: undefined })));
      const item = pending.shift();
      if (!item) continue;
      const receiveCount = redelivered ? 1 : 2;
      redelivered = true;
      // A run that takes over hangs as well: it is left running, as a process that lives on would.
      const handled = handleWorkItem(host(`b${outcomes.length}`), item, { receiveCount }, policy);
      const settled = await Promise.race([
        handled,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20)),
      ]);
      if (settled) outcomes.push(settled);
      else pending.push(item);
    }

    const state = (await w.store.load(first.instanceId))!;
    expect(state.status).toBe('suspended');
    expect(state.error?.reason).toMatch(/no persistence point after 5 runs from revision \d+ \(at "call"\)/);
    // The first run and the five takeovers counted before the sixth suspended it; nothing went out.
    expect(runs).toBe(6);
    expect(w.sendPort.sent).toEqual([]);
    expect(outcomes).toContainEqual(expect.objectContaining({ requeued: expect.anything() }));
  }, 20_000);

  it('suspends an instance whose work keeps failing, but not for an outage: at its last delivery that item comes back delayed, and the instance runs once the outage is over', async () => {
    const orders = orchestration('Orders', 1, [
      receive('start', 'Go', { into: 'go' }),
      send('out', 'send', 'Done', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = createWorld([orders]);
    const host = realTimeHost(w);
    const policy = { workQueue: w.workQueue, suspendAtReceive: 9 };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    // The MessageBox out of reach, as the SDK says it (a 503 it may retry).
    const load = w.store.load.bind(w.store);
    const outage = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
      $retryable: {},
    });
    w.store.load = async () => {
      throw outage;
    };
    expect(await handleWorkItem(host, item, { receiveCount: 8 }, policy)).toMatchObject({ ack: false });
    const last = await handleWorkItem(host, item, { receiveCount: 9 }, policy);
    expect(last).toMatchObject({
      ack: true,
      requeued: { instanceId: item.instanceId, redelivery: true, delaySeconds: expect.any(Number) },
    });
    expect(w.workQueue.items).toHaveLength(1);
    w.store.load = load;
    expect((await w.store.load(item.instanceId))!.status).toBe('running');
    // Past the outage, the copy runs it to its end.
    await handleWorkItem(host, w.workQueue.items.shift()!, { receiveCount: 1 }, policy);
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
    expect(w.sendPort.sent).toHaveLength(1);

    // What is not an outage (a bug, a refused write) still suspends the instance at its last delivery.
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const other = w.workQueue.items.shift()!;
    // The run's load is refused; the suspension's own load goes through.
    w.store.load = async (id) => {
      w.store.load = load;
      void id;
      throw Object.assign(new Error('One or more parameter values were invalid'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    };
    const broken = await handleWorkItem(host, other, { receiveCount: 9 }, policy);
    w.store.load = load;
    expect(broken).toMatchObject({ ack: true, suspended: expect.stringContaining('ValidationException') });
    expect((await w.store.load(other.instanceId))!.status).toBe('suspended');
  });

  it('suspends at its first delivery an instance whose work fails with an error that says it would fail again as it is', async () => {
    const orders = orchestration('Orders', 1, [receive('start', 'Go', { into: 'go' }), complete('end')]);
    const w = createWorld([orders]);
    const host = realTimeHost(w);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    // Without the state it was enqueued with: the run reads it.
    const item = { ...w.workQueue.items.shift()!, state: undefined };
    const policy = { workQueue: w.workQueue, suspendAtReceive: 9 };
    const load = w.store.load.bind(w.store);
    const failOnce = (error: Error) => {
      w.store.load = async () => {
        w.store.load = load;
        throw error;
      };
    };
    // An object missing once (a race with a commit and tracking's clean-up): no remedy of its own, so retried.
    failOnce(new PayloadMissing(`state/${item.instanceId}/0/abc`));
    expect(await handleWorkItem(host, item, { receiveCount: 1 }, policy)).toMatchObject({ ack: false });
    expect((await w.store.load(item.instanceId))!.status).toBe('running');
    // What says it would fail again as it is: suspended at once, not after eight more deliveries.
    failOnce(new DefinitionCodeFailed("the order's total threw: TypeError: x is undefined", 'start'));
    const handled = await handleWorkItem(host, item, { receiveCount: 2 }, policy);
    expect(handled).toMatchObject({ ack: true, suspended: expect.stringContaining('DefinitionCodeFailed') });
    expect((await w.store.load(item.instanceId))!.error?.reason).toContain("the order's total threw");
    expect(w.workQueue.items).toEqual([]);
  });

  it("brings a busy redelivered item back standing for a redelivery, which sends what an earlier version's finishing commit may not have (found by the simulation)", async () => {
    const w = createWorld([
      orchestration('Charge', 1, [
        receive('request', 'ChargeRequest', { into: 'request' }),
        send('charged', 'send', 'Charged', () => ({ ok: true })),
        complete('done'),
      ]),
    ]);
    const policy = { workQueue: w.workQueue, suspendAtReceive: 9 };
    await w.receiver.receive([rawMessage({}, { MessageType: 'ChargeRequest' })]);
    const item = w.workQueue.items.shift()!;
    const state = (await w.store.load(item.instanceId))!;
    // Host a holds the lease; SQS gives host b a copy of the item it holds (received twice).
    await w.store.claim(state, { owner: 'a/1', expiresAt: w.clock.now() + 10_000 }, w.clock.now());
    const busy = await handleWorkItem(w.host('b'), { ...item, state: undefined }, { receiveCount: 2 }, policy);
    // b acknowledges its copy (SQS deletes the item host a holds) and enqueues a delayed one that stands for it.
    expect(busy).toMatchObject({ ack: true, requeued: { reason: 'receive', redelivery: true } });
    // Host a, of a version that ended an instance with its sends in the same commit, commits that and dies.
    const claimed = (await w.store.load(item.instanceId))!;
    const charged = {
      kind: 'send' as const,
      messageId: 'm-charged',
      port: 'send',
      messageType: 'Charged',
      body: { ok: true },
      instanceId: item.instanceId,
      correlationId: 'c',
    };
    await w.store.commit(
      { ...claimed, status: 'completed', outbox: [charged], revision: claimed.revision + 1, lease: undefined },
      claimed.revision,
      'a/1',
      w.clock.now(),
    );
    // What b enqueued sends it, as the item a held would have, had it come back.
    await handleWorkItem(
      w.host('c'),
      { ...w.workQueue.items.shift()!, delaySeconds: undefined },
      { receiveCount: 1 },
      policy,
    );
    expect(w.sendPort.sent.map((m) => m.messageId)).toEqual(['m-charged']);
  });
});
