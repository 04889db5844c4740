/**
 * The peers part's load and its measurements, one engine at a time.
 *
 * The load is a closed loop: `concurrency` orders in flight, the next sent as one completes. An order is complete
 * when its Invoice and its Shipment have both reached the send port (Baton: its SQS send queue, read by two long-poll
 * loops here as a consumer would; Restate and DBOS: this process's HTTP sink, which plays that queue). All orders
 * are valid, under the approval threshold, of 1 to 3 lines: the sample's plain path.
 *
 * Measured over the measured phase, after the warm-up (whose orders are sent the same way, untimed):
 *   ordersPerSec      completed orders ÷ (first measured send → the last completion)
 *   p50ms, p99ms      per order, from just before its send to the arrival of the second of its two outputs
 *                     (nearest rank)
 *   cpuSeconds        utime + stime of the engine's processes over the phase, plus their reaped children's
 *                     (processes.ts); cpuMsPerOrder = that ÷ completed orders
 *   peakMemoryMB      the peak, sampled every 250 ms, of the sum of the PSS of the engine's processes
 *   exactlyOnce       every order, warm-up included, got exactly one Invoice and one Shipment and nothing else,
 *                     every copy counted (no deduplication), with 2 s after the last completion for a late copy
 *   machine           busy share of all cores over the phase (/proc/stat), and the CPU seconds other processes
 *                     than the engine's and this one (the harness) used meanwhile
 */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { machineBusySeconds, sleep, watchTrees } from './processes.ts';

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** An order of the load: valid, 1 to 3 lines, its total far under the approval threshold (10,000). */
export function loadOrder(prefix: string, i: number) {
  const lines = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
    sku: `sku-${(i + j) % 13}`,
    qty: 1 + ((i + j) % 3),
    unitPrice: 9.99,
  }));
  return { orderId: `${prefix}-${i}`, customerId: `c-${i % 7}`, lines };
}
export type LoadOrder = ReturnType<typeof loadOrder>;

/** What reached the send port, per order: every copy of every type. */
export class Deliveries {
  readonly #copies = new Map<string, Map<string, number>>();
  readonly #waiting = new Map<string, (at: number) => void>();
  unattributed = 0;

  record(orderId: string | undefined, type: string): void {
    if (!orderId) {
      this.unattributed++;
      return;
    }
    const byType = this.#copies.get(orderId) ?? new Map<string, number>();
    byType.set(type, (byType.get(type) ?? 0) + 1);
    this.#copies.set(orderId, byType);
    if (byType.has('Invoice') && byType.has('Shipment')) {
      this.#waiting.get(orderId)?.(performance.now());
      this.#waiting.delete(orderId);
    }
  }

  /** Resolves with the time (performance.now()) the order's second output arrived. */
  completion(orderId: string): Promise<number> {
    return new Promise((resolve) => this.#waiting.set(orderId, resolve));
  }

  /** Exactly one Invoice and one Shipment per order, and nothing else. */
  check(orderIds: readonly string[]) {
    let exactlyOneEach = 0;
    let missing = 0;
    let extraCopies = 0;
    let otherMessages = 0;
    for (const id of orderIds) {
      const byType = this.#copies.get(id) ?? new Map<string, number>();
      const invoices = byType.get('Invoice') ?? 0;
      const shipments = byType.get('Shipment') ?? 0;
      const others = [...byType].reduce(
        (n, [type, count]) => (type === 'Invoice' || type === 'Shipment' ? n : n + count),
        0,
      );
      if (invoices === 1 && shipments === 1 && others === 0) exactlyOneEach++;
      missing += (invoices === 0 ? 1 : 0) + (shipments === 0 ? 1 : 0);
      extraCopies += Math.max(0, invoices - 1) + Math.max(0, shipments - 1);
      otherMessages += others;
    }
    return {
      orders: orderIds.length,
      exactlyOneEach,
      missing,
      extraCopies,
      otherMessages,
      unattributed: this.unattributed,
    };
  }
}

/** How the load reaches an engine. */
export interface EngineClient {
  /** Sends one order; resolves once the engine took it. */
  submit(order: LoadOrder): Promise<void>;
  close(): Promise<void>;
}

/**
 * The send port of Restate and DBOS: an HTTP endpoint on a free port of 127.0.0.1 taking a batch of messages
 * (`[{ messageId, type, body }]`), as SQS SendMessageBatch would.
 */
export async function startSink(deliveries: Deliveries): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          type: string;
          body?: { orderId?: string };
        }[];
        for (const message of batch) deliveries.record(message.body?.orderId, message.type);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/send`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Orders over HTTP (Restate's ingress, the DBOS app's receive location), each answered before the next counts. */
export function httpClient(url: (order: LoadOrder) => string): EngineClient {
  return {
    async submit(order) {
      const to = url(order);
      const response = await fetch(to, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${to}: ${response.status} ${text}`);
    },
    async close() {},
  };
}

/** Orders to Baton's receive queue; its send queue read by two long-poll loops, each output recorded and deleted. */
export function batonClient(
  endpoint: string,
  queues: { receive: string; send: string },
  deliveries: Deliveries,
): EngineClient {
  const sqs = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let running = true;
  const pollers = Array.from({ length: 2 }, async () => {
    while (running) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.send,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        for (const m of Messages) {
          const body = JSON.parse(m.Body ?? '{}') as { orderId?: string };
          deliveries.record(body.orderId, m.MessageAttributes?.MessageType?.StringValue ?? '?');
        }
        if (Messages.length > 0)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queues.send,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
      } catch (error) {
        if (running) process.stderr.write(`bench: peers: baton: reading the send queue: ${(error as Error).message}\n`);
        await sleep(500);
      }
    }
  });
  return {
    async submit(order) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.receive,
          MessageBody: JSON.stringify(order),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
        }),
      );
    },
    async close() {
      running = false;
      await Promise.all(pollers);
      sqs.destroy();
    },
  };
}

/** `promise`, or `fallback()` once `ms` passed (its timer cleared either way). */
function within<T, U>(promise: Promise<T>, ms: number, fallback: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((resolve, reject) => {
    timer = setTimeout(
      () => {
        try {
          resolve(fallback());
        } catch (error) {
          reject(error);
        }
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** `concurrency` orders in flight until all are sent and complete (or the deadline, epoch ms, passed). */
async function closedLoop(
  client: EngineClient,
  deliveries: Deliveries,
  orders: readonly LoadOrder[],
  concurrency: number,
  deadline: number,
) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, orders.length) }, async () => {
      while (next < orders.length && Date.now() < deadline) {
        const order = orders[next++]!;
        const completed = deliveries.completion(order.orderId);
        const sentAt = performance.now();
        try {
          await within(client.submit(order), 30_000, () => {
            throw new Error(`${order.orderId}: not taken within 30 s`);
          });
        } catch (error) {
          failures++;
          process.stderr.write(`bench: peers: ${(error as Error).message}\n`);
          continue;
        }
        const at = await within(completed, deadline - Date.now(), () => undefined);
        if (at === undefined) return;
        latencies.push(at - sentAt);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000, failures };
}

export interface LoadSettings {
  readonly orders: number;
  readonly concurrency: number;
  readonly warmup: number;
}

/** One engine's measured phase: the numbers, and what backs them. */
export type Measured = {
  readonly orders: number;
  readonly completed: number;
  readonly seconds: number;
  readonly ordersPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly cpuSeconds: number;
  readonly cpuMsPerOrder: number;
  readonly peakMemoryMB: number;
  readonly peakRssSumMB: number;
  readonly exactlyOnce: boolean;
  readonly submitFailures: number;
  readonly outputs: ReturnType<Deliveries['check']>;
  readonly machine: { busyShare: number; otherProcessesCpuSeconds: number; harnessCpuSeconds: number };
  readonly processes: ReturnType<ReturnType<typeof watchTrees>['stop']>['processes'];
};

/**
 * Runs the warm-up, then the measured phase with the engine's process trees (under `roots`) watched; then waits 2 s
 * for late copies and checks every order's outputs. `client` is closed by the caller.
 */
export async function measure(
  engine: string,
  client: EngineClient,
  deliveries: Deliveries,
  roots: readonly number[],
  load: LoadSettings,
): Promise<Measured> {
  const timeoutMs = Math.max(180, load.orders / 5) * 1000;
  const runId = `${engine}-${Date.now().toString(36)}`;
  const warm = Array.from({ length: load.warmup }, (_, i) => loadOrder(`${runId}-warm`, i));
  const measured = Array.from({ length: load.orders }, (_, i) => loadOrder(runId, i));
  if (warm.length > 0) {
    const w = await closedLoop(client, deliveries, warm, load.concurrency, Date.now() + timeoutMs);
    process.stderr.write(
      `bench: peers: ${engine}: warm-up ${w.latencies.length}/${warm.length} in ${w.seconds.toFixed(1)} s\n`,
    );
  }
  const machineBefore = machineBusySeconds();
  const ownBefore = process.cpuUsage();
  const watch = watchTrees(roots);
  const r = await closedLoop(client, deliveries, measured, load.concurrency, Date.now() + timeoutMs);
  const used = watch.stop();
  const machineSeconds = machineBusySeconds() - machineBefore;
  const own = process.cpuUsage(ownBefore);
  const harnessSeconds = (own.user + own.system) / 1e6;
  // Late copies: keep the send port open a little longer before the check.
  await sleep(2_000);
  const outputs = deliveries.check([...warm, ...measured].map((order) => order.orderId));
  const completed = r.latencies.length;
  return {
    orders: load.orders,
    completed,
    seconds: round(r.seconds),
    ordersPerSec: round(completed / r.seconds, 1),
    p50ms: Math.round(percentile(r.latencies, 50)),
    p99ms: Math.round(percentile(r.latencies, 99)),
    cpuSeconds: round(used.cpuSeconds),
    cpuMsPerOrder: round((used.cpuSeconds * 1000) / Math.max(1, completed), 1),
    peakMemoryMB: Math.round(used.peakPssMB),
    peakRssSumMB: Math.round(used.peakRssSumMB),
    exactlyOnce: completed === load.orders && r.failures === 0 && outputs.exactlyOneEach === outputs.orders,
    submitFailures: r.failures,
    outputs,
    machine: {
      busyShare: round(machineSeconds / (r.seconds * availableParallelism()), 3),
      otherProcessesCpuSeconds: round(Math.max(0, machineSeconds - used.cpuSeconds - harnessSeconds)),
      harnessCpuSeconds: round(harnessSeconds),
    },
    processes: used.processes,
  };
}
