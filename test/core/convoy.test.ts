import { describe, expect, it } from 'vitest';
import {
  code,
  complete,
  delay,
  loop,
  orchestration,
  receive,
  receiveCorrelated,
  send,
} from '../../functions/core/builder.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/**
 * A sequential convoy that never ends by itself: an Open starts it for a key, then it takes every Line of that key,
 * one at a time, until a Line says it is the last. What it keeps must not grow with the Lines it took.
 */
const ledger = orchestration(
  'Ledger',
  1,
  [
    receive('open', 'Open', { into: 'open', correlation: 'account' }),
    loop('eachLine', (ctx) => ctx.vars.closed !== true, [
      receiveCorrelated('takeLine', 'Line', { into: 'line', correlation: 'account' }),
      code('add', (ctx) => {
        const line = ctx.message('line').body as { amount: number; last?: boolean };
        ctx.vars.total = ((ctx.vars.total as number) ?? 0) + line.amount;
        ctx.vars.lines = ((ctx.vars.lines as number) ?? 0) + 1;
        if (line.last) ctx.vars.closed = true;
      }),
    ]),
    send('report', 'send', 'Balance', (ctx) => ({ total: ctx.vars.total, lines: ctx.vars.lines })),
    complete('done'),
  ],
  {
    correlationSets: {
      account: {
        Open: (m) => (m.body as { account: string }).account,
        Line: (m) => (m.body as { account: string }).account,
      },
    },
  },
);

const open = (account: string) => rawMessage({ account }, { MessageType: 'Open' });
const line = (account: string, amount: number, last = false) =>
  rawMessage({ account, amount, last }, { MessageType: 'Line' });

function world() {
  const w = createWorld([ledger]);
  // What each wake-up read from the inbox, and the instance's stored size after each message.
  const reads: number[] = [];
  const deliveries = w.store.deliveries.bind(w.store);
  w.store.deliveries = async (id) => {
    const inbox = await deliveries(id);
    reads.push(inbox.length);
    return inbox;
  };
  const drain = async () => {
    while (w.workQueue.items.length > 0) await w.host('h').process(w.workQueue.items.shift()!, { receiveCount: 1 });
  };
  return { ...w, reads, drain };
}

describe('a convoy of many messages for one key', () => {
  it('takes 10,000 Lines with an instance whose stored size and inbox reads stay flat, and each Line once', async () => {
    const w = world();
    await w.receiver.receive([open('acc-1')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    const sizes: number[] = [];
    const lines = 10_000;
    for (let n = 1; n <= lines; n++) {
      const message = line('acc-1', 1, n === lines);
      await w.receiver.receive([message]);
      // SQS brings every hundredth Line twice, once it was taken.
      if (n % 100 === 0) await w.receiver.receive([message]);
      await w.drain();
      sizes.push(w.store.items.get(instanceId!)!.length);
    }
    const done = (await w.store.load(instanceId!))!;
    expect(done.status).toBe('completed');
    expect(w.sendPort.sent.find((m) => m.messageType === 'Balance')!.body).toEqual({ total: lines, lines });
    // Flat: waiting for its next Line, the stored instance after 9,999 Lines is within a few bytes (the numbers' digits)
    // of the one after 100.
    const waiting = sizes.slice(99, -1);
    expect(Math.max(...waiting) - Math.min(...waiting)).toBeLessThan(16);
    expect(done.consumed.length).toBeLessThanOrEqual(2);
    // Each wake-up read the Line waiting (and at most the one it had just taken, before it was settled).
    expect(Math.max(...w.reads)).toBeLessThanOrEqual(2);
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
    expect(await w.store.listSuspendedMessages()).toEqual([]);
  });

  it('does not take twice a copy SQS brought back while the message was being settled', async () => {
    const w = world();
    await w.receiver.receive([open('acc-2')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    const first = line('acc-2', 5);
    await w.receiver.receive([first]);
    await w.drain();
    // The copy passed the receive host's check just before the message was settled, and lands in the inbox after.
    const copy = (await w.store.settled(instanceId!, [first.messageId])).has(first.messageId) && {
      messageId: first.messageId,
      messageType: 'Line',
      body: { account: 'acc-2', amount: 5, last: false },
      properties: {},
      receivedAt: w.clock.now(),
      incarnation: (await w.store.load(instanceId!))!.createdAt,
    };
    expect(copy).toBeTruthy();
    w.store.inboxes.get(instanceId!)!.push(copy as never);
    await w.receiver.receive([line('acc-2', 7, true)]);
    await w.drain();
    expect(w.sendPort.sent.find((m) => m.messageType === 'Balance')!.body).toEqual({ total: 12, lines: 2 });
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
  });

  it('reads on each wake-up the body of the message it takes, not those of the backlog (issue 22, path 7)', async () => {
    // One Line per wake-up: each is followed by a pause, so the instance dehydrates and lists its inbox again.
    const paced = orchestration(
      'Paced',
      1,
      [
        receive('open', 'Open', { into: 'open', correlation: 'account' }),
        loop('eachLine', (ctx) => ctx.vars.closed !== true, [
          receiveCorrelated('takeLine', 'Line', { into: 'line', correlation: 'account' }),
          code('add', (ctx) => {
            if ((ctx.message('line').body as { last?: boolean }).last) ctx.vars.closed = true;
          }),
          delay('pause', { seconds: 1 }),
        ]),
        complete('done'),
      ],
      {
        correlationSets: {
          account: {
            Open: (m) => (m.body as { account: string }).account,
            Line: (m) => (m.body as { account: string }).account,
          },
        },
      },
    );
    const w = createWorld([paced]);
    let bodies = 0;
    const [deliveries, delivery] = [w.store.deliveries.bind(w.store), w.store.delivery?.bind(w.store)];
    w.store.deliveries = async (id) => {
      const inbox = await deliveries(id);
      bodies += inbox.filter((m) => m.body !== undefined).length;
      return inbox;
    };
    if (delivery)
      w.store.delivery = async (id, messageId) => {
        bodies++;
        return delivery(id, messageId);
      };
    await w.receiver.receive([open('acc-9')]);
    await settle(w, { timers: true });
    // A backlog of 30 large Lines (8 KB each) waits before it takes the first.
    const large = (n: number) =>
      rawMessage({ account: 'acc-9', amount: n, last: n === 30, note: 'x'.repeat(8_000) }, { MessageType: 'Line' });
    for (let n = 1; n <= 30; n++) await w.receiver.receive([large(n)]);
    await settle(w, { timers: true });
    const [instanceId] = w.store.items.keys();
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    // A body for each Line it took, twice at most (two hosts woken at once both read the Line, one commits): not the
    // whole backlog on every wake-up (30 + 29 + ... = 465, and more with the races).
    expect(bodies).toBeLessThanOrEqual(2 * 30);
  });
});
