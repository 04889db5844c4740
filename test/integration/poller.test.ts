import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.ts';
import { SqsPoller } from '../../local/poller.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe('SqsPoller (the local event source mapping)', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ port: 0 });
  });
  afterAll(async () => stack?.stop());

  it('deletes what succeeded, redelivers what failed, and lets the redrive policy move a poison message to the DLQ', async () => {
    const sqs = sqsClient({ endpoint: stack.endpoint });
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'poller-dlq' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'poller-q',
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 2 }),
        },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.QueueUrl!,
        Entries: ['ok-1', 'poison', 'ok-2'].map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { Kind: { DataType: 'String', StringValue: body } },
        })),
      }),
    );

    const seen: { body: string; receiveCount: string; kind?: string }[] = [];
    const poller = new SqsPoller({
      sqs: sqsClient({ endpoint: stack.endpoint, longPolling: true }),
      queueUrl: queue.QueueUrl!,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:poller-q',
      region: 'us-east-1',
      batchSize: 10,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      concurrency: 1,
      handler: async (event: SQSEvent) => {
        for (const r of event.Records)
          seen.push({
            body: r.body,
            receiveCount: r.attributes.ApproximateReceiveCount,
            kind: r.messageAttributes.Kind?.stringValue,
          });
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    poller.start();
    const deadline = Date.now() + 15_000;
    let dead: string[] = [];
    while (Date.now() < deadline && dead.length === 0) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl!, WaitTimeSeconds: 1 }));
      dead = (r.Messages ?? []).map((m) => m.Body!);
    }
    await poller.stop();

    expect(dead).toEqual(['poison']);
    expect(seen.filter((s) => s.body === 'ok-1')).toHaveLength(1);
    expect(seen.filter((s) => s.body === 'ok-2')).toHaveLength(1);
    expect(seen.filter((s) => s.body === 'poison').map((s) => s.receiveCount)).toEqual(['1', '2']);
    expect(seen.filter((s) => !(s.kind === s.body))).toEqual([]);
  });

  it('answers the long poll that gets a message and lets the others wait, as SQS does (fauxqs alone answered them all)', async () => {
    const sqs = sqsClient({ endpoint: stack.endpoint });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'long-polls' }));
    const started = Date.now();
    const polls = Array.from({ length: 6 }, async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3, MaxNumberOfMessages: 10 }),
      );
      return { bodies: Messages.map((m) => m.Body), afterMs: Date.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One at a time, then a batch: each is taken by a poll, and only the polls that took one return early.
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'first' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );
    const answers = await Promise.all(polls);

    const early = answers.filter((a) => a.afterMs < 2_500);
    expect(answers.flatMap((a) => a.bodies).sort()).toEqual(['a', 'b', 'c', 'first']);
    expect(early.filter((a) => !(a.bodies.length > 0))).toEqual([]);
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((a) => a.bodies.length === 0).filter((a) => !(a.afterMs >= 2_900))).toEqual([]);
  });
});
