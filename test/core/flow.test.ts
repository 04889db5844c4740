import { describe, expect, it } from 'vitest';
import {
  code,
  complete,
  loop,
  orchestration,
  receive,
  send,
  terminate,
  throwError,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { MAX_SHAPES_PER_RUN } from '../../functions/core/engine.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

async function runOnce(definition: ReturnType<typeof orchestration>) {
  const w = createWorld([definition]);
  let commits = 0;
  const commit = w.store.commit.bind(w.store);
  w.store.commit = async (...args) => {
    commits++;
    return commit(...args);
  };
  await w.receiver.receive([rawMessage({ n: 3 }, { MessageType: 'Go' })]);
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  const [state] = [...w.store.items.values()].map((v) => JSON.parse(v));
  return { w, state, commits };
}

describe('loop, throw, terminate', () => {
  it('loops while the condition holds, each pass sending with its own deterministic id', async () => {
    const { w, state } = await runOnce(
      orchestration('Loop', 1, [
        receive('r', 'Go', { into: 'go' }),
        code('init', (ctx) => {
          ctx.vars.i = 0;
        }),
        loop('each', (ctx) => (ctx.vars.i as number) < (ctx.message('go').body as { n: number }).n, [
          send('tick', 'send', 'Tick', (ctx) => ({ i: ctx.vars.i })),
          code('next', (ctx) => {
            ctx.vars.i = (ctx.vars.i as number) + 1;
          }),
        ]),
        complete('done'),
      ]),
    );
    expect(state.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => (m.body as { i: number }).i)).toEqual([0, 1, 2]);
    expect(new Set(w.sendPort.sent.map((m) => m.messageId)).size).toBe(3);
  });

  it('persists and goes on when a loop runs long without waiting', async () => {
    const { state, commits } = await runOnce(
      orchestration('LongLoop', 1, [
        receive('r', 'Go', { into: 'go' }),
        code('init', (ctx) => {
          ctx.vars.i = 0;
        }),
        loop('spin', (ctx) => (ctx.vars.i as number) < MAX_SHAPES_PER_RUN, [
          code('inc', (ctx) => {
            ctx.vars.i = (ctx.vars.i as number) + 1;
          }),
        ]),
        complete('done'),
      ]),
    );
    expect(state.status).toBe('completed');
    expect(state.vars.i).toBe(MAX_SHAPES_PER_RUN);
    expect(commits).toBeGreaterThan(1);
  });

  it('suspends on an uncaught throw, with its message', async () => {
    const { w, state } = await runOnce(
      orchestration('Throws', 1, [
        receive('r', 'Go', { into: 'go' }),
        throwError('boom', () => 'credit check refused'),
        send('never', 'send', 'Never', () => ({})),
        complete('done'),
      ]),
    );
    expect(state.status).toBe('suspended');
    expect(state.error.reason).toBe('thrown by "boom": credit check refused');
    expect(w.sendPort.sent).toHaveLength(0);
  });

  it('terminates at once, keeping what was sent before', async () => {
    const { w, state } = await runOnce(
      orchestration('Terminates', 1, [
        receive('r', 'Go', { into: 'go' }),
        send('before', 'send', 'Before', () => ({})),
        terminate('stop', () => 'duplicate order'),
        send('never', 'send', 'Never', () => ({})),
        complete('done'),
      ]),
    );
    expect(state.status).toBe('terminated');
    expect(state.error.reason).toContain('duplicate order');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Before']);
  });

  it('refuses an empty loop', () => {
    expect(() =>
      compile(orchestration('Empty', 1, [receive('r', 'Go', { into: 'go' }), loop('l', () => true, [])])),
    ).toThrow(/needs at least one step/);
  });
});
