/**
 * The queues: `send` (to the receive queue, as a producer would), `receive` (from a send port's queue, as its consumer
 * would), `dlq` (the dead-letter queues, looked into) and `redrive` (a DLQ's messages back to their queue).
 */
import { readFileSync } from 'node:fs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { invocation } from './commands.ts';
import type { CommandInput } from './target.ts';
import { fail } from './values.ts';

/**
 * A message body as given: the text, or `@file`'s content. An empty one is refused before anything is sent (SQS
 * would refuse it in its own words; a resubmission would first be claimed, then fail to send).
 */
export function bodyOf(given: string, what: string): string {
  const body = given.startsWith('@') ? readFileSync(given.slice(1), 'utf8') : given;
  if (body.trim() === '') {
    const holds = body.length === 0 ? 'nothing' : 'only white space';
    const source = given.startsWith('@') ? `${given.slice(1)} holds ${holds}` : `given: ${holds}`;
    fail(`the body is empty (${source}); nothing was sent: ${what}`);
  }
  return body;
}

export async function send({ args, options, at }: CommandInput): Promise<void> {
  const type = options.type as string;
  const body = bodyOf(args[0]!, 'give the message its body, or @file.json');
  const d = await at.addresses();
  const response = await sqsClient({ endpoint: d.endpoint, region: d.region }).send(
    new SendMessageCommand({
      QueueUrl: d.receiveQueueUrl,
      MessageBody: body,
      MessageAttributes: { MessageType: { DataType: 'String', StringValue: type } },
    }),
  );
  console.log(`sent ${type} as message ${response.MessageId}`);
}

/** At most 10 a receive (SQS's limit): it receives again until it has `max` or the queue has no more. */
export async function receive({ options, at }: CommandInput): Promise<void> {
  const { port, max, wait } = options as { port: string; max: number; wait: number };
  // It deletes what it reads: on a deployed stack, that is output its consumers never get.
  if (at.stack)
    fail(
      "receive reads and deletes the send queue's messages: it is for the local cluster; " +
        `on stack ${at.stack.stackName} they belong to its consumers, and it does not take them`,
    );
  const d = await at.addresses();
  const queueUrl = d.sendPortQueueUrls[port];
  if (!queueUrl)
    fail(
      `no send port "${port}" in this cluster; its send ports: ${Object.keys(d.sendPortQueueUrls).join(', ')} ` +
        `(see ${invocation('receive')} --help)`,
    );
  const sqs = sqsClient({ endpoint: d.endpoint, region: d.region, longPolling: true });
  let received = 0;
  while (received < max) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - received),
        // The wait is for a first message; after it, what is there now.
        WaitTimeSeconds: received === 0 ? Math.min(20, Math.ceil(wait / 1000)) : 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (messages.length === 0) break;
    for (const m of messages) {
      const attributes = Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
      );
      console.log(JSON.stringify({ attributes, body: JSON.parse(m.Body ?? 'null') }));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    received += messages.length;
  }
  if (received === 0)
    console.log(`no messages on the ${port === 'send' ? 'send queue' : `queue of send port ${port}`}`);
}

export async function dlq({ args, at }: CommandInput): Promise<void> {
  const [queue] = args;
  const ops = await at.operations();
  if (!queue) {
    for (const q of await ops.queueDepths())
      console.log(
        `  ${q.name.padEnd(12)} DLQ ${q.dlq ?? '-'}   (queue: ${q.visible} visible, ${q.inFlight} in flight)`,
      );
    console.log(`show one: ${invocation('dlq')} <queue>${at.stackOptions()}`);
    return;
  }
  const messages = await ops.deadLetters(queue);
  console.log(`${messages.length} message(s) in the ${queue} DLQ (looked at, not taken)`);
  for (const m of messages)
    console.log(
      JSON.stringify({ messageId: m.messageId, receiveCount: m.receiveCount, attributes: m.attributes, body: m.body }),
    );
}

export async function redrive({ args, at }: CommandInput): Promise<void> {
  const result = await (await at.operations()).redrive(args[0]!);
  console.log(`${result.outcome} redrive ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}
