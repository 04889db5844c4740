import { describe, expect, it } from 'vitest';
import { code, delay, forEach, orchestration, receive, scope, send } from '../../functions/core/builder.ts';
import type { ForEachOptions, OrchestrationDefinition } from '../../functions/core/definition.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

type World = ReturnType<typeof createWorld>;

const states = (w: World): InstanceState[] => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
const main = (w: World) => states(w).find((s) => !s.branchOf)!;
const lanes = (w: World) => states(w).filter((s) => s.lane);
const sentOf = (w: World, type: string) => w.sendPort.sent.filter((m) => m.messageType === type);

async function go(definitions: OrchestrationDefinition[], body: unknown, options = {}) {
  const w = createWorld(definitions);
  await w.receiver.receive([rawMessage(body, { MessageType: 'Go' })]);
  await settle(w, { maxRounds: 2_000, ...options });
  return w;
}

/** Squares each number of the message's list; sends one Squared per item, then Done with what `into` gathered. */
const squares = (name: string, options: ForEachOptions = {}, sends = true) =>
  orchestration(name, 1, [
    receive('r', 'Go', { into: 'go' }),
    code('label', (ctx) => {
      ctx.vars.label = 'batch';
    }),
    forEach(
      'square',
      (ctx) => (ctx.message('go').body as { numbers: number[] }).numbers,
      [
        code('compute', (ctx) => {
          // Each item starts from the variables of the fork: what an earlier item left is not here.
          if (ctx.vars.square !== undefined) throw new Error('an earlier item leaked into this one');
          ctx.vars.square = (ctx.item as number) ** 2;
        }),
        ...(sends
          ? [
              send('tell', 'send', 'Squared', (ctx) => ({
                index: ctx.index,
                square: ctx.vars.square,
                label: ctx.vars.label,
              })),
            ]
          : []),
      ],
      { into: 'squares', result: (ctx) => ctx.vars.square, ...options },
    ),
    send('done', 'send', 'Done', (ctx) => ({ squares: ctx.vars.squares, square: ctx.vars.square ?? null })),
  ]);

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('forEach', () => {
  it('runs its steps once per item, in lanes of maxConcurrency, and gathers the results in item order', async () => {
    const w = await go([squares('Squares', { maxConcurrency: 3 })], { numbers: numbers(10) });
    expect(main(w).status).toBe('completed');
    expect(sentOf(w, 'Done')).toHaveLength(1);
    expect(sentOf(w, 'Done')[0]!.body).toEqual({ squares: numbers(10).map((i) => i * i), square: null });
    // One send per item, each once, each with its index and the variables of the fork.
    const told = sentOf(w, 'Squared').map((m) => m.body as { index: number; square: number; label: string });
    expect(told.map((t) => t.index).sort((a, b) => a - b)).toEqual(numbers(10));
    expect(told.every((t) => t.square === t.index ** 2 && t.label === 'batch')).toBe(true);
    // Three lanes, not ten instances: lane k ran items k, k + 3, ...
    expect(lanes(w)).toHaveLength(3);
    expect(
      lanes(w)
        .map((l) => l.lane!.done)
        .sort(),
    ).toEqual([3, 3, 4]);
  });

  it('never runs more items at once than maxConcurrency', async () => {
    let running = 0;
    let most = 0;
    const gauged = orchestration('Gauged', 1, [
      receive('r', 'Go', { into: 'go' }),
      forEach(
        'each',
        () => numbers(40),
        [
          code('work', async () => {
            running++;
            most = Math.max(most, running);
            await new Promise((resolve) => setImmediate(resolve));
            running--;
          }),
        ],
        { maxConcurrency: 4 },
      ),
      send('done', 'send', 'Done', () => ({})),
    ]);
    const w = await go([gauged], {});
    expect(sentOf(w, 'Done')).toHaveLength(1);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('goes straight on over an empty list, with an empty result', async () => {
    const w = await go([squares('Empty')], { numbers: [] });
    expect(sentOf(w, 'Done')[0]!.body).toEqual({ squares: [], square: null });
    expect(lanes(w)).toHaveLength(0);
  });

  it("with join 'first', goes on after the first item and cancels the lanes", async () => {
    const firstOf = orchestration('FirstOf', 1, [
      receive('r', 'Go', { into: 'go' }),
      forEach(
        'each',
        () => numbers(50),
        [delay('pause', { seconds: 1 }), send('did', 'send', 'Did', (ctx) => ({ index: ctx.index }))],
        { maxConcurrency: 2, join: 'first', into: 'firsts', result: (ctx) => ctx.index },
      ),
      send('done', 'send', 'Done', (ctx) => ({ firsts: ctx.vars.firsts })),
    ]);
    const w = await go([firstOf], {}, { timers: true });
    expect(sentOf(w, 'Done')).toHaveLength(1);
    const gathered = (sentOf(w, 'Done')[0]!.body as { firsts: (number | null)[] }).firsts;
    expect(gathered.filter((s) => s !== null)).not.toHaveLength(0);
    expect(sentOf(w, 'Did').length).toBeLessThanOrEqual(2);
    expect(lanes(w).every((l) => l.status === 'terminated')).toBe(true);
  });

  it('with join { atLeast: n } goes on once n items ended, whichever lanes ran them', async () => {
    const w = await go([squares('SomeSquares', { maxConcurrency: 3, join: { atLeast: 7 }, rest: 'ignore' })], {
      numbers: numbers(12),
    });
    expect(sentOf(w, 'Done')).toHaveLength(1);
    const gathered = (sentOf(w, 'Done')[0]!.body as { squares: (number | null)[] }).squares;
    expect(gathered.filter((s) => s !== null).length).toBeGreaterThanOrEqual(7);
    // rest: 'ignore': every item still ran, each once.
    expect(sentOf(w, 'Squared')).toHaveLength(12);
    expect(lanes(w).every((l) => l.status === 'completed')).toBe(true);
  });

  it('raises a failing item at once, cancelling the other lanes', async () => {
    const failing = orchestration('FailingItem', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope(
        'all',
        [
          forEach(
            'each',
            () => numbers(30),
            [
              code(
                'work',
                (ctx) => {
                  if (ctx.item === 4) throw new Error('item 4 is bad');
                },
                { retry: { attempts: 1, backoffMs: 0 } },
              ),
              send('did', 'send', 'Did', (ctx) => ({ index: ctx.index })),
            ],
            { maxConcurrency: 2 },
          ),
          send('done', 'send', 'Done', () => ({})),
        ],
        { onError: [send('failed', 'send', 'Failed', (ctx) => ({ error: ctx.vars.lastError }))] },
      ),
    ]);
    const w = await go([failing], {});
    expect(sentOf(w, 'Done')).toHaveLength(0);
    expect(sentOf(w, 'Failed')).toHaveLength(1);
    expect((sentOf(w, 'Failed')[0]!.body as { error: string }).error).toMatch(/branch "l0" failed: .*item 4 is bad/);
    // The other lane was cancelled well before the last item.
    expect(sentOf(w, 'Did').length).toBeLessThan(29);
  });

  it('resumes a lane from its last persistence point after a crash, each item sent once', async () => {
    const w = createWorld([squares('Crashy', { maxConcurrency: 2 })]);
    await w.receiver.receive([rawMessage({ numbers: numbers(8) }, { MessageType: 'Go' })]);
    // Every work item is handled twice: a crash-and-redelivery of everything, on another host.
    for (let round = 0; w.workQueue.items.length > 0 && round < 500; round++) {
      const item = w.workQueue.items.shift()!;
      await w.host(`a${round}`).process(item, { receiveCount: 1 });
      await w.host(`b${round}`).process(item, { receiveCount: 2 });
    }
    expect(sentOf(w, 'Done')).toHaveLength(1);
    expect(new Set(sentOf(w, 'Squared').map((m) => m.messageId)).size).toBe(8);
    expect(sentOf(w, 'Done')[0]!.body).toEqual({ squares: numbers(8).map((i) => i * i), square: null });
  });

  it('refuses options it cannot honour, and suspends when the items are not a list', async () => {
    const problems = (options: ForEachOptions) => {
      try {
        new OrchestrationRegistry([squares('Checked', options)]);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(DefinitionError);
        return (error as Error).message;
      }
    };
    expect(problems({ maxConcurrency: 0 })).toMatch(/maxConcurrency 0: it must be a whole number from 1 to 100/);
    expect(problems({ maxConcurrency: 101 })).toMatch(/maxConcurrency 101/);
    expect(problems({ result: undefined })).toMatch(/gathers results into "squares" but says no result/);
    expect(problems({ join: { atLeast: 0 } })).toMatch(/joins at least 0 items/);
    const w = await go([squares('NotAList')], { numbers: 'seven' });
    expect(main(w).status).toBe('suspended');
    expect(main(w).error!.reason).toMatch(/the items of forEach "square" failed: .*they must be an array, not "seven"/);
  });
});
