import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { activationInstanceId } from '../../functions/core/ids.ts';
import { priceOrder, type Order } from '../../functions/orchestrations/order-fulfilment.ts';
import { LocalCluster } from '../../local/cluster.ts';
import { runDemo, sampleOrder } from '../../local/demo.ts';
import { announceSkip, targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(`local cluster of 2 host instances on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let cluster: LocalCluster;
    let stopTarget: () => Promise<void>;
    let workDir: string;

    beforeAll(async () => {
      const started = await target.start();
      stopTarget = started.stop;
      workDir = mkdtempSync(join(tmpdir(), 'baton-it-'));
      cluster = new LocalCluster({
        instances: 2,
        port: 0,
        endpoint: started.endpoint,
        dynamodbEndpoint: started.dynamodbEndpoint,
        prefix: `it${process.pid}${Date.now().toString(36)}`,
        leaseMs: 3_000,
        sample: { pricingLatencyMs: 20, cancellationWindowMs: 0 },
        workDir,
        waitSeconds: 1,
        sweepEveryMs: 1_000,
      });
      await cluster.start();
      await cluster.waitUntilUp();
    });
    afterAll(async () => {
      await cluster?.stop();
      await stopTarget?.();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('turns each order into exactly one Invoice or OrderRejected carrying the contract attributes', async () => {
      const d = cluster.describe();
      const sqs = sqsClient({ endpoint: d.endpoint });
      const orders = Array.from({ length: 30 }, (_, i) => sampleOrder(i));
      const sentIds = new Map<string, string>();
      for (let i = 0; i < orders.length; i += 10) {
        const chunk = orders.slice(i, i + 10);
        const response = await sqs.send(new SendMessageBatchCommand({
          QueueUrl: d.receiveQueueUrl,
          Entries: chunk.map((o, j) => ({ Id: String(j), MessageBody: JSON.stringify(o.body), MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } })),
        }));
        for (const s of response.Successful ?? []) sentIds.set(chunk[Number(s.Id)]!.orderId, s.MessageId!);
      }
      const received = await drain(sqs, d.sendQueueUrl, (m) => orders.some((o) => o.orderId === m.body.orderId), orders.length);
      expect(received).toHaveLength(orders.length);
      for (const order of orders) {
        const [message, ...extra] = received.filter((m) => m.body.orderId === order.orderId);
        expect(extra).toHaveLength(0);
        expect(message!.attributes.MessageType).toBe(order.expected);
        expect(message!.attributes.CorrelationId).toBe(sentIds.get(order.orderId));
        expect(message!.attributes.InstanceId).toBe(activationInstanceId('OrderFulfilment', sentIds.get(order.orderId)!));
        expect(message!.attributes.MessageId).toMatch(/^[0-9a-f-]{36}$/);
        if (order.expected === 'Invoice') expect(message!.body.total).toBe(priceOrder(order.body as Order));
        else expect(message!.body.reason).toContain('qty must be a positive integer');
      }
    });

    it('keeps a body that is not JSON as a suspended message, and no host instance crashes', async () => {
      const d = cluster.describe();
      const sqs = sqsClient({ endpoint: d.endpoint });
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: d.receiveQueueUrl, MessageBody: 'this is { not json', MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } }));
      const deadline = Date.now() + 15_000;
      let found;
      while (!found && Date.now() < deadline) {
        found = (await cluster.store.listSuspendedMessages()).find((m) => m.messageId === sent.MessageId);
        if (!found) await new Promise((r) => setTimeout(r, 200));
      }
      expect(found).toMatchObject({ body: 'this is { not json', attributes: { MessageType: 'Order' } });
      expect(found!.reason).toContain('body is not JSON');
      expect(cluster.hosts.every((h) => h.restarts === 0 && h.status === 'up')).toBe(true);
    });

    it('loses and duplicates nothing when a host instance is SIGKILLed mid-run', async () => {
      const result = await runDemo(cluster, 60, () => {}, 90_000);
      expect(result.killed).toBeDefined();
      expect(result).toMatchObject({ orchestrations: 60, completed: 60, lost: 0, duplicates: 0 });
      expect(result.failovers).toBeGreaterThanOrEqual(1);
    });
  });
}

interface Received { attributes: Record<string, string | undefined>; body: Record<string, any> }

async function drain(sqs: ReturnType<typeof sqsClient>, queueUrl: string, ours: (m: Received) => boolean, expected: number, timeoutMs = 60_000): Promise<Received[]> {
  const out: Received[] = [];
  const deadline = Date.now() + timeoutMs;
  let quietAfterDone = 0;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    const mine = Messages.map((m) => ({ raw: m, parsed: { attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])), body: JSON.parse(m.Body ?? '{}') } }))
      .filter((m) => ours(m.parsed));
    out.push(...mine.map((m) => m.parsed));
    if (mine.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: mine.map((m, i) => ({ Id: String(i), ReceiptHandle: m.raw.ReceiptHandle! })) }));
    }
    // Once everything expected arrived, keep listening a little: a duplicate would show up here.
    if (out.length >= expected && Messages.length === 0 && ++quietAfterDone >= 2) break;
  }
  return out;
}

describe('local cluster restarted on its data folder', () => {
  it('continues in-flight orchestrations after the whole cluster stops and starts again', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'baton-restart-'));
    const options = { instances: 1, port: 0, dataDir: join(workDir, 'data'), prefix: 'restart', leaseMs: 2_000, sample: { pricingLatencyMs: 50, cancellationWindowMs: 0 }, workDir, waitSeconds: 1, sweepEveryMs: 1_000 };
    try {
      const first = new LocalCluster(options);
      await first.start();
      await first.waitUntilUp();
      const d = first.describe();
      const orders = Array.from({ length: 40 }, (_, i) => sampleOrder(i));
      const sqs = sqsClient({ endpoint: d.endpoint });
      const ids: string[] = [];
      for (let i = 0; i < orders.length; i += 10) {
        const r = await sqs.send(new SendMessageBatchCommand({
          QueueUrl: d.receiveQueueUrl,
          Entries: orders.slice(i, i + 10).map((o, j) => ({ Id: String(j), MessageBody: JSON.stringify(o.body), MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } })),
        }));
        ids.push(...(r.Successful ?? []).sort((a, b) => Number(a.Id) - Number(b.Id)).map((s) => s.MessageId!));
      }
      // Stop everything while work is in flight: host instances, emulators, the lot.
      while (first.hosts[0]!.workItems < 5) await new Promise((r) => setTimeout(r, 20));
      await first.stop();

      const second = new LocalCluster(options);
      await second.start();
      try {
        const deadline = Date.now() + 60_000;
        let ended = 0;
        while (Date.now() < deadline) {
          const states = await Promise.all(ids.map((id) => second.store.load(activationInstanceId('OrderFulfilment', id))));
          ended = states.filter((s) => s?.status === 'completed').length;
          if (ended === orders.length) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(ended).toBe(orders.length);
        const outputs = await drain(sqsClient({ endpoint: second.describe().endpoint }), second.describe().sendQueueUrl, () => true, orders.length);
        const distinct = new Set(outputs.map((o) => o.body.orderId));
        expect(distinct.size).toBe(orders.length);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
