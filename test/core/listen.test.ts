import { createWorld } from '../helpers/world.ts';
import { describe, expect, it } from 'vitest';
import {
  complete,
  decide,
  listen,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveCorrelated,
  send,
  when,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import type { InboundMessage } from '../../functions/core/message.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';

const orderId = orderIdOf;
const id = (ctx: { message(n: string): InboundMessage }) => orderId(ctx.message('order'));

const approvalWithTimeout = orchestration(
  'ApprovalWithTimeout',
  1,
  [
    receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
    send('ask', 'send', 'ApprovalRequest', (ctx) => ({ orderId: id(ctx) })),
    listen('approvalOrTimeout', [
      onMessage(
        'answered',
        receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
        [
          decide(
            'isApproved',
            [
              when('yes', (ctx) => (ctx.message('approval').body as { approved?: boolean }).approved === true, [
                send('invoice', 'send', 'Invoice', (ctx) => ({ orderId: id(ctx) })),
              ]),
            ],
            [send('refused', 'send', 'OrderRejected', (ctx) => ({ orderId: id(ctx), reason: 'refused' }))],
          ),
        ],
      ),
      onMessage('cancelled', receiveCorrelated('receiveCancel', 'Cancel', { into: 'cancel', correlation: 'order' }), [
        send('cancelledOut', 'send', 'OrderCancelled', (ctx) => ({ orderId: id(ctx) })),
      ]),
      onTimeout('timedOut', 'approvalTimeout', { hours: 48 }, [
        send('timeoutOut', 'send', 'OrderRejected', (ctx) => ({ orderId: id(ctx), reason: 'approval timeout' })),
      ]),
    ]),
    complete('done'),
  ],
  { correlationSets: { order: { Order: orderId, Approval: orderId, Cancel: orderId } } },
);

function world() {
  const base = createWorld([approvalWithTimeout]);
  const host = base.host('h');
  const { workQueue } = base;
  const take = (delayed: boolean) => {
    const taken = workQueue.items.filter((i) => Boolean(i.delaySeconds) === delayed);
    workQueue.items.splice(
      0,
      workQueue.items.length,
      ...workQueue.items.filter((i) => Boolean(i.delaySeconds) !== delayed),
    );
    return taken;
  };
  // Work items whose delay has not run out stay queued until fireTimers.
  const drainNow = async () => {
    for (const item of take(false)) await host.process(item, { receiveCount: 1 });
  };
  const fireTimers = async () => {
    for (const item of take(true)) await host.process(item, { receiveCount: 1 });
  };
  return { ...base, host, drainNow, fireTimers };
}

const types = (w: ReturnType<typeof world>) =>
  w.sendPort.sent.map(
    (m) =>
      `${m.messageType}${(m.body as { reason?: string }).reason ? `:${(m.body as { reason?: string }).reason}` : ''}`,
  );

describe('listen', () => {
  it('takes the message branch when the Approval comes first; the timer that fires later changes nothing', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
    await w.drainNow();
    w.clock.advance(60_000);
    await w.receiver.receive([rawMessage({ orderId: 'o-1', approved: true }, { MessageType: 'Approval' })]);
    await w.drainNow();
    w.clock.advance(48 * 3_600_000);
    await w.fireTimers();
    expect(types(w)).toEqual(['ApprovalRequest', 'Invoice']);
  });

  it('takes the timeout branch when nothing comes within 48 hours', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({ orderId: 'o-2' }, { MessageType: 'Order' })]);
    await w.drainNow();
    w.clock.advance(48 * 3_600_000 + 1);
    await w.fireTimers();
    expect(types(w)).toEqual(['ApprovalRequest', 'OrderRejected:approval timeout']);
    const [instance] = w.store.items.values();
    expect(JSON.parse(instance!).status).toBe('completed');
  });

  it('takes the branch of whichever message arrived first', async () => {
    const w = world();
    await w.receiver.receive([rawMessage({ orderId: 'o-3' }, { MessageType: 'Order' })]);
    w.clock.advance(1_000);
    await w.receiver.receive([rawMessage({ orderId: 'o-3' }, { MessageType: 'Cancel' })]);
    w.clock.advance(1_000);
    await w.receiver.receive([rawMessage({ orderId: 'o-3', approved: true }, { MessageType: 'Approval' })]);
    await w.drainNow();
    expect(types(w)).toEqual(['ApprovalRequest', 'OrderCancelled']);
  });

  it('refuses a listen with one branch or two timeouts', () => {
    const one = orchestration(
      'L1',
      1,
      [receive('r', 'A', { into: 'a', correlation: 'k' }), listen('l', [onTimeout('t', 'd', { seconds: 1 }, [])])],
      { correlationSets: { k: { A: () => 'x' } } },
    );
    expect(() => compile(one)).toThrow(/needs at least two branches/);
    const two = orchestration(
      'L2',
      1,
      [
        receive('r', 'A', { into: 'a', correlation: 'k' }),
        listen('l', [onTimeout('t1', 'd1', { seconds: 1 }, []), onTimeout('t2', 'd2', { seconds: 2 }, [])]),
      ],
      { correlationSets: { k: { A: () => 'x' } } },
    );
    expect(() => compile(two)).toThrow(/more than one timeout/);
  });
});

describe('definition code that throws', () => {
  it('suspends the instance with the reason when a listen timeout cannot compute its duration', async () => {
    const broken = orchestration(
      'BrokenTimeout',
      1,
      [
        receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
        listen('wait', [
          onMessage(
            'answered',
            receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
            [],
          ),
          onTimeout(
            'timedOut',
            'approvalTimeout',
            () => {
              throw new Error('no timeout configured');
            },
            [],
          ),
        ]),
        complete('done'),
      ],
      { correlationSets: { order: { Order: orderId, Approval: orderId } } },
    );
    const w = createWorld([broken]);
    await w.receiver.receive([rawMessage({ orderId: 'o-9' }, { MessageType: 'Order' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const state = JSON.parse([...w.store.items.values()][0]!);
    expect(state.status).toBe('suspended');
    expect(state.error).toMatchObject({
      shapeId: 'approvalTimeout',
      reason: 'delay "approvalTimeout" could not compute its duration: Error: no timeout configured',
    });
  });
});
