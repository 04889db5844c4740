import {
  branch, call, callable, code, compensate, complete, decide, listen, loop, onMessage, onTimeout, orchestration, parallel, receive,
  receiveCorrelated, scope, send, throwError, when,
} from '../core/builder.ts';
import type { StepContext } from '../core/context.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import { isRecord } from '../core/message.ts';
import { SEND_PORT, priceOrder, validateOrder, type Order, type OrderFulfilmentOptions } from './order-fulfilment.ts';

export interface OrderFulfilmentV2Options extends OrderFulfilmentOptions {
  /** Orders whose total is at least this wait for an Approval. @default 10000 */
  readonly approvalThreshold?: number;
  /** How long an order waits for its Approval before it is rejected. @default 48 h */
  readonly approvalTimeoutMs?: number;
  /** How long a fulfilled order can still be cancelled before Invoice and Shipment go out. @default 10 s */
  readonly cancellationWindowMs?: number;
}

export const DEFAULT_APPROVAL_THRESHOLD = 10_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 48 * 3_600_000;
export const DEFAULT_CANCELLATION_WINDOW_MS = 10_000;

/** The correlation key of every message of an order: its `orderId`. */
export function orderIdOf(message: { body: unknown }): string | undefined {
  return isRecord(message.body) && typeof message.body.orderId === 'string' && message.body.orderId !== '' ? message.body.orderId : undefined;
}

const order = (ctx: StepContext) => ctx.message('order').body as Order;
const orderId = (ctx: StepContext) => order(ctx).orderId;
const list = (ctx: StepContext, name: string) => (ctx.vars[name] as string[] | undefined) ?? [];
/** Records a compensation that ran, for OrderCancelled and OrderRejected to report. */
const undone = (what: string) => (ctx: StepContext) => { ctx.vars.compensated = [...list(ctx, 'compensated'), what]; };

/** Simulated inventory: a SKU starting with OOS is out of stock. */
const outOfStock = (sku: string) => sku.startsWith('OOS');

/** Builds the two documents that close an order: called inline once its cancellation window closed. */
const prepareDocuments = callable('PrepareDocuments', [
  code('buildDocuments', (ctx) => {
    const o = order(ctx);
    ctx.vars.invoice = { orderId: o.orderId, customerId: o.customerId, total: ctx.vars.total, authorisation: ctx.vars.authorisation };
    ctx.vars.shipment = { orderId: o.orderId, customerId: o.customerId, reservations: list(ctx, 'reservations') };
  }),
]);

/**
 * OrderFulfilment v2. An Order is validated and priced. At or above the approval threshold it sends an
 * ApprovalRequest and listens for the Approval correlated on `orderId` (or a Cancel, or the approval
 * timeout). Then inventory reservation (line by line) and payment authorisation run as parallel branches,
 * each in a scope with its compensation. A Cancel within the cancellation window compensates both
 * (payment voided, inventory released) and sends OrderCancelled; otherwise Invoice and Shipment go out.
 * Every message of an order correlates on `orderId`: a second Order with the same id joins the first
 * instance's convoy instead of starting another.
 */
export function orderFulfilmentV2(options: OrderFulfilmentV2Options = {}): OrchestrationDefinition {
  const latency = options.pricingLatencyMs ?? 0;
  const threshold = options.approvalThreshold ?? DEFAULT_APPROVAL_THRESHOLD;
  const approvalTimeout = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  const cancellationWindow = options.cancellationWindowMs ?? DEFAULT_CANCELLATION_WINDOW_MS;
  const rejection = (id: string, reason: (ctx: StepContext) => unknown) =>
    send(id, SEND_PORT, 'OrderRejected', (ctx) => ({ orderId: orderIdOf(ctx.message('order')) ?? null, reason: reason(ctx) }));
  const cancelled = (id: string) =>
    send(id, SEND_PORT, 'OrderCancelled', (ctx) => ({ orderId: orderId(ctx), compensated: list(ctx, 'compensated') }));

  return orchestration('OrderFulfilment', 2, [
    receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
    code('validate', (ctx) => {
      const reason = validateOrder(ctx.message('order').body);
      if (reason) ctx.vars.reason = reason;
    }),
    decide('isValid', [when('invalid', (ctx) => ctx.vars.reason !== undefined, [rejection('sendInvalid', (ctx) => ctx.vars.reason), complete('rejectedInvalid')])]),
    code('price', async (ctx) => {
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      ctx.vars.total = priceOrder(order(ctx));
    }),
    decide('needsApproval', [
      when('large', (ctx) => (ctx.vars.total as number) >= threshold, [
        send('requestApproval', SEND_PORT, 'ApprovalRequest', (ctx) => ({ orderId: orderId(ctx), total: ctx.vars.total })),
        listen('awaitApproval', [
          onMessage('answered', receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }), [
            decide('isApproved', [
              when('refused', (ctx) => !(isRecord(ctx.message('approval').body) && (ctx.message('approval').body as { approved?: unknown }).approved === true), [
                rejection('sendRefused', () => 'approval refused'),
                complete('refused'),
              ]),
            ]),
          ]),
          onMessage('cancelledBeforeApproval', receiveCorrelated('receiveEarlyCancel', 'Cancel', { into: 'cancel', correlation: 'order' }), [
            cancelled('sendCancelledEarly'),
            complete('cancelledEarly'),
          ]),
          onTimeout('timedOut', 'approvalTimeout', () => approvalTimeout, [rejection('sendTimedOut', () => 'approval timeout'), complete('expired')]),
        ]),
      ]),
    ]),
    scope('fulfil', [
      parallel('reserveAndAuthorise', [
        branch('inventory', [
          scope('reservation', [
            code('startReservation', (ctx) => { ctx.vars.line = 0; }),
            loop('eachLine', (ctx) => (ctx.vars.line as number) < order(ctx).lines.length, [
              decide('inStock', [
                when('outOfStock', (ctx) => outOfStock(order(ctx).lines[ctx.vars.line as number]!.sku), [
                  code('noteNoStock', (ctx) => { ctx.vars.rejection = `out of stock: ${order(ctx).lines[ctx.vars.line as number]!.sku}`; }),
                  throwError('noStock', (ctx) => String(ctx.vars.rejection)),
                ]),
              ]),
              code('reserveLine', (ctx) => {
                const line = ctx.vars.line as number;
                ctx.vars.reservations = [...list(ctx, 'reservations'), `R-${orderId(ctx)}-${line + 1}`];
                ctx.vars.line = line + 1;
              }),
            ]),
          ], { compensation: [code('releaseInventory', undone('inventory released'))] }),
        ]),
        branch('payment', [
          scope('authorisation', [
            code('authorisePayment', (ctx) => { ctx.vars.authorisation = `A-${orderId(ctx)}`; }, { retry: { attempts: 3, backoffMs: 100 } }),
          ], { compensation: [code('voidPayment', undone('payment voided'))] }),
        ]),
      ]),
    ], {
      onError: [
        compensate('undoFailed'),
        // The branch's own words when it has them (its variables reach the join even when it fails).
        rejection('sendFailed', (ctx) => ctx.vars.rejection ?? ctx.vars.lastError),
        complete('failed'),
      ],
    }),
    listen('cancellationWindow', [
      onMessage('cancelled', receiveCorrelated('receiveCancel', 'Cancel', { into: 'cancel', correlation: 'order' }), [
        compensate('undoCancelled'),
        cancelled('sendCancelled'),
        complete('cancelledLate'),
      ]),
      onTimeout('windowClosed', 'windowTimer', () => cancellationWindow, []),
    ]),
    call('prepare', prepareDocuments),
    send('sendInvoice', SEND_PORT, 'Invoice', (ctx) => ctx.vars.invoice),
    send('sendShipment', SEND_PORT, 'Shipment', (ctx) => ctx.vars.shipment),
    complete('done'),
  ], { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Cancel: orderIdOf } } });
}
