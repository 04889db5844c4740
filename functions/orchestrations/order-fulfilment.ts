import { designer } from '../core/designer.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import { Invoice, Order, OrderRejected, type OrderBody } from './messages.ts';

export interface OrderFulfilmentOptions {
  /** Simulated latency of the pricing service call, in ms (the demo uses it so a kill lands mid-step). */
  readonly pricingLatencyMs?: number;
}

/** The send port outbound business messages go to. */
export const SEND_PORT = 'send';

/**
 * Why the business does not accept a well-formed order, or undefined if it does. (Whether it is well-formed
 * is its schema's business: see messages.ts.)
 */
export function validateOrder(order: OrderBody): string | undefined {
  if (order.customerId.trim() === '') return 'customerId must be a non-empty string';
  if (order.lines.length === 0) return 'lines must be a non-empty array';
  for (const [i, line] of order.lines.entries()) {
    if (line.sku === '') return `lines[${i}].sku must be a non-empty string`;
    if (!Number.isInteger(line.qty) || line.qty <= 0) return `lines[${i}].qty must be a positive integer`;
    if (line.unitPrice < 0) return `lines[${i}].unitPrice must be a non-negative number`;
  }
  return undefined;
}

/** Order total in currency units, summed in cents so 0.1 + 0.2 stays 0.3. */
export function priceOrder(order: OrderBody): number {
  const cents = order.lines.reduce((sum, line) => sum + Math.round(line.unitPrice * 100) * line.qty, 0);
  return cents / 100;
}

interface Variables {
  reason?: string;
  total?: number;
}

const { orchestration, receive, code, decide, when, send, complete } = designer({
  order: Order,
}).withVariables<Variables>();

/**
 * OrderFulfilment v1: an Order is validated and priced; a valid one produces one Invoice, an invalid one
 * one OrderRejected.
 */
export function orderFulfilment(options: OrderFulfilmentOptions = {}): OrchestrationDefinition {
  const latency = options.pricingLatencyMs ?? 0;
  return orchestration('OrderFulfilment', 1, [
    receive('receiveOrder', Order, { into: 'order' }),
    code('validate', (ctx) => {
      const reason = validateOrder(ctx.message('order').body);
      if (reason) ctx.vars.reason = reason;
    }),
    decide(
      'isValid',
      [
        when('valid', (ctx) => ctx.vars.reason === undefined, [
          code('price', async (ctx) => {
            if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
            ctx.vars.total = priceOrder(ctx.message('order').body);
          }),
          send('sendInvoice', SEND_PORT, Invoice, (ctx) => {
            const order = ctx.message('order').body;
            return { orderId: order.orderId, customerId: order.customerId, total: ctx.vars.total ?? 0 };
          }),
        ]),
      ],
      [
        send('sendRejection', SEND_PORT, OrderRejected, (ctx) => ({
          orderId: ctx.message('order').body.orderId,
          reason: ctx.vars.reason ?? 'invalid',
        })),
      ],
    ),
    complete('done'),
  ]);
}
