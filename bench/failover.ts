import { sqsClient } from '../functions/adapters/aws-clients.ts';
import type { RawMessage } from '../functions/core/message.ts';
import { quiet, sendMessages, settledAll } from '../local/accounting.ts';
import { TERMINAL_STATUSES } from '../functions/core/instance.ts';
import { LocalCluster } from '../local/cluster.ts';
import { orderInstanceId } from '../local/demo.ts';
import { sampleOptionsToEnv } from '../functions/orchestrations/index.ts';

export interface FailoverResult {
  readonly leaseMs: number;
  /** One sample per instance that was in flight on a killed host instance: ms from the kill to another host's commit. */
  readonly samplesMs: readonly number[];
  readonly kills: number;
  /** The orders sent, and where their instances and history are: to account for them once they ended. */
  readonly sent: readonly RawMessage[];
  readonly tables: { readonly tableName: string; readonly historyTableName?: string };
}

/**
 * Failover latency: a host instance is SIGKILLed while it runs a batch of steps (each step takes
 * `stepMs`, so the kill lands mid-step); for every instance of that batch, the time until another host
 * instance commits it (it resumed from the last persistence point) is one sample.
 */
export async function measureFailover(options: {
  endpoint: string;
  workDir: string;
  prefix: string;
  kills: number;
  leaseMs: number;
  stepMs?: number;
}): Promise<FailoverResult> {
  const cluster = new LocalCluster({
    instances: 2,
    port: 0,
    endpoint: options.endpoint,
    prefix: options.prefix,
    leaseMs: options.leaseMs,
    workDir: options.workDir,
    waitSeconds: 1,
    sweepEveryMs: 60_000,
    logLevel: 'WARN',
    environment: sampleOptionsToEnv({ pricingLatencyMs: options.stepMs ?? 300, cancellationWindowMs: 0 }),
  });
  const samples: number[] = [];
  const sent: RawMessage[] = [];
  let kills = 0;
  await cluster.start();
  try {
    await cluster.waitUntilUp();
    const sqs = sqsClient({ endpoint: cluster.describe().endpoint });
    for (let trial = 0; trial < options.kills; trial++) {
      await cluster.waitUntilUp();
      const orderIds = Array.from({ length: 4 }, (_, i) => `fo-${options.prefix}-${trial}-${i}`);
      // Kill the first host instance that starts a batch of these orders' first steps.
      const killed = new Promise<{ at: number; dead: string; instanceIds: string[] }>((resolve) => {
        const wanted = new Set(orderIds.map(orderInstanceId));
        const stop = cluster.onBusy((host, ids) => {
          const inFlight = ids.filter((id) => wanted.has(id));
          if (inFlight.length === 0 || host.status !== 'up') return;
          const dead = `${host.name}#${host.restarts}`;
          if (cluster.kill(host.name) === undefined) return;
          stop();
          resolve({ at: performance.now(), dead, instanceIds: inFlight });
        });
      });
      sent.push(
        ...(await sendMessages(
          sqs,
          cluster.describe().receiveQueueUrl,
          orderIds.map((orderId) => ({
            type: 'Order',
            body: { orderId, customerId: 'c', lines: [{ sku: 'A', qty: 1, unitPrice: 1 }] },
          })),
        )),
      );
      const kill = await killed;
      kills++;
      // Poll until another host instance committed each of them (or, rarely, the dying one's last write landed).
      const pending = new Set(kill.instanceIds);
      const deadline = performance.now() + 60_000;
      while (pending.size > 0 && performance.now() < deadline) {
        for (const id of [...pending]) {
          const state = await cluster.store.load(id);
          if (!state?.lastHost) continue;
          if (!state.lastHost.startsWith(kill.dead)) {
            samples.push(performance.now() - kill.at);
            pending.delete(id);
          } else if (TERMINAL_STATUSES.has(state.status)) pending.delete(id);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      if (pending.size > 0)
        throw new Error(`failover: ${pending.size} instance(s) not resumed within 60 s of the kill`);
    }
    // The orders finish before they are accounted for, and their history is written.
    const d = cluster.describe();
    const instanceIds = sent.map((m) => orderInstanceId((JSON.parse(m.body) as { orderId: string }).orderId));
    const until = Date.now() + 60_000;
    while (
      Date.now() < until &&
      !((await quiet(sqs, [d.receiveQueueUrl, d.workQueueUrl])) && (await settledAll(cluster.store, instanceIds)))
    )
      await new Promise((r) => setTimeout(r, 200));
    await cluster.tracking?.caughtUp(60_000);
  } finally {
    await cluster.stop();
  }
  const d = cluster.describe();
  return {
    leaseMs: options.leaseMs,
    samplesMs: samples,
    kills,
    sent,
    tables: { tableName: d.tableName, ...(cluster.tracking ? { historyTableName: d.historyTableName } : {}) },
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
