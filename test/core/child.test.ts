import { describe, expect, it } from 'vitest';
import {
  callable,
  child,
  code,
  decide,
  delay,
  orchestration,
  receive,
  scope,
  send,
  terminate,
  when,
} from '../../functions/core/builder.ts';
import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { OWNERSHIP } from '../../functions/settings.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

type World = ReturnType<typeof createWorld>;

const states = (w: World): InstanceState[] => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
const main = (w: World) => states(w).find((s) => !s.branchOf)!;
const children = (w: World) => states(w).filter((s) => s.branchOf?.child);
const sent = (w: World) => w.sendPort.sent.map((m) => ({ type: m.messageType, body: m.body }));

async function go(definitions: OrchestrationDefinition[], body: unknown = {}, options = {}) {
  const w = createWorld(definitions);
  await w.receiver.receive([rawMessage(body, { MessageType: 'Go' })]);
  await settle(w, options);
  return w;
}

const taxOf = callable(
  'TaxOf',
  [
    code('compute', (ctx) => {
      ctx.vars.tax = Math.round((ctx.vars.total as number) * 0.2);
      ctx.vars.scratch = 'the child only';
    }),
    send('told', 'send', 'TaxComputed', (ctx) => ({ tax: ctx.vars.tax })),
  ],
  { result: (ctx) => ({ tax: ctx.vars.tax }) },
);

/** n! by recursion, one child instance per level. */
const factorial = callable(
  'Factorial',
  [
    decide(
      'more',
      [
        when('recurse', (ctx) => (ctx.vars.n as number) > 1, [
          child('below', () => factorial, { params: (ctx) => ({ n: (ctx.vars.n as number) - 1 }), into: 'below' }),
          code('times', (ctx) => {
            ctx.vars.value = (ctx.vars.n as number) * (ctx.vars.below as number);
          }),
        ]),
      ],
      [
        code('one', (ctx) => {
          ctx.vars.value = 1;
        }),
      ],
    ),
  ],
  { result: (ctx) => ctx.vars.value },
);

describe('child orchestrations', () => {
  it('runs the callee as an instance of its own, on its parameters, and takes its result into the parent', async () => {
    const parent = orchestration('Invoice', 1, [
      receive('r', 'Go', { into: 'go' }),
      code('read', (ctx) => {
        ctx.vars.total = (ctx.message('go').body as { total: number }).total;
        ctx.vars.mine = 'the parent only';
      }),
      child('tax', taxOf, { params: (ctx) => ({ total: ctx.vars.total }), into: 'tax' }),
      send('invoice', 'send', 'Invoice', (ctx) => ({
        total: ctx.vars.total,
        tax: ctx.vars.tax,
        scratch: ctx.vars.scratch,
      })),
    ]);
    const w = await go([parent], { total: 250 });
    expect(sent(w)).toEqual([
      { type: 'TaxComputed', body: { tax: 50 } },
      { type: 'Invoice', body: { total: 250, tax: { tax: 50 } } },
    ]);
    const [taxChild] = children(w);
    expect(taxChild!.status).toBe('completed');
    // Its own variables: the parameters, not the parent's; its own persistence points.
    expect(taxChild!.vars).toEqual({ total: 250, tax: 50, scratch: 'the child only' });
    expect(taxChild!.revision).toBeGreaterThanOrEqual(1);
    expect(main(w).status).toBe('completed');
    expect(main(w).vars.scratch).toBeUndefined();
  });

  it('recurses: 5! is five generations of child instances', async () => {
    const parent = orchestration('Factorials', 1, [
      receive('r', 'Go', { into: 'go' }),
      child('fact', factorial, { params: (ctx) => ({ n: (ctx.message('go').body as { n: number }).n }), into: 'fact' }),
      send('answer', 'send', 'Answer', (ctx) => ({ fact: ctx.vars.fact })),
    ]);
    const w = await go([parent], { n: 5 });
    expect(sent(w)).toEqual([{ type: 'Answer', body: { fact: 120 } }]);
    expect(children(w)).toHaveLength(5);
    expect(children(w).every((c) => c.status === 'completed')).toBe(true);
  });

  it("raises a child's failure in the parent's error handler", async () => {
    const broken = callable('Broken', [
      code(
        'fails',
        () => {
          throw new Error('rates unavailable');
        },
        { retry: { attempts: 1, backoffMs: 0 } },
      ),
    ]);
    const parent = orchestration('Handled', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope('work', [child('rates', broken, { into: 'rates' }), send('ok', 'send', 'Ok', () => ({}))], {
        onError: [send('failed', 'send', 'Failed', (ctx) => ({ error: ctx.vars.lastError }))],
      }),
    ]);
    const w = await go([parent]);
    expect(sent(w)).toEqual([
      {
        type: 'Failed',
        body: { error: 'child "rates" failed: step "fails" failed after 1 attempt(s): Error: rates unavailable' },
      },
    ]);
    expect(main(w).status).toBe('completed');
  });

  it('suspends a failing child with no handler in the parent; resumed, it returns and the parent goes on', async () => {
    let up = false;
    const flaky = callable(
      'Flaky',
      [
        code(
          'call',
          (ctx) => {
            if (!up) throw new Error('down');
            ctx.vars.answer = 42;
          },
          { retry: { attempts: 1, backoffMs: 0 } },
        ),
      ],
      { result: (ctx) => ctx.vars.answer },
    );
    const parent = orchestration('Unhandled', 1, [
      receive('r', 'Go', { into: 'go' }),
      child('ask', flaky, { into: 'answer' }),
      send('answered', 'send', 'Answered', (ctx) => ({ answer: ctx.vars.answer })),
    ]);
    const w = await go([parent]);
    const [stuck] = children(w);
    expect(stuck!.status).toBe('suspended');
    expect(main(w).status).toBe('waiting');
    up = true;
    await w.host().resume(stuck!.instanceId);
    await settle(w);
    expect(sent(w)).toEqual([{ type: 'Answered', body: { answer: 42 } }]);
  });

  it("finds a child whose work item was lost, through its parent's watch", async () => {
    const parent = orchestration('Watched', 1, [
      receive('r', 'Go', { into: 'go' }),
      child('tax', taxOf, { params: () => ({ total: 10 }), into: 'tax' }),
      send('invoice', 'send', 'Invoice', (ctx) => ({ tax: ctx.vars.tax })),
    ]);
    const w = createWorld([parent]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    // The child's work item is lost.
    expect(w.workQueue.items.splice(0).map((i) => i.reason)).toEqual(['fork']);
    w.clock.advance(5 * 60_000);
    await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
    );
    await settle(w);
    expect(sent(w).map((m) => m.type)).toEqual(['TaxComputed', 'Invoice']);
  });

  it('terminates the child with its parent', async () => {
    const slow = callable('Slow', [delay('wait', { hours: 1 }), send('late', 'send', 'Late', () => ({}))]);
    const parent = orchestration('Terminated', 1, [receive('r', 'Go', { into: 'go' }), child('slow', slow)]);
    const w = await go([parent]);
    await w.host().terminate(main(w).instanceId, 'order cancelled');
    await settle(w, { timers: true });
    expect(children(w)[0]!.status).toBe('terminated');
    expect(sent(w)).toEqual([]);
  });
});

describe('child checks', () => {
  const problems = (definition: () => OrchestrationDefinition) => {
    try {
      new OrchestrationRegistry([definition()]);
      return '';
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      return (error as Error).message;
    }
  };

  it('refuses a callee that terminates, an empty one, and two callables of one name', () => {
    expect(
      problems(() =>
        orchestration('A', 1, [
          receive('r', 'Go', { into: 'go' }),
          child('c', callable('Ends', [terminate('stop', () => 'enough')])),
        ]),
      ),
    ).toMatch(/terminate "stop" cannot be in a child orchestration/);
    expect(
      problems(() => orchestration('B', 1, [receive('r', 'Go', { into: 'go' }), child('c', callable('Empty', []))])),
    ).toMatch(/child "c" needs a callable orchestration with at least one step/);
    expect(
      problems(() =>
        orchestration('C', 1, [
          receive('r', 'Go', { into: 'go' }),
          child('one', callable('Same', [code('x', () => {})])),
          child('two', callable('Same', [code('y', () => {})])),
        ]),
      ),
    ).toMatch(/runs a callable named Same, and another callable has that name/);
    expect(problems(() => orchestration('D', 1, [receive('r', 'Go', { into: 'go' }), child('f', factorial)]))).toBe('');
  });
});
