import { describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { priceOrder } from '../../functions/orchestrations/order-fulfilment.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { parsePointer } from '../../functions/adapters/extended-client.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { announceSkip, targets } from '../helpers/targets.ts';
import { largeOrder } from '../helpers/orders.ts';
import type { Item } from '../../functions/adapters/item.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

for (const target of targets) {
  announceSkip(target);
  // Each waits up to a minute for what the cluster sends (a slow moment of the machine is not a failure).
  describe.skipIf(target.skip)(
    `large messages through a local cluster on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    { timeout: 90_000 },
    () => {
      const cluster = useLocalCluster(
        {
          prefix: `large${process.pid}${Date.now().toString(36)}`,
          leaseMs: 10_000,
          // No approval and no cancellation window: each order goes straight to its Invoice and Shipment. Outbound
          // bodies over 64 KiB (a large order's Shipment lists a reservation a line) go out as extended-client pointers.
          environment: {
            ...sampleOptionsToEnv({ cancellationWindowMs: 0, approvalThreshold: 1e12 }),
            BATON_SEND_CLAIM_CHECK_FROM_BYTES: String(64 * 1024),
          },
        },
        target,
      );

      it('turns an order of 7,800 lines (about 295 KB) and one of about 900 KB that does not compress into their Invoice and Shipment, sent with a plain SendMessage; a large Shipment goes out as an extended-client pointer', async () => {
        const d = cluster().describe();
        expect(d.claimCheckBucket).toBeDefined();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const run = Date.now().toString(36);
        const orders = [largeOrder(`lines-${run}`, 7_800, 4), largeOrder(`wide-${run}`, 6_000, 120)];
        const sizes = orders.map((o) => Buffer.byteLength(JSON.stringify(o)));
        expect(sizes[0]).toBeGreaterThan(280_000);
        expect(sizes[0]).toBeLessThan(310_000);
        expect(sizes[1]).toBeGreaterThan(880_000);
        expect(sizes[1]).toBeLessThan(1_000_000);
        for (const order of orders) {
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: d.receiveQueueUrl,
              MessageBody: JSON.stringify(order),
              MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
            }),
          );
        }

        const received = await drainSendQueue(d.endpoint, d.sendQueueUrl, 4);
        for (const order of orders) {
          const own = received.filter((m) => m.body.orderId === order.orderId);
          expect(
            own.map((m) => m.type).sort(),
            `what ${order.orderId} produced: ${JSON.stringify(own.map((m) => m.body.reason))}`,
          ).toEqual(['Invoice', 'Shipment']);
          expect(own.find((m) => m.type === 'Invoice')!.body.total).toBe(priceOrder(order));
          const shipment = own.find((m) => m.type === 'Shipment')!;
          expect(shipment.body.reservations as string[]).toHaveLength(order.lines.length);
          // As a consumer with an extended client reads it: the pointer names the object under outbound/, by the message's id.
          expect(shipment.pointer).toEqual({ bucket: d.claimCheckBucket, key: `outbound/${shipment.messageId}` });
          expect(own.find((m) => m.type === 'Invoice')!.pointer).toBeUndefined();
        }

        // What is left in the bucket of each order is what its item refers to: tracking deleted every state before it.
        const s3 = s3Client({ endpoint: d.endpoint });
        const dynamo = dynamoDbDocumentClient({ endpoint: d.endpoint });
        for (const order of orders) {
          const instanceId = orderInstanceId(order.orderId);
          // Its sends went out before its end was committed (sends are persisted first): the end follows.
          const Item = await ended(dynamo, d.tableName, instanceId);
          expect(Item?.status).toBe('completed');
          const referenced = Item?.zref ? [Item.zref as string] : [];
          let keys: string[] = [];
          for (let tries = 0; tries < 50; tries++) {
            const { Contents = [] } = await s3.send(
              new ListObjectsV2Command({ Bucket: d.claimCheckBucket, Prefix: `state/${instanceId}/` }),
            );
            keys = Contents.map((c) => c.Key!);
            if (keys.length === referenced.length) break;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          expect(keys).toEqual(referenced);
        }
      });

      it('takes an order an extended client offloaded (its pointer and size attribute), and suspends one whose object is missing, pointer kept', async () => {
        const d = cluster().describe();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const s3 = s3Client({ endpoint: d.endpoint });
        const run = Date.now().toString(36);
        // What the Java or Python extended client does: the body to S3 under a key of its own, then the pointer.
        const order = largeOrder(`pointer-${run}`, 2_000, 4);
        const text = JSON.stringify(order);
        await s3.send(new PutObjectCommand({ Bucket: d.claimCheckBucket, Key: `inbound/${run}`, Body: text }));
        const pointer = (key: string) =>
          `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"${d.claimCheckBucket}","s3Key":"${key}"}]`;
        const attributes = {
          MessageType: { DataType: 'String', StringValue: 'Order' },
          ExtendedPayloadSize: { DataType: 'Number', StringValue: String(Buffer.byteLength(text)) },
        };
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: d.receiveQueueUrl,
            MessageBody: pointer(`inbound/${run}`),
            MessageAttributes: attributes,
          }),
        );
        const missing = await sqs.send(
          new SendMessageCommand({
            QueueUrl: d.receiveQueueUrl,
            MessageBody: pointer(`inbound/${run}-gone`),
            MessageAttributes: attributes,
          }),
        );

        const received = await drainSendQueue(d.endpoint, d.sendQueueUrl, 2);
        expect(
          received
            .filter((m) => m.body.orderId === order.orderId)
            .map((m) => m.type)
            .sort(),
        ).toEqual(['Invoice', 'Shipment']);
        expect(received.find((m) => m.type === 'Invoice')!.body.total).toBe(priceOrder(order));

        let kept;
        for (let tries = 0; tries < 50 && !kept; tries++) {
          kept = await cluster().store.suspendedMessage(missing.MessageId!);
          if (!kept) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(kept!.reason).toContain(`s3://${d.claimCheckBucket}/inbound/${run}-gone is not there (NoSuchKey)`);
        expect(kept!.body).toBe(pointer(`inbound/${run}-gone`));
      });
    },
  );
}

describe('large orders through a local cluster whose host instance is killed mid-step, with faults between the hosts and the store, bucket and queues', {
  timeout: 120_000,
}, () => {
  const cluster = useLocalCluster({
    prefix: `largecrash${process.pid}${Date.now().toString(36)}`,
    // A pricing step long enough that a kill lands mid-step; faults on one request in twenty (throttled, 5xx, slow,
    // a write cut after DynamoDB applied it) between the host instances and DynamoDB, S3 and SQS.
    environment: {
      ...sampleOptionsToEnv({ cancellationWindowMs: 0, approvalThreshold: 1e12, pricingLatencyMs: 300 }),
      BATON_SEND_CLAIM_CHECK_FROM_BYTES: String(64 * 1024),
    },
    faultRate: 0.05,
  });

  it('loses and doubles nothing: each order one Invoice and one Shipment, every claim-checked key its item refers to there', async () => {
    const d = cluster().describe();
    const sqs = sqsClient({ endpoint: d.endpoint });
    const run = Date.now().toString(36);
    const orders = Array.from({ length: 4 }, (_, i) => largeOrder(`crash-${run}-${i}`, 4_000, 60));
    const ids = new Set(orders.map((o) => orderInstanceId(o.orderId)));
    let killed: string | undefined;
    const stop = cluster().onBusy((host, instanceIds) => {
      if (killed || !instanceIds.some((id) => ids.has(id))) return;
      killed = host.name;
      cluster().kill(host.name);
    });
    for (const order of orders) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: d.receiveQueueUrl,
          MessageBody: JSON.stringify(order),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
        }),
      );
    }
    const received = await drainSendQueue(d.endpoint, d.sendQueueUrl, 2 * orders.length, 90_000);
    stop();
    expect(killed).toBeDefined();
    for (const order of orders) {
      const own = received.filter((m) => m.body.orderId === order.orderId);
      // A copy re-dispatched after a crash has the same MessageId, which is how consumers drop it: count distinct ones.
      const distinct = new Map(own.map((m) => [m.messageId, m.type]));
      expect([...distinct.values()].sort(), order.orderId).toEqual(['Invoice', 'Shipment']);
      expect(own.find((m) => m.type === 'Invoice')!.body.total).toBe(priceOrder(order));
    }
    // No item refers to an object that is not there.
    const dynamo = dynamoDbDocumentClient({ endpoint: d.endpoint });
    const s3 = s3Client({ endpoint: d.endpoint });
    for (const id of ids) {
      const Item = await ended(dynamo, d.tableName, id);
      expect(Item?.status).toBe('completed');
      if (Item?.zref) await s3.send(new GetObjectCommand({ Bucket: d.claimCheckBucket, Key: Item.zref as string }));
    }
  });
});

/** What reached the send queue, `expected` messages at most (or a minute), each read as a consumer would, pointers followed. */
async function drainSendQueue(endpoint: string, queueUrl: string, expected: number, timeoutMs = 60_000) {
  const sqs = sqsClient({ endpoint });
  const s3 = s3Client({ endpoint });
  const received: {
    type: string;
    messageId: string;
    body: Record<string, unknown>;
    pointer?: { bucket: string; key: string };
  }[] = [];
  const deadline = Date.now() + timeoutMs;
  // Once everything expected arrived, keep listening a little: a copy would show up here.
  let quiet = 0;
  while (Date.now() < deadline && (received.length < expected || quiet++ < 2)) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      const pointer = m.MessageAttributes?.ExtendedPayloadSize ? parsePointer(m.Body ?? '') : undefined;
      const text = pointer
        ? await (
            await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }))
          ).Body!.transformToString('utf8')
        : (m.Body ?? '{}');
      if (pointer) expect(Buffer.byteLength(text)).toBe(Number(m.MessageAttributes!.ExtendedPayloadSize!.StringValue));
      received.push({
        type: m.MessageAttributes?.MessageType?.StringValue ?? '',
        messageId: m.MessageAttributes?.MessageId?.StringValue ?? '',
        body: JSON.parse(text) as Record<string, unknown>,
        ...(pointer ? { pointer } : {}),
      });
    }
    if (Messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
  }
  return received;
}

/** An instance's item once it ended (a few seconds at most after its last sends went out), or as it is then. */
async function ended(
  dynamo: ReturnType<typeof dynamoDbDocumentClient>,
  tableName: string,
  instanceId: string,
): Promise<Item | undefined> {
  let item: Item | undefined;
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    item = (
      await dynamo.send(
        new GetCommand({ TableName: tableName, Key: { pk: `I#${instanceId}`, sk: 'STATE' }, ConsistentRead: true }),
      )
    ).Item;
    if (item?.status === 'completed' || item?.status === 'terminated') break;
  }
  return item;
}
