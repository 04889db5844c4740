/**
 * `npm run chaos`: the local cluster under fire. It sends a mix of sample orders (plain, invalid, approved,
 * refused, timed out, cancelled, out of stock), answers approvals as a person would, SIGKILLs random host
 * instances at random moments (the cluster restarts them), injects faults between the hosts and the store and
 * queues (local/faults.ts), freezes host instances (SIGSTOP) for longer than the lease while they hold work and
 * then thaws them (zombies), takes the whole store and, separately, the queues away for seconds at a time
 * (outages), and runs some host instances on a clock that is off, one beyond what leases tolerate (skewed).
 * At the end it checks every order against what its input dictates. Last line:
 * `chaos: orchestrations=N ended=N lost=0 duplicates=0 stuck=0 kills=K faults=F zombies=Z outages=O skewed=S`;
 * exit 0 only if nothing was lost, duplicated, stuck or wrongly suspended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { TERMINAL_STATUSES, type InstanceState } from '../functions/core/instance.ts';
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
    timeout: { type: 'string', default: '240s' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npm run chaos -- [--orchestrations 300] [--instances 3] [--kill-every 2s] [--fault-rate 0.05] [--freeze-every 6s] [--outage-every 15s] [--outage-length 4s] [--skew 2500ms] [--timeout 240s]');
  console.log('  0 turns a kind of chaos off: --kill-every 0, --fault-rate 0, --freeze-every 0, --outage-every 0, --skew 0');
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

/** What each kind of order must produce on the send queue, once each. */
const KINDS = {
  plain: ['Invoice', 'Shipment'],
  invalid: ['OrderRejected'],
  approved: ['ApprovalRequest', 'Invoice', 'Shipment'],
  refused: ['ApprovalRequest', 'OrderRejected'],
  timedOut: ['ApprovalRequest', 'OrderRejected'],
  cancelled: ['OrderCancelled'],
  outOfStock: ['OrderRejected'],
} as const;
type Kind = keyof typeof KINDS;
const MIX: Kind[] = ['plain', 'invalid', 'approved', 'refused', 'timedOut', 'cancelled', 'outOfStock', 'plain', 'approved', 'cancelled'];

const run = Date.now().toString(36);
const orders = Array.from({ length: count }, (_, i) => {
  const kind = MIX[i % MIX.length]!;
  const orderId = `chaos-${run}-${i}`;
  const large = kind === 'approved' || kind === 'refused' || kind === 'timedOut';
  const sku = kind === 'outOfStock' ? 'OOS-7' : 'A';
  const body = { orderId, customerId: `c-${i % 11}`, lines: [{ sku, qty: kind === 'invalid' ? 0 : 1, unitPrice: large ? 15_000 : 12.5 }] };
  return { orderId, kind, body, instanceId: orderInstanceId(orderId) };
});
const byId = new Map(orders.map((o) => [o.orderId, o]));

const workDir = mkdtempSync(join(tmpdir(), 'baton-chaos-'));
const outageFile = join(workDir, 'outage.json');
const cluster = new LocalCluster({
  instances, port: 0, prefix: `chaos${run}`, leaseMs: LEASE_MS, workDir, waitSeconds: 1, sweepEveryMs: 2_000, faultRate, logLevel: 'WARN',
  outageFile, clockSkewMs,
  // Timers long enough that an Approval or a Cancel held up by the chaos (a killed receive host's message comes
  // back after its lease; a faulted request is retried) still arrives before them: what is checked is that each
  // message an order's input dictates goes out exactly once, not a race between a person and a timer.
  environment: sampleOptionsToEnv({ approvalTimeoutMs: 20_000, cancellationWindowMs: 30_000 }),
});

let kills = 0;
let zombies = 0;
let outages = 0;
const skewed = Array.from({ length: instances }, (_, i) => clockSkewMs(`host-${i + 1}`)).filter((ms) => ms !== 0).length;
const timers: NodeJS.Timeout[] = [];
let exitCode = 1;
const startedAt = Date.now();
try {
  await cluster.start();
  await cluster.waitUntilUp();
  const d = cluster.describe();
  const sqs = sqsClient({ endpoint: d.endpoint });
  console.log(`chaos: ${count} orchestrations, ${instances} host instances, a SIGKILL every ${killEveryMs} ms, fault rate ${faultRate}, ` +
    `a ${FREEZE_MS} ms freeze every ${freezeEveryMs} ms, a ${outageMs} ms outage every ${outageEveryMs} ms, clocks off by ${cluster.hosts.map((h) => `${h.name} ${clockSkewMs(h.name)} ms`).join(', ')}`);

  if (killEveryMs > 0) {
    timers.push(setInterval(() => {
      const up = cluster.hosts.filter((h) => h.status === 'up');
      const victim = up[Math.floor(Math.random() * up.length)];
      // Random moment within the interval, so kills land anywhere in a step.
      if (victim) setTimeout(() => { if (cluster.kill(victim.name) !== undefined) kills++; }, Math.random() * killEveryMs * 0.9);
    }, killEveryMs));
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

  await send(sqs, d.receiveQueueUrl, orders.map((o) => ({ type: 'Order', body: o.body })));
  const cancels = new Set(orders.filter((o) => o.kind === 'cancelled').map((o) => o.orderId));
  const answered = new Set<string>();
  const received = new Map<string, Map<string, string>>(); // orderId → MessageId → MessageType
  const reasons = new Map<string, string>(); // MessageId → the reason an OrderRejected gave, for the report
  let redeliveries = 0;
  const deadline = Date.now() + timeoutMs;
  let states: (InstanceState | undefined)[] = [];
  const complete = () => orders.every((o) => (received.get(o.orderId)?.size ?? 0) >= KINDS[o.kind].length);

  while (Date.now() < deadline) {
    // A Cancel goes once its order exists (sent earlier, it would be held, then suspended as uncorrelated).
    if (cancels.size > 0) {
      const ready: string[] = [];
      for (const orderId of cancels) if (await cluster.store.summaryOf(byId.get(orderId)!.instanceId)) ready.push(orderId);
      for (const orderId of ready) cancels.delete(orderId);
      if (ready.length > 0) await send(sqs, d.receiveQueueUrl, ready.map((orderId) => ({ type: 'Cancel', body: { orderId } })));
    }
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: d.sendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    const approvals: { type: string; body: unknown }[] = [];
    for (const m of Messages) {
      const body = JSON.parse(m.Body ?? '{}') as { orderId?: string };
      const order = byId.get(body.orderId ?? '');
      if (!order) continue;
      const type = m.MessageAttributes?.MessageType?.StringValue ?? '?';
      const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
      const seen = received.get(order.orderId) ?? new Map<string, string>();
      if (seen.has(messageId)) redeliveries++;
      seen.set(messageId, type);
      received.set(order.orderId, seen);
      const reason = (body as { reason?: unknown }).reason;
      if (reason !== undefined) reasons.set(messageId, String(reason));
      // A person answers the approval request (or, for timedOut, never does).
      if (type === 'ApprovalRequest' && !answered.has(order.orderId) && (order.kind === 'approved' || order.kind === 'refused')) {
        answered.add(order.orderId);
        approvals.push({ type: 'Approval', body: { orderId: order.orderId, approved: order.kind === 'approved' } });
      }
    }
    if (approvals.length > 0) await send(sqs, d.receiveQueueUrl, approvals);
    if (Messages.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: d.sendQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    if (Messages.length === 0 && complete()) {
      states = await Promise.all(orders.map((o) => cluster.store.load(o.instanceId)));
      if (states.every((s) => s && TERMINAL_STATUSES.has(s.status))) break;
    }
  }
  for (const timer of timers) clearInterval(timer);
  OutageSwitch.announce(outageFile, 'DynamoDB', 0);
  // Let the last restarts and straggling re-dispatches settle, then read everything once more.
  await new Promise((r) => setTimeout(r, 3_000));
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: d.sendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) break;
    for (const m of Messages) {
      const order = byId.get((JSON.parse(m.Body ?? '{}') as { orderId?: string }).orderId ?? '');
      if (!order) continue;
      const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
      const seen = received.get(order.orderId) ?? new Map<string, string>();
      if (seen.has(messageId)) redeliveries++;
      seen.set(messageId, m.MessageAttributes?.MessageType?.StringValue ?? '?');
      received.set(order.orderId, seen);
    }
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: d.sendQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  states = await Promise.all(orders.map((o) => cluster.store.load(o.instanceId)));

  let lost = 0;
  let duplicates = 0;
  const problems: string[] = [];
  for (const order of orders) {
    const types = [...(received.get(order.orderId)?.values() ?? [])];
    for (const expected of KINDS[order.kind]) {
      const n = types.filter((t) => t === expected).length;
      if (n === 0) { lost++; problems.push(`${order.orderId} (${order.kind}): no ${expected}`); }
      if (n > 1) { duplicates += n - 1; problems.push(`${order.orderId} (${order.kind}): ${n} distinct ${expected}`); }
    }
    for (const [messageId, type] of received.get(order.orderId) ?? []) {
      if (!(KINDS[order.kind] as readonly string[]).includes(type)) { duplicates++; problems.push(`${order.orderId} (${order.kind}): unexpected ${type}${reasons.has(messageId) ? ` (${reasons.get(messageId)})` : ''}`); }
    }
  }
  const ended = states.filter((s) => s && TERMINAL_STATUSES.has(s.status)).length;
  const stuck = count - ended;
  const suspendedInstances = states.filter((s) => s?.status === 'suspended').length;
  const suspended = await cluster.store.listSuspendedMessages();
  const suspendedMessages = suspended.length;
  for (const m of suspended.slice(0, 10)) console.log(`chaos: suspended message ${m.messageId}: ${m.reason}`);
  const faults = cluster.hosts.reduce((n, h) => n + h.faults, 0);
  for (const p of problems.slice(0, 20)) console.log(`chaos: ${p}`);
  console.log(`chaos: ${Math.round((Date.now() - startedAt) / 1000)} s; re-delivered copies dropped by MessageId=${redeliveries} suspended instances=${suspendedInstances} suspended messages=${suspendedMessages} restarts=${cluster.hosts.reduce((n, h) => n + h.restarts, 0)}`);
  console.log(`chaos: orchestrations=${count} ended=${ended} lost=${lost} duplicates=${duplicates} stuck=${stuck} kills=${kills} faults=${faults} zombies=${zombies} outages=${outages} skewed=${skewed}`);
  exitCode = lost === 0 && duplicates === 0 && stuck === 0 && suspendedInstances === 0 && suspendedMessages === 0 ? 0 : 1;
} catch (error) {
  console.error(`chaos: ${(error as Error).stack ?? error}`);
} finally {
  await cluster.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);

async function send(sqs: SQSClient, queueUrl: string, messages: { type: string; body: unknown }[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const response = await sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: chunk.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m.body), MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } } })),
    }));
    if ((response.Failed ?? []).length > 0) throw new Error(`could not send: ${JSON.stringify(response.Failed)}`);
  }
}
