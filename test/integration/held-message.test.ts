import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/**
 * A message that beats its instance (issue 27): a Cancel sent right before its Order follows an instance that does not
 * exist yet, so it is held. It comes back a second later, not a visibility timeout (here the lease, 20 s) later, and
 * cancels the order within its cancellation window (4 s): the order is compensated, never invoiced or shipped.
 */
const [embedded] = targets;
describe('a message that beats its instance, on a local cluster (the embedded stack)', () => {
  const run = `${process.pid}${Date.now().toString(36)}`;
  const cluster = useLocalCluster(
    { prefix: `hm${run}`, leaseMs: 20_000, environment: sampleOptionsToEnv({ cancellationWindowMs: 4_000 }) },
    embedded,
  );

  it('is delivered a second or two after it was held, within the cancellation window', async () => {
    const d = cluster().describe();
    const sqs = sqsClient({ endpoint: d.endpoint });
    const send = (type: string, body: unknown) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: d.receiveQueueUrl,
          Entries: [
            {
              Id: '0',
              MessageBody: JSON.stringify(body),
              MessageAttributes: { MessageType: { DataType: 'String', StringValue: type } },
            },
          ],
        }),
      );
    const orderId = `early-${run}`;
    await send('Cancel', { orderId });
    // Its Cancel is held (no instance yet) before the Order makes the instance.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send('Order', { orderId, customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 10 }] });
    const got: { type: string; body: { orderId?: string } }[] = [];
    for (
      const deadline = Date.now() + 15_000;
      Date.now() < deadline && !got.some((m) => m.type === 'OrderCancelled');
    ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: d.sendQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const m of Messages)
        got.push({ type: m.MessageAttributes?.MessageType?.StringValue ?? '?', body: JSON.parse(m.Body ?? '{}') });
      if (Messages.length > 0)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: d.sendQueueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
    }
    const ours = got.filter((m) => m.body.orderId === orderId).map((m) => m.type);
    expect(ours).toEqual(['OrderCancelled']);
    expect(await cluster().store.listSuspendedMessages()).toEqual([]);
  });
});
