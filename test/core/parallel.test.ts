import { MESSAGEBOX } from '../../functions/settings.ts';
import { describe, expect, it } from 'vitest';
import {
  branch,
  call,
  callable,
  code,
  compensate,
  complete,
  delay,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
  start,
  terminate,
} from '../../functions/core/builder.ts';
import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import { DefinitionError, UnknownOrchestration } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { rawMessage } from '../helpers/orders.ts';

const out = (id: string, type: string, body: (ctx: { vars: Record<string, unknown> }) => unknown = () => ({})) =>
  send(id, 'send', type, body);
const fails = (id: string, when: () => boolean = () => true) =>
  code(
    id,
    () => {
      if (when()) throw new Error(`${id} is down`);
    },
    { retry: { attempts: 1, backoffMs: 0 } },
  );

const twoBranches = orchestration('Fork', 1, [
  receive('r', 'Go', { into: 'go' }),
  code('init', (ctx) => {
    ctx.vars.shared = 'before';
    ctx.vars.untouched = 1;
  }),
  parallel('both', [
    branch('left', [
      code('l', (ctx) => {
        ctx.vars.left = 'L';
      }),
      out('sendLeft', 'Left'),
    ]),
    branch('right', [
      code('r2', (ctx) => {
        ctx.vars.right = 'R';
        ctx.vars.shared = 'right';
      }),
      out('sendRight', 'Right'),
    ]),
  ]),
  out('joined', 'Joined', (ctx) => ({
    left: ctx.vars.left,
    right: ctx.vars.right,
    shared: ctx.vars.shared,
    untouched: ctx.vars.untouched,
  })),
  complete('done'),
]);

/** Seeded shuffle, so a failing interleaving can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let s = seed;
  const random = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return items
    .map((item) => ({ item, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

/**
 * Runs the world to quiescence, handling every ready work item of a round at the same moment on a host
 * of its own (several machines at once), in a seeded random order.
 */
async function drainConcurrently(w: ReturnType<typeof createWorld>, seed = 1) {
  for (let round = 0; w.workQueue.items.length > 0; round++) {
    if (round > 50) throw new Error('does not settle');
    const items = shuffled(w.workQueue.items.splice(0), seed + round);
    await Promise.all(items.map((item, n) => w.host(`host-${n}`).process(item, { receiveCount: 1 })));
  }
}

function states(w: ReturnType<typeof createWorld>): InstanceState[] {
  return [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
}

/** A world where `twoBranches` was started and forked: its branch instances' work items, not yet handled. */
async function forked() {
  const w = createWorld([twoBranches]);
  await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
  await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
  return { w, forks: w.workQueue.items.splice(0) };
}

async function runOne(definitions: OrchestrationDefinition[], seed = 1, type = 'Go') {
  const w = createWorld(definitions);
  await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: type })]);
  await drainConcurrently(w, seed);
  const main = states(w).find((s) => !s.branchOf)!;
  return { w, main, sent: w.sendPort.sent.map((m) => m.messageType) };
}

describe('Parallel Actions', () => {
  it('runs each branch as its own instance, on two hosts at once, and joins exactly once', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { w, main, sent } = await runOne([twoBranches], seed);
      expect(main.status, `seed ${seed}`).toBe('completed');
      expect(
        sent.filter((t) => t === 'Joined'),
        `seed ${seed}`,
      ).toHaveLength(1);
      expect([...sent].sort(), `seed ${seed}`).toEqual(['Joined', 'Left', 'Right']);
      const branches = states(w).filter((s) => s.branchOf);
      expect(branches.map((b) => b.branchOf!.branch).sort()).toEqual(['left', 'right']);
      // Each branch had its own persistence points, guarded by its own revision.
      for (const b of branches) expect(b.revision).toBeGreaterThanOrEqual(1);
      const joined = w.sendPort.sent.find((m) => m.messageType === 'Joined')!;
      // Changes made by each branch are kept; the one variable both saw unchanged stays.
      expect(joined.body).toEqual({ left: 'L', right: 'R', shared: 'right', untouched: 1 });
    }
  });

  it('keeps a branch that ended from expiring until its slowest sibling ended and the join read it (path 1)', async () => {
    const slowAndFast = orchestration('SlowFast', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [
        branch('fast', [
          code('f', (ctx) => {
            ctx.vars.fast = 'done';
          }),
        ]),
        branch('slow', [
          delay('wait', { hours: 8 * 24 }),
          code('s', (ctx) => {
            ctx.vars.slow = 'done';
          }),
        ]),
      ]),
      out('joined', 'Joined', (ctx) => ({ fast: ctx.vars.fast, slow: ctx.vars.slow })),
      complete('done'),
    ]);
    const w = createWorld([slowAndFast]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(w);
    const fast = states(w).find((s) => s.branchOf?.branch === 'fast')!;
    expect(fast.status).toBe('completed');
    // It expires like any finished instance, seven days on: before its sibling ends, eight days on.
    const firstExpiry = w.store.expiresAt(fast.instanceId)!;
    expect(firstExpiry).toBeLessThan(w.clock.now() + 8 * 86_400_000);
    // Eight days of 15-minute timer hops later, with the sweeper running: the join it wakes while it waits gives the
    // fast branch a fresh retention each time, so it is there when the slow one ends and the join runs.
    await settle(w, { timers: true, sweeper: true, maxRounds: 2_000 });
    expect(w.sendPort.sent.find((m) => m.messageType === 'Joined')!.body).toEqual({ fast: 'done', slow: 'done' });
    expect(w.store.retired.get(fast.instanceId)).toBeGreaterThan(firstExpiry - 7 * 86_400_000);
  });

  it('loses a branch that ended to its expiry when nothing watches the join (what the sweeper is for)', async () => {
    const slowAndFast = orchestration('SlowFastUnwatched', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('fast', [code('f', () => {})]), branch('slow', [delay('wait', { hours: 8 * 24 })])]),
      complete('done'),
    ]);
    const w = createWorld([slowAndFast]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(w, { timers: true, maxRounds: 2_000 });
    const main = states(w).find((s) => !s.branchOf)!;
    expect(main.status).toBe('waiting');
    expect(states(w).some((s) => s.branchOf?.branch === 'fast')).toBe(false);
  });

  it('keeps the join exactly once when both branch reports wake the orchestration on two hosts at the same moment', async () => {
    const w = createWorld([twoBranches]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    expect(forks.map((i) => i.reason)).toEqual(['fork', 'fork']);
    await Promise.all(forks.map((item, n) => w.host(`b${n}`).process(item, { receiveCount: 1 })));
    const wakeUps = w.workQueue.items.splice(0);
    expect(wakeUps.map((i) => i.reason)).toEqual(['join', 'join']);
    // Both hosts load the orchestration, both see both reports, both run the join: one commit wins.
    await Promise.all(wakeUps.map((item, n) => w.host(`c${n}`).process(item, { receiveCount: 1 })));
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Joined')).toHaveLength(1);
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('completed');
  });

  it('is woken by the last branch to end, once: a branch that ends before its sibling sends nothing, and one host sends a join one wake-up', async () => {
    const {
      w,
      forks: [first, second],
    } = await forked();
    await w.host('b').process(first!, { receiveCount: 1 });
    expect(w.workQueue.items).toEqual([]);
    await w.host('b').process(second!, { receiveCount: 1 });
    expect(w.workQueue.items.map((i) => i.reason)).toEqual(['join']);
    await settle(w);
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('completed');

    // Both ending at once on one host: both see both ended, one wake-up goes out.
    const again = createWorld([twoBranches]);
    await again.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await again.host('a').process(again.workQueue.items.shift()!, { receiveCount: 1 });
    const host = again.host('b');
    await Promise.all(again.workQueue.items.splice(0).map((item) => host.process(item, { receiveCount: 1 })));
    expect(again.workQueue.items.map((i) => i.reason)).toEqual(['join']);
  });

  it('holds a large bound message once at the fork, not once more per branch, and starts each branch with it', async () => {
    const three = orchestration('ForkLarge', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel(
        'all',
        ['a', 'b', 'c'].map((name) =>
          branch(name, [
            code(`work-${name}`, (ctx) => {
              ctx.vars[name] = (ctx.message('go').body as { blob: string }).blob.length;
            }),
          ]),
        ),
      ),
      out('joined', 'Joined', (ctx) => ({ a: ctx.vars.a, b: ctx.vars.b, c: ctx.vars.c })),
      complete('done'),
    ]);
    const w = createWorld([three]);
    const blob = 'x'.repeat(100_000);
    await w.receiver.receive([rawMessage({ blob }, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forked = states(w).find((s) => !s.branchOf)!;
    expect(forked.outbox.filter((e) => e.kind === 'fork')).toHaveLength(3);
    // 100 KB of message, held once: the three branches' seeds name it, they do not copy it (402 KB before).
    expect(w.store.items.get(forked.instanceId)!.length).toBeLessThan(110_000);
    await settle(w);
    expect(w.sendPort.sent.find((m) => m.messageType === 'Joined')!.body).toEqual({
      a: 100_000,
      b: 100_000,
      c: 100_000,
    });
  });

  it('dispatches a fork entry of an earlier version, which carries the whole branch instance', async () => {
    const w = createWorld([twoBranches]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    const create = w.store.create.bind(w.store);
    w.store.create = async () => {
      throw new Error('host killed before the fork went out');
    };
    await expect(w.host().process(item, { receiveCount: 1 })).rejects.toThrow('killed');
    w.store.create = create;
    // Rewrite the stored entries as 0.2 wrote them: each branch whole, with its variables and messages.
    const parent = states(w).find((s) => !s.branchOf)!;
    const legacy = {
      ...parent,
      outbox: parent.outbox.map((e) =>
        e.kind === 'fork'
          ? { ...e, branch: { ...e.branch, vars: { ...parent.vars, legacy: true }, messages: parent.messages } }
          : e,
      ),
    };
    w.store.items.set(parent.instanceId, JSON.stringify(legacy));
    w.workQueue.items.splice(0);
    await w.host().process(item, { receiveCount: 2 });
    await settle(w);
    expect(
      states(w)
        .filter((s) => s.branchOf)
        .filter((b) => !(b.vars.legacy === true))
        .map((b) => ({ instanceId: b.instanceId, vars: b.vars })),
    ).toEqual([]);
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Joined')).toHaveLength(1);
  });

  it('takes its branch instances as the last one to end read them, and reads them itself on a redelivery', async () => {
    const w = createWorld([twoBranches]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    for (const item of w.workQueue.items.splice(0)) await w.host('b').process(item, { receiveCount: 1 });
    const [wake] = w.workQueue.items.splice(0);
    expect(wake!.branches!.map((b) => b.branchOf!.branch).sort()).toEqual(['left', 'right']);
    const loads: string[] = [];
    const load = w.store.load.bind(w.store);
    w.store.load = async (id) => {
      loads.push(id);
      return load(id);
    };
    await w.host('c').process(wake!, { receiveCount: 2 });
    expect(loads.filter((id) => id.includes('~'))).toHaveLength(2);
    loads.splice(0);
    const again = createWorld([twoBranches]);
    await again.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await again.host('a').process(again.workQueue.items.shift()!, { receiveCount: 1 });
    for (const item of again.workQueue.items.splice(0)) await again.host('b').process(item, { receiveCount: 1 });
    const againLoad = again.store.load.bind(again.store);
    again.store.load = async (id) => {
      loads.push(id);
      return againLoad(id);
    };
    await again.host('c').process(again.workQueue.items.shift()!, { receiveCount: 1 });
    expect(loads.filter((id) => id.includes('~'))).toEqual([]);
    expect(again.sendPort.sent.find((m) => m.messageType === 'Joined')!.body).toEqual({
      left: 'L',
      right: 'R',
      shared: 'right',
      untouched: 1,
    });
  });

  it('joins at once when a branch suspended after it ended is resumed: its wake-up goes out after it is ended again', async () => {
    const {
      w,
      forks: [left, right],
    } = await forked();
    await w.host('b').process(left!, { receiveCount: 1 });
    // Its last effects kept failing: an ended branch is suspended, keeping them.
    await w.host('b').suspend(left!, 'send port down');
    await w.host('b').process(right!, { receiveCount: 1 });
    expect(w.workQueue.items).toEqual([]);
    await w.host('admin').resume(left!.instanceId);
    await settle(w);
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Joined')).toHaveLength(1);
  });

  it("sends a join's wake-up again when the first send failed and the branch's work item came back to the same host", async () => {
    const {
      w,
      forks: [left, right],
    } = await forked();
    const host = w.host('b');
    await host.process(left!, { receiveCount: 1 });
    const enqueue = w.workQueue.enqueue.bind(w.workQueue);
    w.workQueue.enqueue = async () => {
      throw new Error('SQS throttled');
    };
    await expect(host.process(right!, { receiveCount: 1 })).rejects.toThrow('SQS throttled');
    w.workQueue.enqueue = enqueue;
    await host.process(right!, { receiveCount: 2 });
    expect(w.workQueue.items.map((i) => i.reason)).toEqual(['join']);
  });

  it('gives a join forked before its version watched joins a due time when a branch ends before its siblings', async () => {
    const {
      w,
      forks: [left],
    } = await forked();
    const parentId = left!.instanceId.split('~')[0]!;
    // As 0.2 left it: waiting at the join, nothing due, and a branch that does not know its join is watched.
    w.store.overrides.set(parentId, undefined);
    const branch = (await w.store.load(left!.instanceId))!;
    const { watched: _watched, ...of02 } = branch.branchOf!;
    w.store.items.set(branch.instanceId, JSON.stringify({ ...branch, branchOf: of02 }));
    expect((await w.store.dueOf(parentId))!.due).toBe(false);
    await w.host('b').process({ instanceId: left!.instanceId, reason: 'fork' }, { receiveCount: 1 });
    expect((await w.store.dueOf(parentId))!.due).toBe(true);
  });

  it('reads nothing of its join when a branch forked by this version ends before its siblings (its join is watched from the fork)', async () => {
    const {
      w,
      forks: [left],
    } = await forked();
    let asked = 0;
    const dueOf = w.store.dueOf.bind(w.store);
    w.store.dueOf = async (id) => {
      asked++;
      return dueOf(id);
    };
    await w.host('b').process(left!, { receiveCount: 1 });
    expect(asked).toBe(0);
  });

  it('keeps watching a join whose version is not deployed on the host the sweeper woke it on', async () => {
    const {
      w,
      forks: [left],
    } = await forked();
    const parentId = left!.instanceId.split('~')[0]!;
    w.clock.advance(100_000);
    const config = { staleAfterMs: 30_000, lease: DEFAULT_LEASE };
    expect(await sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config)).toEqual([parentId]);
    const wake = w.workQueue.items.find((i) => i.instanceId === parentId)!;
    const without = w.host('old', { registry: new OrchestrationRegistry([]) });
    await expect(without.process(wake, { receiveCount: 1 })).resolves.toMatchObject({
      detail: expect.stringContaining('not deployed'),
    });
    // Still due, later (its next check), not cleared as a wake-up with nothing to do would be.
    expect((await w.store.dueOf(parentId))!.due).toBe(true);
    expect(await sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config)).toEqual([]);
    expect((await w.store.load(parentId))!.status).toBe('waiting');
  });

  it('suspends a join whose branch is missing long after the fork (it may have expired) instead of running it again', async () => {
    const {
      w,
      forks: [left],
    } = await forked();
    const parentId = left!.instanceId.split('~')[0]!;
    await w.host('b').process(left!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    // Seven days on, with nothing watching: the ended branch expired, the other's work item is long gone.
    w.clock.advance(7 * 86_400_000 + 60_000);
    w.store.overrides.delete(parentId);
    await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: 30_000, lease: DEFAULT_LEASE },
    );
    await w.host('c').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const parent = (await w.store.load(parentId))!;
    expect(parent.status).toBe('suspended');
    expect(parent.error!.reason).toMatch(/missing 7 days after the fork/);
    expect(states(w).filter((s) => s.branchOf).length).toBeLessThanOrEqual(1);
  });

  it('raises a failed branch at the join, where the enclosing scope compensates what the other branch did', async () => {
    const { main, sent, w } = await runOne([
      orchestration('ForkFails', 1, [
        receive('r', 'Go', { into: 'go' }),
        scope(
          'fulfil',
          [
            parallel('both', [
              branch('reserve', [
                scope('reservation', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
              ]),
              branch('pay', [fails('authorise')]),
            ]),
            out('neverSent', 'NeverSent'),
          ],
          { onError: [compensate('undo'), out('failed', 'Failed', (ctx) => ({ error: ctx.vars.lastError }))] },
        ),
        complete('done'),
      ]),
    ]);
    expect(main.status).toBe('completed');
    expect(sent.sort()).toEqual(['Failed', 'Released', 'Reserved']);
    expect((w.sendPort.sent.find((m) => m.messageType === 'Failed')!.body as { error: string }).error).toContain(
      'branch "pay" failed',
    );
  });

  it('suspends the branch itself when nothing handles its failure; resuming it lets the join continue', async () => {
    let down = true;
    const definition = orchestration('ForkSuspends', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('a', [out('sa', 'A')]), branch('b', [fails('callB', () => down), out('sb', 'B')])]),
      out('joined', 'Joined'),
      complete('done'),
    ]);
    const { w, main } = await runOne([definition]);
    expect(main.status).toBe('waiting');
    const suspended = states(w).find((s) => s.status === 'suspended')!;
    expect(suspended.branchOf!.branch).toBe('b');
    expect(suspended.error!.reason).toContain('callB is down');
    down = false;
    await w.host().resume(suspended.instanceId);
    await drainConcurrently(w);
    expect(w.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['A', 'B', 'Joined']);
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('completed');
  });

  it('treats a terminated branch as a failed one at the join', async () => {
    const definition = orchestration('ForkTerminated', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('a', [out('sa', 'A')]), branch('b', [fails('callB')])]),
      out('joined', 'Joined'),
      complete('done'),
    ]);
    const { w } = await runOne([definition]);
    const stuck = states(w).find((s) => s.status === 'suspended')!;
    await w.host().terminate(stuck.instanceId, 'operator gave up');
    await drainConcurrently(w);
    const main = states(w).find((s) => !s.branchOf)!;
    expect(main.status).toBe('suspended');
    expect(main.error!.reason).toContain('terminated: operator gave up');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['A']);
  });

  it('ends the running branches of a terminated orchestration, so none keeps sending, and lets them expire (path 11)', async () => {
    const definition = orchestration('ForkAbandoned', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [
        branch('fast', [out('sf', 'Fast')]),
        branch('slow', [delay('wait', { hours: 1 }), out('late', 'Late')]),
      ]),
      out('joined', 'Joined'),
      complete('done'),
    ]);
    const w = createWorld([definition]);
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Go' })]);
    await settle(w); // the slow branch's timer is not due
    const main = states(w).find((s) => !s.branchOf)!;
    expect(main.status).toBe('waiting');
    // Its branch, ended for it, does not wake its join: a join woken then would run and move the orchestration on
    // before the terminate's own write, which would be refused (seen on a busy machine).
    const commit = w.store.commit.bind(w.store);
    w.store.commit = async (next, ...rest) => {
      if (next.instanceId === main.instanceId && w.workQueue.items.some((i) => i.reason === 'join')) await settle(w);
      return commit(next, ...rest);
    };
    await expect(w.host('admin').terminate(main.instanceId, 'order cancelled')).resolves.toMatchObject({
      status: 'terminated',
    });
    w.store.commit = commit;
    await settle(w, { timers: true });
    const branches = states(w).filter((s) => s.branchOf);
    expect(branches.map((b) => [b.branchOf!.branch, b.status]).sort()).toEqual([
      ['fast', 'completed'],
      ['slow', 'terminated'],
    ]);
    expect(branches.find((b) => b.branchOf!.branch === 'slow')!.error!.reason).toContain(
      `its orchestration ${main.instanceId} was terminated: order cancelled`,
    );
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Fast']);
    // Both ended, so both expire, with no write of their own beyond the one that ended them.
    for (const b of branches)
      expect(w.store.expiresAt(b.instanceId)).toBe(b.updatedAt + MESSAGEBOX.finishedRetentionDays * 86_400_000);
    expect(w.store.retired.size).toBe(0);
  });

  it('does not create the branches of a terminated instance whose fork never went out', async () => {
    const definition = orchestration('ForkFailing', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('fast', [out('sf', 'Fast')]), branch('slow', [out('ss', 'Slow')])]),
      complete('done'),
    ]);
    const w = createWorld([definition]);
    // Branch instances cannot be created: the fork commits, its dispatch fails, and the instance is suspended with
    // the fork still in its outbox (as the handler does after the last retries).
    const create = w.store.create.bind(w.store);
    w.store.create = async (state) => {
      if (state.branchOf) throw new Error('store refuses');
      return create(state);
    };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const [item] = w.workQueue.items.splice(0);
    await expect(w.host().process(item!, { receiveCount: 1 })).rejects.toThrow('store refuses');
    await w.host().suspend(item!, 'work item failed 9 times: store refuses');
    const main = states(w).find((s) => !s.branchOf)!;
    expect(main.status).toBe('suspended');
    expect(main.outbox.map((e) => e.kind)).toContainEqual('fork');
    w.store.create = create;
    await w.host('admin').terminate(main.instanceId, 'order cancelled');
    // A redelivery of its work item (one that was in flight) re-dispatches what the terminated instance kept.
    await w.host().process({ instanceId: main.instanceId, reason: 'receive' }, { receiveCount: 2 });
    await settle(w);
    expect(states(w).filter((s) => s.branchOf)).toEqual([]);
    expect(w.sendPort.sent).toEqual([]);
  });

  it('refuses to terminate an instance at a join without its definition (an operator without the module), and writes nothing', async () => {
    const definition = orchestration('ForkUnknown', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [
        branch('fast', [out('sf', 'Fast')]),
        branch('slow', [delay('wait', { hours: 1 }), out('late', 'Late')]),
      ]),
      complete('done'),
    ]);
    const w = createWorld([definition]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(w);
    const before = states(w);
    const main = before.find((s) => !s.branchOf)!;
    expect(main.status).toBe('waiting');
    // Its branch instances are named by the definition: without it, terminating the parent alone would leave them running.
    const refused = w
      .host('console:ada', { registry: new OrchestrationRegistry([]) })
      .terminate(main.instanceId, 'order cancelled');
    await expect(refused).rejects.toBeInstanceOf(UnknownOrchestration);
    await expect(refused).rejects.toThrow(
      `cannot terminate instance ${main.instanceId}: it waits at a parallel join of orchestration ForkUnknown@1, which is not known to console:ada`,
    );
    expect(states(w)).toEqual(before);
    expect(w.store.retired.size).toBe(0);
    // With the definition, the operator's terminate ends the running branch too.
    await w.host('console:ada').terminate(main.instanceId, 'order cancelled');
    expect(
      states(w)
        .filter((s) => s.branchOf)
        .map((b) => [b.branchOf!.branch, b.status])
        .sort(),
    ).toEqual([
      ['fast', 'completed'],
      ['slow', 'terminated'],
    ]);
  });

  it('forks afresh on each pass of a loop, and nests', async () => {
    const { main, sent } = await runOne(
      [
        orchestration('Nested', 1, [
          receive('r', 'Go', { into: 'go' }),
          parallel('outer', [
            branch('x', [parallel('inner', [branch('x1', [out('s1', 'X1')]), branch('x2', [out('s2', 'X2')])])]),
            branch('y', [out('s3', 'Y')]),
          ]),
          parallel('again', [
            branch('z', [
              code('z', (ctx) => {
                ctx.vars.z = true;
              }),
            ]),
          ]),
          out('end', 'End', (ctx) => ({ z: ctx.vars.z })),
          complete('done'),
        ]),
      ],
      7,
    );
    expect(main.status).toBe('completed');
    expect(sent.sort()).toEqual(['End', 'X1', 'X2', 'Y']);
  });

  it('refuses branches that receive, listen or end the orchestration', () => {
    expect(
      () =>
        new OrchestrationRegistry([
          orchestration(
            'Bad',
            1,
            [
              receive('r', 'Go', { into: 'go', correlation: 'k' }),
              parallel('p', [
                branch('a', [receiveCorrelated('late', 'Late', { into: 'late', correlation: 'k' })]),
                branch('b', [terminate('stop', () => 'no')]),
              ]),
            ],
            { correlationSets: { k: { Go: () => 'x', Late: () => 'x' } } },
          ),
        ]),
    ).toThrow(/receive "late" cannot be in a parallel branch[\s\S]*terminate "stop" cannot be in a parallel branch/);
  });
});

describe('Call and Start orchestration', () => {
  const addLine = callable('AddLine', [
    code('add', (ctx) => {
      ctx.vars.lines = [
        ...((ctx.vars.lines as string[]) ?? []),
        `line ${((ctx.vars.lines as string[]) ?? []).length + 1}`,
      ];
    }),
    scope('audit', [out('audited', 'Audited')], { compensation: [out('unaudited', 'Unaudited')] }),
  ]);

  it("runs a called orchestration inline, on the caller's variables, as often as it is called", async () => {
    const { main, sent, w } = await runOne([
      orchestration('Caller', 1, [
        receive('r', 'Go', { into: 'go' }),
        call('first', addLine),
        call('second', addLine),
        compensate('undo'),
        out('end', 'End', (ctx) => ({ lines: ctx.vars.lines })),
        complete('done'),
      ]),
    ]);
    expect(main.status).toBe('completed');
    expect(sent).toEqual(['Audited', 'Audited', 'Unaudited', 'Unaudited', 'End']);
    expect(w.sendPort.sent.at(-1)!.body).toEqual({ lines: ['line 1', 'line 2'] });
  });

  it('refuses a callee that calls itself, or one that receives or completes', () => {
    const steps: Parameters<typeof callable>[1] = [];
    const loopy = callable('Loopy', steps);
    steps.push(call('again', loopy));
    expect(
      () =>
        new OrchestrationRegistry([
          orchestration('Recursive', 1, [receive('r', 'Go', { into: 'go' }), call('c', loopy)]),
        ]),
    ).toThrow(/calls Loopy, which is already being called \(Recursive → Loopy → Loopy\)/);
    expect(
      () =>
        new OrchestrationRegistry([
          orchestration('Ends', 1, [
            receive('r', 'Go', { into: 'go' }),
            call('c', callable('Ender', [complete('stop')])),
          ]),
        ]),
    ).toThrow(/complete "stop" cannot be in a called orchestration/);
  });

  const shipping = orchestration('Shipping', 1, [
    receive('ship', 'ShipRequest', { into: 'request' }),
    out('shipped', 'Shipped', () => ({})),
    complete('done'),
  ]);
  const starter = orchestration('Starter', 1, [
    receive('r', 'Go', { into: 'go' }),
    start('startShipping', 'Shipping', (ctx) => ({ orderId: (ctx.message('go').body as { orderId: string }).orderId })),
    out('started', 'Started'),
    complete('done'),
  ]);

  it('starts another orchestration through the outbox, once, even when the dispatch is repeated', async () => {
    const w = createWorld([starter, shipping]);
    await w.receiver.receive([rawMessage({ orderId: 'o-9' }, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    await w.host('a').process(item, { receiveCount: 1 });
    // The host's reply was lost: the same work item comes back and dispatches the outbox again.
    await w.host('b').process(item, { receiveCount: 2 });
    await drainConcurrently(w);
    const started = states(w).filter((s) => s.orchestration === 'Shipping');
    expect(started).toHaveLength(1);
    expect(started[0]!.messages.request!.body).toEqual({ orderId: 'o-9' });
    expect(started[0]!.status).toBe('completed');
    // The repeated dispatch re-sent `Started` under the same message id, which consumers drop.
    const distinct = new Map(w.sendPort.sent.map((m) => [m.messageId, m.messageType]));
    expect([...distinct.values()].sort()).toEqual(['Shipped', 'Started']);
  });

  it('refuses to deploy an orchestration that starts one not deployed with it', () => {
    expect(() => new OrchestrationRegistry([starter])).toThrow(DefinitionError);
    expect(() => new OrchestrationRegistry([starter])).toThrow(
      /starts orchestration "Shipping", which is not deployed with it/,
    );
  });
});
