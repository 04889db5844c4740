import { createWorld, settle } from '../helpers/world.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { OWNERSHIP } from '../../functions/settings.ts';
import { describe, expect, it } from 'vitest';
import { MAX_REASON_CHARS, OwnershipLost } from '../../functions/core/errors.ts';
import { InstanceStatus, type SendEntry } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { ProcessingHost } from '../../functions/core/processing-host.ts';
import { branch, code, complete, delay, orchestration, parallel, receive, send } from '../../functions/core/builder.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { rawMessage, validOrder } from '../helpers/orders.ts';

function world(definitions = [orderFulfilment()]) {
  return createWorld(definitions);
}

describe('ProcessingHost', () => {
  it('runs an Order to one Invoice with deterministic ids, one write a persistence point: its creation, its Invoice persisted, its end', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder('o-1'))]);
    let reads = 0;
    const load = w.store.load.bind(w.store);
    w.store.load = async (id) => {
      reads++;
      return load(id);
    };
    const outcome = await w.host('a').process(w.workQueue.items[0]!, { receiveCount: 1 });
    expect(reads).toBe(0); // the work item carried the new instance
    expect(outcome.result).toBe('done');
    expect(w.sendPort.sent).toHaveLength(1);
    const [invoice] = w.sendPort.sent;
    expect(invoice).toMatchObject({ messageType: 'Invoice', body: { orderId: 'o-1', customerId: 'c-1', total: 20.4 } });
    const state = await w.store.load(invoice!.instanceId);
    // The Invoice is persisted before the instance ends (a commit of its own, dispatched, then the end): an instance
    // that ended never still has something to send.
    expect(state).toMatchObject({ status: InstanceStatus.Completed, revision: 2, lastHost: 'a', outbox: [] });
    expect(state!.lease).toBeUndefined();
    expect(w.store.writes).toBe(3);
  });

  it("lets exactly one of two hosts racing on one instance commit; the loser sees the winner's result", async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder())]);
    const item = w.workQueue.items[0]!;
    let commitsTried = 0;
    const commit = w.store.commit.bind(w.store);
    w.store.commit = async (...args) => {
      commitsTried++;
      return commit(...args);
    };
    const results = await Promise.all([
      w.host('a').process(item, { receiveCount: 1 }),
      w.host('b').process(item, { receiveCount: 1 }),
    ]);
    // Both ran the step; the revision let one write through; the winner persisted its Invoice, then ended.
    expect(commitsTried).toBe(3);
    // The loser, looking again, finds the winner holding the lease between its two commits: it comes back later.
    expect(results.map((r) => r.detail).sort()).toEqual([
      'completed after 2 persistence point(s)',
      expect.stringMatching(/^leased by a\//),
    ]);
    expect(w.sendPort.sent).toHaveLength(1);
    expect((await w.store.load(item.instanceId))!.revision).toBe(2);
  });

  it('grants a contested lease to exactly one claimant', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder())]);
    const state = (await w.store.load(w.workQueue.items[0]!.instanceId))!;
    const now = w.clock.now();
    const claims = await Promise.allSettled([
      w.store.claim(state, { owner: 'a', expiresAt: now + 10_000 }, now),
      w.store.claim(state, { owner: 'b', expiresAt: now + 10_000 }, now),
    ]);
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    const stored = (await w.store.load(state.instanceId))!;
    expect(stored.revision).toBe(1);
  });

  it('fences a zombie: a host whose lease was taken over cannot commit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const tokens: number[] = [];
    const slow = orchestration('Slow', 1, [
      receive('start', 'Go', { into: 'go' }),
      code(
        'work',
        async (ctx) => {
          tokens.push(ctx.fencingToken!);
          // The first run (host "a") pauses here (GC, network partition...) while holding the lease.
          if (runs++ === 0) await gate;
        },
        { exclusive: true },
      ),
      send('out', 'send', 'Done', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = world([slow]);
    const zombieLease = { ...DEFAULT_LEASE, leaseMs: 60_000 };
    // Paused whole: its heartbeat does not run either.
    const paused = { now: w.clock.now, sleep: w.clock.sleep, after: () => () => {} };
    const zombie = new ProcessingHost({
      registry: w.registry,
      store: w.store,
      sendPort: w.sendPort,
      workQueue: w.workQueue,
      clock: paused,
      lease: zombieLease,
      hostId: 'a',
    });
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items[0]!;
    const zombieRun = zombie.process(item, { receiveCount: 1 });
    await vi_waitFor(async () => (await w.store.load(item.instanceId))!.lease?.owner.startsWith('a/') === true);

    // The lease expires (plus the tolerated skew) and host "b" takes the instance over.
    w.clock.advance(zombieLease.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    const takeover = await w.host('b').process(item, { receiveCount: 2 });
    expect(takeover).toMatchObject({ result: 'done' });
    expect((await w.store.load(item.instanceId))!).toMatchObject({ status: 'completed', lastHost: 'b', failovers: 1 });

    release();
    // The zombie's commit is refused; looking again, it finds the instance finished by "b".
    await expect(zombieRun).resolves.toMatchObject({ result: 'done', detail: 'instance is completed' });
    expect((await w.store.load(item.instanceId))!).toMatchObject({ lastHost: 'b' });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Done']);
    // Both ran the step; a system it writes to that keeps the highest token refuses the zombie's later use.
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBeGreaterThan(tokens[0]!);
  });

  it('claims the lease again before an exclusive step when dispatching the last commit outlasted it (path 4)', async () => {
    const tokens: string[] = [];
    const billing = orchestration('Billing', 1, [
      receive('start', 'Go', { into: 'go' }),
      send('ack', 'send', 'Ack', () => ({ ok: true })),
      code('prepare', () => {}, { persistAfter: true }),
      code(
        'charge',
        (ctx) => {
          tokens.push(`${ctx.fencingToken}`);
        },
        { exclusive: true },
      ),
      send('out', 'send', 'Charged', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = world([billing]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    let stalled = false;
    // Host "a" committed `prepare` keeping the lease, then its dispatch of Ack stalls (throttling, a frozen
    // container) past the lease and the tolerated skew; host "b" takes the instance over and charges.
    w.sendPort.beforeDispatch = async (entries) => {
      if (stalled || entries[0]?.messageType !== 'Ack') return;
      stalled = true;
      w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
      await expect(w.host('b').process(item, { receiveCount: 2 })).resolves.toMatchObject({ result: 'done' });
    };
    const first = await w.host('a').process(item, { receiveCount: 1 });
    expect(first).toMatchObject({ result: 'done', detail: 'instance is completed' });
    expect(tokens).toHaveLength(1); // "a" did not charge again under a lease that had run out
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Charged')).toHaveLength(1);
    expect((await w.store.load(item.instanceId))!).toMatchObject({ status: 'completed', lastHost: 'b' });
  });

  it('hands exclusive steps a fencing token that grows with each owner, none to other steps', async () => {
    const seen: { step: string; token: number | undefined }[] = [];
    const fenced = orchestration('Fenced', 1, [
      receive('start', 'Go', { into: 'go' }),
      code('pure', (ctx) => {
        seen.push({ step: 'pure', token: ctx.fencingToken });
      }),
      code(
        'charge',
        (ctx) => {
          seen.push({ step: 'charge', token: ctx.fencingToken });
        },
        { exclusive: true },
      ),
      code(
        'ship',
        (ctx) => {
          seen.push({ step: 'ship', token: ctx.fencingToken });
        },
        { exclusive: true },
      ),
      complete('end'),
    ]);
    const w = world([fenced]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    // `pure` runs again after the claim (its first run was not persisted): never with a token.
    expect(seen.filter((s) => s.step === 'pure').filter((s) => !(s.token === undefined))).toEqual([]);
    const exclusive = seen.filter((s) => s.step !== 'pure');
    expect(exclusive.map((s) => s.step)).toEqual(['charge', 'ship']);
    expect(exclusive.filter((s) => !(Number.isInteger(s.token) && s.token! >= 1))).toEqual([]);
  });

  it('keeps its own lease when a claim succeeded but its reply was lost, and runs the exclusive step once, now', async () => {
    let runs = 0;
    const guarded = orchestration('Guarded', 1, [
      receive('start', 'Go', { into: 'go' }),
      code(
        'charge',
        () => {
          runs++;
        },
        { exclusive: true },
      ),
      send('out', 'send', 'Charged', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = world([guarded]);
    let lost = false;
    // The claim is applied, its reply is lost, the SDK retries and the retry fails its condition.
    w.store.afterClaim = (next) => {
      if (lost) return;
      lost = true;
      throw new OwnershipLost(next.instanceId, next.revision - 1);
    };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const outcome = await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(outcome).toMatchObject({ result: 'done' });
    expect(outcome.result === 'done' && outcome.instance?.status).toBe('completed');
    expect(runs).toBe(1);
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Charged']);
  });

  it('re-dispatches the same message id after a crash between persist and dispatch', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder('o-crash'))]);
    const item = w.workQueue.items[0]!;
    w.sendPort.beforeDispatch = () => {
      throw new Error('host killed after commit');
    };
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    // Persisted before the end: still running, its Invoice in the outbox, due (the sweeper finds it if no item comes).
    const committed = (await w.store.load(item.instanceId))!;
    expect(committed.status).toBe('running');
    expect(committed.outbox).toHaveLength(1);
    expect(w.sendPort.sent).toHaveLength(0);

    w.sendPort.beforeDispatch = undefined;
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await w.host('b').process(item, { receiveCount: 2 });
    expect(w.sendPort.sent).toHaveLength(1);
    expect(w.sendPort.sent[0]!.messageId).toBe((committed.outbox[0] as SendEntry).messageId);
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
  });

  it('never ends an instance with something still to send: its sends are persisted first, and a host that dies before sending them leaves it running and due (found by the simulation)', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder('o-twice'))]);
    const item = w.workQueue.items.shift()!;
    w.sendPort.beforeDispatch = () => {
      throw new Error('host killed after its commit');
    };
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.sendPort.beforeDispatch = undefined;
    // Its work item may never come back (SQS gave a copy of it to another host, which deleted it): the instance is
    // still running, so the sweeper finds it once its lease is long past, and the Invoice goes out.
    w.workQueue.items.length = 0;
    expect((await w.store.load(item.instanceId))!).toMatchObject({
      status: 'running',
      outbox: [{ kind: 'send', messageType: 'Invoice' }],
    });
    w.clock.advance(OWNERSHIP.sweepStaleAfterMs + 120_000);
    await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
    );
    expect(w.workQueue.items.map((i) => i.reason)).toEqual(['sweep']);
    await w.host('b').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Invoice']);
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
  });

  it("sends once what a waiting instance's last commit may not have sent, when its redelivered item also runs it on", async () => {
    const waits = orchestration('Waits', 1, [
      receive('start', 'Go', { into: 'go' }),
      send('ack', 'send', 'Ack', () => ({})),
      delay('pause', { seconds: 1 }),
      send('done', 'send', 'Done', () => ({})),
      complete('end'),
    ]);
    const w = world([waits]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    // The host dehydrates it (Ack in its outbox, a timer set) and dies before it sends anything.
    w.sendPort.beforeDispatch = () => {
      throw new Error('host killed after its commit');
    };
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.sendPort.beforeDispatch = undefined;
    expect((await w.store.load(item.instanceId))!.status).toBe('waiting');
    // Its item comes back once the timer is due: it sends the Ack it may not have sent, and runs the instance on.
    w.clock.advance(2_000);
    await w.host('b').process(item, { receiveCount: 2 });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Ack', 'Done']);
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
  });

  it('recognises its own commit when the reply was lost and the retry failed its condition', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder('o-ambiguous'))]);
    // The write is applied, then the connection drops; the SDK's retry finds the revision moved on.
    w.store.afterCommit = (next) => {
      w.store.afterCommit = undefined;
      throw new OwnershipLost(next.instanceId, next.revision - 1);
    };
    const outcome = await w.host('a').process(w.workQueue.items[0]!, { receiveCount: 1 });
    expect(outcome.result).toBe('done');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Invoice']);
  });

  it('does not re-send for a duplicate work item of an instance that already completed', async () => {
    const w = world();
    const order = rawMessage(validOrder());
    await w.receiver.receive([order]);
    await w.host('a').process(w.workQueue.items[0]!, { receiveCount: 1 });
    await w.receiver.receive([order]); // the receive queue redelivers the order: a second work item
    expect(w.workQueue.items).toHaveLength(2);
    await w.host('b').process(w.workQueue.items[1]!, { receiveCount: 1 });
    expect(w.sendPort.sent).toHaveLength(1);
  });

  it('resumes from the last persistence point after a crash mid-step, with the same outbound ids', async () => {
    let crash = true;
    const twoSteps = orchestration('TwoSteps', 1, [
      receive('start', 'Go', { into: 'go' }),
      code(
        'first',
        (ctx) => {
          ctx.vars.first = Number(ctx.vars.first ?? 0) + 1;
        },
        { persistAfter: true },
      ),
      send('a', 'send', 'A', (ctx) => ({ first: ctx.vars.first })),
      code(
        'second',
        () => {
          if (crash) throw Object.assign(new Error('process killed'), { fatal: true });
        },
        { retry: { attempts: 1, backoffMs: 0 }, persistAfter: true },
      ),
      send('b', 'send', 'B', () => ({})),
      complete('end'),
    ]);
    const w = world([twoSteps]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items[0]!;
    // Kill the host inside "second": the commit of that run never happens.
    w.store.beforeCommit = (next) => {
      if (next.status === 'suspended') throw new Error('killed');
    };
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('killed');
    const persisted = (await w.store.load(item.instanceId))!;
    expect(persisted.vars.first).toBe(1);
    expect(persisted.cursor.threads[0]!.at).toBe('a');

    crash = false;
    w.store.beforeCommit = undefined;
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await w.host('b').process(item, { receiveCount: 2 });
    const done = (await w.store.load(item.instanceId))!;
    expect(done.status).toBe('completed');
    expect(done.vars.first).toBe(1); // "first" ran once: it was behind a persistence point
    const types = w.sendPort.sent.map((m) => m.messageType);
    expect(new Set(w.sendPort.sent.map((m) => m.messageId)).size).toBe(2);
    expect(types.filter((t) => t === 'B')).toHaveLength(1);
  });

  it('suspends an instance whose step keeps failing, with the error, and keeps its cursor there', async () => {
    const failing = orchestration('Failing', 1, [
      receive('start', 'Go', { into: 'go' }),
      code(
        'boom',
        () => {
          throw new TypeError('pricing service said no');
        },
        { retry: { attempts: 3, backoffMs: 10 } },
      ),
      complete('end'),
    ]);
    const w = world([failing]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const before = w.clock.now();
    await w.host('a').process(w.workQueue.items[0]!, { receiveCount: 1 });
    const state = (await w.store.load(w.workQueue.items[0]!.instanceId))!;
    expect(state.status).toBe('suspended');
    expect(state.error?.reason).toContain('step "boom" failed after 3 attempt(s): TypeError: pricing service said no');
    expect(state.cursor.threads[0]!.at).toBe('boom');
    expect(w.clock.now() - before).toBe(10 + 20); // backoff doubled between attempts
  });

  it('keeps of an error of any size what an instance item and its history can hold: the reason cut, saying how long it was', async () => {
    const huge = 'the pricing service answered: '.concat('x'.repeat(1_000_000));
    const failing = orchestration('FailingLoudly', 1, [
      receive('start', 'Go', { into: 'go' }),
      code('boom', () => {
        throw new Error(huge);
      }),
      complete('end'),
    ]);
    const w = world([failing]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items[0]!;
    await w.host('a').process(item, { receiveCount: 1 });
    const state = (await w.store.load(item.instanceId))!;
    expect(state.status).toBe('suspended');
    expect(state.error!.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(state.error!.reason).toMatch(
      /^step "boom" failed after 3 attempt\(s\): Error: the pricing service answered: x+ … \[cut: \d+ characters in all\]$/,
    );
    // Suspended by the handler past its redeliveries, with the same error: bounded too.
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await w.host('a').resume(item.instanceId);
    await w.host('b').suspend(item, `work item failed 9 times: Error: ${huge}`);
    expect((await w.store.load(item.instanceId))!.error!.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    // And a termination, whatever the operator wrote.
    const terminated = await w.host('b').terminate(item.instanceId, huge);
    expect(terminated.error!.reason).toMatch(
      /^terminated: the pricing service answered: x+ … \[cut: \d+ characters in all\]$/,
    );
    expect(terminated.error!.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
  });

  it('suspends an instance whose work item keeps failing without dropping effects not yet dispatched', async () => {
    const twoSteps = orchestration('Checkpointed', 1, [
      receive('start', 'Go', { into: 'go' }),
      send('a', 'send', 'A', () => ({})),
      code('first', () => {}, { persistAfter: true }),
      complete('end'),
    ]);
    const w = world([twoSteps]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items[0]!;
    w.sendPort.beforeDispatch = () => {
      throw new Error('SQS unavailable');
    };
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('SQS unavailable');
    // Many redeliveries later, host a's lease from the checkpoint has long expired.
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await w.host('b').suspend(item, 'work item failed 9 times: SQS unavailable');
    const suspended = (await w.store.load(item.instanceId))!;
    expect(suspended.status).toBe('suspended');
    expect(suspended.outbox.map((e) => (e as SendEntry).messageType)).toEqual(['A']);
  });

  it('suspends an instance whose runs never end (a step that hangs or outlives the host), counting runs on the instance (path 7)', async () => {
    let hang = true;
    let runs = 0;
    const stuck = orchestration('Stuck', 1, [
      receive('start', 'Go', { into: 'go' }),
      // A run that never returns stands for a host that timed out or ran out of memory mid-step: no catch runs.
      code('parse', () => {
        runs++;
        return hang ? new Promise<void>(() => {}) : undefined;
      }),
      send('out', 'send', 'Parsed', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = world([stuck]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    void w.host('a').process(item, { receiveCount: 1 });
    // Redeliveries of its work item, and the sweeper's new items once one went to the DLQ, all count.
    const deliveries = [2, 3, 1, 2, 3].map((receiveCount, n) => ({
      item: { ...item, reason: n === 2 ? 'sweep' : item.reason },
      receiveCount,
    }));
    for (const { item: next, receiveCount } of deliveries) void w.host('a').process(next, { receiveCount });
    await vi_waitFor(async () => runs === 6);
    const outcome = await w.host('b').process(item, { receiveCount: 4 });
    expect(outcome).toMatchObject({ result: 'done', instance: { status: 'suspended' } });
    const state = (await w.store.load(item.instanceId))!;
    expect(state.error?.reason).toMatch(/no persistence point after 5 runs from revision 0 \(at "parse"\)/);
    expect(runs).toBe(6); // the sixth redelivery did not run the step again
    hang = false;
    await w.host('a').resume(item.instanceId);
    expect(await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 })).toMatchObject({
      instance: { status: 'completed' },
    });
    expect((await w.store.load(item.instanceId))!.attempts).toBeUndefined();
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Parsed']);
  });

  it('suspends a waiting instance whose fork keeps failing, and resume forks it (path 6)', async () => {
    const forking = orchestration('Forking', 1, [
      receive('start', 'Go', { into: 'go' }),
      parallel('both', [branch('left', [code('l', () => {})]), branch('right', [code('r', () => {})])]),
      send('out', 'send', 'Joined', () => ({ ok: true })),
      complete('end'),
    ]);
    const w = world([forking]);
    const create = w.store.create.bind(w.store);
    let broken = true;
    w.store.create = async (state) => {
      if (broken && state.branchOf) throw new Error('ValidationException: item too large');
      return create(state);
    };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow(/item too large/);
    await expect(w.host('a').process(item, { receiveCount: 2 })).rejects.toThrow(/item too large/);
    expect((await w.store.load(item.instanceId))!.status).toBe('waiting');
    await expect(w.host('a').suspend(item, 'work item failed 9 times: item too large')).resolves.toMatchObject({
      instance: { status: 'suspended' },
    });
    broken = false;
    await w.host('a').resume(item.instanceId);
    await settle(w);
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Joined']);
  });

  it('suspends an instance whose last send keeps failing, and resume sends it, then it ends (path 6)', async () => {
    const w = world();
    let down = true;
    w.sendPort.beforeDispatch = () => {
      if (down) throw new Error('send queue: message too large');
    };
    await w.receiver.receive([rawMessage(validOrder('o-6'))]);
    const item = w.workQueue.items.shift()!;
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow(/too large/);
    // Persisted before its end, the Invoice keeps the instance running until it went out.
    expect((await w.store.load(item.instanceId))!.status).toBe('running');
    // The failing run enqueued a work item of its own to finish the commit's duties; it fails the same way.
    expect(w.workQueue.items.splice(0).map((i) => i.reason)).toEqual(['finish']);
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await expect(w.host('a').suspend(item, 'work item failed 9 times: message too large')).resolves.toMatchObject({
      instance: { status: 'suspended' },
    });
    await expect(w.host('a').resume(item.instanceId)).rejects.toThrow(/too large/); // still failing: stays suspended
    expect((await w.store.load(item.instanceId))!.status).toBe('suspended');
    down = false;
    await expect(w.host('a').resume(item.instanceId)).resolves.toMatchObject({ status: 'running' });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Invoice']);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(item.instanceId))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Invoice']);
  });

  it('backs off while another host holds a live lease', async () => {
    const w = world();
    await w.receiver.receive([rawMessage(validOrder())]);
    const state = (await w.store.load(w.workQueue.items[0]!.instanceId))!;
    await w.store.claim(state, { owner: 'a', expiresAt: w.clock.now() + 5_000 }, w.clock.now());
    const outcome = await w.host('b').process(w.workQueue.items[0]!, { receiveCount: 1 });
    expect(outcome).toMatchObject({ result: 'retry', retryAfterMs: 5_000 + DEFAULT_LEASE.maxClockSkewMs });
    expect(w.sendPort.sent).toHaveLength(0);
  });
});

async function vi_waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never held');
}
