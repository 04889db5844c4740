import type { RawMessage } from '../../functions/core/message.ts';

let counter = 0;

export function validOrder(orderId = `o-${++counter}`) {
  return { orderId, customerId: 'c-1', lines: [{ sku: 'A', qty: 2, unitPrice: 10.1 }, { sku: 'B', qty: 1, unitPrice: 0.2 }] };
}

/** A raw receive-queue message, as the SQS adapter hands it over. */
export function rawMessage(body: unknown, attributes: Record<string, string> = { MessageType: 'Order' }, messageId = `m-${++counter}`): RawMessage {
  return { messageId, body: typeof body === 'string' ? body : JSON.stringify(body), attributes };
}

/** The `orderId` of a message body, the correlation key of the order samples. */
export function orderIdOf(message: { body: unknown }): string | undefined {
  const body = message.body;
  return typeof body === 'object' && body !== null && typeof (body as { orderId?: unknown }).orderId === 'string' ? (body as { orderId: string }).orderId : undefined;
}
