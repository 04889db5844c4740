import * as v from 'valibot';
import { code, complete, orchestration, receive, send } from '../functions/core/builder.ts';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import { messageType } from '../functions/core/schema.ts';
import { orderFulfilmentV2 } from '../functions/orchestrations/order-fulfilment-v2.ts';
import { Order } from '../functions/orchestrations/messages.ts';
import type { Choices } from './choices.ts';
import { joinDefinitions, joinRequests, type Work } from './flows.ts';

/**
 * The sample's timings, shortened so a run's orders meet their timers within a simulated minute; a run may wait for
 * approvals half an hour instead, beyond SQS's longest delay, so its timers go through the timer service.
 */
export const APPROVAL_TIMEOUTS_MS = [20_000, 30 * 60_000] as const;
export const CANCELLATION_WINDOW_MS = 5_000;
export const APPROVAL_THRESHOLD = 10_000;

/**
 * A charge against a fenced ledger, in an exclusive step: the part of a run that holds the lease, heartbeats it while
 * it runs, and may hang. `hang` decides, for each run of the step, whether this one never returns.
 */
export interface Ledger {
  /** Applies a charge if its fencing token is not older than the last one applied for the instance; says whether it was. */
  charge(instanceId: string, chargeId: string, token: number): boolean;
  hang(instanceId: string): boolean;
  /** The work of a step of the orchestrations with joins (flows.ts). */
  readonly work: Work;
}

export const ChargeRequest = messageType(
  'ChargeRequest',
  v.object({ chargeId: v.pipe(v.string(), v.minLength(1)), amount: v.pipe(v.number(), v.minValue(0)) }),
);
export const Charged = messageType('Charged', v.object({ chargeId: v.string(), applied: v.boolean() }));

/**
 * The orchestrations a simulated run deploys: the sample (a convoy with listens, timers, branches, compensation), a
 * charge, and the join policies of Parallel Actions (flows.ts).
 */
export function definitions(ledger: Ledger, approvalTimeoutMs: number, nested = false): OrchestrationDefinition[] {
  const charge = orchestration('Charge', 1, [
    receive('request', ChargeRequest, { into: 'request' }),
    code(
      'charge',
      async (ctx) => {
        if (ledger.hang(ctx.instanceId)) await new Promise<void>(() => {});
        const { chargeId } = ctx.message('request').body as { chargeId: string };
        ctx.vars.applied = ledger.charge(ctx.instanceId, chargeId, ctx.fencingToken!);
      },
      { exclusive: true },
    ),
    send('charged', 'send', Charged, (ctx) => ({
      chargeId: (ctx.message('request').body as { chargeId: string }).chargeId,
      applied: ctx.vars.applied === true,
    })),
    complete('done'),
  ]);
  // A second subscriber to every Order, one instance a message: an Order the sample refuses (a duplicate) is taken by
  // this one, partly routed, and suspended for the rest.
  const audit = orchestration('OrderAudit', 1, [
    receive('order', Order, { into: 'order' }),
    send('audited', 'send', 'Audited', (ctx) => ({
      orderId: (ctx.message('order').body as { orderId: string }).orderId,
    })),
    complete('done'),
  ]);
  return [
    orderFulfilmentV2({
      approvalThreshold: APPROVAL_THRESHOLD,
      approvalTimeoutMs,
      cancellationWindowMs: CANCELLATION_WINDOW_MS,
    }),
    charge,
    audit,
    ...joinDefinitions(ledger.work, nested),
  ];
}

/** What a client sends, and when (simulated ms from the start). */
export interface ClientSend {
  readonly at: number;
  readonly type: string;
  readonly body: string;
  /** For the person answering approvals: how long after the request they answer, if they do. */
  readonly note?: string;
}

/** The kinds of order a run places: each takes a path of the sample. */
const KINDS = [
  'plain',
  'approved',
  'refused',
  'unanswered',
  'cancelled',
  'invalid',
  'outOfStock',
  'duplicate',
  'reused',
] as const;
export type OrderKind = (typeof KINDS)[number];

export interface Workload {
  /** How long its orders wait for an approval (see APPROVAL_TIMEOUTS_MS). */
  readonly approvalTimeoutMs: number;
  readonly sends: ClientSend[];
  /** How each order's person answers its ApprovalRequest: approve or refuse after a delay, or never. */
  readonly answers: Map<string, { approved: boolean; afterMs: number } | undefined>;
  /** Orders placed again under the same id once the first has expired (a convoy made again). */
  readonly reused: string[];
}

/**
 * A small workload drawn from the run's choices: a few orders of random kinds, a few charges, a few requests of the
 * orchestrations with joins (flows.ts), and the stray messages a real receive queue gets (a Cancel for no order, a body that is no JSON, a charge that fails its schema).
 */
export function workload(choices: Choices, run: string): Workload {
  const sends: ClientSend[] = [];
  const answers = new Map<string, { approved: boolean; afterMs: number } | undefined>();
  const reused: string[] = [];
  const approvalTimeoutMs = choices.one(APPROVAL_TIMEOUTS_MS);
  const orders = choices.between(1, 3);
  for (let i = 0; i < orders; i++) {
    const kind = choices.one(KINDS);
    const orderId = `${run}-o${i}`;
    const at = choices.between(0, 8_000);
    const large = kind === 'approved' || kind === 'refused' || kind === 'unanswered';
    const body = {
      orderId,
      customerId: `c-${i}`,
      lines: [
        {
          sku: kind === 'outOfStock' ? 'OOS-1' : 'A',
          qty: kind === 'invalid' ? 0 : 1,
          unitPrice: large ? 15_000 : 12.5,
        },
      ],
    };
    sends.push({ at, type: 'Order', body: JSON.stringify(body) });
    if (large)
      answers.set(
        orderId,
        kind === 'unanswered'
          ? undefined
          : { approved: kind === 'approved', afterMs: choices.between(0, Math.min(approvalTimeoutMs, 40_000) + 5_000) },
      );
    // A Cancel at any moment around the window: before the order exists, within it, or after it closed.
    if (kind === 'cancelled')
      sends.push({
        at: at + choices.between(0, CANCELLATION_WINDOW_MS * 2),
        type: 'Cancel',
        body: JSON.stringify({ orderId }),
      });
    if (kind === 'duplicate')
      sends.push({ at: at + choices.between(0, 2_000), type: 'Order', body: JSON.stringify(body) });
    if (kind === 'reused') reused.push(orderId);
  }
  const charges = choices.between(0, 2);
  for (let i = 0; i < charges; i++) {
    sends.push({
      at: choices.between(0, 8_000),
      type: 'ChargeRequest',
      body: JSON.stringify({ chargeId: `${run}-c${i}`, amount: 10 }),
    });
  }
  if (choices.chance(0.3))
    sends.push({ at: choices.between(0, 8_000), type: 'Cancel', body: JSON.stringify({ orderId: `${run}-nobody` }) });
  if (choices.chance(0.2)) sends.push({ at: choices.between(0, 8_000), type: 'Order', body: 'not json' });
  if (choices.chance(0.2))
    sends.push({
      at: choices.between(0, 8_000),
      type: 'ChargeRequest',
      body: JSON.stringify({ chargeId: '', amount: -1 }),
    });
  sends.push(...joinRequests(choices, run));
  return { approvalTimeoutMs, sends: sends.sort((a, b) => a.at - b.at), answers, reused };
}
