import { designer } from '../core/designer.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import { Invoice, Order, OrderRejected } from './messages.ts';
import { priceOrder, validateOrder } from './order-rules.ts';

export interface OrderFulfilmentOptions {
  /** Simulated latency of the pricing service call, in ms (the demo uses it so a kill lands mid-step). */
  readonly pricingLatencyMs?: number;
}

/** The send port outbound business messages go to. */
export const SEND_PORT = 'send';

export { priceOrder, validateOrder } from './order-rules.ts';

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
