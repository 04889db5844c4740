import { describe, expect, it } from 'vitest';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { convoyInstanceId } from '../../functions/core/ids.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/**
 * Six of the workflow patterns' samples (test/patterns/cluster.ts) through a local cluster of two host instances
 * (OS processes, real pollers, emulators), as test/patterns runs them in memory. On the embedded stack only: the
 * other targets' stores are held to the same behaviour by every-shape.test.ts and the contract test.
 */
const [embedded] = targets;
describe('workflow patterns on a local cluster (the embedded stack)', () => {
  const run = `${process.pid}${Date.now().toString(36)}`;
  const cluster = useLocalCluster({ prefix: `pt${run}`, orchestrations: 'test/patterns/cluster.ts' }, embedded);

  it('WCP-4 Exclusive Choice, WCP-6 Multi-Choice, WCP-16 Deferred Choice, WCP-20 Cancel Case, WCP-21 Structured Loop and WCP-22 Recursion', async () => {
    const d = cluster().describe();
    const sqs = sqsClient({ endpoint: d.endpoint });
    const sendAll = (messages: { type: string; body: unknown }[]) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: d.receiveQueueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify(m.body),
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } },
          })),
        }),
      );
    const got: { type: string; body: Record<string, unknown> }[] = [];
    const seen = new Set<string>();
    /** Reads the send queue until `done` holds of what came out, or 45 seconds passed. */
    const receiveUntil = async (done: () => boolean) => {
      for (const deadline = Date.now() + 45_000; !done() && Date.now() < deadline; ) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: d.sendQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        for (const m of Messages) {
          const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
          if (seen.has(messageId)) continue;
          seen.add(messageId);
          got.push({ type: m.MessageAttributes?.MessageType?.StringValue ?? '?', body: JSON.parse(m.Body ?? '{}') });
        }
        if (Messages.length > 0)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: d.sendQueueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
      }
    };
    const types = () => got.map((m) => m.type).sort();

    const [accepts, declines, cancelled] = [`acc-${run}`, `dec-${run}`, `can-${run}`];
    await sendAll([
      { type: 'Excavation', body: { site: 'a', volume: 20 } },
      { type: 'Excavation', body: { site: 'b', volume: 500 } },
      { type: 'QuoteRequest', body: { key: accepts } },
      { type: 'QuoteRequest', body: { key: declines } },
      { type: 'Purchase', body: { key: cancelled } },
      { type: 'InvoiceOrder', body: { lines: 3 } },
      { type: 'EmergencyCall', body: { fire: true } },
      {
        type: 'MachineOrder',
        body: { machine: { name: 'press', parts: [{ name: 'frame' }, { name: 'drive', parts: [{ name: 'motor' }] }] } },
      },
    ]);
    await receiveUntil(() => got.filter((m) => m.type === 'Quote').length === 2);
    await sendAll([
      { type: 'QuoteAccepted', body: { key: accepts } },
      { type: 'QuoteDeclined', body: { key: declines } },
      { type: 'CancelPurchase', body: { key: cancelled } },
    ]);
    const expected = [
      'BobcatExcavation',
      'D9Excavation',
      'FireBrigadeDespatched',
      'InvoiceTotalled',
      'LineInvoiced',
      'LineInvoiced',
      'LineInvoiced',
      'MachineShipped',
      'OrderPlaced',
      'PartAssembled',
      'PartAssembled',
      'PartAssembled',
      'PartAssembled',
      'Quote',
      'Quote',
      'QuoteClosed',
    ];
    await receiveUntil(() => got.length >= expected.length);
    expect(types()).toEqual(expected);

    // WCP-4: one branch each, by volume.
    expect(got.find((m) => m.type === 'BobcatExcavation')!.body.site).toBe('a');
    // WCP-16: the first answer chose, per quote.
    expect(got.find((m) => m.type === 'OrderPlaced')!.body.key).toBe(accepts);
    expect(got.find((m) => m.type === 'QuoteClosed')!.body.key).toBe(declines);
    // WCP-21: three passes, then the exit.
    expect(
      got
        .filter((m) => m.type === 'LineInvoiced')
        .map((m) => m.body.line)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(got.find((m) => m.type === 'InvoiceTotalled')!.body).toEqual({ lines: 3 });
    // WCP-22: four invocations, each after those it made, the count back up the levels.
    const assembled = got.filter((m) => m.type === 'PartAssembled').map((m) => m.body.part);
    expect(assembled.indexOf('motor')).toBeLessThan(assembled.indexOf('drive'));
    expect(assembled.at(-1)).toBe('press');
    expect(got.find((m) => m.type === 'MachineShipped')!.body).toEqual({ parts: 4 });
    // WCP-20: cancelled, terminated, nothing sent for it.
    const load = () => cluster().store.load(convoyInstanceId('Wcp20CancelCase', 'purchase', cancelled));
    for (const until = Date.now() + 10_000; (await load())?.status !== 'terminated' && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 100));
    expect((await load())!.status).toBe('terminated');
  });
});
