/**
 * The business of Baton's sample orchestration, OrderFulfilment v2, for the two peers (restate-service.ts,
 * dbos-app.ts), so that both run the same rules as Baton's host instances: Baton's own message types and schemas
 * (functions/orchestrations/messages.ts) and its rules (order-rules.ts: validate, price), imported; the rest (reserve
 * line by line, authorise, the documents) written out here as order-fulfilment-v2.ts states it. The orchestration
 * modules are not imported: they bring Baton's designer along (some 10 MB in each peer's process, which the bench
 * weighs).
 */
import {
  Approval,
  ApprovalRequest,
  Cancel,
  Invoice,
  Order,
  OrderCancelled,
  OrderRejected,
  type OrderBody,
  Shipment,
} from '../../functions/orchestrations/messages.ts';

export type { OrderBody };

/** The message types a peer sends, each validated against Baton's schema before it leaves (as a Baton send is). */
const OUTBOUND = { ApprovalRequest, Invoice, Shipment, OrderRejected, OrderCancelled } as const;
export type OutboundType = keyof typeof OUTBOUND;
const INBOUND = { Order, Approval, Cancel } as const;

/** One message for the send port; its id is deterministic (Baton's MessageId), so a consumer can drop a copy. */
export interface OutboundMessage {
  readonly messageId: string;
  readonly type: OutboundType;
  readonly body: unknown;
}

type Checked<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/** A body checked against a message type's schema (a Standard Schema: Baton's are valibot, synchronous). */
function check<T>(type: { name: string; schema: unknown }, body: unknown): Checked<T> {
  const schema = type.schema as {
    '~standard': { validate(value: unknown): { value?: unknown; issues?: readonly { message: string }[] } };
  };
  const result = schema['~standard'].validate(body);
  if (result instanceof Promise) throw new Error(`${type.name}: an asynchronous schema`);
  if (result.issues) return { ok: false, issues: result.issues.map((issue) => issue.message) };
  return { ok: true, value: result.value as T };
}

/** An inbound body, checked: what Baton's receive host does before routing (a mismatch is suspended there). */
export function inbound<K extends keyof typeof INBOUND>(
  type: K,
  body: unknown,
): Checked<
  K extends 'Order' ? OrderBody : K extends 'Approval' ? { orderId: string; approved: boolean } : { orderId: string }
> {
  return check(INBOUND[type], body);
}

export function outbound(orderId: string, type: OutboundType, body: unknown): OutboundMessage {
  const checked = check(OUTBOUND[type], body);
  if (!checked.ok) throw new Error(`${type} does not match its schema: ${checked.issues.join('; ')}`);
  return { messageId: `${orderId}/${type}`, type, body: checked.value };
}

export { priceOrder, validateOrder } from '../../functions/orchestrations/order-rules.ts';

/**
 * The inventory branch: a reservation per line, in order; the first out-of-stock line (a SKU starting with OOS)
 * ends it with its reason, as the sample's noteNoStock and throwError do.
 */
export function reserveInventory(order: OrderBody): { reservations: string[] } | { rejection: string } {
  const reservations: string[] = [];
  for (const [i, line] of order.lines.entries()) {
    if (line.sku.startsWith('OOS')) return { rejection: `out of stock: ${line.sku}` };
    reservations.push(`R-${order.orderId}-${i + 1}`);
  }
  return { reservations };
}

/** The payment branch. */
export const authorisePayment = (order: OrderBody): string => `A-${order.orderId}`;

/** PrepareDocuments: the Invoice and the Shipment that close an order. */
export function documents(order: OrderBody, total: number, authorisation: string, reservations: string[]) {
  return {
    invoice: { orderId: order.orderId, customerId: order.customerId, total, authorisation },
    shipment: { orderId: order.orderId, customerId: order.customerId, reservations },
  };
}

/** What the compensations undid, the last done first, as OrderCancelled reports it. */
export function compensated(reserved: boolean, authorised: boolean): string[] {
  return [...(authorised ? ['payment voided'] : []), ...(reserved ? ['inventory released'] : [])];
}

/** The sample's settings (Baton takes them as `baton start` flags; the peers from their environment). */
export interface SampleSettings {
  readonly approvalThreshold: number;
  readonly approvalTimeoutMs: number;
  readonly cancellationWindowMs: number;
  readonly pricingLatencyMs: number;
}

/** The settings from the environment; the defaults are the sample's (order-fulfilment-v2.ts). */
export function sampleSettings(env: NodeJS.ProcessEnv = process.env): SampleSettings {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: a non-negative number, not ${raw}`);
    return value;
  };
  return {
    approvalThreshold: read('APPROVAL_THRESHOLD', 10_000),
    approvalTimeoutMs: read('APPROVAL_TIMEOUT_MS', 48 * 3_600_000),
    cancellationWindowMs: read('CANCELLATION_WINDOW_MS', 10_000),
    pricingLatencyMs: read('PRICING_LATENCY_MS', 0),
  };
}

/**
 * The send port: one HTTP request per batch (as one SQS SendMessageBatch) to the bench's sink at SINK_URL, which
 * plays the queue Baton's send port writes to.
 */
export async function sendToPort(messages: readonly OutboundMessage[]): Promise<void> {
  const url = process.env.SINK_URL;
  if (!url) throw new Error('SINK_URL is not set');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(messages),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`the send port answered ${response.status}`);
}

/** The folder the peers' packages are installed in (the bench passes it), to load them from. */
export function peersInstall(): string {
  const dir = process.env.BATON_PEERS_INSTALL;
  if (!dir) throw new Error('BATON_PEERS_INSTALL is not set: the bench starts this process');
  return dir;
}
