/**
 * OrderFulfilment v2 as a Restate workflow keyed by orderId, for the bench's peers part (bench/peers/run.ts starts
 * this process, with the Restate SDK installed under .baton/peers/ and BATON_PEERS_INSTALL pointing there).
 *
 * An Order goes to `OrderFulfilment/<orderId>/run/send` on Restate's ingress: the invocation is in Restate's log
 * before the ingress answers. An Approval or a Cancel reaches the running workflow through its shared handlers
 * `approve` and `cancel`, which resolve durable promises.
 *
 * The plain path, durable step by durable step (Baton's persistence point beside each):
 *   1. the invocation, logged by the ingress             (the instance created by the receive host)
 *   2. ctx.run validateAndPrice                          (the commit after validate, price and the fork)
 *   3. ctx.run reserveInventory } concurrently,          (the inventory branch instance, created and committed;
 *   4. ctx.run authorisePayment }  all settled             the payment branch instance likewise)
 *   5. the cancellation window: race(promise, sleep)     (in the last commit: an inbox read, a 0 s timer due at once)
 *   6. ctx.run sendDocuments (Invoice and Shipment)      (the last commit's outbox, dispatched after it)
 *   7. the invocation's completion                       (the last commit: completed)
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  authorisePayment,
  compensated,
  documents,
  inbound,
  type OutboundMessage,
  outbound,
  peersInstall,
  priceOrder,
  reserveInventory,
  sampleSettings,
  sendToPort,
  validateOrder,
} from './business.ts';

/** What this service uses of @restatedev/restate-sdk (loaded from the peers' install, so typed here). */
interface Durable<T> extends PromiseLike<T> {}
interface RunOptions {
  maxRetryAttempts?: number;
  initialRetryInterval?: number;
}
interface SharedContext {
  readonly key: string;
  promise<T>(name: string): { get(): Durable<T>; resolve(value: T): Durable<void> };
}
interface WorkflowContext extends SharedContext {
  run<T>(name: string, action: () => Promise<T>, options?: RunOptions): Durable<T>;
  sleep(ms: number, name?: string): Durable<undefined>;
}
interface RestateSdk {
  workflow(definition: {
    name: string;
    handlers: {
      run(ctx: WorkflowContext, input: unknown): Promise<{ outcome: string }>;
      approve(ctx: SharedContext, input: unknown): Promise<void>;
      cancel(ctx: SharedContext): Promise<void>;
    };
  }): unknown;
  serve(options: { services: unknown[]; port: number }): Promise<unknown>;
  TerminalError: new (message: string) => Error;
  RestatePromise: {
    race<T>(promises: readonly Durable<T>[]): Durable<T>;
    allSettled<A, B>(
      promises: readonly [Durable<A>, Durable<B>],
    ): Durable<[PromiseSettledResult<A>, PromiseSettledResult<B>]>;
  };
}

const restate = createRequire(join(peersInstall(), 'package.json'))('@restatedev/restate-sdk') as RestateSdk;
const { RestatePromise, TerminalError } = restate;
const settings = sampleSettings();
/** Baton's default step retry: 3 attempts, 50 ms apart at first. */
const DEFAULT_RETRY: RunOptions = { maxRetryAttempts: 3, initialRetryInterval: 50 };

type Approval = { orderId: string; approved: boolean };
type Cancelled = { cancelled: true };

const send = (ctx: WorkflowContext, step: string, messages: OutboundMessage[]) =>
  ctx.run(step, () => sendToPort(messages));

const orderFulfilment = restate.workflow({
  name: 'OrderFulfilment',
  handlers: {
    async run(ctx, input) {
      const checked = inbound('Order', input);
      if (!checked.ok) throw new TerminalError(`Order does not match its schema: ${checked.issues.join('; ')}`);
      const order = checked.value;
      const orderId = order.orderId;
      if (orderId !== ctx.key)
        throw new TerminalError(`the workflow's key ${ctx.key} is not the order's id ${orderId}`);

      const priced = await ctx.run<{ reason?: string; total?: number }>(
        'validateAndPrice',
        async () => {
          const reason = validateOrder(order);
          if (reason !== undefined) return { reason };
          if (settings.pricingLatencyMs > 0) await new Promise((r) => setTimeout(r, settings.pricingLatencyMs));
          return { total: priceOrder(order) };
        },
        DEFAULT_RETRY,
      );
      if (priced.total === undefined) {
        const reason = priced.reason ?? 'invalid';
        await send(ctx, 'sendInvalid', [outbound(orderId, 'OrderRejected', { orderId, reason })]);
        return { outcome: 'rejectedInvalid' };
      }
      const total = priced.total;
      const cancel = () => ctx.promise<Cancelled>('cancel').get();

      if (total >= settings.approvalThreshold) {
        await send(ctx, 'requestApproval', [outbound(orderId, 'ApprovalRequest', { orderId, total })]);
        const answer = await RestatePromise.race<Approval | Cancelled | undefined>([
          ctx.promise<Approval>('approval').get(),
          cancel(),
          ctx.sleep(settings.approvalTimeoutMs, 'approvalTimeout'),
        ]);
        if (answer === undefined) {
          const reason = 'approval timeout';
          await send(ctx, 'sendTimedOut', [outbound(orderId, 'OrderRejected', { orderId, reason })]);
          return { outcome: 'expired' };
        }
        if ('cancelled' in answer) {
          await send(ctx, 'sendCancelledEarly', [outbound(orderId, 'OrderCancelled', { orderId, compensated: [] })]);
          return { outcome: 'cancelledEarly' };
        }
        if (!answer.approved) {
          const reason = 'approval refused';
          await send(ctx, 'sendRefused', [outbound(orderId, 'OrderRejected', { orderId, reason })]);
          return { outcome: 'refused' };
        }
      }

      // The two branches, each to its end (Baton's join waits for both); a failure compensates what completed.
      const [inventory, payment] = await RestatePromise.allSettled([
        ctx.run('reserveInventory', async () => reserveInventory(order), DEFAULT_RETRY),
        ctx.run('authorisePayment', async () => authorisePayment(order), {
          maxRetryAttempts: 3,
          initialRetryInterval: 100,
        }),
      ]);
      if (inventory.status !== 'fulfilled' || !('reservations' in inventory.value) || payment.status !== 'fulfilled') {
        const reserved = inventory.status === 'fulfilled' && 'reservations' in inventory.value;
        compensated(reserved, payment.status === 'fulfilled');
        const failure = inventory.status === 'rejected' ? inventory.reason : (payment as PromiseRejectedResult).reason;
        const reason =
          inventory.status === 'fulfilled' && 'rejection' in inventory.value
            ? inventory.value.rejection
            : ((failure as Error | undefined)?.message ?? 'fulfilment failed');
        await send(ctx, 'sendFailed', [outbound(orderId, 'OrderRejected', { orderId, reason })]);
        return { outcome: 'failed' };
      }

      // The cancellation window: a Cancel delivered already, or within it, undoes both branches.
      const cancelled = await RestatePromise.race<Cancelled | undefined>([
        cancel(),
        ctx.sleep(settings.cancellationWindowMs, 'windowTimer'),
      ]);
      if (cancelled !== undefined) {
        const undone = compensated(true, true);
        await send(ctx, 'sendCancelled', [outbound(orderId, 'OrderCancelled', { orderId, compensated: undone })]);
        return { outcome: 'cancelledLate' };
      }

      const { invoice, shipment } = documents(order, total, payment.value, inventory.value.reservations);
      await send(ctx, 'sendDocuments', [
        outbound(orderId, 'Invoice', invoice),
        outbound(orderId, 'Shipment', shipment),
      ]);
      return { outcome: 'done' };
    },

    /** An Approval for this order (Baton: an Approval message correlated on orderId). */
    async approve(ctx, input) {
      const checked = inbound('Approval', input);
      if (!checked.ok) throw new TerminalError(`Approval does not match its schema: ${checked.issues.join('; ')}`);
      await ctx.promise<Approval>('approval').resolve(checked.value);
    },

    /** A Cancel for this order (Baton: a Cancel message correlated on orderId). */
    async cancel(ctx) {
      await ctx.promise<Cancelled>('cancel').resolve({ cancelled: true });
    },
  },
});

await restate.serve({ services: [orderFulfilment], port: Number(process.env.PORT ?? 9080) });
