import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { RequestMeter } from '../../functions/adapters/request-meter.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { createProcessingHandler } from '../../functions/handlers/process.ts';
import { createReceiveHandler } from '../../functions/handlers/receive.ts';
import { createRuntime } from '../../functions/handlers/runtime.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { BatonStack } from '../../sample/BatonStack.ts';
import { EVENT_SOURCE, OWNERSHIP } from '../../functions/settings.ts';
import { startEmbeddedStack } from '../../local/embedded-stack.ts';
import { useEmulatorCredentials } from '../../local/emulator-credentials.ts';
import { SqsPoller } from '../../local/poller.ts';
import { provision } from '../../local/provision.ts';

useEmulatorCredentials();

/** The DynamoDB actions the stack grants each host, by the host's name in its policy's logical id. */
function grantedActions(): Record<'ReceiveHost' | 'ProcessingHost' | 'Sweeper', Set<string>> {
  const template = Template.fromStack(new BatonStack(new App(), 'Grants'));
  const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
  const actionsOf = (host: string) =>
    new Set(
      policies
        .filter(([id]) => id.includes(host))
        .flatMap(([, p]) =>
          (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) =>
            [st.Action].flat(),
          ),
        )
        .filter((a) => a.startsWith('dynamodb:')),
    );
  return {
    ReceiveHost: actionsOf('ReceiveHost'),
    ProcessingHost: actionsOf('ProcessingHost'),
    Sweeper: actionsOf('Sweeper'),
  };
}

/** The DynamoDB operations a meter saw, as IAM actions. */
const used = (meter: RequestMeter) =>
  [...meter.calls.keys()]
    .filter((op) => op.startsWith('DynamoDB.'))
    .map((op) => `dynamodb:${op.slice('DynamoDB.'.length)}`);

describe("the hosts' permissions on the MessageBox", () => {
  let stack: Awaited<ReturnType<typeof startEmbeddedStack>>;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ port: 0 });
  });
  afterAll(async () => stack?.stop());

  it("cover every DynamoDB operation each host makes in orders that wait for an approval (deliveries, settled messages, the sweeper's cursor)", async () => {
    const { endpoint } = stack;
    const resources = await provision(
      { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }) },
      `grants${process.pid}${Date.now().toString(36)}`,
    );
    const config = {
      tableName: resources.tableName,
      workQueueUrl: resources.queues.work.url,
      sendPorts: { send: resources.queues.send.url },
      hostId: 'grants',
      leaseMs: 10_000,
      region: process.env.AWS_REGION,
    };
    const definitions = sampleOrchestrations({ approvalThreshold: 0, cancellationWindowMs: 0 });
    const meters = { ReceiveHost: new RequestMeter(), ProcessingHost: new RequestMeter(), Sweeper: new RequestMeter() };
    const receiving = createRuntime(config, { definitions, meter: meters.ReceiveHost, endpoint });
    const processing = createRuntime(config, { definitions, meter: meters.ProcessingHost, endpoint });
    const sweeping = createRuntime(config, { definitions, meter: meters.Sweeper, endpoint });
    const sqs = sqsClient({ endpoint, longPolling: true });
    const common = {
      sqs,
      region: process.env.AWS_REGION!,
      batchSize: EVENT_SOURCE.batchSize,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 10,
      concurrency: 2,
    };
    const pollers = [
      new SqsPoller({
        ...common,
        queueUrl: resources.queues.receive.url,
        queueArn: resources.queues.receive.arn,
        handler: createReceiveHandler(receiving),
      }),
      new SqsPoller({
        ...common,
        queueUrl: resources.queues.work.url,
        queueArn: resources.queues.work.arn,
        handler: createProcessingHandler(processing),
      }),
    ];
    pollers.forEach((p) => p.start());
    const send = async (messages: { type: string; body: unknown }[]) => {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: resources.queues.receive.url,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify(m.body),
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } },
          })),
        }),
      );
    };
    const sent = async () =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: resources.queues.send.url,
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          )
        ).Attributes?.ApproximateNumberOfMessages,
      );
    const until = async (count: number) => {
      for (const deadline = Date.now() + 30_000; (await sent()) < count; ) {
        if (Date.now() > deadline) throw new Error(`only ${await sent()} of ${count} messages reached the send queue`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      const orders = ['grants-1', 'grants-2'].map((orderId) => ({
        type: 'Order',
        body: { orderId, customerId: 'c', lines: [{ sku: 'sku-1', qty: 1, unitPrice: 9.99 }] },
      }));
      await send(orders);
      await until(2); // the two ApprovalRequests
      const approvals = orders.map((o) => ({ type: 'Approval', body: { orderId: o.body.orderId, approved: true } }));
      await send(approvals);
      await until(6); // an Invoice and a Shipment each
      // A copy of a taken Approval, after its order completed: recognised, not taken again.
      await send(approvals.slice(0, 1));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await sent()).toBe(6);
    } finally {
      await Promise.all(pollers.map((p) => p.stop()));
    }
    // A sweep from an hour on passes over what ended, and counts the suspended for the alarms, as the sweeper does.
    await sweep(
      {
        store: sweeping.store,
        workQueue: sweeping.workQueue,
        clock: { ...systemClock, now: () => Date.now() + 3_600_000 },
      },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: sweeping.lease },
    );
    await sweeping.store.countByStatus(['suspended', 'message']);

    const granted = grantedActions();
    for (const host of ['ReceiveHost', 'ProcessingHost', 'Sweeper'] as const) {
      const operations = used(meters[host]);
      expect(operations.length, host).toBeGreaterThan(0);
      expect(
        operations.filter((op) => !granted[host].has(op)),
        `${host} uses what it is not granted`,
      ).toEqual([]);
    }
    // What the change to settled messages and the sweeper's cursor brought is exercised, not assumed.
    expect(used(meters.ProcessingHost)).toEqual(
      expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:BatchGetItem']),
    );
    expect(used(meters.ReceiveHost)).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:BatchGetItem']));
    expect(used(meters.Sweeper)).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:PutItem']));
  }, 60_000);
});
