import { describe, expect, it } from 'vitest';
import { branch, complete, orchestration, parallel, receive, send, suspend } from '../../functions/core/builder.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/** The Suspend shape (issue 25): the instance stops for an operator, and a resume goes on after it. */
const checked = orchestration('Checked', 1, [
  receive('start', 'Go', { into: 'go' }),
  send('before', 'send', 'Before', () => ({})),
  suspend('manualCheck', (ctx) => `check ${String((ctx.message('go').body as { id: string }).id)} by hand`),
  send('after', 'send', 'After', () => ({})),
  complete('done'),
]);

const states = (w: ReturnType<typeof createWorld>) =>
  [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);

describe('the Suspend shape', () => {
  it('suspends the instance with its reason after what it sent went out, and a resume goes on after it', async () => {
    const w = createWorld([checked]);
    await w.receiver.receive([rawMessage({ id: 'c-1' }, { MessageType: 'Go' })]);
    await settle(w);
    const [stopped] = states(w);
    expect(stopped).toMatchObject({
      status: 'suspended',
      error: { reason: 'suspended by "manualCheck": check c-1 by hand', shapeId: 'manualCheck' },
    });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Before']);
    // A redelivered work item of the suspended instance finds its effects recorded as gone out: none sent again.
    await w.host().process({ instanceId: stopped!.instanceId, reason: 'receive' }, { receiveCount: 2 });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Before']);

    await w.host().resume(stopped!.instanceId);
    await settle(w);
    expect(states(w)[0]!.status).toBe('completed');
    // The shape does not suspend it again, and what went out before is not sent twice.
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Before', 'After']);
  });

  it('keeps the error of a reason that throws as its reason', async () => {
    const w = createWorld([
      orchestration('Odd', 1, [
        receive('start', 'Go', { into: 'go' }),
        suspend('why', () => {
          throw new Error('no reason to give');
        }),
        complete('done'),
      ]),
    ]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(w);
    expect(states(w)[0]!.error?.reason).toBe('suspended by "why": Error: no reason to give');
  });

  it('suspends a branch instance alone; its join waits for it and goes on once it is resumed', async () => {
    const w = createWorld([
      orchestration('Split', 1, [
        receive('start', 'Go', { into: 'go' }),
        parallel('both', [
          branch('plain', [send('a', 'send', 'A', () => ({}))]),
          branch('held', [suspend('hold', () => 'held for a check'), send('b', 'send', 'B', () => ({}))]),
        ]),
        send('joined', 'send', 'Joined', () => ({})),
        complete('done'),
      ]),
    ]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await settle(w);
    const held = states(w).find((s) => s.instanceId.endsWith('~held'));
    expect(held).toMatchObject({ status: 'suspended', error: { reason: 'suspended by "hold": held for a check' } });
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('waiting');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['A']);

    await w.host().resume(held!.instanceId);
    await settle(w);
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['A', 'B', 'Joined']);
  });
});
