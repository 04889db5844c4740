import { describe, expect, it } from 'vitest';
import {
  branch,
  delay,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  send,
  terminate,
} from '../../functions/core/builder.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/**
 * A branch that a join let outlive it (`rest: 'ignore'`) is ended when its orchestration is terminated, by a Terminate
 * shape or by an operator: the instance keeps the ids of the branches its joins let run on (`outliving`), as Cancel
 * Case (WCP-20) and `OperatorActions.terminate` promise ("its parallel branch instances are ended first, so none keeps
 * sending for an orchestration that is over"). Found writing the WCP-9 and WCP-20 samples.
 */
const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

const outlived = (end: 'shape' | 'operator') =>
  orchestration(
    `Outlived_${end}`,
    1,
    [
      receive('r', 'Go', { into: 'go', correlation: 'go' }),
      parallel(
        'race',
        [
          branch('quick', [send('quickSays', 'send', 'Quick', () => ({}))]),
          branch('slow', [delay('slowWaits', { minutes: 5 }), send('slowSays', 'send', 'Slow', () => ({}))]),
        ],
        { join: 'first', rest: 'ignore' },
      ),
      ...(end === 'shape'
        ? [terminate('stop', () => 'cancelled')]
        : [receiveCorrelated('wait', 'Never', { into: 'never', correlation: 'go' })]),
    ],
    { correlationSets: { go: { Go: keyOf, Never: keyOf } } },
  );

const states = (w: ReturnType<typeof createWorld>) =>
  [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);

describe('a branch that outlives its join', () => {
  it('is ended when a Terminate shape ends its orchestration', async () => {
    const w = createWorld([outlived('shape')]);
    await w.receiver.receive([rawMessage({ key: 'k' }, { MessageType: 'Go' })]);
    await settle(w, { timers: true });
    expect(states(w).find((s) => !s.branchOf)!.status).toBe('terminated');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Quick']);
    expect(states(w).find((s) => s.branchOf?.branch === 'slow')!.status).toBe('terminated');
  });

  it('is ended when an operator terminates its orchestration', async () => {
    const w = createWorld([outlived('operator')]);
    await w.receiver.receive([rawMessage({ key: 'k' }, { MessageType: 'Go' })]);
    await settle(w);
    const main = states(w).find((s) => !s.branchOf)!;
    expect(main.status).toBe('waiting');
    await w.host('admin').terminate(main.instanceId, 'closed by hand');
    await settle(w, { timers: true });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['Quick']);
    expect(states(w).find((s) => s.branchOf?.branch === 'slow')!.status).toBe('terminated');
  });
});
