/**
 * The bench's `latency` part: its load, what it measures besides throughput, and the model as it states it.
 *
 * The load is a closed loop: a fixed number of sample orders in flight, the next one sent as each ends. Throughput is
 * then what the host instances sustain at that load, and each orchestration's end-to-end latency is its own (not
 * its wait behind a backlog sent up front). An order has ended when every message it must produce (Invoice and
 * Shipment, or OrderRejected) reached the send queue: those go out after the commit that completes it.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RawMessage } from '../functions/core/message.ts';
import { orderInstanceId, sampleOrder } from '../local/demo.ts';
import { PUBLISHED_LATENCY, PUBLISHED_LATENCY_SOURCES, type OperationLatency } from '../local/latency-model.ts';
import { cpuSeconds, cpuStallSeconds, machineCpuSeconds } from '../local/process-cpu.ts';

/** The latency model as the bench's output states it: what it delays, the distributions, and their sources. */
export const LATENCY_MODEL = {
  applies:
    "every DynamoDB and SQS request (each attempt) of the host instances waits a draw before it is sent, client side, as a round trip would; the emulator's own time comes on top",
  distribution: 'log-normal from (median, p99), seeded per host instance',
  seed: PUBLISHED_LATENCY.seed,
  DynamoDB: { ...PUBLISHED_LATENCY.services.DynamoDB, ...PUBLISHED_LATENCY_SOURCES.DynamoDB },
  SQS: {
    ...PUBLISHED_LATENCY.services.SQS,
    ...PUBLISHED_LATENCY_SOURCES.SQS,
    requests: 'every one, ReceiveMessage (long polls) included',
  },
};

export interface ClosedLoopOptions {
  readonly sqs: SQSClient;
  readonly receiveQueueUrl: string;
  readonly sendQueueUrl: string;
  readonly orders: number;
  /** Orders in flight at any time (sent, not yet ended). */
  readonly inFlight: number;
  readonly timeoutMs?: number;
}

/** Runs the loop; returns when each order was sent (epoch ms), by its instance id, and each order as sent (to account for). */
export async function closedLoop(o: ClosedLoopOptions): Promise<{ sentAt: Map<string, number>; sent: RawMessage[] }> {
  const orders = Array.from({ length: o.orders }, (_, i) => sampleOrder(i));
  const awaiting = new Map(orders.map((order) => [order.orderId, order.expected.length]));
  const sentAt = new Map<string, number>();
  const sentMessages: RawMessage[] = [];
  const seen = new Set<string>();
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  let sent = 0;
  let ended = 0;

  const topUp = async () => {
    while (sent < orders.length && sent - ended < o.inFlight) {
      const chunk = orders.slice(sent, sent + Math.min(10, o.inFlight - (sent - ended)));
      sent += chunk.length;
      const at = Date.now();
      const response = await o.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: o.receiveQueueUrl,
          Entries: chunk.map((order, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify(order.body),
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
          })),
        }),
      );
      if ((response.Failed ?? []).length > 0)
        throw new Error(`bench: could not send orders: ${JSON.stringify(response.Failed)}`);
      for (const order of chunk) sentAt.set(orderInstanceId(order.orderId), at);
      const ids = new Map((response.Successful ?? []).map((r) => [r.Id, r.MessageId!]));
      chunk.forEach((order, j) =>
        sentMessages.push({
          messageId: ids.get(String(j))!,
          body: JSON.stringify(order.body),
          attributes: { MessageType: 'Order' },
        }),
      );
    }
  };

  await topUp();
  while (ended < orders.length) {
    if (Date.now() > deadline)
      throw new Error(
        `bench: ${orders.length - ended} of ${orders.length} orders not ended after ${o.timeoutMs ?? 300_000} ms`,
      );
    const { Messages = [] } = await o.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: o.sendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of Messages) {
      // A copy sent again (same MessageId) is not a second message of its order.
      if (seen.has(message.MessageId!)) continue;
      seen.add(message.MessageId!);
      const { orderId } = JSON.parse(message.Body ?? '{}') as { orderId?: string };
      const left = orderId === undefined ? undefined : awaiting.get(orderId);
      if (left === undefined) continue;
      awaiting.set(orderId!, left - 1);
      if (left === 1) ended++;
    }
    await Promise.all([
      Messages.length > 0 &&
        o.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: o.sendQueueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        ),
      topUp(),
    ]);
  }
  return { sentAt, sent: sentMessages };
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** What the CPU did during a run: this process (the emulator, with the cluster's tracking and the load), the host instances, the machine. */
export interface CpuUse {
  readonly emulatorCpuShare: number;
  readonly hostInstancesCpuShare: number;
  readonly eachHostInstanceOfOneCore: number[];
  /** Everything else on the machine meanwhile (absent off Linux): above a few %, the run was disturbed. */
  readonly otherProcessesCpuShare?: number;
  /** Share of the time at least one task waited for a core (Linux's pressure stall information). */
  readonly cpuStallShare?: number;
  /** How late this process's event loop ran its timers: the emulator answers nothing while it is blocked. */
  readonly emulatorLoopDelayMs: { p50: number; p99: number; max: number };
}

const LOOP_RESOLUTION_MS = 2;

/**
 * Starts measuring; `stop()` says how many seconds passed and what the CPU did meanwhile, as shares of all cores (of
 * one, for each host instance).
 */
export function watchCpu(hostPids: readonly number[]): { stop(): { seconds: number; cpu: CpuUse } } {
  const cores = availableParallelism();
  const started = performance.now();
  const own = process.cpuUsage();
  const hosts = hostPids.map((pid) => cpuSeconds(pid) ?? 0);
  const machine = machineCpuSeconds();
  const stall = cpuStallSeconds();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const ownUse = process.cpuUsage(own);
      const ownSeconds = (ownUse.user + ownUse.system) / 1e6;
      const hostSeconds = hostPids.map((pid, i) => (cpuSeconds(pid) ?? hosts[i]!) - hosts[i]!);
      const hostTotal = hostSeconds.reduce((a, b) => a + b, 0);
      const machineNow = machineCpuSeconds();
      const stallNow = cpuStallSeconds();
      loop.disable();
      // The histogram holds the intervals between the timer's runs: lateness is what exceeds the resolution.
      const late = (ns: number) => round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS), 1);
      const cpu = {
        emulatorCpuShare: round(ownSeconds / (seconds * cores), 3),
        hostInstancesCpuShare: round(hostTotal / (seconds * cores), 3),
        eachHostInstanceOfOneCore: hostSeconds.map((s) => round(s / seconds, 3)),
        ...(machine === undefined || machineNow === undefined
          ? {}
          : {
              otherProcessesCpuShare: round(
                Math.max(0, machineNow - machine - ownSeconds - hostTotal) / (seconds * cores),
                3,
              ),
            }),
        ...(stall === undefined || stallNow === undefined
          ? {}
          : { cpuStallShare: round((stallNow - stall) / seconds, 3) }),
        emulatorLoopDelayMs: { p50: late(loop.percentile(50)), p99: late(loop.percentile(99)), max: late(loop.max) },
      };
      return { seconds, cpu };
    },
  };
}

/**
 * The host instances' requests per persistence point by operation, with the mean latency the model added and the
 * mean time the emulator then took to answer (the host's own event loop included); and, over all requests but the
 * long polls (whose answer waits for a message), the ms of each kind a persistence point spent in requests.
 */
export function requestsPerPersistencePoint(
  byOperation: Readonly<Record<string, OperationLatency>>,
  persistencePoints: number,
) {
  const operations = Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b));
  const calls = operations.filter(([operation]) => operation !== 'SQS.ReceiveMessage');
  return {
    byOperation: Object.fromEntries(
      operations.map(([operation, m]) => [
        operation,
        {
          requests: round(m.requests / persistencePoints, 2),
          modelledMs: round(m.modelledMs / m.requests, 1),
          emulatorMs: round(m.servedMs / m.requests, 1),
          ...(operation === 'SQS.ReceiveMessage' ? { empty: round(m.empty / persistencePoints, 2) } : {}),
        },
      ]),
    ),
    msPerPersistencePoint: {
      modelled: round(calls.reduce((n, [, m]) => n + m.modelledMs, 0) / persistencePoints, 1),
      emulator: round(calls.reduce((n, [, m]) => n + m.servedMs, 0) / persistencePoints, 1),
    },
  };
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
