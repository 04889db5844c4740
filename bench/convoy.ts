/**
 * The one hot case the item model allows: a convoy, many messages for one correlation value, all taken by one
 * instance. `npm run bench` sends an Open and then N Lines for one account to the receive queue at once, with the
 * receive and processing hosts running in this process on metered clients, and measures how fast the instance takes
 * them, what bounds that, and whether its stored item and its inbox reads stay flat as the Lines pile up.
 */
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { RequestMeter } from '../functions/adapters/request-meter.ts';
import { code, complete, loop, orchestration, receive, receiveCorrelated, send } from '../functions/core/builder.ts';
import type { RawMessage } from '../functions/core/message.ts';
import type { InstanceStore } from '../functions/core/ports.ts';
import { createProcessingHandler } from '../functions/handlers/process.ts';
import { createReceiveHandler } from '../functions/handlers/receive.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import { EVENT_SOURCE } from '../functions/settings.ts';
import { sendMessages } from '../local/accounting.ts';
import { SqsPoller } from '../local/poller.ts';
import { provision } from '../local/provision.ts';
import { StreamPoller } from '../local/stream-poller.ts';
import { itemBytes } from './write-units.ts';

interface Line {
  readonly account: string;
  readonly amount: number;
}

/** Takes the Lines of its account until it has as many as its Open announced (SQS does not keep their order), then reports the balance. */
export const ledger = orchestration(
  'Ledger',
  1,
  [
    receive('open', 'Open', { into: 'open', correlation: 'account' }),
    loop('eachLine', (ctx) => ctx.vars.closed !== true, [
      receiveCorrelated('takeLine', 'Line', { into: 'line', correlation: 'account' }),
      code('add', (ctx) => {
        const line = ctx.message('line').body as Line;
        ctx.vars.total = ((ctx.vars.total as number | undefined) ?? 0) + line.amount;
        ctx.vars.lines = ((ctx.vars.lines as number | undefined) ?? 0) + 1;
        if (ctx.vars.lines === (ctx.message('open').body as { lines: number }).lines) ctx.vars.closed = true;
      }),
    ]),
    send('report', 'send', 'Balance', (ctx) => ({ total: ctx.vars.total, lines: ctx.vars.lines })),
    complete('done'),
  ],
  { correlationSets: { account: { Open: (m) => (m.body as Line).account, Line: (m) => (m.body as Line).account } } },
);

export interface ConvoyResult {
  readonly lines: number;
  readonly seconds: number;
  /** Each write of the instance's item, in order: Lines taken so far, and the item's size (DynamoDB's count). */
  readonly itemWrites: readonly { readonly taken: number; readonly bytes: number }[];
  /** Each wake-up that read the inbox: Lines taken so far, and how many inbox items it read. */
  readonly inboxReads: readonly { readonly taken: number; readonly items: number }[];
  /** Requests of the hosts per Line, by operation. */
  readonly requestsPerLine: Readonly<Record<string, number>>;
  readonly persistencePoints: number;
  /** The Open and the Lines as sent, and the MessageBox they went to: to account for them. */
  readonly sent: readonly RawMessage[];
  readonly tableName: string;
}

export async function convoyRun(options: { endpoint: string; prefix: string; lines: number }): Promise<ConvoyResult> {
  const { endpoint, lines } = options;
  const resources = await provision(
    { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }) },
    options.prefix,
  );
  const meter = new RequestMeter();
  const runtime = createRuntime(
    {
      tableName: resources.tableName,
      workQueueUrl: resources.queues.work.url,
      sendPorts: { send: resources.queues.send.url },
      hostId: 'convoy-host',
      leaseMs: 10_000,
      region: process.env.AWS_REGION,
    },
    { definitions: [ledger], meter, endpoint },
  );
  const account = `acc-${options.prefix}`;
  const instanceKey = (pk: string) => pk.startsWith('I#') && !pk.includes('~');
  let taken = 0;
  const itemWrites: { taken: number; bytes: number }[] = [];
  const inboxReads: { taken: number; items: number }[] = [];
  let persistencePoints = 0;
  const store = runtime.store as InstanceStore;
  const deliveries = store.deliveries.bind(store);
  store.deliveries = async (id) => {
    const inbox = await deliveries(id);
    inboxReads.push({ taken, items: inbox.length });
    return inbox;
  };
  const commit = store.commit.bind(store);
  store.commit = async (next, ...rest) => {
    await commit(next, ...rest);
    persistencePoints++;
    taken = Number(next.vars.lines ?? 0);
  };
  // The instance's item as DynamoDB stores it, after every write: from the table's stream.
  const stream = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint }),
    streamArn: resources.streamArn!,
    handler: async (event: DynamoDBStreamEvent) => {
      for (const record of event.Records) {
        const after = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
        if (after?.sk?.S === 'STATE' && instanceKey(after.pk?.S ?? ''))
          itemWrites.push({ taken, bytes: itemBytes(after) });
      }
    },
  });
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
      handler: createReceiveHandler(runtime),
    }),
    new SqsPoller({
      ...common,
      queueUrl: resources.queues.work.url,
      queueArn: resources.queues.work.arn,
      handler: createProcessingHandler(runtime),
    }),
  ];
  // The Open first (it makes the instance), then every Line at once: the hosts, not the sender, set the pace.
  const sender = sqsClient({ endpoint });
  const sent: RawMessage[] = [];
  const sendAll = async (bodies: { type: string; body: unknown }[]) => {
    sent.push(...(await sendMessages(sender, resources.queues.receive.url, bodies)));
  };
  stream.start();
  pollers.forEach((p) => p.start());
  const started = performance.now();
  await sendAll([{ type: 'Open', body: { account, lines } }]);
  await sendAll(Array.from({ length: lines }, () => ({ type: 'Line', body: { account, amount: 1 } })));
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { Attributes = {} } = await sender.send(
      new GetQueueAttributesCommand({
        QueueUrl: resources.queues.send.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    if (Number(Attributes.ApproximateNumberOfMessages) > 0) break;
    if (Date.now() > deadline) throw new Error(`bench: the convoy took ${taken} of ${lines} Lines in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pollers.map((p) => p.stop()));
  await stream.stop(60_000);
  if (taken !== lines) throw new Error(`bench: the convoy reported after ${taken} of ${lines} Lines`);
  const requestsPerLine = Object.fromEntries(
    Object.entries(meter.snapshot()).map(([op, n]) => [op, Number((n / lines).toFixed(3))]),
  );
  return {
    lines,
    seconds,
    itemWrites,
    inboxReads,
    requestsPerLine,
    persistencePoints,
    sent,
    tableName: resources.tableName,
  };
}
