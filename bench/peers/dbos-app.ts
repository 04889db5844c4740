/**
 * OrderFulfilment v2 as a DBOS workflow on PostgreSQL, workflow ID = orderId, for the bench's peers part
 * (bench/peers/run.ts starts this process, with DBOS Transact installed under .baton/peers/ and
 * BATON_PEERS_INSTALL pointing there).
 *
 * Orders come over HTTP, `POST /orders`: the handler checks the Order against its schema and starts the workflow;
 * DBOS has written its workflow_status row before the handler answers 202, and a second Order with the same id
 * starts nothing (the workflow ID is taken). An Approval (`POST /orders/<id>/approval`) or a Cancel
 * (`POST /orders/<id>/cancel`) is a DBOS message to the workflow (topic "events"), which it takes with DBOS.recv.
 *
 * The plain path, durable step by durable step (Baton's persistence point beside each):
 *   1. workflow_status inserted by startWorkflow          (the instance created by the receive host)
 *   2. step validateAndPrice                              (the commit after validate, price and the fork)
 *   3. step reserveInventory } concurrently,              (the inventory branch instance, created and committed;
 *   4. step authorisePayment }  all settled                 the payment branch instance likewise)
 *   5. the cancellation window: DBOS.recv("events", 0)    (in the last commit: an inbox read, a 0 s timer due at once)
 *   6. step sendDocuments (Invoice and Shipment)          (the last commit's outbox, dispatched after it)
 *   7. workflow_status set to SUCCESS                     (the last commit: completed)
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  authorisePayment,
  compensated,
  documents,
  inbound,
  type OrderBody,
  type OutboundMessage,
  outbound,
  peersInstall,
  priceOrder,
  reserveInventory,
  sampleSettings,
  sendToPort,
  validateOrder,
} from './business.ts';

/** What this app uses of @dbos-inc/dbos-sdk (loaded from the peers' install, so typed here). */
interface StepOptions {
  name: string;
  retriesAllowed: boolean;
  maxAttempts: number;
  intervalSeconds: number;
  backoffRate: number;
}
interface DbosSdk {
  DBOS: {
    setConfig(config: Record<string, unknown>): void;
    launch(): Promise<void>;
    shutdown(): Promise<void>;
    registerWorkflow<A extends unknown[], R>(
      fn: (...args: A) => Promise<R>,
      config: { name: string },
    ): (...args: A) => Promise<R>;
    startWorkflow<A extends unknown[], R>(
      fn: (...args: A) => Promise<R>,
      params: { workflowID: string },
    ): (...args: A) => Promise<{ workflowID: string }>;
    runStep<R>(fn: () => Promise<R>, config: StepOptions): Promise<R>;
    recv<T>(topic: string, timeoutSeconds: number): Promise<T | null>;
    send<T>(destinationID: string, message: T, topic: string): Promise<void>;
  };
}

const { DBOS } = createRequire(join(peersInstall(), 'package.json'))('@dbos-inc/dbos-sdk') as DbosSdk;
const settings = sampleSettings();
/** Baton's default step retry: 3 attempts, 50 ms apart at first. */
const retry = (name: string, intervalSeconds = 0.05): StepOptions => ({
  name,
  retriesAllowed: true,
  maxAttempts: 3,
  intervalSeconds,
  backoffRate: 2,
});
type OrderEvent = { type: 'Approval'; orderId: string; approved: boolean } | { type: 'Cancel'; orderId: string };

const send = (name: string, messages: OutboundMessage[]) =>
  DBOS.runStep(() => sendToPort(messages), { ...retry(name, 0.1), maxAttempts: 10 });

async function orderFulfilment(order: OrderBody): Promise<{ outcome: string }> {
  const orderId = order.orderId;
  const priced = await DBOS.runStep<{ reason?: string; total?: number }>(async () => {
    const reason = validateOrder(order);
    if (reason !== undefined) return { reason };
    if (settings.pricingLatencyMs > 0) await new Promise((r) => setTimeout(r, settings.pricingLatencyMs));
    return { total: priceOrder(order) };
  }, retry('validateAndPrice'));
  if (priced.total === undefined) {
    await send('sendInvalid', [outbound(orderId, 'OrderRejected', { orderId, reason: priced.reason ?? 'invalid' })]);
    return { outcome: 'rejectedInvalid' };
  }
  const total = priced.total;

  if (total >= settings.approvalThreshold) {
    await send('requestApproval', [outbound(orderId, 'ApprovalRequest', { orderId, total })]);
    const answer = await DBOS.recv<OrderEvent>('events', settings.approvalTimeoutMs / 1000);
    if (answer === null) {
      await send('sendTimedOut', [outbound(orderId, 'OrderRejected', { orderId, reason: 'approval timeout' })]);
      return { outcome: 'expired' };
    }
    if (answer.type === 'Cancel') {
      await send('sendCancelledEarly', [outbound(orderId, 'OrderCancelled', { orderId, compensated: [] })]);
      return { outcome: 'cancelledEarly' };
    }
    if (!answer.approved) {
      await send('sendRefused', [outbound(orderId, 'OrderRejected', { orderId, reason: 'approval refused' })]);
      return { outcome: 'refused' };
    }
  }

  // The two branches, each to its end (Baton's join waits for both); a failure compensates what completed.
  const [inventory, payment] = await Promise.allSettled([
    DBOS.runStep(async () => reserveInventory(order), retry('reserveInventory')),
    DBOS.runStep(async () => authorisePayment(order), retry('authorisePayment', 0.1)),
  ]);
  if (inventory.status !== 'fulfilled' || !('reservations' in inventory.value) || payment.status !== 'fulfilled') {
    compensated(inventory.status === 'fulfilled' && 'reservations' in inventory.value, payment.status === 'fulfilled');
    const failure = inventory.status === 'rejected' ? inventory.reason : (payment as PromiseRejectedResult).reason;
    const reason =
      inventory.status === 'fulfilled' && 'rejection' in inventory.value
        ? inventory.value.rejection
        : ((failure as Error | undefined)?.message ?? 'fulfilment failed');
    await send('sendFailed', [outbound(orderId, 'OrderRejected', { orderId, reason })]);
    return { outcome: 'failed' };
  }

  // The cancellation window: a Cancel delivered already, or within it, undoes both branches; any other message
  // (a stray Approval) is passed over, as Baton leaves it in the inbox.
  for (;;) {
    const event = await DBOS.recv<OrderEvent>('events', settings.cancellationWindowMs / 1000);
    if (event === null) break;
    if (event.type === 'Cancel') {
      const undone = compensated(true, true);
      await send('sendCancelled', [outbound(orderId, 'OrderCancelled', { orderId, compensated: undone })]);
      return { outcome: 'cancelledLate' };
    }
  }

  const { invoice, shipment } = documents(order, total, payment.value, inventory.value.reservations);
  await send('sendDocuments', [outbound(orderId, 'Invoice', invoice), outbound(orderId, 'Shipment', shipment)]);
  return { outcome: 'done' };
}

const workflow = DBOS.registerWorkflow(orderFulfilment, { name: 'OrderFulfilment' });

DBOS.setConfig({
  name: 'baton-peers',
  systemDatabaseUrl: process.env.DBOS_SYSTEM_DATABASE_URL,
  logLevel: process.env.DBOS_LOG_LEVEL ?? 'warn',
});
await DBOS.launch();

/** A request's JSON body, or undefined when it is not JSON. */
async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The receive location: POST /orders, /orders/<id>/approval, /orders/<id>/cancel. */
async function receive(req: http.IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.split('/').filter(Boolean);
  if (req.method !== 'POST' || path[0] !== 'orders' || path.length > 3) return [404, { error: 'not found' }];
  const body = await jsonBody(req);
  if (path.length === 1) {
    // An Order that does not match its schema is refused (Baton suspends it).
    const order = inbound('Order', body);
    if (!order.ok) return [400, { error: 'Order does not match its schema', issues: order.issues }];
    const handle = await DBOS.startWorkflow(workflow, { workflowID: order.value.orderId })(order.value);
    return [202, { workflowID: handle.workflowID }];
  }
  const orderId = decodeURIComponent(path[1]!);
  if (path[2] === 'approval') {
    const approval = inbound('Approval', { ...(body as object), orderId });
    if (!approval.ok) return [400, { error: 'Approval does not match its schema', issues: approval.issues }];
    await DBOS.send<OrderEvent>(orderId, { type: 'Approval', ...approval.value }, 'events');
    return [202, {}];
  }
  if (path[2] === 'cancel') {
    await DBOS.send<OrderEvent>(orderId, { type: 'Cancel', orderId }, 'events');
    return [202, {}];
  }
  return [404, { error: 'not found' }];
}

const server = http.createServer((req, res) => {
  receive(req)
    .catch((error: Error): [number, unknown] => [500, { error: error.message }])
    .then(([status, payload]) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    });
});
server.keepAliveTimeout = 60_000;
const port = Number(process.env.PORT ?? 3000);
server.listen(port, '127.0.0.1', () => console.log(`dbos-app: listening on ${port}`));

const stop = async () => {
  server.close();
  await DBOS.shutdown();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
