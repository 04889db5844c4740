import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { activationInstanceId } from '../../functions/core/ids.ts';
import { priceOrder } from '../../functions/orchestrations/order-fulfilment.ts';
import type { OrderBody } from '../../functions/orchestrations/messages.ts';
import { LocalCluster } from '../../local/cluster.ts';
import { clusterCounts, statusLine } from '../../local/status.ts';
import { SqsWorkQueue } from '../../functions/adapters/SqsWorkQueue.ts';
import { orderInstanceId, runDemo, sampleOrder } from '../../local/demo.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { announceSkip, targets } from '../helpers/targets.ts';
import { messageFlow } from '../../functions/core/message-flow.ts';
import { traceOf } from '../../functions/core/trace.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import type { Item } from '../../functions/adapters/item.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(
    `local cluster of 2 host instances on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    () => {
      const cluster = useLocalCluster(
        {
          prefix: `it${process.pid}${Date.now().toString(36)}`,
          // A pricing step long enough (like a call to a pricing service) that a kill during a batch lands mid-step.
          environment: sampleOptionsToEnv({ pricingLatencyMs: 150, cancellationWindowMs: 0 }),
        },
        target,
      );

      it('turns each order into one Invoice and one Shipment, or one OrderRejected, carrying the contract attributes', async () => {
        const d = cluster().describe();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const orders = Array.from({ length: 30 }, (_, i) => sampleOrder(i));
        const sentIds = new Map<string, string>();
        for (let i = 0; i < orders.length; i += 10) {
          const chunk = orders.slice(i, i + 10);
          const response = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: d.receiveQueueUrl,
              Entries: chunk.map((o, j) => ({
                Id: String(j),
                MessageBody: JSON.stringify(o.body),
                MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
              })),
            }),
          );
          for (const s of response.Successful ?? []) sentIds.set(chunk[Number(s.Id)]!.orderId, s.MessageId!);
        }
        const expectedCount = orders.reduce((n, o) => n + o.expected.length, 0);
        const received = await drain(
          sqs,
          d.sendQueueUrl,
          (m) => orders.some((o) => o.orderId === m.body.orderId),
          expectedCount,
        );
        expect(received).toHaveLength(expectedCount);
        for (const order of orders) {
          const messages = received.filter((m) => m.body.orderId === order.orderId);
          expect(messages.map((m) => m.attributes.MessageType).sort()).toEqual([...order.expected].sort());
          for (const message of messages) {
            expect(message.attributes.CorrelationId).toBe(sentIds.get(order.orderId));
            expect(message.attributes.InstanceId).toBe(orderInstanceId(order.orderId));
            expect(message.attributes.MessageId).toMatch(/^[0-9a-f-]{36}$/);
            // The order came with no trace context: one derived from its MessageId, on all it caused.
            expect(message.attributes.traceparent).toBe(
              traceOf({ messageId: sentIds.get(order.orderId)!, properties: {} }),
            );
          }
          const invoice = messages.find((m) => m.attributes.MessageType === 'Invoice');
          if (invoice) expect(invoice.body.total).toBe(priceOrder(order.body as OrderBody));
          else expect(messages[0]!.body.reason).toContain('qty must be a positive integer');
        }
        // The status line: nothing left running or waiting, orders and their parallel branch instances counted apart,
        // and every order's completion reported by the host instance that completed it.
        const counts = await clusterCounts(cluster());
        expect(counts.orchestrations).toEqual({});
        expect(counts.branches).toEqual({});
        await vi.waitFor(
          () =>
            expect(statusLine(cluster(), counts)).toContain(
              `completed since start=${orders.length} || MessageBox: orchestrations running=0 waiting=0 suspended=0 | branches running=0 suspended=0`,
            ),
          { timeout: 5_000 },
        );
      });

      it('keeps a body that is not JSON as a suspended message, and no host instance crashes', async () => {
        const d = cluster().describe();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const sent = await sqs.send(
          new SendMessageCommand({
            QueueUrl: d.receiveQueueUrl,
            MessageBody: 'this is { not json',
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
          }),
        );
        const deadline = Date.now() + 15_000;
        let found;
        while (!found && Date.now() < deadline) {
          found = (await cluster().store.listSuspendedMessages()).find((m) => m.messageId === sent.MessageId);
          if (!found) await new Promise((r) => setTimeout(r, 200));
        }
        expect(found).toMatchObject({ body: 'this is { not json', attributes: { MessageType: 'Order' } });
        expect(found!.reason).toContain('body is not JSON');
        expect(cluster().hosts.filter((h) => !(h.restarts === 0 && h.status === 'up'))).toEqual([]);
      });

      it("fulfils an order found in the receive queue's dead-letter queue: the receive host gives it a last delivery there", async () => {
        const d = cluster().describe();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const order = sampleOrder(9_001);
        // As SQS leaves a message there after its deliveries failed (host instances killed at each, say).
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: d.deadLetterQueueUrls.receive,
            MessageBody: JSON.stringify(order.body),
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
          }),
        );
        const received = await drain(
          sqs,
          d.sendQueueUrl,
          (m) => m.body.orderId === order.orderId,
          order.expected.length,
        );
        expect(received.map((m) => m.attributes.MessageType).sort()).toEqual([...order.expected].sort());
        const left = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: d.deadLetterQueueUrls.receive,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 0,
          }),
        );
        expect(left.Messages ?? []).toEqual([]);
      });

      it('logs what each host instance did, and every failure with its reason, as JSON lines in its log file', async () => {
        // A work item the store refuses (a key over DynamoDB's 2,048 bytes): it fails on every delivery.
        const poison = 'x'.repeat(3_000);
        await new SqsWorkQueue(
          sqsClient({ endpoint: cluster().describe().endpoint }),
          cluster().describe().workQueueUrl,
        ).enqueue([{ instanceId: poison, reason: 'test' }]);
        // Each line with the host instance whose file holds it.
        const lines = () =>
          cluster().hosts.flatMap((h) => {
            const file = join(cluster().options.workDir, 'logs', `${h.name}.log`);
            return existsSync(file)
              ? readFileSync(file, 'utf8')
                  .split('\n')
                  .filter((l) => l.startsWith('{'))
                  .map(
                    (l): Record<string, unknown> => ({ ...(JSON.parse(l) as Record<string, unknown>), file: h.name }),
                  )
              : [];
          });
        const deadline = Date.now() + 20_000;
        while (!lines().some((l) => l.instanceId === poison) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 250));
        const all = lines();
        const failure = all.find((l) => l.instanceId === poison);
        expect(failure).toMatchObject({
          level: 'ERROR',
          message: 'work item failed; SQS brings it back',
          service: 'baton-host',
          receiveCount: 1,
        });
        expect(String(failure!.error)).toMatch(/ValidationException/);
        // And the work they did: each host instance names itself in its own file, each line its instance and outcome.
        // (Which of them took the suite's few orders is the queue's choice: an order is one work item, its branch
        // instances and its join run in the same invocation.)
        const done = all.filter((l) => l.message === 'work item done');
        expect(done.length).toBeGreaterThan(0);
        expect(all.filter((l) => String(l.hostInstance).split('#')[0] !== l.file)).toEqual([]);
        expect(new Set(all.map((l) => l.file)).size).toBeGreaterThanOrEqual(1);
        expect(done.map((l) => ({ status: l.status, orchestration: String(l.orchestration) }))).toContainEqual({
          status: 'completed',
          orchestration: expect.stringMatching(/^OrderFulfilment@/),
        });
        expect([...new Set(all.map((l) => l.message))]).toContainEqual('message routed');
      });
    },
  );
}

// Host instances as OS processes, each over the AWS SDK (what `npm start -- --processes`, the demo and chaos runs use).
describe('local cluster of 2 host instances as OS processes on the embedded stack', () => {
  const cluster = useLocalCluster({
    prefix: `proc${process.pid}${Date.now().toString(36)}`,
    environment: sampleOptionsToEnv({ pricingLatencyMs: 150, cancellationWindowMs: 0 }),
    hostsIn: 'processes',
  });

  it('loses and duplicates nothing when a host instance is SIGKILLed mid-run', async () => {
    expect(cluster().hosts.every((h) => h.pid !== undefined)).toBe(true);
    const result = await runDemo(cluster(), 60, () => {}, 90_000);
    expect(result.killed).toBeDefined();
    expect(result).toMatchObject({ orchestrations: 60, completed: 60, lost: 0, duplicates: 0, unaccounted: 0 });
    expect(result.failovers).toBeGreaterThanOrEqual(1);
  });
});

for (const target of targets) {
  describe.skipIf(target.skip)(
    `the sample contract through a local cluster on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    () => {
      const run = Date.now().toString(36);
      const cluster = useLocalCluster(
        {
          prefix: `ct${process.pid}${run}`,
          // Short timers, so the durable ones (SQS delayed work items) fire within the test.
          environment: sampleOptionsToEnv({ approvalTimeoutMs: 4_000, cancellationWindowMs: 4_000 }),
        },
        target,
      );
      let sqs: ReturnType<typeof sqsClient>;
      beforeAll(() => {
        sqs = sqsClient({ endpoint: cluster().describe().endpoint });
      });

      /** Sends in one batch; returns the receive queue's MessageIds, in order (they decide activated instance ids). */
      const sendAll = async (messages: { type: string; body: unknown }[]): Promise<string[]> => {
        const response = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: cluster().describe().receiveQueueUrl,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              MessageBody: JSON.stringify(m.body),
              MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } },
            })),
          }),
        );
        return messages.map((_, i) => response.Successful!.find((r) => r.Id === String(i))!.MessageId!);
      };
      const large = (orderId: string) => ({
        orderId,
        customerId: 'c-9',
        lines: [{ sku: 'GOLD', qty: 2, unitPrice: 6_000 }],
      });
      const small = (orderId: string) => ({ orderId, customerId: 'c-9', lines: [{ sku: 'A', qty: 1, unitPrice: 10 }] });
      const byOrder = (received: Received[], orderId: string) =>
        received
          .filter((m) => m.body.orderId === orderId)
          .map((m) => m.attributes.MessageType)
          .sort();

      it('asks for approval; an approval gives one Invoice and one Shipment, silence gives one OrderRejected', async () => {
        const [approved, silent] = [`ap-${run}`, `si-${run}`];
        await sendAll([
          { type: 'Order', body: large(approved) },
          { type: 'Order', body: large(silent) },
        ]);
        const requests = await drain(
          sqs,
          cluster().describe().sendQueueUrl,
          (m) => m.attributes.MessageType === 'ApprovalRequest' && [approved, silent].includes(m.body.orderId),
          2,
        );
        expect(requests.map((m) => m.body).sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual([
          { orderId: approved, total: 12_000 },
          { orderId: silent, total: 12_000 },
        ]);
        await sendAll([{ type: 'Approval', body: { orderId: approved, approved: true } }]);
        const outcomes = await drain(
          sqs,
          cluster().describe().sendQueueUrl,
          (m) => [approved, silent].includes(m.body.orderId),
          3,
        );
        expect(byOrder(outcomes, approved)).toEqual(['Invoice', 'Shipment']);
        expect(byOrder(outcomes, silent)).toEqual(['OrderRejected']);
        expect(outcomes.find((m) => m.body.orderId === silent)!.body.reason).toBe('approval timeout');

        // Tracking, from the MessageBox's stream (the embedded stack's change feed, or DynamoDB Local's own stream):
        // the approved order's history, and its flow found by its orderId alone.
        await cluster().tracking!.caughtUp();
        const instanceId = orderInstanceId(approved);
        const { events } = await cluster().history.history(instanceId, { limit: 1_000 });
        expect(events[0]).toMatchObject({ kind: 'activated', messageType: 'Order' });
        expect(events.at(-1)).toMatchObject({ kind: 'completed' });
        expect(events.filter((e) => e.kind === 'sent').map((e) => e.messageType)).toEqual([
          'ApprovalRequest',
          'Invoice',
          'Shipment',
        ]);
        const sentIds = events.filter((e) => e.kind === 'sent').map((e) => e.messageId);
        expect(sentIds).toEqual(
          expect.arrayContaining(
            outcomes.filter((m) => m.body.orderId === approved).map((m) => m.attributes.MessageId),
          ),
        );
        expect(new Set(events.filter((e) => e.host).map((e) => e.host!.split('#')[0])).size).toBeGreaterThanOrEqual(1);
        const flow = await messageFlow(cluster().history, approved);
        expect(flow.subjects[0]).toBe(instanceId);
        expect(flow.events).toContainEqual(expect.objectContaining({ kind: 'received', messageType: 'Approval' }));
        // Another instance was activated: an activation whose subject is not the order's.
        expect(flow.events.filter((e) => e.kind === 'activated')).toContainEqual(
          expect.not.objectContaining({ subject: instanceId }),
        );
        expect(flow.events.filter((e) => JSON.stringify(e).includes(silent))).toEqual([]);
      });

      it('compensates a cancelled order (payment voided, inventory released) and sends OrderCancelled', async () => {
        const orderId = `cx-${run}`;
        await sendAll([{ type: 'Order', body: small(orderId) }]);
        // Cancel once the parallel reservation and payment ran, within the cancellation window.
        const id = await waitFor(async () =>
          (await cluster().store.listInstances('waiting')).find(
            (s) =>
              (s.messages.order?.body as { orderId?: string })?.orderId === orderId &&
              s.cursor.threads[0]!.timerDue !== undefined,
          ),
        );
        expect(id.vars.reservations).toEqual([`R-${orderId}-1`]);
        await sendAll([{ type: 'Cancel', body: { orderId } }]);
        const outcomes = await drain(sqs, cluster().describe().sendQueueUrl, (m) => m.body.orderId === orderId, 1);
        expect(outcomes.map((m) => [m.attributes.MessageType, m.body])).toEqual([
          ['OrderCancelled', { orderId, compensated: ['payment voided', 'inventory released'] }],
        ]);
      });

      it('makes one instance of Orders with one orderId sent at the same moment, across both host instances, and suspends the copy', async () => {
        const ids = Array.from({ length: 8 }, (_, i) => `cv-${run}-${i}`);
        // Each order twice in the same batch, and the batches at once: the copies race on the two hosts.
        const [first, second] = await Promise.all(
          [0, 1].map(() => sendAll(ids.map((orderId) => ({ type: 'Order', body: small(orderId) })))),
        );
        const outcomes = await drain(
          sqs,
          cluster().describe().sendQueueUrl,
          (m) => ids.includes(m.body.orderId),
          ids.length * 2,
          60_000,
        );
        for (const orderId of ids) expect(byOrder(outcomes, orderId), orderId).toEqual(['Invoice', 'Shipment']);
        // One instance per orderId: one copy activated it; the other, which no step of an order takes, is a
        // suspended message with its reason.
        const suspended = await cluster().store.listSuspendedMessages();
        for (const [i, orderId] of ids.entries()) {
          const instance = (await cluster().store.load(orderInstanceId(orderId)))!;
          const copies = [first![i]!, second![i]!];
          expect(copies, orderId).toContain(instance.consumed[0]);
          const duplicate = suspended.find((m) => m.messageId === copies.find((c) => c !== instance.consumed[0]));
          expect(duplicate?.reason, orderId).toMatch(/takes no further Order: a duplicate\?/);
          // Without the convoy each copy would have made an instance of its own, under its own message id.
          for (const copy of copies)
            expect(await cluster().store.summaryOf(activationInstanceId('OrderFulfilment', copy))).toBeUndefined();
        }
      });
    },
  );
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Received {
  attributes: Record<string, string | undefined>;
  body: Item;
}

async function drain(
  sqs: ReturnType<typeof sqsClient>,
  queueUrl: string,
  ours: (m: Received) => boolean,
  expected: number,
  timeoutMs = 60_000,
): Promise<Received[]> {
  const out: Received[] = [];
  const deadline = Date.now() + timeoutMs;
  let quietAfterDone = 0;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const mine = Messages.map((m) => ({
      raw: m,
      parsed: {
        attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
        body: JSON.parse(m.Body ?? '{}'),
      },
    })).filter((m) => ours(m.parsed));
    out.push(...mine.map((m) => m.parsed));
    if (mine.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: mine.map((m, i) => ({ Id: String(i), ReceiptHandle: m.raw.ReceiptHandle! })),
        }),
      );
    }
    // Once everything expected arrived, keep listening a little: a duplicate would show up here.
    if (out.length >= expected && Messages.length === 0 && ++quietAfterDone >= 2) break;
  }
  return out;
}

describe('local cluster restarted on its data folder', () => {
  it('continues in-flight orchestrations after the whole cluster stops and starts again', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'baton-restart-'));
    const options = {
      instances: 1,
      port: 0,
      dataDir: join(workDir, 'data'),
      prefix: 'restart',
      leaseMs: 2_000,
      environment: sampleOptionsToEnv({ pricingLatencyMs: 50, cancellationWindowMs: 0 }),
      workDir,
      waitSeconds: 1,
      sweepEveryMs: 1_000,
    };
    try {
      const first = new LocalCluster(options);
      await first.start();
      await first.waitUntilUp();
      const d = first.describe();
      const orders = Array.from({ length: 40 }, (_, i) => sampleOrder(i));
      const sqs = sqsClient({ endpoint: d.endpoint });
      const ids: string[] = [];
      for (let i = 0; i < orders.length; i += 10) {
        const r = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: d.receiveQueueUrl,
            Entries: orders.slice(i, i + 10).map((o, j) => ({
              Id: String(j),
              MessageBody: JSON.stringify(o.body),
              MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
            })),
          }),
        );
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
          const states = await Promise.all(orders.map((o) => second.store.load(orderInstanceId(o.orderId))));
          ended = states.filter((s) => s?.status === 'completed').length;
          if (ended === orders.length) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(ended).toBe(orders.length);
        const outputs = await drain(
          sqsClient({ endpoint: second.describe().endpoint }),
          second.describe().sendQueueUrl,
          () => true,
          orders.length,
        );
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
