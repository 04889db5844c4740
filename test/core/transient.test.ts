import { describe, expect, it } from 'vitest';
import {
  complete,
  delay,
  listen,
  loop,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveCorrelated,
  send,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import type { OrchestrationDefinition, Shape } from '../../functions/core/definition.ts';
import type { RawMessage } from '../../functions/core/message.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/**
 * Transient receives (issue 25, WCP-23): a message counts for one only if it arrived while the instance waited there.
 * An order waits for its Approval (a persistent receive), then for a Quote; a Quote that came before the Approval was
 * taken is early.
 */
const orderId = (ctx: { message(n: string): { body: unknown } }) => orderIdOf(ctx.message('order'));
const price = (ctx: { message(n: string): { body: unknown } }) =>
  (ctx.message('quote').body as { price: number }).price;
const sets = { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Quote: orderIdOf } } };
const accept = () => send('accept', 'send', 'Accepted', (ctx) => ({ orderId: orderId(ctx), price: price(ctx) }));

function quotes(transient: boolean): OrchestrationDefinition {
  return orchestration(
    'Quotes',
    1,
    [
      receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
      receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
      receiveCorrelated('receiveQuote', 'Quote', { into: 'quote', correlation: 'order', transient }),
      accept(),
      complete('done'),
    ],
    sets,
  );
}

/** The same, the Quote raced against a ten-minute timeout by a listen. */
function quoteOrTimeout(transient: boolean): OrchestrationDefinition {
  return orchestration(
    'QuoteOrTimeout',
    1,
    [
      receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
      receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
      listen('quoteOrTimeout', [
        onMessage(
          'quoted',
          receiveCorrelated('receiveQuote', 'Quote', { into: 'quote', correlation: 'order', transient }),
          [accept()],
        ),
        onTimeout('expired', 'quoteTimeout', { minutes: 10 }, [
          send('expire', 'send', 'Expired', (ctx) => ({ orderId: orderId(ctx) })),
        ]),
      ]),
      complete('done'),
    ],
    sets,
  );
}

function world(definition: OrchestrationDefinition) {
  const w = createWorld([definition]);
  /** Runs the work items ready now (no timer), one by one, on `hostId`. */
  const drain = async (hostId = 'a') => {
    for (let i = w.workQueue.items.findIndex((x) => !x.delaySeconds); i >= 0; ) {
      const [item] = w.workQueue.items.splice(i, 1);
      await w.host(hostId).process(item!, { receiveCount: 1 });
      i = w.workQueue.items.findIndex((x) => !x.delaySeconds);
    }
  };
  /** A message in, through the receive host, and what it wakes run. */
  const send = async (message: RawMessage) => {
    const { failures } = await w.receiver.receive([message]);
    expect(failures.size).toBe(0);
    await drain();
  };
  const instance = async () => (await w.store.load([...w.store.items.keys()][0]!))!;
  const sent = () =>
    w.sendPort.sent.map(
      (m) => `${m.messageType}${'price' in (m.body as object) ? `:${(m.body as { price: number }).price}` : ''}`,
    );
  return { ...w, drain, send, instance, sent };
}

const order = () => rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' });
const approval = () => rawMessage({ orderId: 'o-1', approved: true }, { MessageType: 'Approval' });
const quote = (p: number) => rawMessage({ orderId: 'o-1', price: p }, { MessageType: 'Quote' });
const MINUTE = 60_000;

/** Order, then a Quote a minute later (before the Approval), then the Approval a minute after that. */
async function earlyQuote(w: ReturnType<typeof world>) {
  await w.send(order());
  w.clock.advance(MINUTE);
  const early = quote(1);
  await w.send(early);
  w.clock.advance(MINUTE);
  await w.send(approval());
  return early;
}

describe('transient receive', () => {
  it('does not take a message that came before it waited, but takes one that comes while it waits', async () => {
    const w = world(quotes(true));
    const early = await earlyQuote(w);
    const waiting = await w.instance();
    expect(waiting.status).toBe('waiting');
    expect(waiting.cursor.threads[0]!.at).toBe('receiveQuote');
    expect(w.sent()).toEqual([]);
    // Passed over, not lost: it stays in the inbox.
    expect((await w.store.deliveries(waiting.instanceId)).map((m) => m.messageId)).toEqual([early.messageId]);

    w.clock.advance(MINUTE);
    await w.send(quote(2));
    expect(w.sent()).toEqual(['Accepted:2']);
    expect((await w.instance()).status).toBe('completed');
  });

  it('leaves a persistent receive as it was: the same early message is taken', async () => {
    const w = world(quotes(false));
    await earlyQuote(w);
    expect(w.sent()).toEqual(['Accepted:1']);
    expect((await w.instance()).status).toBe('completed');
    expect(await w.store.listSuspendedMessages()).toEqual([]);
  });

  it('keeps the message it passed over as a suspended message, saying why, once the instance ends', async () => {
    const w = world(quotes(true));
    const early = await earlyQuote(w);
    w.clock.advance(MINUTE);
    await w.send(quote(2));
    const done = await w.instance();
    expect(done.status).toBe('completed');
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId)).toEqual([early.messageId]);
    expect(kept[0]).toMatchObject({ source: `inbox of ${done.instanceId}`, attributes: { MessageType: 'Quote' } });
    expect(kept[0]!.reason).toMatch(
      /ended completed without taking it: it arrived \(.*\) before the transient receive "receiveQuote" began waiting/,
    );
    expect(JSON.parse(kept[0]!.body)).toEqual({ orderId: 'o-1', price: 1 });
    expect(await w.store.deliveries(done.instanceId)).toEqual([]);
  });

  it("takes a listen's timeout when only an early message is there; a persistent branch takes that message", async () => {
    const w = world(quoteOrTimeout(true));
    const early = await earlyQuote(w);
    expect((await w.instance()).status).toBe('waiting');
    await settle(w, { timers: true });
    expect(w.sent()).toEqual(['Expired']);
    expect((await w.instance()).status).toBe('completed');
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId)).toEqual([early.messageId]);
    expect(kept[0]!.reason).toMatch(/before the transient receive "receiveQuote" began waiting/);

    const persistent = world(quoteOrTimeout(false));
    await earlyQuote(persistent);
    expect(persistent.sent()).toEqual(['Accepted:1']);
  });

  it("takes a message that comes while a listen's transient branch waits, before the timeout", async () => {
    const w = world(quoteOrTimeout(true));
    await earlyQuote(w);
    w.clock.advance(5 * MINUTE);
    await w.send(quote(2));
    await settle(w, { timers: true });
    expect(w.sent()).toEqual(['Accepted:2']);
  });

  it('counts, in doubt, a message received within the clock skew bound before it waited; not one before that', async () => {
    for (const [before, taken] of [
      [500, true],
      [1_500, false],
    ] as const) {
      const w = world(quotes(true));
      await w.send(order());
      w.clock.advance(MINUTE);
      await w.send(quote(1));
      w.clock.advance(before);
      await w.send(approval());
      expect(w.sent()).toEqual(taken ? ['Accepted:1'] : []);
    }
  });

  it('keeps when it began waiting across a crash and a redelivery: a message that came meanwhile is taken', async () => {
    const w = world(quotes(true));
    await w.send(order());
    await w.send(approval());
    expect((await w.instance()).cursor.threads[0]!.at).toBe('receiveQuote');
    w.clock.advance(MINUTE);
    await w.receiver.receive([quote(2)]);
    // The host woken by the Quote dies before its commit; SQS brings the work item back ten minutes later.
    const [item] = w.workQueue.items.splice(0, 1);
    const commit = w.store.commit.bind(w.store);
    w.store.commit = async () => {
      w.store.commit = commit;
      throw new Error('host killed');
    };
    await expect(w.host('a').process(item!, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.clock.advance(10 * MINUTE);
    await w.host('b').process(item!, { receiveCount: 2 });
    await w.drain('b');
    expect(w.sent()).toEqual(['Accepted:2']);
    expect(await w.store.listSuspendedMessages()).toEqual([]);
  });

  it('keeps an early message early when SQS delivers it again after the receive began waiting', async () => {
    const w = world(quotes(true));
    const early = await earlyQuote(w);
    w.clock.advance(MINUTE);
    // The same message again (the receive host died before deleting it): the inbox keeps its first arrival.
    await w.send({ ...early, receiveCount: 2 });
    expect(w.sent()).toEqual([]);
    expect((await w.instance()).status).toBe('waiting');
    w.clock.advance(MINUTE);
    await w.send(quote(2));
    expect(w.sent()).toEqual(['Accepted:2']);
    expect((await w.store.listSuspendedMessages()).map((m) => m.messageId)).toEqual([early.messageId]);
  });

  it('begins to wait with the commit that dehydrates it there: a crash before that commit is as if it got there later', async () => {
    const w = world(quotes(true));
    await w.send(order());
    w.clock.advance(MINUTE);
    const early = quote(1);
    await w.send(early);
    w.clock.advance(MINUTE);
    await w.receiver.receive([approval()]);
    // The run that takes the Approval and reaches the Quote's receive dies at its commit, and runs again later.
    const [item] = w.workQueue.items.splice(0, 1);
    const commit = w.store.commit.bind(w.store);
    w.store.commit = async () => {
      w.store.commit = commit;
      throw new Error('host killed');
    };
    await expect(w.host('a').process(item!, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.clock.advance(MINUTE);
    await w.host('b').process(item!, { receiveCount: 2 });
    await w.drain('b');
    const waiting = await w.instance();
    expect(waiting.cursor.threads[0]!.at).toBe('receiveQuote');
    expect(waiting.cursor.threads[0]!.reached).toEqual({ receiveQuote: w.clock.now() });
    expect(w.sent()).toEqual([]);
    w.clock.advance(MINUTE);
    await w.send(quote(2));
    expect(w.sent()).toEqual(['Accepted:2']);
    expect((await w.store.listSuspendedMessages()).map((m) => m.messageId)).toEqual([early.messageId]);
  });

  it('records when it began waiting with no write of its own: as many writes as a persistent receive', async () => {
    const writes = async (transient: boolean) => {
      const w = world(quotes(transient));
      await w.send(order());
      await w.send(approval());
      w.clock.advance(MINUTE);
      await w.send(quote(2));
      expect(w.sent()).toEqual(['Accepted:2']);
      return w.store.writes;
    };
    expect(await writes(true)).toBe(await writes(false));
  });

  it('begins to wait afresh each time it comes to the receive again (a loop)', async () => {
    const pass: Shape[] = [
      receiveCorrelated('receiveQuote', 'Quote', { into: 'quote', correlation: 'order', transient: true }),
      accept(),
      delay('coolOff', { minutes: 5 }),
    ];
    const w = world(
      orchestration(
        'TwoQuotes',
        1,
        [
          receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
          loop('twice', (ctx) => ((ctx.vars.n = ((ctx.vars.n as number) ?? 0) + 1) as number) <= 2, pass),
          complete('done'),
        ],
        sets,
      ),
    );
    await w.send(order());
    // Both come while the first pass waits: it takes the older; the other came before the second pass waited.
    w.clock.advance(MINUTE);
    await w.send(quote(1));
    w.clock.advance(MINUTE);
    const second = quote(2);
    await w.send(second);
    await settle(w, { timers: true });
    expect(w.sent()).toEqual(['Accepted:1']);
    expect((await w.instance()).status).toBe('waiting');
    w.clock.advance(MINUTE);
    await w.send(quote(3));
    await settle(w, { timers: true });
    expect(w.sent()).toEqual(['Accepted:1', 'Accepted:3']);
    expect((await w.instance()).status).toBe('completed');
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId)).toEqual([second.messageId]);
    expect(kept[0]!.reason).toMatch(/before the transient receive "receiveQuote" began waiting/);
  });

  it('refuses a transient activating receive', () => {
    const activating = orchestration(
      'T1',
      1,
      [{ ...receive('r', 'A', { into: 'a', correlation: 'k' }), transient: true } as Shape, complete('done')],
      { correlationSets: { k: { A: () => 'x' } } },
    );
    expect(() => compile(activating)).toThrow(/receive "r" cannot be transient: it activates/);
  });
});
