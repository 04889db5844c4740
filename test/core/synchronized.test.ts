import { describe, expect, it } from 'vitest';
import {
  branch,
  call,
  callable,
  child,
  code,
  delay,
  listen,
  loop,
  onMessage,
  onTimeout,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
} from '../../functions/core/builder.ts';
import type { OrchestrationDefinition, ScopeOptions, Shape } from '../../functions/core/definition.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { INSTANCE_LOCK } from '../../functions/core/locks.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { OWNERSHIP } from '../../functions/settings.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

type World = ReturnType<typeof createWorld>;

/** A seeded random source (mulberry32), so a failing interleaving replays. */
function randomFrom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Lets the hosts at work run until `done` holds (a bounded wait: a test that never gets there fails, saying what). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 1_000) throw new Error(`never: ${what}`);
    await turns(1);
  }
}

/** Every store call of the world waits a few turns of the event loop first, as the seed says: calls interleave. */
function jitter(w: World, random: () => number): void {
  const store = w.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(w.store))) {
    const method = store[name];
    if (name === 'constructor' || typeof method !== 'function' || name === 'lockOf' || name === 'expiresAt') continue;
    store[name] = async (...args: unknown[]) => {
      await turns(Math.floor(random() * 4));
      return method.apply(w.store, args);
    };
  }
}

/**
 * Handles work items as they come, none waiting for another: each starts after a few turns the seed draws, on a host of
 * its own, so wake-ups race with the commits and releases around them. An item whose handling failed, or that found
 * its instance busy, comes back as SQS would bring it back (a redelivery).
 */
async function runFree(w: World, random: () => number, maxItems = 2_000): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  for (;;) {
    const ready = w.workQueue.items.filter((i) => !i.delaySeconds).sort(() => random() - 0.5);
    w.workQueue.items.splice(0, w.workQueue.items.length, ...w.workQueue.items.filter((i) => i.delaySeconds));
    for (const { item, receiveCount } of ready.map((i) => ({ item: i, receiveCount: i.redelivery ? 2 : 1 }))) {
      if (++handled > maxItems) throw new Error('the world does not settle');
      const run: Promise<void> = (async () => {
        await turns(Math.floor(random() * 6));
        const outcome = await w
          .host(`host-${handled}`)
          .process(item, { receiveCount })
          .catch(() => undefined);
        if (outcome?.result !== 'done') w.workQueue.items.push({ ...item, redelivery: true });
      })().finally(() => inFlight.delete(run));
      inFlight.add(run);
    }
    if (inFlight.size === 0) return;
    await Promise.race(inFlight);
  }
}

/** What the critical sections did, in order: `enter a`, `leave a`, ... */
type Log = string[];

/** Pairs of critical sections that overlapped: one entered while another had not left. */
function overlaps(log: Log): string[] {
  const inside = new Set<string>();
  const found: string[] = [];
  for (const line of log) {
    const [what, who] = line.split(' ') as [string, string];
    if (what === 'enter') {
      for (const other of inside) found.push(`${who} entered while ${other} was inside`);
      inside.add(who);
    } else inside.delete(who);
  }
  return found;
}

/** A critical section: an exclusive step that enters, takes a few turns (as I/O would) and leaves, then a send. */
function critical(name: string, log: Log, random: () => number, options: ScopeOptions): Shape {
  return scope(
    `${name}Section`,
    [
      code(
        `${name}Works`,
        async () => {
          log.push(`enter ${name}`);
          await turns(1 + Math.floor(random() * 5));
          log.push(`leave ${name}`);
        },
        { exclusive: true },
      ),
      send(`${name}Says`, 'send', `${name}Done`, () => ({})),
    ],
    options,
  );
}

function contenders(names: string[], log: Log, random: () => number, options: ScopeOptions): OrchestrationDefinition {
  return orchestration('Contenders', 1, [
    receive('r', 'Go', { into: 'go' }),
    parallel(
      'all',
      names.map((name) => branch(name, [critical(name, log, random, options)])),
    ),
    send('joined', 'send', 'Joined', () => ({})),
  ]);
}

function states(w: World): InstanceState[] {
  return [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
}
const main = (w: World) => states(w).find((s) => !s.branchOf)!;
const branchNamed = (w: World, name: string) => states(w).find((s) => s.branchOf?.branch === name)!;
const sent = (w: World) => w.sendPort.sent.map((m) => m.messageType);
const lockOfMain = (w: World, name = INSTANCE_LOCK) => w.store.lockOf({ instanceId: main(w).instanceId, name });

/**
 * The world after the orchestration forked, and its branches' work items by branch name: left in the work queue, or
 * taken out of it (`take`) for the test to hand to hosts itself.
 */
async function forked(definitions: OrchestrationDefinition[], take = false) {
  const w = createWorld(definitions);
  await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
  await w.host('m').process(w.workQueue.items.shift()!, { receiveCount: 1 });
  const forks = take ? w.workQueue.items.splice(0) : [...w.workQueue.items];
  const itemOf = (name: string) => forks.find((i) => i.instanceId.endsWith(`~${name}`))!;
  return { w, itemOf };
}

/** A host that dies: its clock fires no timer (no heartbeat renews its lease), and its step never returns. */
const dying = (w: World) =>
  w.host('dies', { clock: { now: w.clock.now, sleep: w.clock.sleep, after: () => () => {} } });

/** A wake-up such as a lock's release sends. */
const wakeUp = (instanceId: string) => ({ instanceId, reason: 'lock' });

/** A step that logs its critical section; its first run dies in it, when `dies` says so. */
function logged(name: string, log: Log, gate?: Promise<void>, dies?: { first: boolean }) {
  return code(
    `${name}Works`,
    async () => {
      if (dies?.first) {
        dies.first = false;
        log.push(`dies ${name}`);
        return new Promise<void>(() => {});
      }
      log.push(`enter ${name}`);
      await (gate ?? turns(2));
      log.push(`leave ${name}`);
    },
    { exclusive: true },
  );
}

const says = (id: string) => send(id, 'send', id, () => ({}));
const synced = (id: string, steps: Shape[], options: ScopeOptions = {}) =>
  scope(id, steps, { synchronized: true, ...options });

describe('synchronized scopes', () => {
  it('never let two branches run their critical sections at once, over many interleavings on several hosts', async () => {
    let contended = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const random = randomFrom(seed);
      const log: Log = [];
      const names = seed % 2 ? ['a', 'b', 'c'] : ['a', 'b'];
      const w = createWorld([contenders(names, log, random, { synchronized: true })]);
      jitter(w, random);
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      let waited = 0;
      const { awaitLock } = w.store;
      w.store.awaitLock = (lock, waiter) => {
        waited++;
        return awaitLock.call(w.store, lock, waiter);
      };
      await runFree(w, random);
      // Every branch but the first to take the lock found it held (unless one was done before another came).
      if (waited >= names.length - 1) contended++;
      expect(overlaps(log), `seed ${seed}: ${log.join(', ')}`).toEqual([]);
      expect(log.filter((l) => l.startsWith('enter')).sort(), `seed ${seed}`).toEqual(names.map((n) => `enter ${n}`));
      expect(main(w).status, `seed ${seed}`).toBe('completed');
      expect(sent(w).at(-1)).toBe('Joined');
      expect(lockOfMain(w)?.holder, `seed ${seed}`).toBeUndefined();
    }
    expect(contended).toBeGreaterThan(50);
  });

  it('overlap without synchronized: the same branches, unsynchronized, run their sections at once', async () => {
    let overlapped = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const random = randomFrom(seed);
      const log: Log = [];
      const w = createWorld([contenders(['a', 'b', 'c'], log, random, {})]);
      jitter(w, random);
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      await runFree(w, random);
      expect(main(w).status).toBe('completed');
      if (overlaps(log).length > 0) overlapped++;
    }
    expect(overlapped).toBeGreaterThan(10);
  });
});

describe('a synchronized scope whose holder stops', () => {
  it('is taken over once the lease of a holder whose host died before its first commit in the scope ran out', async () => {
    const log: Log = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { w, itemOf } = await forked(
      [
        orchestration('Dies', 1, [
          receive('r', 'Go', { into: 'go' }),
          parallel('both', [
            branch('a', [synced('aSection', [logged('a', log, undefined, { first: true })])]),
            branch('b', [synced('bSection', [logged('b', log, gate)])]),
          ]),
          says('Joined'),
        ]),
      ],
      true,
    );
    // a's host takes the lock, claims the lease for its exclusive step, and dies in it.
    void dying(w).process(itemOf('a'), { receiveCount: 1 });
    await until(() => branchNamed(w, 'a')?.lease !== undefined, "a's claim");
    const a = itemOf('a').instanceId;
    expect(lockOfMain(w)?.holder?.instanceId).toBe(a);
    // b finds the lock held, registers as a waiter, and dehydrates at its scope.
    await w.host('b').process(itemOf('b'), { receiveCount: 1 });
    expect(branchNamed(w, 'b')).toMatchObject({
      status: 'waiting',
      cursor: { threads: [{ at: 'bSection', waitsFor: INSTANCE_LOCK }] },
    });
    expect(lockOfMain(w)?.waiters).toEqual([itemOf('b').instanceId]);
    // Within a's lease a wake-up of b finds a alive: it waits on.
    w.clock.advance(DEFAULT_LEASE.leaseMs / 2);
    await w.host('b').process(wakeUp(itemOf('b').instanceId), { receiveCount: 1 });
    expect(branchNamed(w, 'b').status).toBe('waiting');
    // Past it and the clock skew, b takes the lock over and enters.
    w.clock.advance(DEFAULT_LEASE.leaseMs);
    const b = w.host('b2').process(wakeUp(itemOf('b').instanceId), { receiveCount: 1 });
    await until(() => log.includes('enter b'), 'b enters');
    // a's work item comes back (SQS): its instance goes on, on another host, and waits for the lock b holds now.
    await w.host('a2').process(itemOf('a'), { receiveCount: 2 });
    expect(branchNamed(w, 'a')).toMatchObject({
      status: 'waiting',
      cursor: { threads: [{ waitsFor: INSTANCE_LOCK }] },
    });
    open();
    await b;
    await settle(w);
    expect(log).toEqual(['dies a', 'enter b', 'leave b', 'enter a', 'leave a']);
    expect(main(w).status).toBe('completed');
    expect(lockOfMain(w)?.holder).toBeUndefined();
  });

  it('stays with a holder whose host died after its commit in the scope: its instance goes on with it elsewhere', async () => {
    const log: Log = [];
    const { w, itemOf } = await forked(
      [
        orchestration('DiesInside', 1, [
          receive('r', 'Go', { into: 'go' }),
          parallel('both', [
            branch('a', [
              synced('aSection', [
                code('aNotes', () => {}, { persistAfter: true }),
                logged('a', log, undefined, { first: true }),
              ]),
            ]),
            branch('b', [synced('bSection', [logged('b', log)])]),
          ]),
          says('Joined'),
        ]),
      ],
      true,
    );
    void dying(w).process(itemOf('a'), { receiveCount: 1 });
    await until(() => log.includes('dies a'), 'a dies');
    // Committed inside the scope: the thread says it holds the lock.
    expect(branchNamed(w, 'a').cursor.threads[0]!.holds).toMatchObject({ lock: INSTANCE_LOCK, scope: 'aSection' });
    await w.host('b').process(itemOf('b'), { receiveCount: 1 });
    expect(branchNamed(w, 'b').status).toBe('waiting');
    // Long past a's lease, b woken still finds the lock a's: a is in its scope.
    w.clock.advance(10 * DEFAULT_LEASE.leaseMs);
    await w.host('b').process(wakeUp(itemOf('b').instanceId), { receiveCount: 1 });
    expect(branchNamed(w, 'b').status).toBe('waiting');
    // a's work item comes back: another host takes its instance over, finishes the section and frees the lock.
    await w.host('a2').process(itemOf('a'), { receiveCount: 2 });
    await settle(w);
    expect(log).toEqual(['dies a', 'enter a', 'leave a', 'enter b', 'leave b']);
    expect(main(w).status).toBe('completed');
  });

  it('is freed when the join cancels a holder: the orchestration takes the lock after it without a takeover', async () => {
    const { w } = await forked([
      orchestration('Cancelled', 1, [
        receive('r', 'Go', { into: 'go' }),
        parallel(
          'race',
          [
            branch('quick', [delay('quickWaits', { minutes: 1 }), says('Quick')]),
            branch('holder', [synced('holderSection', [delay('holderWaits', { minutes: 30 }), says('Held')])]),
            branch('waiter', [delay('waiterWaits', { seconds: 10 }), synced('waiterSection', [says('Waited')])]),
          ],
          { join: 'first' },
        ),
        synced('afterSection', [says('After')]),
      ]),
    ]);
    const releases: string[] = [];
    const takeovers: unknown[] = [];
    const { releaseLock, acquireLock } = w.store;
    w.store.releaseLock = (lock, holder, now) => {
      releases.push(holder.instanceId.split('~').at(-1)!);
      return releaseLock.call(w.store, lock, holder, now);
    };
    w.store.acquireLock = (lock, holder, stale) => {
      if (stale) takeovers.push(stale);
      return acquireLock.call(w.store, lock, holder, stale);
    };
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['Quick', 'After']);
    expect(branchNamed(w, 'holder').status).toBe('terminated');
    expect(branchNamed(w, 'waiter').status).toBe('terminated');
    // The terminate freed the holder's lock; the orchestration's own scope took it free, and freed it.
    expect(releases).toEqual(['holder', main(w).instanceId]);
    expect(takeovers).toEqual([]);
    expect(main(w).status).toBe('completed');
    expect(lockOfMain(w)?.holder).toBeUndefined();
  });

  it("is freed when a step in it fails, into the scope's handler or out of the branch, and the waiter goes on", async () => {
    const breaks = code(
      'breaks',
      () => {
        throw new Error('the stock is down');
      },
      { retry: { attempts: 1, backoffMs: 0 } },
    );
    const waiter = branch('waiter', [delay('waiterWaits', { seconds: 10 }), synced('waiterSection', [says('Waited')])]);
    const intoHandler = orchestration('FailsIntoHandler', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [
        branch('failing', [
          // Its handler runs after the lock is freed: the waiter goes first.
          synced('failingSection', [delay('failingWaits', { minutes: 1 }), breaks, says('Never')], {
            onError: [delay('handlerWaits', { minutes: 5 }), says('Handled')],
          }),
        ]),
        waiter,
      ]),
      says('Joined'),
    ]);
    const outOfBranch = orchestration('FailsOutOfBranch', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope(
        'around',
        [
          parallel(
            'both',
            [branch('failing', [synced('failingSection', [delay('failingWaits', { minutes: 1 }), breaks])]), waiter],
            { rest: 'ignore' },
          ),
        ],
        { onError: [says('Raised')] },
      ),
    ]);
    for (const [definition, expected] of [
      [intoHandler, ['Waited', 'Handled', 'Joined']],
      [outOfBranch, ['Raised', 'Waited']],
    ] as const) {
      const { w } = await forked([definition]);
      await settle(w, { timers: true });
      expect(sent(w), definition.name).toEqual(expected);
      expect(branchNamed(w, 'waiter').status).toBe('completed');
      expect(lockOfMain(w)?.holder, definition.name).toBeUndefined();
    }
  });

  it('stays with a holder suspended in the scope until an operator terminates it', async () => {
    const { w, itemOf } = await forked([
      orchestration('SuspendedHolder', 1, [
        receive('r', 'Go', { into: 'go' }),
        parallel(
          'both',
          [
            branch('holder', [
              synced('holderSection', [
                code(
                  'breaks',
                  () => {
                    throw new Error('needs a person');
                  },
                  { retry: { attempts: 1, backoffMs: 0 } },
                ),
              ]),
            ]),
            branch('waiter', [delay('waiterWaits', { seconds: 10 }), synced('waiterSection', [says('Waited')])]),
          ],
          { rest: 'ignore' },
        ),
      ]),
    ]);
    await settle(w, { timers: true });
    expect(branchNamed(w, 'holder').status).toBe('suspended');
    expect(branchNamed(w, 'waiter').status).toBe('waiting');
    // The sweeper wakes the waiter now and then: the lock is still the suspended holder's.
    w.clock.advance(5 * 60_000);
    await sweeping(w);
    expect(branchNamed(w, 'waiter').status).toBe('waiting');
    await w.host().terminate(itemOf('holder').instanceId, 'by hand');
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['Waited']);
    expect(lockOfMain(w)?.holder).toBeUndefined();
  });
});

async function sweeping(w: World): Promise<void> {
  await sweep(
    { store: w.store, workQueue: w.workQueue, clock: w.clock },
    { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
  );
  await settle(w);
}

describe('a synchronized scope entered again', () => {
  it('in the same run (a loop) keeps its lock, freed once by the commit after the last pass; across runs takes it anew', async () => {
    const counts = { acquire: 0, release: 0 };
    const looping = (id: string, waits: boolean) =>
      orchestration(id, 1, [
        receive('r', 'Go', { into: 'go' }),
        code('init', (ctx) => {
          ctx.vars.n = 0;
        }),
        loop('thrice', (ctx) => (ctx.vars.n as number) < 3, [
          synced('section', [
            code('count', (ctx) => {
              ctx.vars.n = (ctx.vars.n as number) + 1;
            }),
          ]),
          ...(waits ? [delay('pause', { seconds: 1 })] : []),
        ]),
        says('Done'),
      ]);
    for (const [definition, takes] of [
      [looping('InOneRun', false), 1],
      [looping('AcrossRuns', true), 3],
    ] as const) {
      counts.acquire = 0;
      counts.release = 0;
      const w = createWorld([definition]);
      const { acquireLock, releaseLock } = w.store;
      w.store.acquireLock = (...args) => {
        counts.acquire++;
        return acquireLock.apply(w.store, args);
      };
      w.store.releaseLock = (...args) => {
        counts.release++;
        return releaseLock.apply(w.store, args);
      };
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      await settle(w, { timers: true });
      expect(sent(w), definition.name).toEqual(['Done']);
      expect(counts, definition.name).toEqual({ acquire: takes, release: takes });
      expect(lockOfMain(w)?.holder).toBeUndefined();
    }
  });
});

describe('a waiter of a synchronized scope', () => {
  it('whose wake-up was lost is found by the sweeper, from its due time', async () => {
    const { w, itemOf } = await forked([
      orchestration('LostWakeUp', 1, [
        receive('r', 'Go', { into: 'go' }),
        parallel('both', [
          branch('holder', [synced('holderSection', [delay('holderWaits', { minutes: 1 }), says('Held')])]),
          branch('waiter', [delay('waiterWaits', { seconds: 10 }), synced('waiterSection', [says('Waited')])]),
        ]),
        says('Joined'),
      ]),
    ]);
    // Every wake-up a release sends is lost.
    const enqueue = w.workQueue.enqueue.bind(w.workQueue);
    w.workQueue.enqueue = (items) => enqueue(items.filter((i) => i.reason !== 'lock'));
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['Held']);
    expect(branchNamed(w, 'waiter')).toMatchObject({ status: 'waiting' });
    expect(lockOfMain(w)?.holder).toBeUndefined();
    expect(lockOfMain(w)?.waiters).toEqual([itemOf('waiter').instanceId]);
    w.clock.advance(2 * 60_000);
    await sweeping(w);
    expect(sent(w)).toEqual(['Held', 'Waited', 'Joined']);
    expect(main(w).status).toBe('completed');
  });
});

describe('locks by name', () => {
  it("a named lock excludes the scopes that name it, not the others; a branch of a branch shares its orchestration's", async () => {
    let apart = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const random = randomFrom(seed);
      const log: Log = [];
      const section = (name: string, lock: string) => critical(name, log, random, { synchronized: lock });
      const w = createWorld([
        orchestration('Named', 1, [
          receive('r', 'Go', { into: 'go' }),
          parallel('all', [
            branch('outer', [
              parallel('inner', [branch('a', [section('a', 'stock')]), branch('b', [section('b', 'stock')])]),
            ]),
            branch('c', [section('c', 'stock')]),
            branch('d', [section('d', 'audit')]),
          ]),
        ]),
      ]);
      const domains = new Set<string>();
      const { acquireLock } = w.store;
      w.store.acquireLock = (lock, holder, stale) => {
        domains.add(`${lock.instanceId} ${lock.name}`);
        return acquireLock.call(w.store, lock, holder, stale);
      };
      jitter(w, random);
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      await runFree(w, random);
      expect(main(w).status, `seed ${seed}`).toBe('completed');
      const stock = log.filter((l) => !l.endsWith(' d'));
      expect(overlaps(stock), `seed ${seed}: ${log.join(', ')}`).toEqual([]);
      if (overlaps(log).length > 0) apart++;
      expect([...domains].sort()).toEqual([`${main(w).instanceId} audit`, `${main(w).instanceId} stock`]);
    }
    // d's lock is another: it runs beside the others.
    expect(apart).toBeGreaterThan(5);
  });
});

describe('the definition of a synchronized scope', () => {
  const check = (steps: Shape[]) => () =>
    new OrchestrationRegistry([orchestration('Checked', 1, [receive('r', 'Go', { into: 'go' }), ...steps])]);
  const inner = synced('inner', [says('Inner')]);

  it('refuses a synchronized scope inside one (directly, in a branch forked inside, in a call), and a receive or listen', () => {
    expect(check([synced('outer', [inner])])).toThrow(
      /scope "inner" is synchronized inside synchronized scope "outer": a branch forked inside would wait/,
    );
    expect(check([synced('outer', [parallel('p', [branch('x', [inner])])])])).toThrow(DefinitionError);
    expect(check([synced('outer', [call('callsInner', callable('Inner', [inner]))])])).toThrow(/synchronized inside/);
    expect(check([scope('outer', [inner], { synchronized: 'other' })])).toThrow(/synchronized inside/);
    const later = receiveCorrelated('later', 'Later', { into: 'later', correlation: 'order' });
    expect(check([synced('outer', [later])])).toThrow(
      /receive "later" cannot be in synchronized scope "outer": the lock would be held until a message comes/,
    );
    const either = listen('either', [onMessage('came', later, []), onTimeout('late', 'tooLate', { minutes: 5 }, [])]);
    expect(check([synced('outer', [either])])).toThrow(/listen "either" cannot be in synchronized scope "outer"/);
    expect(check([scope('bad', [says('X')], { synchronized: 'no spaces' })])).toThrow(
      /scope "bad" has synchronized "no spaces": it must be true, or a lock's name matching/,
    );
  });

  it('allows a child orchestration inside one, whose scopes take its own locks, and a synchronized error handler', () => {
    const callee = callable('Child', [synced('childSection', [says('Child')])]);
    expect(check([synced('outer', [child('runsChild', callee)])])).not.toThrow();
    expect(check([synced('outer', [says('X')], { onError: [inner] })])).not.toThrow();
  });
});

describe('what a synchronized scope costs', () => {
  /** The MessageBox's writes an orchestration made after its activation, and each port method's calls, by instance. */
  const cost = async (definition: OrchestrationDefinition) => {
    const w = createWorld([definition]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const before = w.store.writes;
    const calls: Record<string, number> = {};
    const store = w.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of ['acquireLock', 'awaitLock', 'releaseLock', 'commit', 'claim']) {
      const method = store[name]!;
      store[name] = (...args: unknown[]) => {
        // A lock is counted under its name; an instance's write, under its branch's name (the orchestration's: main).
        const first = args[0] as { instanceId: string; name?: string };
        const of = first.name === undefined ? (first.instanceId.split('~')[2] ?? 'main') : 'lock';
        calls[`${name} ${of}`] = (calls[`${name} ${of}`] ?? 0) + 1;
        return method.apply(w.store, args);
      };
    }
    await settle(w);
    expect(w.sendPort.sent.length).toBeGreaterThan(0);
    return { writes: w.store.writes - before, calls };
  };
  const section = (name: string, options: ScopeOptions) =>
    scope(`${name}Section`, [code(`${name}Works`, () => {}, { exclusive: true }), says(`${name}Worked`)], options);

  it('is two writes of its lock when nobody waits: one takes it, one frees it; no persistence point more', async () => {
    const alone = (options: ScopeOptions) =>
      orchestration('Alone', 1, [receive('r', 'Go', { into: 'go' }), section('only', options), says('Done')]);
    const plain = await cost(alone({}));
    const synchronized = await cost(alone({ synchronized: true }));
    expect(synchronized.writes - plain.writes).toBe(2);
    expect(synchronized.calls).toEqual({ ...plain.calls, 'acquireLock lock': 1, 'releaseLock lock': 1 });
  });

  it('is three writes more for a branch that finds it held: a refused take, its registration, its dehydration', async () => {
    const pair = (options: ScopeOptions) =>
      orchestration('Pair', 1, [
        receive('r', 'Go', { into: 'go' }),
        parallel('both', [branch('a', [section('a', options)]), branch('b', [section('b', options)])]),
      ]);
    const plain = await cost(pair({}));
    const synchronized = await cost(pair({ synchronized: true }));
    // settle runs a before b in each round: b waits.
    expect(synchronized.calls).toMatchObject({
      'acquireLock lock': 3,
      'awaitLock lock': 1,
      'releaseLock lock': 2,
      'commit a': plain.calls['commit a'],
      'claim a': plain.calls['claim a'],
      'commit b': plain.calls['commit b']! + 1,
      'claim b': plain.calls['claim b'],
    });
  });
});
