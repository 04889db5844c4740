import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { priceOrder } from '../../functions/orchestrations/order-fulfilment.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { LocalCluster } from '../../local/cluster.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { announceSkip, targets } from '../helpers/targets.ts';
import { largeOrder } from '../helpers/orders.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(`large messages through a local cluster on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let cluster: LocalCluster;
    let stopTarget: () => Promise<void>;
    let workDir: string;

    beforeAll(async () => {
      const started = await target.start();
      stopTarget = started.stop;
      workDir = mkdtempSync(join(tmpdir(), 'baton-large-'));
      cluster = new LocalCluster({
        instances: 2, port: 0, endpoint: started.endpoint, dynamodbEndpoint: started.dynamodbEndpoint,
        prefix: `large${process.pid}${Date.now().toString(36)}`, leaseMs: 5_000,
        // No approval and no cancellation window: each order goes straight to its Invoice and Shipment.
        environment: sampleOptionsToEnv({ cancellationWindowMs: 0, approvalThreshold: 1e12 }),
        workDir, waitSeconds: 1, sweepEveryMs: 1_000,
      });
      await cluster.start();
      await cluster.waitUntilUp();
    });
    afterAll(async () => {
      await cluster?.stop();
      await stopTarget?.();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('turns an order of 7,800 lines (about 295 KB) and one of about 900 KB that does not compress into their Invoice and Shipment, sent with a plain SendMessage', async () => {
      const d = cluster.describe();
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
        await sqs.send(new SendMessageCommand({ QueueUrl: d.receiveQueueUrl, MessageBody: JSON.stringify(order), MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } }));
      }

      const received: { type: string; body: Record<string, unknown> }[] = [];
      const deadline = Date.now() + 60_000;
      while (received.length < 4 && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: d.sendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
        received.push(...Messages.map((m) => ({ type: m.MessageAttributes?.MessageType?.StringValue ?? '', body: JSON.parse(m.Body ?? '{}') as Record<string, unknown> })));
        if (Messages.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: d.sendQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
      for (const order of orders) {
        const own = received.filter((m) => m.body.orderId === order.orderId);
        expect(own.map((m) => m.type).sort(), `what ${order.orderId} produced`).toEqual(['Invoice', 'Shipment']);
        expect(own.find((m) => m.type === 'Invoice')!.body.total).toBe(priceOrder(order));
        expect((own.find((m) => m.type === 'Shipment')!.body.reservations as string[])).toHaveLength(order.lines.length);
      }

      // What is left in the bucket of each order is what its item refers to: tracking deleted every state before it.
      const s3 = s3Client({ endpoint: d.endpoint });
      const dynamo = dynamoDbDocumentClient({ endpoint: d.endpoint });
      for (const order of orders) {
        const instanceId = orderInstanceId(order.orderId);
        const { Item } = await dynamo.send(new GetCommand({ TableName: d.tableName, Key: { pk: `I#${instanceId}`, sk: 'STATE' }, ConsistentRead: true }));
        expect(Item?.status).toBe('completed');
        const referenced = Item?.zref ? [Item.zref as string] : [];
        let keys: string[] = [];
        for (let tries = 0; tries < 50; tries++) {
          const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: d.claimCheckBucket, Prefix: `state/${instanceId}/` }));
          keys = Contents.map((c) => c.Key!);
          if (keys.length === referenced.length) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(keys).toEqual(referenced);
      }
    });
  });
}
