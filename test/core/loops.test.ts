import { describe, expect, it } from 'vitest';
import {
  branch,
  code,
  complete,
  loop,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  send,
  stateMachine,
  until,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { ID_PATTERN, type OrchestrationDefinition, type Shape } from '../../functions/core/definition.ts';
import { MAX_SHAPES_PER_RUN } from '../../functions/core/engine.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import type { WorkItem } from '../../functions/core/ports.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/** Loops beside `loop` (issue 25): the until-loop (a do-until) and the state machine (arbitrary cycles). */

const states = (w: ReturnType<typeof createWorld>) =>
  [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);

/** Runs one Go message (its body `body`) through `steps` to rest; what was sent, by type and body, and how it ended. */
async function runSteps(steps: Shape[], body: unknown = {}) {
  const w = createWorld([orchestration('Loops', 1, [receive('go', 'Go', { into: 'go' }), ...steps, complete('done')])]);
  let commits = 0;
  const commit = w.store.commit.bind(w.store);
  w.store.commit = async (...args) => {
    commits++;
    return commit(...args);
  };
  await w.receiver.receive([rawMessage(body, { MessageType: 'Go' })]);
  await settle(w);
  const [state] = states(w);
  const sent = w.sendPort.sent.map((m) => `${m.messageType} ${JSON.stringify(m.body)}`);
  return { w, state: state!, sent, commits };
}

const count = (name: string) =>
  code(`count${name}`, (ctx) => {
    ctx.vars[name] = ((ctx.vars[name] as number | undefined) ?? 0) + 1;
  });
const n = (ctx: { vars: Record<string, unknown> }, name: string) => (ctx.vars[name] as number | undefined) ?? 0;

describe('until', () => {
  it('runs its steps once even when its condition holds from the start', async () => {
    const { state, sent } = await runSteps([
      until('once', () => true, [count('passes'), send('tick', 'send', 'Tick', (ctx) => ({ pass: n(ctx, 'passes') }))]),
    ]);
    expect(state.status).toBe('completed');
    expect(sent).toEqual(['Tick {"pass":1}']);
    expect(state.vars.passes).toBe(1);
  });

  it('runs its steps again until its condition holds, checked after each pass', async () => {
    const checkedAt: number[] = [];
    const { state, sent } = await runSteps(
      [
        until(
          'upTo',
          (ctx) => {
            checkedAt.push(n(ctx, 'passes'));
            return n(ctx, 'passes') >= (ctx.message('go').body as { times: number }).times;
          },
          [count('passes'), send('tick', 'send', 'Tick', (ctx) => ({ pass: n(ctx, 'passes') }))],
        ),
        send('after', 'send', 'After', (ctx) => ({ passes: n(ctx, 'passes') })),
      ],
      { times: 3 },
    );
    expect(state.status).toBe('completed');
    expect(sent).toEqual(['Tick {"pass":1}', 'Tick {"pass":2}', 'Tick {"pass":3}', 'After {"passes":3}']);
    // Never before the first pass: after each one.
    expect(checkedAt).toEqual([1, 2, 3]);
  });

  it('leaves loop as it was: a while, whose steps may not run at all', async () => {
    const { sent } = await runSteps([loop('never', () => false, [send('tick', 'send', 'Tick', () => ({}))])]);
    expect(sent).toEqual([]);
  });

  it('suspends the instance when its condition throws, naming the loop', async () => {
    const { state } = await runSteps([
      until('broken', () => {
        throw new Error('no answer');
      }, [count('passes')]),
    ]);
    expect(state).toMatchObject({
      status: 'suspended',
      error: { reason: 'until "broken" failed: Error: no answer', shapeId: 'broken$check' },
    });
  });

  it('persists and goes on when it runs long without waiting', async () => {
    const { state, commits } = await runSteps([
      until('spin', (ctx) => n(ctx, 'i') >= MAX_SHAPES_PER_RUN, [count('i')]),
    ]);
    expect(state.status).toBe('completed');
    expect(state.vars.i).toBe(MAX_SHAPES_PER_RUN);
    // 2,000 shapes at least (a step and a check per pass): two checkpoints or more before the end.
    expect(commits).toBeGreaterThan(2);
  });
});

/** a → b → a → c → end, chosen by the visits counted in variables; then a send after the machine. */
const cycle = (persist = false) =>
  stateMachine('flow', {
    initial: 'a',
    states: {
      a: {
        steps: [
          code(
            'visitA',
            (ctx) => {
              ctx.vars.a = n(ctx, 'a') + 1;
            },
            { persistAfter: persist },
          ),
          send('sendA', 'send', 'A', (ctx) => ({ visit: n(ctx, 'a') })),
        ],
        next: (ctx) => (n(ctx, 'a') < 2 ? 'b' : 'c'),
      },
      b: {
        steps: [
          code(
            'visitB',
            (ctx) => {
              ctx.vars.b = n(ctx, 'b') + 1;
            },
            { persistAfter: persist },
          ),
        ],
        next: () => 'a',
      },
      c: { steps: [send('sendC', 'send', 'C', (ctx) => ({ a: n(ctx, 'a'), b: n(ctx, 'b') }))], next: () => '$end' },
    },
  });

describe('stateMachine', () => {
  it('goes round a cycle its states choose (a → b → a → c), then on after the machine', async () => {
    const { state, sent } = await runSteps([cycle(), send('after', 'send', 'After', () => ({}))]);
    expect(state.status).toBe('completed');
    expect(sent).toEqual(['A {"visit":1}', 'A {"visit":2}', 'C {"a":2,"b":1}', 'After {}']);
  });

  it('runs a state with no steps: it only chooses where to go', async () => {
    const route = (total: number) =>
      runSteps(
        [
          stateMachine('route', {
            initial: 'choose',
            states: {
              choose: {
                steps: [],
                next: (ctx) => ((ctx.message('go').body as { total: number }).total > 100 ? 'big' : 'small'),
              },
              big: { steps: [send('big', 'send', 'Big', () => ({}))], next: () => '$end' },
              small: { steps: [send('small', 'send', 'Small', () => ({}))], next: () => '$end' },
            },
          }),
        ],
        { total },
      );
    expect((await route(500)).sent).toEqual(['Big {}']);
    expect((await route(5)).sent).toEqual(['Small {}']);
  });

  it('suspends the instance when next names no state, saying which machine, state and value', async () => {
    const { state, sent } = await runSteps([
      stateMachine('flow', {
        initial: 'a',
        states: {
          a: { steps: [send('sendA', 'send', 'A', () => ({}))], next: (ctx) => ctx.vars.where as 'b' },
          b: { steps: [], next: () => '$end' },
        },
      }),
    ]);
    expect(state).toMatchObject({
      status: 'suspended',
      error: {
        reason: `state machine "flow", state "a": next returned undefined, which is not one of its states (a, b) nor '$end'`,
        shapeId: 'flow$a$next',
      },
    });
    // What the state sent before went out.
    expect(sent).toEqual(['A {}']);

    const typo = await runSteps([
      stateMachine('flow', { initial: 'a', states: { a: { steps: [], next: () => 'A' as 'a' } } }),
    ]);
    expect(typo.state.error?.reason).toBe(
      `state machine "flow", state "a": next returned "A", which is not one of its states (a) nor '$end'`,
    );

    const thrown = await runSteps([
      stateMachine('flow', {
        initial: 'a',
        states: {
          a: {
            steps: [],
            next: () => {
              throw new Error('no rule for this');
            },
          },
        },
      }),
    ]);
    expect(thrown.state.error?.reason).toBe('state machine "flow", state "a": next failed: Error: no rule for this');
  });

  it('resumed after a bad next, asks next again', async () => {
    const { w, state } = await runSteps([
      code('init', (ctx) => {
        ctx.vars.since = ctx.now;
      }),
      stateMachine('flow', {
        initial: 'a',
        states: {
          a: {
            steps: [send('sendA', 'send', 'A', () => ({}))],
            // Leaves a minute after it started; before, it names a state it does not have.
            next: (ctx) => (ctx.now - n(ctx, 'since') >= 60_000 ? '$end' : ('tooEarly' as 'a')),
          },
        },
      }),
      send('after', 'send', 'After', () => ({})),
    ]);
    expect(state.status).toBe('suspended');
    w.clock.advance(60_000);
    await w.host().resume(state.instanceId);
    await settle(w);
    // The machine goes on from the end of state a: its steps do not run again.
    expect(states(w)[0]!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['A', 'After']);
  });

  it('persists and goes on when it cycles long without waiting', async () => {
    const { state, commits } = await runSteps([
      stateMachine('spin', {
        initial: 'up',
        states: { up: { steps: [count('i')], next: (ctx) => (n(ctx, 'i') < MAX_SHAPES_PER_RUN ? 'up' : '$end') } },
      }),
    ]);
    expect(state.status).toBe('completed');
    expect(state.vars.i).toBe(MAX_SHAPES_PER_RUN);
    expect(commits).toBeGreaterThan(2);
  });

  it('waits in a state (a receive) and goes on in that state: the cursor holds where the machine is', async () => {
    const docId = (m: { body: unknown }) => orderIdOf(m);
    const review = orchestration(
      'Review',
      1,
      [
        receive('submit', 'Document', { into: 'document', correlation: 'doc' }),
        stateMachine('review', {
          initial: 'draft',
          states: {
            draft: {
              steps: [count('round'), send('ask', 'send', 'ReviewRequest', (ctx) => ({ round: n(ctx, 'round') }))],
              next: () => 'inReview',
            },
            inReview: {
              steps: [receiveCorrelated('verdict', 'Verdict', { into: 'verdict', correlation: 'doc' })],
              next: (ctx) => ((ctx.message('verdict').body as { approved: boolean }).approved ? 'published' : 'draft'),
            },
            published: { steps: [send('publish', 'send', 'Published', () => ({}))], next: () => '$end' },
          },
        }),
        complete('done'),
      ],
      { correlationSets: { doc: { Document: docId, Verdict: docId } } },
    );
    const w = createWorld([review]);
    await w.receiver.receive([rawMessage({ orderId: 'd-1' }, { MessageType: 'Document' })]);
    await settle(w);
    expect(states(w)[0]).toMatchObject({ status: 'waiting', cursor: { threads: [{ at: 'verdict' }] } });
    await w.receiver.receive([rawMessage({ orderId: 'd-1', approved: false }, { MessageType: 'Verdict' })]);
    await settle(w);
    expect(states(w)[0]!.status).toBe('waiting');
    await w.receiver.receive([rawMessage({ orderId: 'd-1', approved: true }, { MessageType: 'Verdict' })]);
    await settle(w);
    expect(states(w)[0]!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => `${m.messageType} ${JSON.stringify(m.body)}`)).toEqual([
      'ReviewRequest {"round":1}',
      'ReviewRequest {"round":2}',
      'Published {}',
    ]);
  });

  it('after a crash at any persistence point, resumes from the last one: the same messages, once each', async () => {
    const definition = orchestration('Cycle', 1, [
      receive('go', 'Go', { into: 'go' }),
      cycle(true),
      send('after', 'send', 'After', () => ({})),
      complete('done'),
    ]);
    const baseline = await driveWithCrash(definition);
    expect(baseline.status).toBe('completed');
    expect(baseline.commits).toBeGreaterThanOrEqual(4);
    expect(baseline.sent.map(([, content]) => content)).toEqual([
      'A {"visit":1}',
      'A {"visit":2}',
      'C {"a":2,"b":1}',
      'After {}',
    ]);
    for (let at = 1; at <= baseline.commits; at++) {
      const run = await driveWithCrash(definition, at);
      expect(run.crashed, `commit #${at}`).toBe(true);
      expect(run.status, `commit #${at}`).toBe('completed');
      expect(run.sent, `commit #${at}`).toEqual(baseline.sent);
    }
  });
});

/**
 * Runs one Go message to rest; with `crashAt`, the host dies before its n-th commit (which does not happen), and the
 * work item comes back to another host after the lease. What was sent: each message id once, with its content.
 */
async function driveWithCrash(definition: OrchestrationDefinition, crashAt?: number) {
  const w = createWorld([definition]);
  let commits = 0;
  let crashed = false;
  const commit = w.store.commit.bind(w.store);
  w.store.commit = async (...args) => {
    if (++commits === crashAt) {
      crashed = true;
      throw new Error(`host killed before commit #${crashAt}`);
    }
    return commit(...args);
  };
  await w.receiver.receive([rawMessage({}, { MessageType: 'Go' }, 'go-1')]);
  const receiveCounts = new Map<WorkItem, number>();
  for (let hostNumber = 0, guard = 0; w.workQueue.items.length > 0 && guard < 50; guard++) {
    const item = w.workQueue.items.shift()!;
    const receiveCount = (receiveCounts.get(item) ?? 0) + 1;
    receiveCounts.set(item, receiveCount);
    try {
      await w.host(`host-${hostNumber}`).process(item, { receiveCount });
    } catch (error) {
      if (!String(error).includes('host killed')) throw error;
      hostNumber++;
      w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
      w.workQueue.items.unshift(item);
    }
  }
  const sent = new Map<string, string>();
  for (const m of w.sendPort.sent) {
    const content = `${m.messageType} ${JSON.stringify(m.body)}`;
    expect(sent.get(m.messageId) ?? content, `message ${m.messageId} sent again with other content`).toBe(content);
    sent.set(m.messageId, content);
  }
  return { status: states(w)[0]!.status as string, sent: [...sent.entries()], commits, crashed };
}

describe('the definition check', () => {
  const problemsOf = (steps: Shape[]) => {
    try {
      compile(orchestration('Bad', 1, [receive('go', 'Go', { into: 'go' }), ...steps, complete('done')]));
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      return (error as DefinitionError).problems;
    }
    throw new Error('the definition was accepted');
  };

  it('refuses an until with no steps', () => {
    expect(problemsOf([until('empty', () => true, [])])).toEqual(['steps[1]: until "empty" needs at least one step']);
  });

  it('refuses a state machine with no states, or starting in a state it does not have', () => {
    expect(problemsOf([stateMachine('none', { initial: 'a' as never, states: {} })])).toEqual([
      'steps[1]: state machine "none" needs at least one state',
    ]);
    expect(
      problemsOf([
        stateMachine('m', {
          initial: 'start' as 'a',
          states: { a: { steps: [], next: () => '$end' }, b: { steps: [], next: () => 'a' } },
        }),
      ]),
    ).toEqual(['steps[1]: state machine "m" starts in "start", which is not one of its states (a, b)']);
  });

  it('refuses state names that are not ids, and states without next or steps', () => {
    const problems = problemsOf([
      stateMachine('m', {
        initial: 'ok',
        states: {
          ok: { steps: [], next: () => '$end' },
          'not ok': { steps: [], next: () => 'ok' },
          noNext: { steps: [] } as never,
          noSteps: { next: () => '$end' } as never,
        },
      }),
    ]);
    expect(problems).toEqual([
      `steps[1].states.not ok: state machine "m" has a state named "not ok", which must match ${ID_PATTERN}`,
      `steps[1].states.noNext: state "noNext" needs a next function (a state's name, or '$end' to leave the machine)`,
      'steps[1].states.noSteps: state "noSteps" needs its steps (an empty list for none)',
    ]);
  });

  it("checks the states' steps as any others: ids used twice, what a parallel branch may not hold", () => {
    expect(
      problemsOf([
        stateMachine('m', {
          initial: 'a',
          states: {
            a: { steps: [code('same', () => {})], next: () => 'b' },
            b: { steps: [code('same', () => {})], next: () => '$end' },
          },
        }),
      ]),
    ).toEqual(['steps[1].states.b.steps[0]: id "same" is used twice']);
    expect(
      problemsOf([
        parallel('both', [
          branch('one', [
            until('u', () => true, [receiveCorrelated('r', 'Late', { into: 'late', correlation: 'x' })]),
            stateMachine('m', { initial: 'a', states: { a: { steps: [complete('stop')], next: () => '$end' } } }),
          ]),
        ]),
      ]).filter((p) => p.includes('cannot be in a parallel branch')),
    ).toEqual([
      'steps[1].branches[0]: receive "r" cannot be in a parallel branch: messages and the end of the orchestration belong to the orchestration, not to a branch',
      'steps[1].branches[0]: complete "stop" cannot be in a parallel branch: messages and the end of the orchestration belong to the orchestration, not to a branch',
    ]);
  });

  it('types initial and what next returns from the state names', () => {
    stateMachine('typed', {
      // @ts-expect-error: not one of the states
      initial: 'c',
      states: { a: { steps: [], next: () => 'b' }, b: { steps: [], next: () => '$end' } },
    });
    stateMachine('typed', {
      initial: 'a',
      // @ts-expect-error: next names a state the machine does not have
      states: { a: { steps: [], next: () => 'c' } },
    });
    expect(true).toBe(true);
  });
});
