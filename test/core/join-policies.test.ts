import { describe, expect, it } from 'vitest';
import {
  branch,
  code,
  complete,
  delay,
  forEach,
  loop,
  orchestration,
  parallel,
  receive,
  scope,
  send,
} from '../../functions/core/builder.ts';
import type { OrchestrationDefinition, ParallelOptions } from '../../functions/core/definition.ts';
import { DefinitionError, OwnershipLost } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OWNERSHIP } from '../../functions/settings.ts';

type World = ReturnType<typeof createWorld>;

const out = (id: string, type: string, body: (ctx: { vars: Record<string, unknown> }) => unknown = () => ({})) =>
  send(id, 'send', type, body);

/** A branch that sets its variable, waits `minutes` (0: not at all), and says it is done. */
const racer = (name: string, minutes: number) =>
  branch(name, [
    ...(minutes > 0 ? [delay(`${name}Waits`, { minutes })] : []),
    code(`${name}Sets`, (ctx) => {
      ctx.vars[name] = 'done';
    }),
    out(`${name}Says`, `${name}Done`),
  ]);

/** Three racers, quick (now), middling (5 min) and slow (60 min), joined as `options` say. */
const race = (name: string, options: ParallelOptions) =>
  orchestration(name, 1, [
    receive('r', 'Go', { into: 'go' }),
    parallel('race', [racer('quick', 0), racer('middling', 5), racer('slow', 60)], options),
    out('joined', 'Joined', (ctx) => ({ quick: ctx.vars.quick, middling: ctx.vars.middling, slow: ctx.vars.slow })),
    complete('done'),
  ]);

function states(w: World): InstanceState[] {
  return [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
}
const main = (w: World) => states(w).find((s) => !s.branchOf)!;
const branchNamed = (w: World, name: string) => states(w).find((s) => s.branchOf?.branch === name);
const sent = (w: World) => w.sendPort.sent.map((m) => m.messageType);

async function go(definitions: OrchestrationDefinition[], body: unknown = {}) {
  const w = createWorld(definitions);
  await w.receiver.receive([rawMessage(body, { MessageType: 'Go' })]);
  await settle(w, { timers: true, maxRounds: 500 });
  return w;
}

describe('join policies', () => {
  it("'first' goes on once, after the first branch, and cancels the others: what they would still send is never sent", async () => {
    const w = await go([race('First', { join: 'first' })]);
    expect(main(w).status).toBe('completed');
    expect(sent(w)).toEqual(['quickDone', 'Joined']);
    // Only what the ended branch changed is applied.
    expect(w.sendPort.sent.at(-1)!.body).toEqual({ quick: 'done' });
    for (const name of ['middling', 'slow']) {
      const b = branchNamed(w, name)!;
      expect(b.status, name).toBe('terminated');
      expect(b.error!.reason).toMatch(/cancelled: parallel "race" went on once 1 of 3 branches ended/);
    }
  });

  it("{ atLeast: 2 } with rest 'ignore' goes on after the second, and lets the third run to its end without a second join", async () => {
    const w = await go([race('TwoOfThree', { join: { atLeast: 2 }, rest: 'ignore' })]);
    expect(sent(w)).toEqual(['quickDone', 'middlingDone', 'Joined', 'slowDone']);
    expect(w.sendPort.sent.find((m) => m.messageType === 'Joined')!.body).toEqual({ quick: 'done', middling: 'done' });
    expect(branchNamed(w, 'slow')!.status).toBe('completed');
    expect(main(w).status).toBe('completed');
  });

  it('reads atLeast from the variables at the fork, and suspends saying why when it cannot be met', async () => {
    const counted = (name: string) =>
      orchestration(name, 1, [
        receive('r', 'Go', { into: 'go' }),
        code('need', (ctx) => {
          ctx.vars.need = (ctx.message('go').body as { need: number }).need;
        }),
        parallel('race', [racer('quick', 0), racer('middling', 5), racer('slow', 60)], {
          join: { atLeast: (ctx) => ctx.vars.need as number },
        }),
        out('joined', 'Joined', (ctx) => ({ quick: ctx.vars.quick, middling: ctx.vars.middling, slow: ctx.vars.slow })),
      ]);
    const two = await go([counted('Counted')], { need: 2 });
    expect(sent(two)).toEqual(['quickDone', 'middlingDone', 'Joined']);
    expect(branchNamed(two, 'slow')!.status).toBe('terminated');

    const four = await go([counted('Counted')], { need: 4 });
    expect(main(four).status).toBe('suspended');
    expect(main(four).error!.reason).toMatch(/atLeast is 4, but there are 3 branches/);
    expect(states(four).filter((s) => s.branchOf)).toHaveLength(0);
  });

  it('raises a failing branch at the join at once, cancelling its siblings, so the error handler runs before they end', async () => {
    const failing = orchestration('FailFast', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope(
        'work',
        [
          parallel('both', [
            racer('slow', 60),
            branch('bad', [
              code(
                'breaks',
                () => {
                  throw new Error('the warehouse is down');
                },
                { retry: { attempts: 1, backoffMs: 0 } },
              ),
            ]),
          ]),
          out('joined', 'Joined'),
        ],
        { onError: [out('handled', 'Handled', (ctx) => ({ error: ctx.vars.lastError }))] },
      ),
    ]);
    const w = createWorld([failing]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    // No timer fires: the handler runs while the slow branch still waits on its hour.
    await settle(w);
    expect(sent(w)).toEqual(['Handled']);
    expect(w.sendPort.sent[0]!.body).toEqual({
      error: 'branch "bad" failed: step "breaks" failed after 1 attempt(s): Error: the warehouse is down',
    });
    expect(branchNamed(w, 'slow')!.status).toBe('terminated');
    expect(branchNamed(w, 'slow')!.error!.reason).toMatch(/cancelled: a sibling failed: branch "bad" failed/);
    // The hour passes: the cancelled branch's timer finds it ended and sends nothing.
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['Handled']);
    expect(main(w).status).toBe('completed');
  });

  it('with every interleaving of two branches ending at once, a first-of join goes on exactly once', async () => {
    const tie = orchestration('Tie', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('tie', [racer('left', 0), racer('right', 0)], { join: 'first' }),
      out('joined', 'Joined'),
      complete('done'),
    ]);
    for (let seed = 0; seed < 10; seed++) {
      const w = createWorld([tie]);
      await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
      await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
      const forks = w.workQueue.items.splice(0);
      if (seed % 2) forks.reverse();
      // Both branches run at the same moment on two hosts; then every wake-up at once.
      await Promise.all(forks.map((item, n) => w.host(`b${n}`).process(item, { receiveCount: 1 })));
      await settle(w);
      expect(
        sent(w).filter((t) => t === 'Joined'),
        `seed ${seed}`,
      ).toHaveLength(1);
      expect(main(w).status).toBe('completed');
    }
  });

  it('cancels a branch mid-step under its lease at once: its step is dropped, and what follows it is never sent', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = orchestration('Busy', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel(
        'pair',
        [
          racer('quick', 0),
          branch('busy', [code('works', () => held, { exclusive: true }), out('busySays', 'BusyDone')]),
        ],
        { join: 'first' },
      ),
      out('joined', 'Joined'),
    ]);
    const w = createWorld([busy]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    const busyItem = forks.find((i) => i.instanceId.includes('busy'))!;
    const busyRun = w
      .host('b')
      .process(busyItem, { receiveCount: 1 })
      .catch((error: unknown) => error);
    // The busy branch claims its lease and sits in its step.
    while (!branchNamed(w, 'busy')?.lease) await new Promise((resolve) => setImmediate(resolve));
    await w.host('c').process(forks.find((i) => i !== busyItem)!, { receiveCount: 1 });
    await settle(w);
    expect(sent(w)).toEqual(['quickDone', 'Joined']);
    expect(main(w).status).toBe('completed');
    expect(branchNamed(w, 'busy')!.status).toBe('terminated');
    // Its step ends: its host finds its lease taken and commits nothing.
    release();
    await busyRun;
    await settle(w);
    expect(sent(w)).toEqual(['quickDone', 'Joined']);
    expect(branchNamed(w, 'busy')!.status).toBe('terminated');
  });

  it("sends what a branch committed just before it was cancelled, when that commit's reply was lost (simulation seed 8811)", async () => {
    const asks = orchestration('LostReply', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel(
        'pair',
        [
          racer('quick', 0),
          branch('asker', [
            out('asks', 'Asked'),
            code('asked', () => {}, { persistAfter: true }),
            delay('waits', { minutes: 5 }),
            out('askerSays', 'AskerDone'),
          ]),
        ],
        { join: 'first' },
      ),
      out('joined', 'Joined'),
    ]);
    const w = createWorld([asks]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    const askerItem = forks.find((i) => i.instanceId.includes('asker'))!;
    // The asker's commit of Asked is applied; before its reply comes, the quick branch ends and the join goes on,
    // cancelling the asker; then the SDK's retry of that commit fails its condition (the revision moved on). Its host
    // cannot tell the commit was its own, and the cancellation kept Asked in the asker's outbox.
    w.store.afterCommit = async (next) => {
      if (next.instanceId !== askerItem.instanceId) return;
      w.store.afterCommit = undefined;
      await w.host('b').process(forks.find((i) => i !== askerItem)!, { receiveCount: 1 });
      await settle(w);
      expect(branchNamed(w, 'asker')!.status).toBe('terminated');
      throw new OwnershipLost(next.instanceId, next.revision - 1);
    };
    await w.host('c').process(askerItem, { receiveCount: 1 });
    await settle(w, { timers: true });
    expect(main(w).status).toBe('completed');
    // What it committed before its cancellation goes out; what it would have done after does not.
    expect(new Set(sent(w))).toEqual(new Set(['quickDone', 'Joined', 'Asked']));
  });

  // Found by the simulation (harsh weather, seed 1125 with `--nested`): a branch that forks Parallel Actions of its own
  // is cancelled between its fork's commit and the creation of its branch instances. The cancel ends the branch
  // instances it finds (none yet) and terminates the branch; then the forking host, still dispatching that commit,
  // creates them. It reads the forking instance again once they exist and ends them; the terminate reads them again
  // after its own write (one of the two reads sees the other's write).
  it('does not run the branch instances of a cancelled branch that are created after its cancellation', async () => {
    const nested = orchestration('Nested', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel(
        'outer',
        [
          racer('quick', 0),
          branch('nest', [parallel('parts', [branch('part1', [out('part1Says', 'PartDone')]), branch('part2', [])])]),
        ],
        { join: 'first' },
      ),
      out('joined', 'Joined'),
    ]);
    const w = createWorld([nested]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    const nestItem = forks.find((i) => i.instanceId.endsWith('~nest'))!;
    // The nest branch commits its fork; before its host creates the parts, the quick branch ends, and the join goes on,
    // cancelling it.
    const create = w.store.create.bind(w.store);
    w.store.create = async (state) => {
      if (state.branchOf?.parallel === 'parts' && branchNamed(w, 'nest')!.status !== 'terminated') {
        await w.host('b').process(forks.find((i) => i !== nestItem)!, { receiveCount: 1 });
        await settle(w);
        expect(main(w).status).toBe('completed');
        expect(branchNamed(w, 'nest')!.status).toBe('terminated');
      }
      return create(state);
    };
    await w.host('c').process(nestItem, { receiveCount: 1 });
    await settle(w, { timers: true, sweeper: true });
    expect(sent(w)).toEqual(['quickDone', 'Joined']);
    for (const state of states(w)) expect(state.status, state.instanceId).toMatch(/completed|terminated/);
  });

  it("keeps a branch that outlives its join ('ignore') watched: its lost work item is found by the sweeper", async () => {
    const pair = orchestration('Outlives', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('pair', [racer('left', 0), racer('right', 0)], { join: 'first', rest: 'ignore' }),
      out('joined', 'Joined'),
    ]);
    const w = createWorld([pair]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 });
    // The right branch's work item is lost (a purged queue); the left one runs, and the join goes on without it.
    const [left] = w.workQueue.items.splice(0);
    await w.host('b').process(left!, { receiveCount: 1 });
    await settle(w);
    expect(sent(w)).toEqual(['leftDone', 'Joined']);
    expect(branchNamed(w, 'right')!.status).toBe('running');
    // No join watches it any more: it is due as any instance, and the sweeper brings it back.
    w.clock.advance(5 * 60_000);
    await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
    );
    await settle(w);
    expect(sent(w)).toEqual(['leftDone', 'Joined', 'rightDone']);
    expect(branchNamed(w, 'right')!.status).toBe('completed');
  });
});

describe("rest: 'block'", () => {
  /** Two passes of a race; `rest` says whether the second pass waits for the first pass's loser. */
  const twoPasses = (name: string, rest: 'block' | 'ignore') =>
    orchestration(name, 1, [
      receive('r', 'Go', { into: 'go' }),
      loop('passes', (ctx) => ((ctx.vars.pass as number | undefined) ?? 0) < 2, [
        code('next', (ctx) => {
          ctx.vars.pass = ((ctx.vars.pass as number | undefined) ?? 0) + 1;
        }),
        parallel('race', [racer('quick', 0), racer('slow', 60)], { join: 'first', rest }),
        out('joined', 'Joined'),
      ]),
    ]);

  it('makes the next pass wait for the branches the last one let run on (a blocking discriminator)', async () => {
    const w = await go([twoPasses('Blocking', 'block')]);
    expect(sent(w)).toEqual(['quickDone', 'Joined', 'slowDone', 'quickDone', 'Joined', 'slowDone']);
    expect(main(w).status).toBe('completed');
  });

  it("forks the next pass at once with 'ignore'", async () => {
    const w = await go([twoPasses('Ignoring', 'ignore')]);
    expect(sent(w)).toEqual(['quickDone', 'Joined', 'quickDone', 'Joined', 'slowDone', 'slowDone']);
  });

  it('blocks a For Each the same way, and a terminate while it waits ends the branches it waits for', async () => {
    const lanesTwice = orchestration('BlockingLanes', 1, [
      receive('r', 'Go', { into: 'go' }),
      loop('passes', (ctx) => ((ctx.vars.pass as number | undefined) ?? 0) < 2, [
        code('next', (ctx) => {
          ctx.vars.pass = ((ctx.vars.pass as number | undefined) ?? 0) + 1;
        }),
        forEach('each', () => [0, 60], [delay('wait', (ctx) => (ctx.item as number) * 60_000), out('did', 'Did')], {
          join: 'first',
          rest: 'block',
          maxConcurrency: 2,
        }),
        out('joined', 'Joined'),
      ]),
    ]);
    const w = await go([lanesTwice]);
    expect(sent(w)).toEqual(['Did', 'Joined', 'Did', 'Did', 'Joined', 'Did']);

    const stopped = createWorld([lanesTwice]);
    await stopped.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(stopped);
    // The second pass waits for the first pass's slow lane: terminated, the orchestration ends it too.
    expect(sent(stopped)).toEqual(['Did', 'Joined']);
    await stopped.host('admin').terminate(main(stopped).instanceId, 'enough');
    await settle(stopped, { timers: true });
    expect(sent(stopped)).toEqual(['Did', 'Joined']);
    expect(
      states(stopped)
        .filter((s) => s.lane)
        .every((l) => l.status !== 'running' && l.status !== 'waiting'),
    ).toBe(true);
  });
});

describe('merge', () => {
  it('runs the merge once per branch, in that branch, as it gets there, without waiting for the others', async () => {
    const merged = orchestration('Merged', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [racer('quick', 0), racer('slow', 60)], {
        merge: [
          send('log', 'send', 'Logged', (ctx) => ({ quick: ctx.vars.quick ?? null, slow: ctx.vars.slow ?? null })),
        ],
      }),
      out('joined', 'Joined'),
    ]);
    const w = await go([merged]);
    expect(sent(w)).toEqual(['quickDone', 'Logged', 'slowDone', 'Logged', 'Joined']);
    // Each ran in its own branch, on its own variables.
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Logged').map((m) => m.body)).toEqual([
      { quick: 'done', slow: null },
      { quick: null, slow: 'done' },
    ]);
  });
});

describe('guarded branches', () => {
  const guarded = orchestration('Guarded', 1, [
    receive('r', 'Go', { into: 'go' }),
    code('read', (ctx) => {
      ctx.vars.gift = (ctx.message('go').body as { gift?: boolean }).gift === true;
    }),
    parallel('prepare', [
      racer('pack', 0),
      branch('card', [out('printCard', 'Card')], { when: (ctx) => ctx.vars.gift === true }),
      branch('wrap', [delay('wraps', { minutes: 5 }), out('wrapped', 'Wrapped')], {
        when: (ctx) => ctx.vars.gift === true,
      }),
    ]),
    out('joined', 'Joined'),
  ]);

  it('forks only the branches whose guard holds, and the join waits for those alone', async () => {
    const plain = await go([guarded], { gift: false });
    expect(sent(plain)).toEqual(['packDone', 'Joined']);
    expect(
      states(plain)
        .filter((s) => s.branchOf)
        .map((s) => s.branchOf!.branch),
    ).toEqual(['pack']);

    const gift = await go([guarded], { gift: true });
    expect(sent(gift).at(-1)).toBe('Joined');
    expect(new Set(sent(gift))).toEqual(new Set(['packDone', 'Card', 'Wrapped', 'Joined']));
  });

  it('goes straight on when no guard holds, forking nothing', async () => {
    const none = orchestration('NoneChosen', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('maybe', [branch('a', [out('a', 'A')], { when: () => false })]),
      out('after', 'After'),
    ]);
    const w = await go([none]);
    expect(sent(w)).toEqual(['After']);
    expect(states(w)).toHaveLength(1);
  });

  it('suspends with the reason when a guard throws', async () => {
    const broken = orchestration('BrokenGuard', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('maybe', [
        branch('a', [out('a', 'A')], {
          when: () => {
            throw new Error('no such field');
          },
        }),
      ]),
    ]);
    const w = await go([broken]);
    expect(main(w).status).toBe('suspended');
    expect(main(w).error!.reason).toMatch(/the guard of branch "a" of parallel "maybe" failed: Error: no such field/);
  });
});

describe('join policy checks', () => {
  it('refuses a policy that cannot be met, naming the shape', () => {
    const bad = (options: unknown) =>
      orchestration('Bad', 1, [
        receive('r', 'Go', { into: 'go' }),
        parallel('p', [branch('a', [code('x', () => {})]), branch('b', [code('y', () => {})])], options as never),
      ]);
    const problems = (options: unknown) => {
      try {
        new OrchestrationRegistry([bad(options)]);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(DefinitionError);
        return (error as Error).message;
      }
    };
    expect(problems({ join: { atLeast: 3 } })).toMatch(/parallel "p" joins at least 3 branches: .* 2 branch/);
    expect(problems({ join: { atLeast: 0 } })).toMatch(/joins at least 0 branches/);
    expect(problems({ join: 'most' })).toMatch(/has join "most": it must be 'all', 'first' or \{ atLeast: n \}/);
    expect(problems({ rest: 'drop' })).toMatch(/has rest "drop": it must be 'cancel', 'ignore' or 'block'/);
    expect(problems({ join: { atLeast: 2 }, rest: 'ignore' })).toBe('');
  });
});
