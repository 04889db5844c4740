import { designer } from '../core/designer.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import type { InboundMessage } from '../core/message.ts';
import { SEND_PORT, priceOrder, validateOrder, type OrderFulfilmentOptions } from './order-fulfilment.ts';
import {
  Approval,
  ApprovalRequest,
  Cancel,
  Invoice,
  Order,
  OrderCancelled,
  OrderRejected,
  Shipment,
} from './messages.ts';

export interface OrderFulfilmentV2Options extends OrderFulfilmentOptions {
  /** Orders whose total is at least this wait for an Approval. @defaultValue 10000 */
  readonly approvalThreshold?: number;
  /** How long an order waits for its Approval before it is rejected. @defaultValue 48 h */
  readonly approvalTimeoutMs?: number;
  /** How long a fulfilled order can still be cancelled before Invoice and Shipment go out. @defaultValue 10 s */
  readonly cancellationWindowMs?: number;
}

export const DEFAULT_APPROVAL_THRESHOLD = 10_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 48 * 3_600_000;
export const DEFAULT_CANCELLATION_WINDOW_MS = 10_000;

/** The correlation key of every message of an order: its `orderId` (the schemas make it a non-empty string). */
export function orderIdOf(message: InboundMessage<{ readonly orderId: string }>): string {
  return message.body.orderId;
}

/** The orchestration's variables: each is empty until the step that sets it. */
interface Variables {
  reason?: string;
  total?: number;
  /** The out-of-stock reason a failed reservation leaves for OrderRejected. */
  rejection?: string;
  /** Set by the engine when a scope's error handler runs. */
  lastError?: string;
  /** What compensations undid, in the order they ran. */
  compensated?: string[];
  line?: number;
  reservations?: string[];
  authorisation?: string;
  invoice?: { orderId: string; customerId: string; total: number; authorisation?: string };
  shipment?: { orderId: string; customerId: string; reservations: string[] };
}

const {
  orchestration,
  receive,
  receiveCorrelated,
  code,
  decide,
  when,
  send,
  complete,
  listen,
  onMessage,
  onTimeout,
  loop,
  throwError,
  scope,
  compensate,
  parallel,
  branch,
  callable,
  call,
} = designer({ order: Order, approval: Approval, cancel: Cancel }).withVariables<Variables>();

/** A variable a previous step set; its absence is a bug in the definition, and suspends the instance. */
function known<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`variable "${name}" is not set`);
  return value;
}

/** Records a compensation that ran, for OrderCancelled and OrderRejected to report. */
const undone = (vars: Variables, what: string) => {
  vars.compensated = [...(vars.compensated ?? []), what];
};

/** Simulated inventory: a SKU starting with OOS is out of stock. */
const outOfStock = (sku: string) => sku.startsWith('OOS');

/**
 * Simulated pricing outage: the pricing service does not answer for a SKU starting with PRICE-DOWN during its first
 * PRICING_OUTAGE_MS after the order was received. The step fails past its retries, no scope handles it, and the
 * instance is suspended with the reason; resumed once the outage is over, it goes on from where it stopped.
 */
export const PRICING_OUTAGE_MS = 30_000;

function checkPricingService(order: { lines: readonly { sku: string }[] }, receivedAt: number, now: number): void {
  const down = order.lines.find((line) => line.sku.startsWith('PRICE-DOWN'));
  if (down && now < receivedAt + PRICING_OUTAGE_MS)
    throw new Error(
      `the pricing service is not answering for ${down.sku} until ${new Date(receivedAt + PRICING_OUTAGE_MS).toISOString()}; resume the instance after that`,
    );
}

/** Builds the two documents that close an order: called inline once its cancellation window closed. */
const prepareDocuments = callable('PrepareDocuments', [
  code('buildDocuments', (ctx) => {
    const o = ctx.message('order').body;
    ctx.vars.invoice = {
      orderId: o.orderId,
      customerId: o.customerId,
      total: known(ctx.vars.total, 'total'),
      authorisation: ctx.vars.authorisation,
    };
    ctx.vars.shipment = { orderId: o.orderId, customerId: o.customerId, reservations: ctx.vars.reservations ?? [] };
  }),
]);

/**
 * OrderFulfilment v2. An Order is validated and priced. At or above the approval threshold it sends an
 * ApprovalRequest and listens for the Approval correlated on `orderId` (or a Cancel, or the approval
 * timeout). Then inventory reservation (line by line) and payment authorisation run in parallel branches,
 * each in a scope with its compensation. A Cancel within the cancellation window compensates both
 * (payment voided, inventory released) and sends OrderCancelled; otherwise Invoice and Shipment go out.
 * Every message of an order correlates on `orderId`: the instance is the order's, and a second Order with
 * the same id is not taken: it is suspended, a duplicate.
 */
export function orderFulfilmentV2(options: OrderFulfilmentV2Options = {}): OrchestrationDefinition {
  const latency = options.pricingLatencyMs ?? 0;
  const threshold = options.approvalThreshold ?? DEFAULT_APPROVAL_THRESHOLD;
  const approvalTimeout = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  const cancellationWindow = options.cancellationWindowMs ?? DEFAULT_CANCELLATION_WINDOW_MS;
  const rejection = (id: string, reason: (vars: Variables) => string) =>
    send(id, SEND_PORT, OrderRejected, (ctx) => ({
      orderId: ctx.message('order').body.orderId,
      reason: reason(ctx.vars),
    }));
  const cancelled = (id: string) =>
    send(id, SEND_PORT, OrderCancelled, (ctx) => ({
      orderId: ctx.message('order').body.orderId,
      compensated: ctx.vars.compensated ?? [],
    }));

  return orchestration(
    'OrderFulfilment',
    2,
    [
      receive('receiveOrder', Order, { into: 'order', correlation: 'order' }),
      code('validate', (ctx) => {
        const reason = validateOrder(ctx.message('order').body);
        if (reason) ctx.vars.reason = reason;
      }),
      decide('isValid', [
        when('invalid', (ctx) => ctx.vars.reason !== undefined, [
          rejection('sendInvalid', (vars) => known(vars.reason, 'reason')),
          complete('rejectedInvalid'),
        ]),
      ]),
      code('price', async (ctx) => {
        if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
        const order = ctx.message('order');
        checkPricingService(order.body, order.receivedAt, ctx.now);
        ctx.vars.total = priceOrder(order.body);
      }),
      decide('needsApproval', [
        when('large', (ctx) => known(ctx.vars.total, 'total') >= threshold, [
          send('requestApproval', SEND_PORT, ApprovalRequest, (ctx) => ({
            orderId: ctx.message('order').body.orderId,
            total: known(ctx.vars.total, 'total'),
          })),
          listen('awaitApproval', [
            onMessage(
              'answered',
              receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' }),
              [
                decide('isApproved', [
                  when('refused', (ctx) => !ctx.message('approval').body.approved, [
                    rejection('sendRefused', () => 'approval refused'),
                    complete('refused'),
                  ]),
                ]),
              ],
            ),
            onMessage(
              'cancelledBeforeApproval',
              receiveCorrelated('receiveEarlyCancel', Cancel, { into: 'cancel', correlation: 'order' }),
              [cancelled('sendCancelledEarly'), complete('cancelledEarly')],
            ),
            onTimeout('timedOut', 'approvalTimeout', () => approvalTimeout, [
              rejection('sendTimedOut', () => 'approval timeout'),
              complete('expired'),
            ]),
          ]),
        ]),
      ]),
      scope(
        'fulfil',
        [
          parallel('reserveAndAuthorise', [
            branch('inventory', [
              scope(
                'reservation',
                [
                  code('startReservation', (ctx) => {
                    ctx.vars.line = 0;
                  }),
                  loop('eachLine', (ctx) => known(ctx.vars.line, 'line') < ctx.message('order').body.lines.length, [
                    decide('inStock', [
                      when(
                        'outOfStock',
                        (ctx) => outOfStock(currentLine(ctx.message('order').body.lines, ctx.vars).sku),
                        [
                          code('noteNoStock', (ctx) => {
                            ctx.vars.rejection = `out of stock: ${currentLine(ctx.message('order').body.lines, ctx.vars).sku}`;
                          }),
                          throwError('noStock', (ctx) => known(ctx.vars.rejection, 'rejection')),
                        ],
                      ),
                    ]),
                    code('reserveLine', (ctx) => {
                      const line = known(ctx.vars.line, 'line');
                      ctx.vars.reservations = [
                        ...(ctx.vars.reservations ?? []),
                        `R-${ctx.message('order').body.orderId}-${line + 1}`,
                      ];
                      ctx.vars.line = line + 1;
                    }),
                  ]),
                ],
                { compensation: [code('releaseInventory', (ctx) => undone(ctx.vars, 'inventory released'))] },
              ),
            ]),
            branch('payment', [
              scope(
                'authorisation',
                [
                  code(
                    'authorisePayment',
                    (ctx) => {
                      ctx.vars.authorisation = `A-${ctx.message('order').body.orderId}`;
                    },
                    { retry: { attempts: 3, backoffMs: 100 } },
                  ),
                ],
                { compensation: [code('voidPayment', (ctx) => undone(ctx.vars, 'payment voided'))] },
              ),
            ]),
          ]),
        ],
        {
          onError: [
            compensate('undoFailed'),
            // The branch's own words when it has them (its variables reach the join even when it fails).
            rejection('sendFailed', (vars) => vars.rejection ?? vars.lastError ?? 'fulfilment failed'),
            complete('failed'),
          ],
        },
      ),
      listen('cancellationWindow', [
        onMessage('cancelled', receiveCorrelated('receiveCancel', Cancel, { into: 'cancel', correlation: 'order' }), [
          compensate('undoCancelled'),
          cancelled('sendCancelled'),
          complete('cancelledLate'),
        ]),
        onTimeout('windowClosed', 'windowTimer', () => cancellationWindow, []),
      ]),
      call('prepare', prepareDocuments),
      send('sendInvoice', SEND_PORT, Invoice, (ctx) => known(ctx.vars.invoice, 'invoice')),
      send('sendShipment', SEND_PORT, Shipment, (ctx) => known(ctx.vars.shipment, 'shipment')),
      complete('done'),
    ],
    { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Cancel: orderIdOf } } },
  );
}

/** The order line the reservation loop is at. */
function currentLine<L>(lines: readonly L[], vars: Variables): L {
  return known(lines[known(vars.line, 'line')], 'the current order line');
}
