import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { readExportedSpans } from '../../local/trace-export.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { validOrder } from '../helpers/orders.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe('one trace per order, recorded with OpenTelemetry by the local cluster (npm start -- --trace)', () => {
  const traceDir = mkdtempSync(join(tmpdir(), 'baton-traces-'));
  // Registered first, so it runs after the cluster stopped (after-hooks run in reverse).
  afterAll(() => rmSync(traceDir, { recursive: true, force: true }));
  const cluster = useLocalCluster({
    prefix: `traces${process.pid}${Date.now().toString(36)}`,
    // A cancellation window of a second: a timer, so the order's trace goes through one.
    environment: sampleOptionsToEnv({ cancellationWindowMs: 1_000 }),
    traceDir,
  });

  it('puts the receive, every step of the order and its branch instances on whichever host instance, the timer and the sends in the trace the order brought', async () => {
    const d = cluster().describe();
    const sqs = sqsClient({ endpoint: d.endpoint });
    const order = validOrder(`traced-${Date.now().toString(36)}`);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: d.receiveQueueUrl,
        MessageBody: JSON.stringify(order),
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: 'Order' },
          traceparent: { DataType: 'String', StringValue: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      }),
    );

    const out: { type?: string; traceparent?: string }[] = [];
    const deadline = Date.now() + 60_000;
    while (out.length < 2 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: d.sendQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      out.push(
        ...Messages.map((m) => ({
          type: m.MessageAttributes?.MessageType?.StringValue,
          traceparent: m.MessageAttributes?.traceparent?.StringValue,
        })),
      );
      if (Messages.length)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: d.sendQueueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
    }
    expect(out.map((m) => m.type).sort()).toEqual(['Invoice', 'Shipment']);
    // A consumer continues the same trace: the context of the send that carried each message.
    for (const m of out) expect(m.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const instanceId = orderInstanceId(order.orderId);
    const ours = (id: unknown) => typeof id === 'string' && (id === instanceId || id.startsWith(`${instanceId}~`));
    let spans = readExportedSpans(traceDir);
    for (let i = 0; i < 50 && spans.filter((s) => s.name.startsWith('send')).length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      spans = readExportedSpans(traceDir);
    }
    const inTrace = spans.filter((s) => s.traceId === traceId);
    // The receive of the order, in its trace.
    expect(
      inTrace.filter((s) => s.name === 'receive Order' && s.attributes['messaging.message.id'] === sent.MessageId),
    ).toHaveLength(1);
    // Every step of the order and of its two branch instances, whichever host instance ran it: in the trace.
    const steps = spans.filter((s) => s.name.startsWith('step') && ours(s.attributes['baton.instance.id']));
    // The order's receive, its two branch instances, its join, its timer: five runs, five persistence points.
    expect(steps.length).toBeGreaterThanOrEqual(5);
    expect(steps.filter((s) => !(s.traceId === traceId))).toEqual([]);
    expect(
      new Set(
        steps
          .filter((s) => String(s.attributes['baton.instance.id']).includes('~'))
          .map((s) => s.attributes['baton.instance.id']),
      ).size,
    ).toBe(2);
    // The cancellation window's timer fired into the trace too.
    expect(steps.map((s) => s.attributes['baton.work_item.reason'])).toContainEqual('timer');
    expect(
      steps.map((s) => ({
        status: s.attributes['baton.instance.status'],
        instance: s.attributes['baton.instance.id'],
      })),
    ).toContainEqual({ status: 'completed', instance: instanceId });
    // The sends, children of the steps that sent them; the messages out carry their contexts.
    const sends = inTrace.filter((s) => s.name === 'send send');
    expect(sends.length).toBeGreaterThanOrEqual(1);
    for (const m of out) expect(sends.map((s) => s.spanId)).toContain(m.traceparent!.split('-')[2]);
    for (const send of sends) expect(inTrace.map((s) => s.spanId)).toContain(send.parentSpanId);
    // Batches are spans of their own, linked to each message's trace (OpenTelemetry's messaging conventions).
    // Each batch's span, as the trace ids it links to: one links to this trace.
    const linked = (name: string) => spans.filter((s) => s.name === name).map((s) => s.links.map((l) => l.traceId));
    expect(linked('process work')).toContainEqual(expect.arrayContaining([traceId]));
    expect(linked('process receive')).toContainEqual(expect.arrayContaining([traceId]));
  });
});
