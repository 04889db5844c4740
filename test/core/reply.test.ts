import { describe, expect, it } from 'vitest';
import {
  branch,
  call,
  callable,
  code,
  complete,
  parallel,
  listen,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveReply,
  send,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

/**
 * A solicit-response send port (BizTalk): the request goes out with its instance's id in the InstanceId attribute, the
 * answering service sends its reply with that attribute, and the instance that asked takes it.
 */
const priced = orchestration('Priced', 1, [
  receive('receiveOrder', 'Order', { into: 'order' }),
  send('askPrice', 'pricing', 'PriceRequest', (ctx) => ({
    orderId: (ctx.message('order').body as { orderId: string }).orderId,
  })),
  receiveReply('receivePrice', 'PriceResponse', { into: 'price' }),
  send('invoice', 'send', 'Invoice', (ctx) => ({
    orderId: (ctx.message('order').body as { orderId: string }).orderId,
    total: (ctx.message('price').body as { total: number }).total,
  })),
  complete('done'),
]);

/** Another orchestration waiting for replies of the same type: a reply goes to its own instance's orchestration. */
const quoted = orchestration('Quoted', 1, [
  receive('receiveQuote', 'QuoteRequest', { into: 'request' }),
  send('askPrice', 'pricing', 'PriceRequest', () => ({ orderId: 'q' })),
  listen('answer', [
    onMessage('priced', receiveReply('receivePrice', 'PriceResponse', { into: 'price' }), [
      send('quote', 'send', 'Quote', (ctx) => ctx.message('price').body),
    ]),
    onTimeout('slow', 'priceTimeout', { minutes: 5 }, []),
  ]),
  complete('done'),
]);

/** Two requests at once: each parallel branch asks its own service and takes its own reply. */
const sourced = orchestration('Sourced', 1, [
  receive('receiveOrder', 'SourcingRequest', { into: 'order' }),
  parallel('askBoth', [
    branch('stock', [
      send('askStock', 'stock', 'StockRequest', () => ({ sku: 'A' })),
      receiveReply('receiveStock', 'StockResponse', { into: 'stock' }),
      code('keepStock', (ctx) => {
        ctx.vars.stock = (ctx.message('stock').body as { available: number }).available;
      }),
    ]),
    branch('stockOrLate', [
      send('askDepot', 'depot', 'DepotRequest', () => ({ sku: 'A' })),
      listen('depotAnswer', [
        onMessage('answered', receiveReply('receiveDepot', 'DepotResponse', { into: 'depot' }), [
          code('keepDepot', (ctx) => {
            ctx.vars.depot = (ctx.message('depot').body as { days: number }).days;
          }),
        ]),
        onTimeout('late', 'depotTimeout', { minutes: 5 }, []),
      ]),
    ]),
    branch('price', [
      call(
        'price',
        callable('AskPrice', [
          send('askPrice', 'pricing', 'PriceRequest', () => ({ sku: 'A' })),
          receiveReply('receivePrice', 'PriceResponse', { into: 'price' }),
          code('keepPrice', (ctx) => {
            ctx.vars.price = (ctx.message('price').body as { total: number }).total;
          }),
        ]),
      ),
    ]),
  ]),
  send('offer', 'send', 'Offer', (ctx) => ({ stock: ctx.vars.stock, price: ctx.vars.price, depot: ctx.vars.depot })),
  complete('done'),
]);

function world() {
  const base = createWorld([priced, quoted, sourced]);
  // Work due now; a timer's item (the listen's timeout, minutes away) stays queued.
  const drain = async () => {
    for (;;) {
      const at = base.workQueue.items.findIndex((item) => !item.delaySeconds);
      if (at < 0) return;
      await base.host('a').process(base.workQueue.items.splice(at, 1)[0]!, { receiveCount: 1 });
    }
  };
  return { ...base, drain };
}

/** The service's answer to a request it read from the send port's queue. */
const replyTo = (instanceId: string, total: number) =>
  rawMessage({ total }, { MessageType: 'PriceResponse', InstanceId: instanceId });

describe('a reply to a solicit-response request (receiveReply)', () => {
  it('goes to the instance whose request named it, and only that one', async () => {
    const w = world();
    await w
      .receiverFor()
      .receive([
        rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' }),
        rawMessage({ orderId: 'o-2' }, { MessageType: 'Order' }),
      ]);
    await w.drain();
    const requests = w.sendPort.sent.filter((m) => m.messageType === 'PriceRequest');
    expect(requests).toHaveLength(2);
    // The answers come back in the other order: each still reaches the instance that asked.
    await w.receiverFor().receive([replyTo(requests[1]!.instanceId, 20), replyTo(requests[0]!.instanceId, 10)]);
    await w.drain();
    const invoices = w.sendPort.sent.filter((m) => m.messageType === 'Invoice').map((m) => m.body);
    expect(invoices).toEqual(
      expect.arrayContaining([
        { orderId: 'o-1', total: 10 },
        { orderId: 'o-2', total: 20 },
      ]),
    );
    expect(invoices).toHaveLength(2);
    for (const request of requests) expect((await w.store.load(request.instanceId))!.status).toBe('completed');
  });

  it('is taken by a listen branch, in the orchestration its instance runs', async () => {
    const w = world();
    await w
      .receiverFor()
      .receive([
        rawMessage({}, { MessageType: 'QuoteRequest' }),
        rawMessage({ orderId: 'o-3' }, { MessageType: 'Order' }),
      ]);
    await w.drain();
    const quoteRequest = w.sendPort.sent.find(
      (m) => m.messageType === 'PriceRequest' && (m.body as { orderId: string }).orderId === 'q',
    )!;
    await w.receiverFor().receive([replyTo(quoteRequest.instanceId, 7)]);
    await w.drain();
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Quote').map((m) => m.body)).toEqual([{ total: 7 }]);
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Invoice')).toEqual([]);
  });

  it('is suspended with its reason when it names no instance, or none waiting for it', async () => {
    const w = world();
    const { outcomes } = await w
      .receiverFor()
      .receive([
        rawMessage({ total: 1 }, { MessageType: 'PriceResponse' }),
        rawMessage({ total: 1 }, { MessageType: 'PriceResponse', InstanceId: 'no-such-instance' }),
      ]);
    expect(outcomes.map((o) => o.result)).toEqual(['suspended', 'suspended']);
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.reason)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'names instance "no-such-instance" (its InstanceId attribute), which is not an instance of',
        ),
        expect.stringContaining('needs the InstanceId attribute its request went out with'),
      ]),
    );
    expect(kept).toHaveLength(2);
  });

  it('is taken in a parallel branch (by a listen too) and in a called orchestration, by the instance that sent the request', async () => {
    const w = world();
    await w.receiverFor().receive([rawMessage({}, { MessageType: 'SourcingRequest' })]);
    await w.drain();
    const stock = w.sendPort.sent.find((m) => m.messageType === 'StockRequest')!;
    const price = w.sendPort.sent.find((m) => m.messageType === 'PriceRequest')!;
    const depot = w.sendPort.sent.find((m) => m.messageType === 'DepotRequest')!;
    // Each branch instance asked under its own id: its reply is its own.
    expect(stock.instanceId).not.toBe(price.instanceId);
    await w.receiverFor().receive([
      rawMessage({ total: 12 }, { MessageType: 'PriceResponse', InstanceId: price.instanceId }),
      rawMessage({ available: 3 }, { MessageType: 'StockResponse', InstanceId: stock.instanceId }),
      // A listen for a reply in a branch: the reply beats its timeout.
      rawMessage({ days: 2 }, { MessageType: 'DepotResponse', InstanceId: depot.instanceId }),
    ]);
    await w.drain();
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Offer').map((m) => m.body)).toEqual([
      { stock: 3, price: 12, depot: 2 },
    ]);
  });

  it('cannot activate, and needs no correlation set of the orchestration', () => {
    expect(() => compile(priced)).not.toThrow();
    expect(() =>
      compile(
        orchestration('Bad', 1, [{ ...receiveReply('r', 'PriceResponse', { into: 'p' }), activate: true } as never]),
      ),
    ).toThrow(/cannot activate as a reply/);
  });
});
