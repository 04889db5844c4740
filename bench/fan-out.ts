/**
 * A fan-out of many items (issue 25's For Each): `npm run bench` sends one Batch whose For Each runs N items (10,000 by
 * default) at most 50 at once, each item a code step and a send, on the receive and processing hosts in this process
 * with metered clients, and measures the pace, the write units per item (the table's as DynamoDB reports them per
 * request, the indexes' from the stream's images of every change, bench/write-units.ts), the largest item written,
 * and the hottest partition's share of the writes.
 */
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { DYNAMODB_WRITES, RequestMeter } from '../functions/adapters/request-meter.ts';
import { code, complete, forEach, orchestration, receive, send } from '../functions/core/builder.ts';
import type { RawMessage } from '../functions/core/message.ts';
import { createProcessingHandler } from '../functions/handlers/process.ts';
import { createReceiveHandler } from '../functions/handlers/receive.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import { EVENT_SOURCE } from '../functions/settings.ts';
import { sendMessages } from '../local/accounting.ts';
import { SqsPoller } from '../local/poller.ts';
import { provision } from '../local/provision.ts';
import { StreamPoller } from '../local/stream-poller.ts';
import { indexWrites, itemBytes } from './write-units.ts';

/** Prices each line of a Batch (its lines are numbered, so the list is read from the message alone), then says done. */
export const batch = orchestration('Batch', 1, [
  receive('batch', 'Batch', { into: 'batch' }),
  forEach(
    'priceEach',
    (ctx) => {
      const { lines } = ctx.message('batch').body as { lines: number };
      return Array.from({ length: lines }, (_, i) => i);
    },
    [
      code('price', (ctx) => {
        ctx.vars.price = ((ctx.item as number) % 97) + 1;
      }),
      send('priced', 'send', 'LinePriced', (ctx) => ({ line: ctx.index, price: ctx.vars.price })),
    ],
    { maxConcurrency: 50 },
  ),
  send('report', 'send', 'BatchPriced', (ctx) => ({ lines: (ctx.message('batch').body as { lines: number }).lines })),
  complete('done'),
]);

export interface FanOutResult {
  readonly items: number;
  readonly lanes: number;
  readonly seconds: number;
  /** Write units, all of them (the table's, as reported per request, and every index's). */
  readonly writeUnits: { readonly table: number; readonly indexes: number };
  readonly writeRequests: number;
  /** The largest MessageBox item written (bytes, DynamoDB's count), and the largest lane item. */
  readonly maxItemBytes: number;
  /** The partition key written most, and its share of all writes. */
  readonly hottest: { readonly key: string; readonly writes: number; readonly share: number };
  readonly sent: readonly RawMessage[];
  readonly tableName: string;
}

export async function fanOutRun(options: { endpoint: string; prefix: string; items: number }): Promise<FanOutResult> {
  const { endpoint, items } = options;
  const resources = await provision(
    { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }) },
    options.prefix,
  );
  const meter = new RequestMeter({ capacity: true, keys: true });
  const runtime = createRuntime(
    {
      tableName: resources.tableName,
      workQueueUrl: resources.queues.work.url,
      sendPorts: { send: resources.queues.send.url },
      hostId: 'fan-out-host',
      leaseMs: 10_000,
      region: process.env.AWS_REGION,
    },
    { definitions: [batch], meter, endpoint },
  );
  let indexUnits = 0;
  let maxItemBytes = 0;
  const lanes = new Set<string>();
  const stream = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint }),
    streamArn: resources.streamArn!,
    handler: async (event: DynamoDBStreamEvent) => {
      for (const record of event.Records) {
        const before = record.dynamodb?.OldImage as Record<string, AttributeValue> | undefined;
        const after = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
        indexUnits += Object.values(indexWrites(before, after)).reduce((a, b) => a + b, 0);
        if (after) maxItemBytes = Math.max(maxItemBytes, itemBytes(after));
        const pk = after?.pk?.S ?? before?.pk?.S ?? '';
        if (/~\d+~l\d+$/.test(pk)) lanes.add(pk);
      }
    },
  });
  const sqs = sqsClient({ endpoint, longPolling: true });
  const common = {
    sqs,
    region: process.env.AWS_REGION!,
    batchSize: EVENT_SOURCE.batchSize,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 30,
    concurrency: 4,
  };
  const pollers = [
    new SqsPoller({
      ...common,
      queueUrl: resources.queues.receive.url,
      queueArn: resources.queues.receive.arn,
      handler: createReceiveHandler(runtime),
    }),
    new SqsPoller({
      ...common,
      queueUrl: resources.queues.work.url,
      queueArn: resources.queues.work.arn,
      handler: createProcessingHandler(runtime),
    }),
  ];
  const sender = sqsClient({ endpoint });
  stream.start();
  pollers.forEach((p) => p.start());
  const started = performance.now();
  const sent = await sendMessages(sender, resources.queues.receive.url, [{ type: 'Batch', body: { lines: items } }]);
  // Done once the send queue holds every LinePriced and the BatchPriced.
  const deadline = Date.now() + 1_800_000;
  for (;;) {
    const { Attributes = {} } = await sender.send(
      new GetQueueAttributesCommand({
        QueueUrl: resources.queues.send.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const out = Number(Attributes.ApproximateNumberOfMessages);
    if (out >= items + 1) break;
    if (Date.now() > deadline) throw new Error(`bench: the fan-out sent ${out} of ${items + 1} messages in 30 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pollers.map((p) => p.stop()));
  await stream.stop(120_000);
  const table = [...meter.capacityUnits]
    .filter(([op]) => DYNAMODB_WRITES.includes(op))
    .reduce((n, [, units]) => n + units, 0);
  const writeRequests = Object.entries(meter.snapshot())
    .filter(([op]) => DYNAMODB_WRITES.includes(op))
    .reduce((n, [, count]) => n + count, 0);
  const perKey = [...meter.writesByKey.entries()].sort(([, a], [, b]) => b - a);
  const keyed = perKey.reduce((n, [, c]) => n + c, 0);
  const [key, writes] = perKey[0] ?? ['', 0];
  return {
    items,
    lanes: lanes.size,
    seconds,
    writeUnits: { table, indexes: indexUnits },
    writeRequests,
    maxItemBytes,
    hottest: { key: key.replace(/^\S+ /, ''), writes, share: keyed ? writes / keyed : 0 },
    sent,
    tableName: resources.tableName,
  };
}
