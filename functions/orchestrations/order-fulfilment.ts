import { code, complete, decide, orchestration, receive, send, when } from '../core/builder.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import { isRecord } from '../core/message.ts';

export interface OrderLine {
  readonly sku: string;
  readonly qty: number;
  readonly unitPrice: number;
}

export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
}

export interface OrderFulfilmentOptions {
  /** Simulated latency of the pricing service call, in ms (the demo uses it so a kill lands mid-step). */
  readonly pricingLatencyMs?: number;
}

/** The send port outbound business messages go to. */
export const SEND_PORT = 'send';

/** Why an order is not acceptable, or undefined if it is. */
export function validateOrder(order: unknown): string | undefined {
  if (!isRecord(order)) return 'order must be a JSON object';
  if (typeof order.orderId !== 'string' || order.orderId.trim() === '') return 'orderId must be a non-empty string';
  if (typeof order.customerId !== 'string' || order.customerId.trim() === '') return 'customerId must be a non-empty string';
  if (!Array.isArray(order.lines) || order.lines.length === 0) return 'lines must be a non-empty array';
  for (const [i, line] of order.lines.entries()) {
    if (!isRecord(line)) return `lines[${i}] must be an object`;
    if (typeof line.sku !== 'string' || line.sku === '') return `lines[${i}].sku must be a non-empty string`;
    if (!Number.isInteger(line.qty) || (line.qty as number) <= 0) return `lines[${i}].qty must be a positive integer`;
    if (typeof line.unitPrice !== 'number' || !Number.isFinite(line.unitPrice) || line.unitPrice < 0) {
      return `lines[${i}].unitPrice must be a non-negative number`;
    }
  }
  return undefined;
}

/** Order total in currency units, summed in cents so 0.1 + 0.2 stays 0.3. */
export function priceOrder(order: Order): number {
  const cents = order.lines.reduce((sum, line) => sum + Math.round(line.unitPrice * 100) * line.qty, 0);
  return cents / 100;
}

/**
 * OrderFulfilment v1: an Order is validated and priced; a valid one produces one Invoice, an invalid one
 * one OrderRejected.
 */
export function orderFulfilment(options: OrderFulfilmentOptions = {}): OrchestrationDefinition {
  const latency = options.pricingLatencyMs ?? 0;
  return orchestration('OrderFulfilment', 1, [
    receive('receiveOrder', 'Order', { into: 'order' }),
    code('validate', (ctx) => {
      const reason = validateOrder(ctx.message('order').body);
      ctx.vars.valid = reason === undefined;
      if (reason) ctx.vars.reason = reason;
    }),
    decide(
      'isValid',
      [
        when('valid', (ctx) => ctx.vars.valid === true, [
          code('price', async (ctx) => {
            if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
            ctx.vars.total = priceOrder(ctx.message('order').body as Order);
          }),
          send('sendInvoice', SEND_PORT, 'Invoice', (ctx) => {
            const order = ctx.message('order').body as Order;
            return { orderId: order.orderId, customerId: order.customerId, total: ctx.vars.total };
          }),
        ]),
      ],
      [
        send('sendRejection', SEND_PORT, 'OrderRejected', (ctx) => {
          const body = ctx.message('order').body;
          const orderId = isRecord(body) && typeof body.orderId === 'string' ? body.orderId : null;
          return { orderId, reason: ctx.vars.reason };
        }),
      ],
    ),
    complete('done'),
  ]);
}
