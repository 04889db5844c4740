import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sampleOrder } from '../../local/demo.ts';

const OUTPUTS = process.env.BATON_DEPLOYED_OUTPUTS ?? '.baton/deployed.json';
if (!existsSync(OUTPUTS)) throw new Error(`no deployment outputs at ${OUTPUTS}: run "npm run deploy:local" (or point BATON_DEPLOYED_OUTPUTS at cdk deploy's --outputs-file)`);
const outputs = Object.values(JSON.parse(readFileSync(OUTPUTS, 'utf8')) as Record<string, Record<string, string>>)[0]!;
// Against an emulator, talk to the same endpoint the deployment went to; against AWS, leave it unset.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });

describe(`the deployed stack (${process.env.AWS_ENDPOINT_URL ?? 'AWS'})`, () => {
  it('turns orders sent to the receive queue into one Invoice or OrderRejected each on the send queue', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => sampleOrder(i));
    for (let i = 0; i < orders.length; i += 10) {
      const r = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: outputs.ReceiveQueueUrl,
        Entries: orders.slice(i, i + 10).map((o, j) => ({ Id: String(j), MessageBody: JSON.stringify(o.body), MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } })),
      }));
      expect(r.Failed ?? []).toEqual([]);
    }
    const got = new Map<string, { type?: string; ids: Set<string> }>();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && [...got.keys()].filter((k) => orders.some((o) => o.orderId === k)).length < orders.length) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs.SendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }));
      for (const m of Messages) {
        const body = JSON.parse(m.Body ?? '{}') as { orderId?: string };
        const entry = got.get(body.orderId ?? '') ?? { ids: new Set<string>() };
        entry.type = m.MessageAttributes?.MessageType?.StringValue;
        entry.ids.add(m.MessageAttributes?.MessageId?.StringValue ?? '');
        got.set(body.orderId ?? '', entry);
      }
      if (Messages.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: outputs.SendQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    for (const order of orders) {
      expect(got.get(order.orderId), order.orderId).toBeDefined();
      expect(got.get(order.orderId)!.type).toBe(order.expected);
      expect(got.get(order.orderId)!.ids.size).toBe(1);
    }
  });
});
