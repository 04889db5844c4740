import { randomBytes } from 'node:crypto';
import type { RawMessage } from '../../functions/core/message.ts';
import type { OrderBody } from '../../functions/orchestrations/messages.ts';
import { activate } from '../../functions/core/engine.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';

let counter = 0;

export function validOrder(orderId = `o-${++counter}`) {
  return {
    orderId,
    customerId: 'c-1',
    lines: [
      { sku: 'A', qty: 2, unitPrice: 10.1 },
      { sku: 'B', qty: 1, unitPrice: 0.2 },
    ],
  };
}

/** A raw receive-queue message, as the SQS adapter hands it over. */
export function rawMessage(
  body: unknown,
  attributes: Record<string, string> = { MessageType: 'Order' },
  messageId = `m-${++counter}`,
): RawMessage {
  return { messageId, body: typeof body === 'string' ? body : JSON.stringify(body), attributes };
}

/** The `orderId` of a message body, the correlation key of the order samples. */
export function orderIdOf(message: { body: unknown }): string | undefined {
  const body = message.body;
  return typeof body === 'object' && body !== null && typeof (body as { orderId?: unknown }).orderId === 'string'
    ? (body as { orderId: string }).orderId
    : undefined;
}

/**
 * An order of `lines` lines, each SKU `skuBytes` long: short SKUs repeat (the body compresses), long ones are random
 * (it does not). 7,800 lines of 4-byte SKUs make about 295 KB; 6,000 of 120 bytes about 900 KB. Every SKU starts with a
 * lower-case letter: the sample takes an SKU starting `OOS` as out of stock, and a random one did once in 262,144
 * lines (one 6,000-line order in 44 answered OrderRejected).
 */
export function largeOrder(orderId: string, lines: number, skuBytes: number, unitPrice = 2): OrderBody {
  const sku = (i: number) =>
    skuBytes <= 8 ? `s${i % 1000}` : `w${randomBytes(skuBytes).toString('base64url')}`.slice(0, skuBytes);
  return {
    orderId,
    customerId: 'c-large',
    lines: Array.from({ length: lines }, (_, i) => ({ sku: sku(i), qty: 1 + (i % 3), unitPrice })),
  };
}

const fulfilment = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;

/** A new OrderFulfilment instance (not stored), each with an id of its own; `prefix` names the test that made it. */
export function freshInstance(prefix: string, now = Date.now()) {
  return activate(
    fulfilment,
    {
      messageId: `${prefix}-${process.pid}-${++counter}-${now}`,
      messageType: 'Order',
      body: {},
      properties: {},
      receivedAt: now,
    },
    now,
  );
}
