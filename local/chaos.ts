/**
 * `npm run chaos`: the local cluster under fire. It sends a mix of sample orders (plain, invalid, approved,
 * refused, timed out, cancelled, out of stock), answers approvals as a person would, SIGKILLs random host
 * instances at random moments (the cluster restarts them), injects faults between the hosts and the store and
 * queues (local/faults.ts), freezes host instances (SIGSTOP) for longer than the lease while they hold work and
 * then thaws them (zombies), takes the whole store and, separately, the queues away for seconds at a time
 * (outages), and runs some host instances on a clock that is off, one beyond what leases tolerate (skewed).
 *
 * It runs until nothing more will happen (every Cancel sent, the receive and work queues empty, timers included), its
 * time limit only a safety net. Then it reads what happened: each order's outputs against what its input and its
 * instance's tracked history dictate (the Approval or the timeout, the Cancel or the window's timer, whichever the
 * instance took), each once; each instance ended, or stuck (nothing will wake it: no due entry); and every message it
 * sent, to each instance it was routed to, accounted for (functions/core/conservation.ts). Last line:
 * `chaos: orchestrations=N ended=N lost=0 duplicates=0 stuck=0 unaccounted=0 kills=K faults=F zombies=Z outages=O skewed=S`;
 * exit 0 only if nothing was lost, duplicated, stuck, unfinished, unaccounted or wrongly suspended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../functions/adapters/aws-clients.ts';
import { TERMINAL_STATUSES } from '../functions/core/instance.ts';
import type { RawMessage } from '../functions/core/message.ts';
import { TrackedKind, type TrackedEvent } from '../functions/core/tracking.ts';
import { wholeHistory } from '../functions/core/conservation.ts';
import type { OrderBody } from '../functions/orchestrations/messages.ts';
import { priceOrder, validateOrder } from '../functions/orchestrations/order-fulfilment.ts';
import { DEFAULT_APPROVAL_THRESHOLD } from '../functions/orchestrations/order-fulfilment-v2.ts';
import { deadLettered, judgeConservation, quiet, sendMessages, settledAll, willMove } from './accounting.ts';
import { LocalCluster } from './cluster.ts';
import { OutageSwitch } from './faults.ts';
import { MAX_CLOCK_SKEW_MS } from '../functions/core/ownership.ts';
import { orderInstanceId } from './demo.ts';
import { sampleOptionsToEnv } from '../functions/orchestrations/index.ts';
import { useEmulatorCredentials } from './emulator-credentials.ts';

useEmulatorCredentials();

const { values } = parseArgs({
  options: {
    orchestrations: { type: 'string', default: '300' },
    instances: { type: 'string', default: '3' },
    'kill-every': { type: 'string', default: '2s' },
    'fault-rate': { type: 'string', default: '0.05' },
    'freeze-every': { type: 'string', default: '6s' },
    'outage-every': { type: 'string', default: '15s' },
    'outage-length': { type: 'string', default: '4s' },
    skew: { type: 'string', default: '2500ms' },
    timeout: { type: 'string', default: '15m' },
    'approval-timeout': { type: 'string', default: '20s' },
    'cancellation-window': { type: 'string', default: '30s' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'npm run chaos -- [--orchestrations 300] [--instances 3] [--kill-every 2s] [--fault-rate 0.05] [--freeze-every 6s] [--outage-every 15s] [--outage-length 4s] [--skew 2500ms] [--timeout 15m]\n' +
      '                      [--approval-timeout 20s] [--cancellation-window 30s]',
  );
  console.log(
    '  0 turns a kind of chaos off: --kill-every 0, --fault-rate 0, --freeze-every 0, --outage-every 0, --skew 0',
  );
  console.log('  the run ends when nothing more will happen; --timeout is only a safety net');
  console.log(
    '  shorter timers make the answers race them more often: what each order must produce is read from its history either way',
  );
  process.exit(0);
}
const seconds = (text: string) => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] ?? 's']!;
};
const count = Number(values.orchestrations);
const instances = Number(values.instances);
const killEveryMs = seconds(values['kill-every']!);
const faultRate = Number(values['fault-rate']);
const timeoutMs = seconds(values.timeout!);
const freezeEveryMs = seconds(values['freeze-every']!);
const outageEveryMs = seconds(values['outage-every']!);
const outageMs = seconds(values['outage-length']!);
const skewMs = seconds(values.skew!);
const LEASE_MS = 3_000;
/** Frozen for longer than the lease and its tolerated skew, so another host instance takes the work over. */
const FREEZE_MS = LEASE_MS * 1.5 + MAX_CLOCK_SKEW_MS;
/**
 * One host instance runs ahead by the whole skew (beyond MAX_CLOCK_SKEW_MS: it takes leases over early, which
 * may cost refused work but never a double commit), another behind by a quarter of it (within what leases allow).
 */
const clockSkewMs = (host: string) => (host === 'host-1' ? skewMs : host === 'host-2' ? -Math.round(skewMs / 4) : 0);

/** The orders' kinds: what each is sent as, and how a person answers it. What each must produce is read from its history. */
const KINDS = ['plain', 'invalid', 'approved', 'refused', 'timedOut', 'cancelled', 'outOfStock'] as const;
type Kind = (typeof KINDS)[number];
const MIX: Kind[] = [
  'plain',
  'invalid',
  'approved',
  'refused',
  'timedOut',
  'cancelled',
  'outOfStock',
  'plain',
  'approved',
  'cancelled',
];

const run = Date.now().toString(36);
const orders = Array.from({ length: count }, (_, i) => {
  const kind = MIX[i % MIX.length]!;
  const orderId = `chaos-${run}-${i}`;
  const large = kind === 'approved' || kind === 'refused' || kind === 'timedOut';
  const sku = kind === 'outOfStock' ? 'OOS-7' : 'A';
  const body: OrderBody = {
    orderId,
    customerId: `c-${i % 11}`,
    lines: [{ sku, qty: kind === 'invalid' ? 0 : 1, unitPrice: large ? 15_000 : 12.5 }],
  };
  return { orderId, kind, body, instanceId: orderInstanceId(orderId) };
});
type ChaosOrder = (typeof orders)[number];
const byId = new Map(orders.map((o) => [o.orderId, o]));

const workDir = mkdtempSync(join(tmpdir(), 'baton-chaos-'));
const outageFile = join(workDir, 'outage.json');
const cluster = new LocalCluster({
  instances,
  port: 0,
  prefix: `chaos${run}`,
  leaseMs: LEASE_MS,
  workDir,
  waitSeconds: 1,
  sweepEveryMs: 2_000,
  faultRate,
  logLevel: 'WARN',
  outageFile,
  clockSkewMs,
  // A person answers an approval request, and a customer cancels, while the timers run: which came first is read from
  // each instance's history, not guessed from the wall clock, so a slow machine changes which path an order takes,
  // never the verdict. Long enough that most answers win, so both paths of each are taken in most runs.
  environment: sampleOptionsToEnv({
    approvalTimeoutMs: seconds(values['approval-timeout']!),
    cancellationWindowMs: seconds(values['cancellation-window']!),
  }),
});

let kills = 0;
let zombies = 0;
let outages = 0;
const skewed = Array.from({ length: instances }, (_, i) => clockSkewMs(`host-${i + 1}`)).filter(
  (ms) => ms !== 0,
).length;
const timers: NodeJS.Timeout[] = [];
let exitCode = 1;
const startedAt = Date.now();
try {
  await cluster.start();
  await cluster.waitUntilUp();
  const d = cluster.describe();
  const sqs = sqsClient({ endpoint: d.endpoint });
  console.log(
    `chaos: ${count} orchestrations, ${instances} host instances, a SIGKILL every ${killEveryMs} ms, fault rate ${faultRate}, ` +
      `a ${FREEZE_MS} ms freeze every ${freezeEveryMs} ms, a ${outageMs} ms outage every ${outageEveryMs} ms, clocks off by ${cluster.hosts.map((h) => `${h.name} ${clockSkewMs(h.name)} ms`).join(', ')}`,
  );

  if (killEveryMs > 0) {
    timers.push(
      setInterval(() => {
        const up = cluster.hosts.filter((h) => h.status === 'up');
        const victim = up[Math.floor(Math.random() * up.length)];
        // Random moment within the interval, so kills land anywhere in a step.
        if (victim)
          setTimeout(
            () => {
              if (cluster.kill(victim.name) !== undefined) kills++;
            },
            Math.random() * killEveryMs * 0.9,
          );
      }, killEveryMs),
    );
  }
  if (freezeEveryMs > 0) {
    // Freeze the next host instance that starts a batch: it holds work (leases, received messages) while frozen.
    let wanted = false;
    cluster.onBusy((host) => {
      if (!wanted) return;
      wanted = false;
      if (cluster.freeze(host.name, FREEZE_MS)) zombies++;
    });
    timers.push(setInterval(() => (wanted = true), freezeEveryMs));
  }
  if (outageEveryMs > 0) {
    // The store first, then the queues, alternately; the first two early, so even a short run has both.
    const services = ['DynamoDB', 'SQS'] as const;
    const outage = () => {
      OutageSwitch.announce(outageFile, services[outages % 2]!, outageMs);
      outages++;
    };
    timers.push(setTimeout(outage, 3_000), setTimeout(outage, 3_000 + outageMs + 4_000));
    timers.push(setTimeout(() => timers.push(setInterval(outage, outageEveryMs)), 3_000 + outageMs + 4_000));
  }

  // Every message sent (Orders, Cancels, Approvals), with the MessageId the receive host sees: each is accounted for.
  const sent: RawMessage[] = [];
  const sentAs = new Map<string, { orderId: string; type: string; approved?: boolean }>();
  const sendAll = async (messages: { type: string; body: { orderId: string; approved?: boolean } }[]) => {
    const out = await sendMessages(sqs, d.receiveQueueUrl, messages);
    out.forEach((m, i) =>
      sentAs.set(m.messageId, {
        orderId: messages[i]!.body.orderId,
        type: messages[i]!.type,
        approved: messages[i]!.body.approved,
      }),
    );
    sent.push(...out);
  };
  await sendAll(orders.map((o) => ({ type: 'Order', body: o.body })));
  const cancels = new Set(orders.filter((o) => o.kind === 'cancelled').map((o) => o.orderId));
  const answered = new Set<string>();
  const received = new Map<string, Map<string, string>>(); // orderId → MessageId → MessageType
  const reasons = new Map<string, string>(); // MessageId → the reason an OrderRejected gave, for the report
  let redeliveries = 0;
  const take = (messages: readonly Message[]) => {
    for (const m of messages) {
      const body = JSON.parse(m.Body ?? '{}') as { orderId?: string; reason?: unknown };
      const order = byId.get(body.orderId ?? '');
      if (!order) continue;
      const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
      const seen = received.get(order.orderId) ?? new Map<string, string>();
      if (seen.has(messageId)) redeliveries++;
      seen.set(messageId, m.MessageAttributes?.MessageType?.StringValue ?? '?');
      received.set(order.orderId, seen);
      if (body.reason !== undefined) reasons.set(messageId, String(body.reason));
    }
  };
  // The time limit is a safety net: the chaos stops once every order's instance ended or will not move again, and the
  // run ends when nothing more will happen (the queues empty, timers included), however long that takes.
  const deadline = Date.now() + timeoutMs;
  const instanceIds = orders.map((o) => o.instanceId);
  let lastLook = 0;
  let calm = false;
  let finished = false;
  while (Date.now() < deadline) {
    // A Cancel goes once its order exists (sent earlier, it would be held, then suspended as uncorrelated).
    if (cancels.size > 0) {
      const ready: string[] = [];
      for (const orderId of cancels)
        if (await cluster.store.summaryOf(byId.get(orderId)!.instanceId)) ready.push(orderId);
      for (const orderId of ready) cancels.delete(orderId);
      if (ready.length > 0) await sendAll(ready.map((orderId) => ({ type: 'Cancel', body: { orderId } })));
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: d.sendQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    take(Messages);
    // A person answers the approval request (or, for timedOut, never does).
    const approvals: { type: string; body: { orderId: string; approved: boolean } }[] = [];
    for (const m of Messages) {
      const order = byId.get((JSON.parse(m.Body ?? '{}') as { orderId?: string }).orderId ?? '');
      if (!order || m.MessageAttributes?.MessageType?.StringValue !== 'ApprovalRequest' || answered.has(order.orderId))
        continue;
      if (order.kind === 'approved' || order.kind === 'refused') {
        answered.add(order.orderId);
        approvals.push({ type: 'Approval', body: { orderId: order.orderId, approved: order.kind === 'approved' } });
      }
    }
    if (approvals.length > 0) await sendAll(approvals);
    if (Messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: d.sendQueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    if (Messages.length > 0 || Date.now() - lastLook < 2_000) continue;
    lastLook = Date.now();
    // A Cancel still unsent waits for an order that was never created: with the receive queue empty, it never will be.
    if (!calm && (await quiet(sqs, [d.receiveQueueUrl])) && (await settledAll(cluster.store, instanceIds))) {
      // Every order ended or will not move again: the chaos stops, and what is still on its way lands.
      calm = true;
      for (const timer of timers) clearInterval(timer);
      OutageSwitch.announce(outageFile, 'DynamoDB', 0);
    }
    if (
      calm &&
      (await quiet(sqs, [d.receiveQueueUrl, d.workQueueUrl])) &&
      (await settledAll(cluster.store, instanceIds))
    ) {
      finished = true;
      break;
    }
  }
  if (!finished)
    console.log(
      `chaos: the safety net: still going after ${Math.round(timeoutMs / 1000)} s; judging what happened so far`,
    );
  for (const timer of timers) clearInterval(timer);
  OutageSwitch.announce(outageFile, 'DynamoDB', 0);
  // Let the last restarts and straggling re-dispatches settle, then read everything once more.
  await new Promise((r) => setTimeout(r, 3_000));
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: d.sendQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    take(Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: d.sendQueueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  // Every change the hosts made is in the history before it is read.
  await cluster.tracking?.caughtUp(60_000);
  const states = await Promise.all(orders.map((o) => cluster.store.load(o.instanceId)));

  // Each order against what its input and its history dictate: each message it must produce, once.
  let lost = 0;
  let duplicates = 0;
  const problems: string[] = [];
  const paths = new Map<string, number>();
  for (const [i, order] of orders.entries()) {
    const state = states[i];
    if (!state || !TERMINAL_STATUSES.has(state.status)) continue;
    const events = await wholeHistory(cluster.history, order.instanceId);
    const { expected, path } = expectedOf(order, events, sentAs);
    paths.set(path, (paths.get(path) ?? 0) + 1);
    const inHistory = new Set(events.filter((e) => e.kind === TrackedKind.Sent).map((e) => e.messageId));
    const got = [...(received.get(order.orderId) ?? new Map<string, string>())];
    for (const type of new Set(expected)) {
      const n = got.filter(([id, t]) => t === type && inHistory.has(id)).length;
      if (n === 0) {
        lost++;
        problems.push(`${order.orderId} (${order.kind}, ${path}): no ${type}`);
      }
      if (n > 1) {
        duplicates += n - 1;
        problems.push(`${order.orderId} (${order.kind}, ${path}): ${n} distinct ${type}`);
      }
    }
    for (const [messageId, type] of got) {
      const why = !expected.includes(type)
        ? 'unexpected'
        : !inHistory.has(messageId)
          ? 'not sent by its instance (its history)'
          : undefined;
      if (why) {
        duplicates++;
        problems.push(
          `${order.orderId} (${order.kind}, ${path}): ${why} ${type} ${messageId}${reasons.has(messageId) ? ` (${reasons.get(messageId)})` : ''}`,
        );
      }
    }
  }
  // Stuck: not ended, and nothing will move it (suspended, or no due entry: no timer, no lease, no delivery unread).
  let stuck = 0;
  let unfinished = 0;
  for (const [i, order] of orders.entries()) {
    const state = states[i];
    if (state && TERMINAL_STATUSES.has(state.status)) continue;
    if (await willMove(cluster.store, order.instanceId)) {
      unfinished++;
      problems.push(
        `${order.orderId} (${order.kind}): still ${state?.status}, due to be woken: not finished within the safety net`,
      );
    } else {
      stuck++;
      problems.push(
        `${order.orderId} (${order.kind}): ${state ? `${state.status}${state.error ? ` (${state.error.reason})` : ''}` : 'never created'}, and ${state?.status === 'suspended' ? 'only an operator moves it' : 'nothing will wake it'}`,
      );
    }
  }
  const ended = count - stuck - unfinished;
  const suspendedInstances = states.filter((s) => s?.status === 'suspended').length;

  // Every message sent, to each instance it was routed to: taken, suspended, discarded or resubmitted, each once. A
  // message in a dead-letter queue has none of those ends (an operator may redrive it): it is unaccounted, and said so.
  const deadLetters = await deadLettered(sqs, d.deadLetterQueueUrls);
  if (deadLetters.size > 0)
    console.log(
      `chaos: dead-letter queues hold ${deadLetters.size} message(s): ${Object.keys(d.deadLetterQueueUrls)
        .map((q) => `${q}=${[...deadLetters.values()].filter((w) => w.includes(`the ${q} DLQ`)).length}`)
        .join(' ')}`,
    );
  const judgement = await judgeConservation(
    sent,
    { store: cluster.store, history: cluster.history, registry: cluster.registry },
    {
      log: (line) => console.log(`chaos: ${line}`),
      deadLetters,
      dynamo: { client: dynamoDbDocumentClient({ endpoint: d.endpoint }), tableName: d.tableName },
      ...(d.claimCheckBucket
        ? {
            claimCheck: {
              s3: s3Client({ endpoint: d.endpoint }),
              bucket: d.claimCheckBucket,
              dynamo: dynamoDbDocumentClient({ endpoint: d.endpoint }),
              tableName: d.tableName,
            },
          }
        : {}),
    },
  );
  // A suspended message is right only for an Approval or a Cancel its order's instance ended without taking (it took
  // the timer, the other answer, or failed first): anything else suspended is a wrong verdict.
  const suspended = await cluster.store.listSuspendedMessages();
  const wronglySuspended = suspended.filter((m) => {
    const what = sentAs.get(m.messageId);
    if (!what || what.type === 'Order') return true;
    const delivery = judgement.accounting.messages.find((a) => a.messageId === m.messageId)?.deliveries[0];
    const state = states[orders.indexOf(byId.get(what.orderId)!)];
    return delivery?.fate.kind !== 'suspended' || !state || !TERMINAL_STATUSES.has(state.status);
  });
  for (const m of wronglySuspended.slice(0, 10))
    console.log(
      `chaos: wrongly suspended message ${m.messageId} (${sentAs.get(m.messageId)?.type ?? 'not sent by this run'}): ${m.reason}`,
    );
  const faults = cluster.hosts.reduce((n, h) => n + h.faults, 0);
  for (const p of problems.slice(0, 20)) console.log(`chaos: ${p}`);
  console.log(
    `chaos: paths taken (from the histories): ${[...paths]
      .sort()
      .map(([p, n]) => `${p}=${n}`)
      .join(' ')}`,
  );
  console.log(
    `chaos: ${Math.round((Date.now() - startedAt) / 1000)} s; re-delivered copies dropped by MessageId=${redeliveries} suspended instances=${suspendedInstances} ` +
      `suspended messages=${suspended.length} (wrongly=${wronglySuspended.length}) unfinished=${unfinished} restarts=${cluster.hosts.reduce((n, h) => n + h.restarts, 0)}`,
  );
  console.log(
    `chaos: orchestrations=${count} ended=${ended} lost=${lost} duplicates=${duplicates} stuck=${stuck} unaccounted=${judgement.unaccounted} kills=${kills} faults=${faults} zombies=${zombies} outages=${outages} skewed=${skewed}`,
  );
  exitCode =
    lost === 0 &&
    duplicates === 0 &&
    stuck === 0 &&
    unfinished === 0 &&
    judgement.unaccounted === 0 &&
    wronglySuspended.length === 0
      ? 0
      : 1;
} catch (error) {
  console.error(`chaos: ${(error as Error).stack ?? error}`);
} finally {
  await cluster.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);

/**
 * What an order must produce on the send queue, each once, from its input (is it valid, large, in stock) and from what
 * its instance took, as its tracked history says: the Approval or the approval timeout, the Cancel or the window's
 * timer, whichever it took first. Judged for an ended instance only: one that left a listen without taking a message
 * took its timer. `path` names the way it went.
 */
function expectedOf(
  order: ChaosOrder,
  events: readonly TrackedEvent[],
  sentAs: ReadonlyMap<string, { type: string; approved?: boolean }>,
): { expected: string[]; path: string } {
  if (validateOrder(order.body)) return { expected: ['OrderRejected'], path: 'invalid' };
  // The answers it took, in the order it took them (the activating Order apart).
  const answers = events.filter(
    (e) => e.kind === TrackedKind.Received && (e.messageType === 'Approval' || e.messageType === 'Cancel'),
  );
  const expected: string[] = [];
  let next = 0;
  if (priceOrder(order.body) >= DEFAULT_APPROVAL_THRESHOLD) {
    expected.push('ApprovalRequest');
    const answer = answers[next++];
    if (!answer) return { expected: [...expected, 'OrderRejected'], path: 'approvalTimedOut' };
    if (answer.messageType === 'Cancel')
      return { expected: [...expected, 'OrderCancelled'], path: 'cancelledBeforeApproval' };
    if (!sentAs.get(answer.messageId!)?.approved) return { expected: [...expected, 'OrderRejected'], path: 'refused' };
  }
  if (order.body.lines.some((line) => line.sku.startsWith('OOS')))
    return { expected: [...expected, 'OrderRejected'], path: 'outOfStock' };
  if (answers.slice(next).some((e) => e.messageType === 'Cancel'))
    return { expected: [...expected, 'OrderCancelled'], path: 'cancelled' };
  return {
    expected: [...expected, 'Invoice', 'Shipment'],
    path: expected.length > 0 ? 'approvedThenWindowClosed' : 'windowClosed',
  };
}
