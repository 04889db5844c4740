/**
 * `npm run bench`: prints one JSON object per line, and writes the figures to docs/figures/.
 *   rawConditionalWritesPerSecond   the emulator's own ceiling: conditional PutItems, 16 in flight
 *   writesPerPersistencePoint       DynamoDB write requests ÷ persistence points (metered SDK clients), less the
 *                                   retire writes (the join of instances written by 0.2; reported beside it)
 *   trackingWritesPerPersistencePoint  the tracking function's own DynamoDB writes (and write units) per persistence
 *                                   point: history is written off the hot path, from the MessageBox's stream
 *   requestsPerOrchestration        every AWS request per orchestration, by operation (metered SDK clients)
 *   costPerMillionOrchestrations    those counts (and the capacity units DynamoDB reported) at AWS list prices,
 *                                   beside Step Functions Standard/Express and Lambda durable functions
 *   persistedStepsPerSecond         a local cluster of 1, 2 and 4 host instances (OS processes), end to end
 *   throughputRatio, scaleOutRatio  2 host instances ÷ raw conditional writes/s; 2 (and 4) ÷ 1
 *   failoverMs                      SIGKILL a host instance mid-step → another one commits that instance
 *   lambdaBundleBytes               each function's bundle, minified, as the stack deploys it (bench/bundles.ts)
 *   writeUnitsPerPersistencePoint   every write unit the hosts spent (table as reported, indexes from the stream's
 *                                   images: bench/write-units.ts) ÷ persistence points
 *   synchronizedScopeWrites         the writes (and write units) a synchronized scope adds, alone and when a branch
 *                                   waits for another's, per scope (bench/synchronized.ts)
 *   costPerMillionPersistedSteps    Baton's cost of the sample ÷ its persistence points
 *   idleWakeUpShare                 processing host runs that found nothing to do ÷ all runs; work items per orchestration
 *   capacity                        orchestrations/s a default account sustains, quota by quota (bench/capacity.ts)
 *   convoy                          one instance taking N Lines for one key: Lines/s, item size and inbox reads
 *                                   along the way (bench/convoy.ts; figures convoy-item.svg, convoy-reads.svg)
 *   fanOut                          one For Each of N items, 50 at once (bench/fan-out.ts): items/s, write units
 *                                   per item (table as reported, indexes from the stream), the largest item, the
 *                                   hottest partition's share of the writes
 *   latency part (model "latency")  the same cluster of 1, 2 and 4 host instances, every request of theirs to the
 *                                   store and the queues delayed by a latency from published figures
 *                                   (local/latency-model.ts), the load a closed loop of orders in flight per host
 *                                   instance (bench/latency.ts): persistedStepsPerSecond and scaleOutRatio under
 *                                   the model, endToEndLatency (p50, p99, per persistence point), conflicts (lost
 *                                   conditional writes) per persistence point, and the CPU share of the emulator's
 *                                   process and of the host instances (nothing may be saturated)
 * Everything runs on the embedded stack in this process, in one run, so the ratios compare like with like.
 *
 * The `peers` part, only when asked for (`--parts peers`, alone or beside others: it installs packages and takes
 * minutes, so a plain `npm run bench` leaves it out): the sample beside Restate and DBOS on this machine
 * (bench/peers/run.ts), the same orders to Baton's local cluster (this checkout, `npm start`), a Restate workflow and
 * a DBOS workflow on PostgreSQL, one engine after the other; per engine orders/s, p50/p99 latency, CPU per order,
 * peak memory (PSS), exactly once, and the machine's busy share. It runs first, before this process starts its
 * embedded stack (a run of `peers` alone starts none), installs the peers with npm into .baton/peers/app, prints
 * one `metric: "peers"` line per engine, and writes its table into docs/benchmarks.md (between
 * `<!-- peers:begin -->` and `<!-- peers:end -->`) when it measured all three engines, else to
 * .baton/peers/table.md (`--peer-table FILE` elsewhere); no run without it touches that section.
 *
 * Options: --orders 400 --raw-writes 3000 --instances 1,2,4 --kills 10 --failover-lease 3000 --figures docs/figures
 *          (bench.json and the plots go to docs/figures when the run has every default part, else to
 *          .baton/bench-figures, unless --figures says where; a run of `peers` alone writes its bench.json there too)
 *          --latency-orders 150 --latency-in-flight 1 --latency-concurrency 2 (orders and orders in flight per host instance)
 *          --convoy-lines 10000 --fan-out-items 10000
 *          --parts bundles,metered,convoy,fanout,cluster,failover,latency (the default: all but peers), peers
 *          --peer-orders 1000 --peer-concurrency 32 --peer-warmup 20 --peer-engines baton,restate,dbos --peer-table FILE
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { dynamoDbDocumentClient, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DYNAMODB_WRITES, RequestMeter } from '../functions/adapters/request-meter.ts';
import { allShapes } from '../functions/core/compile/shape-tree.ts';
import { branchInstanceId } from '../functions/core/ids.ts';
import { orderFulfilmentV2 } from '../functions/orchestrations/order-fulfilment-v2.ts';
import { createProcessingHandler } from '../functions/handlers/process.ts';
import { createReceiveHandler } from '../functions/handlers/receive.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import { createTrackingHandler } from '../functions/handlers/tracking.ts';
import { DynamoDbHistory } from '../functions/adapters/DynamoDbHistory.ts';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { StreamPoller } from '../local/stream-poller.ts';
import { LocalCluster } from '../local/cluster.ts';
import { orderInstanceId, sampleOrder } from '../local/demo.ts';
import { startEmbeddedStack } from '../local/embedded-stack.ts';
import { SqsPoller } from '../local/poller.ts';
import { provision, type Resources } from '../local/provision.ts';
import { EVENT_SOURCE } from '../functions/settings.ts';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { indexWrites, itemBytes } from './write-units.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { fromItem } from '../functions/adapters/dynamodb/items.ts';
import { BUNDLE_LIMIT_BYTES, bundleSizes } from './bundles.ts';
import { COST_NOTE, compareCosts, type MeasuredUse } from './cost.ts';
import { measureFailover, median } from './failover.ts';
import { barChart, lineChart, stripChart } from '../local/plot.ts';
import { convoyRun, ledger } from './convoy.ts';
import { batch, fanOutRun } from './fan-out.ts';
import { synchronizedScopeWrites } from './synchronized.ts';
import { QUOTAS_AS_OF, capacity } from './capacity.ts';
import { PRICE_SOURCES } from './prices.ts';
import { sampleOptionsToEnv, sampleOrchestrations } from '../functions/orchestrations/index.ts';
import { useEmulatorCredentials } from '../local/emulator-credentials.ts';
import { PUBLISHED_LATENCY } from '../local/latency-model.ts';
import { judgeConservation, quiet } from '../local/accounting.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import type { RawMessage } from '../functions/core/message.ts';
import type { ConservationPorts } from '../functions/core/conservation.ts';
import { LATENCY_MODEL, closedLoop, percentile, requestsPerPersistencePoint, watchCpu } from './latency.ts';
import { runPeers } from './peers/run.ts';
import type { Item } from '../functions/adapters/item.ts';

useEmulatorCredentials();

/**
 * The bench's parts, all but `peers` run by default; `--parts metered` runs one alone (while working on it).
 * `peers` installs other engines and takes minutes: it runs when named.
 */
const PARTS = ['bundles', 'metered', 'convoy', 'fanout', 'cluster', 'failover', 'latency', 'peers'] as const;
type Part = (typeof PARTS)[number];
const DEFAULT_PARTS = PARTS.filter((part) => part !== 'peers');

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '400' },
    'raw-writes': { type: 'string', default: '3000' },
    instances: { type: 'string', default: '1,2,4' },
    kills: { type: 'string', default: '10' },
    'failover-lease': { type: 'string', default: '3000' },
    figures: { type: 'string' },
    parts: { type: 'string', default: DEFAULT_PARTS.join(',') },
    'convoy-lines': { type: 'string', default: '10000' },
    'fan-out-items': { type: 'string', default: '10000' },
    'latency-orders': { type: 'string', default: '150' },
    'latency-in-flight': { type: 'string', default: '1' },
    'latency-concurrency': { type: 'string', default: '2' },
    'peer-orders': { type: 'string', default: '1000' },
    'peer-concurrency': { type: 'string', default: '32' },
    'peer-warmup': { type: 'string', default: '20' },
    'peer-engines': { type: 'string', default: 'baton,restate,dbos' },
    'peer-table': { type: 'string' },
  },
});
const parts = new Set(values.parts!.split(','));
for (const part of parts)
  if (!PARTS.includes(part as Part)) throw new Error(`--parts: unknown part "${part}"; parts: ${PARTS.join(', ')}`);
const ORDERS = Number(values.orders);
const HOST_INSTANCES = values.instances!.split(',').map(Number);
if (!HOST_INSTANCES.includes(1) || !HOST_INSTANCES.includes(2) || !HOST_INSTANCES.includes(4))
  throw new Error('--instances must include 1, 2 and 4');
const KILLS = Number(values.kills);
const FAILOVER_LEASE_MS = Number(values['failover-lease']);
// A run of some parts alone must not replace the docs' figures of a whole run with its few.
const FIGURES =
  values.figures ?? (DEFAULT_PARTS.every((part) => parts.has(part)) ? 'docs/figures' : '.baton/bench-figures');
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
// The peers first, with nothing else of the bench's running on the machine (bench/peers/run.ts).
const peers = parts.has('peers')
  ? await runPeers({
      orders: Number(values['peer-orders']),
      concurrency: Number(values['peer-concurrency']),
      warmup: Number(values['peer-warmup']),
      engines: values['peer-engines']!.split(','),
      repoRoot: join(import.meta.dirname, '..'),
      ...(values['peer-table'] ? { table: values['peer-table'] } : {}),
      emit,
    })
  : undefined;
// Every other part runs on the embedded stack; a run of `peers` alone starts none.
const stack = [...parts].some((part) => part !== 'peers') ? await startEmbeddedStack({ port: 0 }) : undefined;
const endpoint = stack?.endpoint ?? '';
const workDir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
let run = 0;
const prefix = () => `bench${++run}${Date.now().toString(36)}`;

async function provisioned(): Promise<Resources> {
  return provision({ dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }) }, prefix());
}

/** The emulator's raw rate of single-item conditional writes, measured the way the hosts write. */
async function rawConditionalWrites(total: number, inFlight = 16): Promise<number> {
  const { tableName } = await provisioned();
  const client = dynamoDbDocumentClient({ endpoint });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: `I#raw-${i}`, sk: 'STATE', rev: 0, doc: '{"x":1}' },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Sends `count` sample orders; returns their instance ids (one OrderFulfilment instance per orderId) and the orders as sent. */
async function sendOrders(queueUrl: string, count: number): Promise<{ instanceIds: string[]; sent: RawMessage[] }> {
  const sqs = sqsClient({ endpoint });
  const ids: string[] = [];
  const sent: RawMessage[] = [];
  for (let i = 0; i < count; i += 10) {
    const chunk = Array.from({ length: Math.min(10, count - i) }, (_, j) => sampleOrder(i + j));
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((order, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(order.body),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
        })),
      }),
    );
    if ((response.Failed ?? []).length > 0)
      throw new Error(`bench: could not send orders: ${JSON.stringify(response.Failed)}`);
    ids.push(...chunk.map((order) => orderInstanceId(order.orderId)));
    const messageIds = new Map((response.Successful ?? []).map((r) => [r.Id, r.MessageId!]));
    chunk.forEach((order, j) =>
      sent.push({
        messageId: messageIds.get(String(j))!,
        body: JSON.stringify(order.body),
        attributes: { MessageType: 'Order' },
      }),
    );
  }
  return { instanceIds: ids, sent };
}

/** Deliveries with no end, over every run of the bench that sent orders: any makes the bench fail. */
let unaccountedTotal = 0;

/**
 * Accounts for the orders a run sent (core/conservation.ts), on clients of its own (no meter counts it), once the
 * run is over; prints `bench: <run>: unaccounted=N` and returns N.
 */
async function accountRun(
  run: string,
  sent: readonly RawMessage[],
  tables: { tableName: string; historyTableName?: string },
  registry = new OrchestrationRegistry(sampleOrchestrations()),
): Promise<number> {
  const client = dynamoDbDocumentClient({ endpoint });
  const ports: ConservationPorts = {
    store: new DynamoDbInstanceStore(client, tables.tableName),
    ...(tables.historyTableName ? { history: new DynamoDbHistory(client, tables.historyTableName) } : {}),
    registry,
  };
  const { unaccounted } = await judgeConservation(sent, ports, {
    log: (line) => process.stderr.write(`bench: ${run}: ${line}\n`),
    dynamo: { client, tableName: tables.tableName },
  });
  process.stderr.write(`bench: ${run}: unaccounted=${unaccounted}\n`);
  unaccountedTotal += unaccounted;
  return unaccounted;
}

const ENDED = new Set(['completed', 'suspended', 'terminated']);

/** Stored items of instances, by id (absent ones skipped). */
async function loadItems(tableName: string, instanceIds: string[]): Promise<Item[]> {
  const client = dynamoDbDocumentClient({ endpoint });
  const items: Item[] = [];
  for (let i = 0; i < instanceIds.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = instanceIds
      .slice(i, i + 100)
      .map((id) => ({ pk: `I#${id}`, sk: 'STATE' }));
    while (keys?.length) {
      const r: {
        Responses?: Record<string, Item[]>;
        UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
      } = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      items.push(...(r.Responses?.[tableName] ?? []));
      keys = r.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

/** Branch names of the sample's Parallel Actions: their branch instances count as persistence points too. */
const BRANCHES = [...allShapes(orderFulfilmentV2().steps)].flatMap((s) =>
  s.kind === 'parallel' ? s.branches.map((b) => b.name) : [],
);

/** The branch instances the given (ended) instances forked. */
async function branchItems(tableName: string, items: Item[]): Promise<Item[]> {
  const ids = items.flatMap((item) => {
    const state = fromItem(item);
    const id = String(item.pk).slice(2);
    return Array.from({ length: state.forks ?? 0 }, (_, f) =>
      BRANCHES.map((name) => branchInstanceId(id, f + 1, name, state.incarnation)),
    ).flat();
  });
  return loadItems(tableName, ids);
}

/**
 * Waits until every instance ended; returns their stored items. It watches the queues (cheap) and reads
 * the instances only once they are drained, so the measurement does not load the emulator it measures.
 */
async function waitForEnd(
  tableName: string,
  instanceIds: string[],
  queueUrls: string[],
  timeoutMs = 120_000,
): Promise<Item[]> {
  const sqs = sqsClient({ endpoint });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await quiet(sqs, queueUrls)) {
      const items = await loadItems(tableName, instanceIds);
      if (items.length === instanceIds.length && items.every((s) => ENDED.has(s.status))) return items;
    }
    if (Date.now() > deadline) throw new Error(`bench: instances still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Handlers and pollers in this process with metered SDK clients: every request Baton makes is counted. */
async function meteredRun(count: number) {
  const resources = await provisioned();
  // Which store method made each request: the writes per persistence point, said by what makes them up.
  const caller = new AsyncLocalStorage<string>();
  const handlerMeter = new RequestMeter({ capacity: true, caller: () => caller.getStore(), keys: true });
  const pollerMeter = new RequestMeter();
  const config = {
    tableName: resources.tableName,
    workQueueUrl: resources.queues.work.url,
    sendPorts: { send: resources.queues.send.url },
    hostId: 'bench-host',
    leaseMs: 10_000,
    region: process.env.AWS_REGION,
  };
  const runtime = createRuntime(config, {
    definitions: sampleOrchestrations({ cancellationWindowMs: 0 }),
    meter: handlerMeter,
    endpoint,
  });
  const store = runtime.store as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const method = store[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    store[name] = (...args: unknown[]) =>
      caller.run(`store.${name}`, () => (method as (...a: unknown[]) => unknown).apply(runtime.store, args));
  }
  // Count persistence points where the engine makes them, independently of the request meter.
  let persistencePoints = 0;
  const create = runtime.store.create.bind(runtime.store);
  const commit = runtime.store.commit.bind(runtime.store);
  runtime.store.create = async (state) => {
    const created = await create(state);
    if (created) persistencePoints++;
    return created;
  };
  runtime.store.commit = async (...args) => {
    await commit(...args);
    persistencePoints++;
  };
  // Lifecycle, not a persistence point: one write per branch instance once its join read it.
  let retireWrites = 0;
  const retire = runtime.store.retire.bind(runtime.store);
  runtime.store.retire = async (ids, now) => {
    await retire(ids, now);
    retireWrites += ids.length;
  };

  const pollerSqs = sqsClient({ endpoint, longPolling: true, meter: pollerMeter });
  const common = {
    sqs: pollerSqs,
    region: process.env.AWS_REGION!,
    batchSize: EVENT_SOURCE.batchSize,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 10,
    concurrency: 2,
  };
  // Each handler call is one Lambda invocation; its time is what Lambda would bill (here, on this machine).
  let invocations = 0;
  let handlerMs = 0;
  let shapes = 0;
  const timed = (handler: (event: SQSEvent) => Promise<SQSBatchResponse>) => async (event: SQSEvent) => {
    invocations++;
    const started = performance.now();
    try {
      return await handler(event);
    } finally {
      handlerMs += performance.now() - started;
    }
  };
  // Wake-ups: every work item the processing host received, every run it made of one (copies of one instance's
  // item in one batch share a run), and the runs that found nothing to do.
  const wakeUps = { workItems: 0, runs: 0, idle: 0, busy: 0 };
  const processing = createProcessingHandler(runtime, undefined, (outcome) => {
    wakeUps.runs++;
    if (outcome.result === 'retry') wakeUps.busy++;
    if (outcome.result === 'done') shapes += outcome.shapes ?? 0;
    if (outcome.result === 'done' && outcome.idle) wakeUps.idle++;
  });
  const pollers = [
    new SqsPoller({
      ...common,
      queueUrl: resources.queues.receive.url,
      queueArn: resources.queues.receive.arn,
      handler: timed(createReceiveHandler(runtime)),
    }),
    new SqsPoller({
      ...common,
      queueUrl: resources.queues.work.url,
      queueArn: resources.queues.work.arn,
      handler: timed((event) => {
        wakeUps.workItems += event.Records.length;
        return processing(event);
      }),
    }),
  ];
  // The tracking function, fed by the MessageBox's stream, with a meter of its own: its writes are not the hosts'.
  const trackingMeter = new RequestMeter({ capacity: true });
  if (!resources.streamArn) throw new Error('bench: the embedded stack gave the MessageBox no stream');
  // Every MessageBox change passes through the stream: what it cost the indexes, and how large instance items are.
  const indexUnits: Record<string, number> = {};
  const stateBytes: number[] = [];
  const observed =
    // biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler's own return type (aws-lambda's)
      (handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>) =>
      async (event: DynamoDBStreamEvent) => {
        for (const r of event.Records) {
          const before = r.dynamodb?.OldImage as Record<string, AttributeValue> | undefined;
          const after = r.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
          for (const [index, n] of Object.entries(indexWrites(before, after)))
            indexUnits[index] = (indexUnits[index] ?? 0) + n;
          if (after?.sk?.S === 'STATE') stateBytes.push(itemBytes(after));
        }
        return handler(event);
      };
  const tracking = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint }),
    streamArn: resources.streamArn,
    handler: observed(
      createTrackingHandler(
        new DynamoDbHistory(dynamoDbDocumentClient({ endpoint, meter: trackingMeter }), resources.historyTableName),
      ),
    ),
  });
  tracking.start();
  const { instanceIds, sent } = await sendOrders(resources.queues.receive.url, count);
  pollers.forEach((p) => p.start());
  const started = performance.now();
  await waitForEnd(resources.tableName, instanceIds, [resources.queues.receive.url, resources.queues.work.url]);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pollers.map((p) => p.stop()));
  // An ended orchestration keeps its due entry, and the sweeper passes over it once (DynamoDbInstanceStore.listDue):
  // one sweep after they all ended (from an hour on, past every entry) pays that here, on the same meter.
  const strandedAfterSweep = (await caller.run('store.listDue', () => runtime.store.listDue(Date.now() + 3_600_000)))
    .length;
  await tracking.stop(60_000);
  const unaccounted = await accountRun('metered', sent, resources);
  const tracked = trackingMeter.snapshot();
  const trackingWrites = DYNAMODB_WRITES.reduce((n, op) => n + (tracked[op] ?? 0), 0);
  const trackingWriteUnits = [...trackingMeter.capacityUnits]
    .filter(([op]) => DYNAMODB_WRITES.includes(op))
    .reduce((n, [, units]) => n + units, 0);

  const handler = handlerMeter.snapshot();
  const poller = pollerMeter.snapshot();
  const writes = DYNAMODB_WRITES.reduce((n, op) => n + (handler[op] ?? 0), 0) - retireWrites;
  const byOperation: Record<string, number> = {};
  for (const [op, n] of [...Object.entries(handler), ...Object.entries(poller)])
    byOperation[op] = round((byOperation[op] ?? 0) + n / count, 3);
  const total = Object.values(handler).reduce((a, b) => a + b, 0) + Object.values(poller).reduce((a, b) => a + b, 0);
  const handlerTotal = Object.values(handler).reduce((a, b) => a + b, 0);
  const sqsRequests = Object.entries({ ...poller })
    .concat(Object.entries(handler))
    .filter(([op]) => op.startsWith('SQS.'))
    .reduce((n, [, v]) => n + v, 0);
  const use: MeasuredUse = {
    capacityUnits: Object.fromEntries([...handlerMeter.capacityUnits].map(([op, u]) => [op, u / count])),
    writeRequests: writes / count,
    sqsRequests: sqsRequests / count,
    invocations: invocations / count,
    handlerSeconds: handlerMs / 1000 / count,
    indexWriteUnits: Object.values(indexUnits).reduce((a, b) => a + b, 0) / count,
    persistencePoints: persistencePoints / count,
    shapes: shapes / count,
  };
  const tableWriteUnits = [...handlerMeter.capacityUnits]
    .filter(([op]) => DYNAMODB_WRITES.includes(op))
    .reduce((n, [, units]) => n + units, 0);
  const sorted = stateBytes.sort((a, b) => a - b);
  const writeUnits = {
    table: tableWriteUnits,
    indexes: indexUnits,
    itemBytes: {
      median: sorted[Math.floor(sorted.length / 2)] ?? 0,
      p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      max: sorted.at(-1) ?? 0,
    },
  };
  const requestsBy = Object.fromEntries(
    [...handlerMeter.byCaller].sort(([, a], [, b]) => b - a).map(([key, n]) => [key, round(n / count, 3)]),
  );
  const writesBy = Object.fromEntries(
    [...handlerMeter.byCaller]
      .filter(([key]) => DYNAMODB_WRITES.some((op) => key.endsWith(` ${op}`)))
      .sort(([, a], [, b]) => b - a),
  );
  // Hot spots: no item shared across instances on the hot path means no partition key takes a large share of writes.
  const perKey = [...handlerMeter.writesByKey.entries()].sort(([, a], [, b]) => b - a);
  const keyed = perKey.reduce((n, [, c]) => n + c, 0);
  const hotKeys = {
    partitionsWritten: perKey.length,
    writes: keyed,
    hottest: perKey
      .slice(0, 3)
      .map(([key, count]) => ({ key: key.replace(/^\S+ /, ''), writes: count, share: round(count / keyed, 4) })),
    medianWritesPerPartition: perKey.length ? perKey[Math.floor(perKey.length / 2)]![1] : 0,
  };
  return {
    orders: count,
    unaccounted,
    strandedAfterSweep,
    writes,
    writesBy,
    requestsBy,
    writeUnits,
    wakeUps,
    hotKeys,
    retireWrites,
    persistencePoints,
    trackingWrites,
    trackingWriteUnits,
    trackedRecords: tracking.handled,
    byOperation,
    perOrchestration: total / count,
    handlerPerOrchestration: handlerTotal / count,
    stepsPerSecond: persistencePoints / seconds,
    use,
  };
}

/** A real local cluster (host instances are OS processes): persisted steps per second, end to end. */
async function clusterThroughput(
  instances: number,
  count: number,
): Promise<{ stepsPerSecond: number; orchestrationsPerSecond: number; branchInstances: number; unaccounted: number }> {
  const cluster = new LocalCluster({
    instances,
    port: 0,
    endpoint,
    prefix: prefix(),
    leaseMs: 10_000,
    environment: sampleOptionsToEnv({ cancellationWindowMs: 0 }),
    workDir,
    waitSeconds: 1,
    sweepEveryMs: 60_000,
    logLevel: 'WARN',
  });
  await cluster.start();
  await cluster.waitUntilUp();
  const d = cluster.describe();
  // Queue everything first so the hosts, not the sender, set the pace.
  await cluster.stop();
  const { instanceIds, sent } = await sendOrders(d.receiveQueueUrl, count);
  const restarted = new LocalCluster({ ...cluster.options, prefix: cluster.options.prefix });
  const boot = performance.now();
  await restarted.start();
  await restarted.waitUntilUp();
  // Timed from when the host instances are up: process start-up (loading Node modules) is not throughput.
  const started = performance.now();
  process.stderr.write(`bench: ${instances} host instance(s) up in ${Math.round(started - boot)} ms\n`);
  const states = await waitForEnd(d.tableName, instanceIds, [d.receiveQueueUrl, d.workQueueUrl]);
  const seconds = (performance.now() - started) / 1000;
  await restarted.tracking?.caughtUp(60_000);
  const unaccounted = await accountRun(`cluster of ${instances}`, sent, {
    tableName: d.tableName,
    historyTableName: restarted.tracking ? d.historyTableName : undefined,
  });
  await restarted.stop();
  // Each instance's persistence points (branch instances included): its creation plus one per commit (the
  // revision counts commits).
  const branches = await branchItems(d.tableName, states);
  const steps = [...states, ...branches].reduce((n, s) => n + 1 + Number(s.rev), 0);
  return {
    stepsPerSecond: steps / seconds,
    orchestrationsPerSecond: count / seconds,
    branchInstances: branches.length,
    unaccounted,
  };
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
// The peers' lines were printed as each engine ended.
const results: Record<string, unknown>[] = [...(peers?.lines ?? [])];
const record = (line: Record<string, unknown>) => {
  results.push(line);
  emit(line);
};
/** Writes, write units, hot keys, requests and cost per orchestration: metered clients, handlers in this process. */
async function meteredPart(): Promise<void> {
  const metered = await meteredRun(Math.min(ORDERS, 300));
  record({
    metric: 'unaccounted',
    value: metered.unaccounted,
    run: 'metered',
    orders: metered.orders,
    note: 'deliveries of the orders sent that reached no end (taken, suspended, discarded, resubmitted): core/conservation.ts',
  });
  record({
    metric: 'writesPerPersistencePoint',
    value: round(metered.writes / metered.persistencePoints, 3),
    writes: metered.writes,
    persistencePoints: metered.persistencePoints,
    retireWrites: metered.retireWrites,
    writesBy: metered.writesBy,
    note: 'retire writes (a joined branch instance let expire) are lifecycle, not persistence: beside it, and in the cost',
  });
  const indexUnitsTotal = Object.values(metered.writeUnits.indexes).reduce((a, b) => a + b, 0);
  record({
    metric: 'writeUnitsPerPersistencePoint',
    value: round((metered.writeUnits.table + indexUnitsTotal) / metered.persistencePoints, 3),
    table: round(metered.writeUnits.table / metered.persistencePoints, 3),
    indexes: Object.fromEntries(
      Object.entries(metered.writeUnits.indexes).map(([name, n]) => [name, round(n / metered.persistencePoints, 3)]),
    ),
    instanceItemBytes: metered.writeUnits.itemBytes,
    note: "every DynamoDB write unit the hosts spent (retire writes included) ÷ persistence points: the table's as the store reported them, the indexes' from each change's old and new images by DynamoDB's rules (bench/write-units.ts)",
  });
  record({
    metric: 'hotKeys',
    value: metered.hotKeys.hottest[0]?.share ?? 0,
    ...metered.hotKeys,
    note: "the hosts' DynamoDB writes by partition key (retire included): the hottest key's share of all writes; one key per instance, none shared",
  });
  record({
    metric: 'trackingWritesPerPersistencePoint',
    value: round(metered.trackingWrites / metered.persistencePoints, 3),
    writeUnits: round(metered.trackingWriteUnits / metered.persistencePoints, 3),
    streamRecords: metered.trackedRecords,
    note: "the tracking function's BatchWriteItem requests (and their write units) from the MessageBox's stream: not the hosts', not in writesPerPersistencePoint",
  });
  record({
    metric: 'requestsPerOrchestration',
    value: round(metered.perOrchestration, 2),
    handlerRequests: round(metered.handlerPerOrchestration, 2),
    byOperation: metered.byOperation,
    handlerRequestsBy: metered.requestsBy,
    note: 'SQS.ReceiveMessage and SQS.DeleteMessageBatch are the event source polling; the rest are the handlers (by store method where the store made them)',
  });
  const synchronized = await synchronizedScopeWrites(endpoint);
  record({
    metric: 'synchronizedScopeWrites',
    value: synchronized.uncontended.writes,
    ...synchronized,
    note: "writes a synchronized scope adds per scope, the plain run's subtracted (bench/synchronized.ts): alone, its lock taken and freed; contended, two branches at once, one waiting: beside each scope's two, the waiter's refused take, its registration and its dehydration (a commit, and the index entries it makes)",
  });
  record({
    metric: 'persistedStepsPerOrchestration',
    value: round(metered.use.persistencePoints, 2),
    shapesPerOrchestration: round(metered.use.shapes, 2),
  });
  const costs = compareCosts(metered.use);
  record({ metric: 'costPerMillionOrchestrations', prices: COST_NOTE, sources: PRICE_SOURCES, options: costs });
  if (metered.strandedAfterSweep > 0)
    process.stderr.write(`bench: the sweep after the run found ${metered.strandedAfterSweep} instance(s) still due\n`);
  record({
    metric: 'idleWakeUpShare',
    value: round(metered.wakeUps.idle / metered.wakeUps.runs, 4),
    workItemsPerOrchestration: round(metered.wakeUps.workItems / metered.orders, 2),
    runs: metered.wakeUps.runs,
    idle: metered.wakeUps.idle,
    busy: metered.wakeUps.busy,
    note: "runs of the processing host that found nothing to do (no step, no effect, no write) ÷ all its runs; copies of one instance's work item in one batch share a run",
  });
  const table = metered.writeUnits.table / metered.orders;
  const indexes = Object.values(metered.writeUnits.indexes).reduce((a, b) => a + b, 0) / metered.orders;
  const reads = Object.entries(metered.use.capacityUnits)
    .filter(([op]) => /\.(GetItem|Query|BatchGetItem)$/.test(op))
    .reduce((n, [, u]) => n + u, 0);
  const rows = capacity(
    {
      tableWriteUnits: table,
      indexWriteUnits: indexes,
      readUnits: reads,
      invocations: metered.use.invocations,
      handlerSeconds: metered.use.handlerSeconds,
      shapes: metered.use.shapes,
    },
    { processingHostInstances: 1 },
  );
  const binding = rows
    .filter((r) => !r.limit.includes('comparison'))
    .sort((a, b) => a.orchestrationsPerSecond - b.orchestrationsPerSecond)[0]!;
  record({
    metric: 'capacity',
    value: round(binding.orchestrationsPerSecond, 0),
    binds: binding.limit,
    quotasAsOf: QUOTAS_AS_OF,
    perOrchestration: {
      tableWriteUnits: round(table, 3),
      indexWriteUnits: round(indexes, 3),
      readUnits: round(reads, 3),
      invocations: round(metered.use.invocations, 3),
      handlerSeconds: round(metered.use.handlerSeconds, 4),
      shapes: round(metered.use.shapes, 2),
    },
    rows: rows.map((r) => ({
      ...r,
      orchestrationsPerSecond: Number.isFinite(r.orchestrationsPerSecond) ? round(r.orchestrationsPerSecond, 0) : null,
    })),
    note: 'orchestrations/s of the sample a default account sustains, quota by quota, from what one orchestration used here (handler time as measured on this machine against the in-process emulator)',
  });
  const baton = costs[0]!;
  const standard = costs.find((c) => c.option.startsWith('Step Functions Standard'))!;
  record({
    metric: 'costPerMillionPersistedSteps',
    value: baton.perMillionPersistedSteps,
    stepFunctionsStandard: standard.perMillionPersistedSteps,
    prices: COST_NOTE,
    note: "Baton's cost of the sample ÷ its persistence points, in US dollars per million; Step Functions Standard priced on the same sample's shapes",
  });
}

/** The hot case: one convoy of many Lines for one key (bench/convoy.ts): its pace, what bounds it, and a flat item. */
async function convoyPart(): Promise<void> {
  const lines = Number(values['convoy-lines']);
  const r = await convoyRun({ endpoint, prefix: prefix(), lines });
  // No tracking in this run: the MessageBox says which Lines the instance took (settled records).
  const unaccounted = await accountRun(
    'convoy',
    r.sent,
    { tableName: r.tableName },
    new OrchestrationRegistry([ledger]),
  );
  const sizes = r.itemWrites.map((w) => w.bytes);
  const tenth = (list: readonly number[], which: 'first' | 'last') => {
    const n = Math.max(1, Math.floor(list.length / 10));
    return Math.max(...(which === 'first' ? list.slice(0, n) : list.slice(-n)));
  };
  const read = r.inboxReads.reduce((n, x) => n + x.items, 0);
  record({
    metric: 'convoy',
    value: round(r.lines / r.seconds, 1),
    unit: 'Lines taken per second, one instance',
    lines: r.lines,
    seconds: round(r.seconds, 1),
    persistencePoints: r.persistencePoints,
    instanceItemBytes: {
      firstTenthMax: tenth(sizes, 'first'),
      lastTenthMax: tenth(sizes, 'last'),
      max: Math.max(...sizes),
      writes: sizes.length,
    },
    inboxItemsReadPerLine: round(read / r.lines, 3),
    inboxReadsMax: Math.max(...r.inboxReads.map((x) => x.items)),
    requestsPerLine: r.requestsPerLine,
    unaccounted,
    note: 'an Open then N Lines for one account sent at once; one instance takes them, one run at a time: the receive host delivers each Line (its inbox item, a due mark), a run takes every Line waiting in one commit, and the taken Lines are settled out of the inbox',
  });
  writeFileSync(
    join(FIGURES, 'convoy-item.svg'),
    lineChart(
      `One convoy, ${r.lines.toLocaleString('en-US')} Lines: the instance's item at each write`,
      'item bytes',
      [
        {
          label: 'stored item (DynamoDB size)',
          points: r.itemWrites.map((w) => [w.taken, w.bytes] as [number, number]),
        },
      ],
      [{ label: '1 KB: one write unit', value: 1024 }],
      'Lines taken',
    ),
  );
  writeFileSync(
    join(FIGURES, 'convoy-reads.svg'),
    lineChart(
      `One convoy, ${r.lines.toLocaleString('en-US')} Lines: inbox items read at each wake-up`,
      'inbox items read',
      [{ label: 'items read by a wake-up', points: r.inboxReads.map((x) => [x.taken, x.items] as [number, number]) }],
      [],
      'Lines taken',
    ),
  );
}

/** A For Each of many items, 50 at once (bench/fan-out.ts): its pace, write units per item, largest item, hottest key. */
async function fanOutPart(): Promise<void> {
  const items = Number(values['fan-out-items']);
  const r = await fanOutRun({ endpoint, prefix: prefix(), items });
  const unaccounted = await accountRun(
    'fanout',
    r.sent,
    { tableName: r.tableName },
    new OrchestrationRegistry([batch]),
  );
  record({
    metric: 'fanOut',
    value: round((r.writeUnits.table + r.writeUnits.indexes) / r.items, 3),
    unit: 'write units per item (table + indexes)',
    items: r.items,
    maxConcurrency: 50,
    lanes: r.lanes,
    seconds: round(r.seconds, 1),
    itemsPerSecond: round(r.items / r.seconds, 1),
    tableWriteUnitsPerItem: round(r.writeUnits.table / r.items, 3),
    indexWriteUnitsPerItem: round(r.writeUnits.indexes / r.items, 3),
    writeRequestsPerItem: round(r.writeRequests / r.items, 3),
    maxItemBytes: r.maxItemBytes,
    hottestPartition: { ...r.hottest, share: round(r.hottest.share, 4) },
    unaccounted,
    note: 'one Batch whose For Each prices N numbered lines, 50 lanes, each item a code step and a send (a persistence point of its lane); the hosts run in this process on metered clients',
  });
}

/** Persisted steps per second of a local cluster of 1, 2 and 4 host instances, against the emulator's raw rate. */
async function clusterPart(raw: number): Promise<void> {
  const throughput: { instances: number; stepsPerSecond: number; orchestrationsPerSecond: number }[] = [];
  for (const instances of HOST_INSTANCES) {
    const r = await clusterThroughput(instances, ORDERS);
    throughput.push({ instances, ...r });
    record({
      metric: 'persistedStepsPerSecond',
      value: round(r.stepsPerSecond),
      hostInstances: instances,
      orchestrationsPerSecond: round(r.orchestrationsPerSecond),
      branchInstances: r.branchInstances,
      unaccounted: r.unaccounted,
    });
  }
  const at = (n: number) => throughput.find((t) => t.instances === n)!.stepsPerSecond;
  record({
    metric: 'throughputRatio',
    value: round(at(2) / raw, 3),
    note: 'persisted steps/s (2 host instances) ÷ raw conditional writes/s, same emulator, same run',
  });
  record({
    metric: 'scaleOutRatio',
    value: round(at(2) / at(1), 3),
    fourToOne: round(at(4) / at(1), 3),
    note: '2 (and 4) host instances ÷ 1, same store; on a 2-core machine the emulator shares the cores',
  });
  writeFileSync(
    join(FIGURES, 'throughput.svg'),
    barChart(
      'Persisted steps per second by host instances (one run, one machine)',
      'persisted steps / s',
      throughput.map((t) => ({
        label: `${t.instances} host instance${t.instances > 1 ? 's' : ''}`,
        value: t.stepsPerSecond,
      })),
      [{ label: `emulator's raw conditional writes/s: ${Math.round(raw)}`, value: raw }],
    ),
  );
}

/** SIGKILL a host instance mid-step, KILLS times: how long until another one commits that instance. */
async function failoverPart(): Promise<void> {
  const failover = await measureFailover({
    endpoint,
    workDir,
    prefix: prefix(),
    kills: KILLS,
    leaseMs: FAILOVER_LEASE_MS,
  });
  const unaccounted = await accountRun('failover', failover.sent, failover.tables);
  record({
    metric: 'failoverMs',
    median: Math.round(median(failover.samplesMs)),
    max: Math.round(Math.max(...failover.samplesMs)),
    samples: failover.samplesMs.length,
    kills: KILLS,
    leaseMs: FAILOVER_LEASE_MS,
    target: `≤ lease + 2000 = ${FAILOVER_LEASE_MS + 2000}`,
    unaccounted,
  });
  writeFileSync(
    join(FIGURES, 'failover.svg'),
    stripChart('Failover: SIGKILL mid-step → resumed on another host instance', 'ms', failover.samplesMs, [
      { label: `lease ${failover.leaseMs} ms`, value: failover.leaseMs },
      { label: `target: lease + 2 s`, value: failover.leaseMs + 2_000 },
    ]),
  );
}

/** The latency part's load, per host instance (more host instances, proportionally more load). */
const LATENCY_LOAD = {
  ordersPerHostInstance: Number(values['latency-orders']),
  inFlightPerHostInstance: Number(values['latency-in-flight']),
  /** Concurrent batches of each of a host instance's two pollers (BATON_CONCURRENCY). */
  pollerConcurrency: Number(values['latency-concurrency']),
};

/** A local cluster under the latency model, with a closed loop of orders in flight per host instance. */
async function latencyRun(instances: number) {
  const orders = LATENCY_LOAD.ordersPerHostInstance * instances;
  const cluster = new LocalCluster({
    instances,
    port: 0,
    endpoint,
    prefix: prefix(),
    leaseMs: 10_000,
    workDir,
    waitSeconds: 1,
    sweepEveryMs: 60_000,
    logLevel: 'WARN',
    environment: {
      ...sampleOptionsToEnv({ cancellationWindowMs: 0 }),
      BATON_CONCURRENCY: String(LATENCY_LOAD.pollerConcurrency),
    },
    latencyModel: PUBLISHED_LATENCY,
    // Tracking is a function of its own on AWS; here it would take the emulator's process and cores from the hosts.
    tracking: false,
  });
  await cluster.start();
  let run;
  try {
    await cluster.waitUntilUp();
    const d = cluster.describe();
    const watch = watchCpu(cluster.hosts.map((h) => h.pid!));
    const { sentAt, sent } = await closedLoop({
      sqs: sqsClient({ endpoint }),
      receiveQueueUrl: d.receiveQueueUrl,
      sendQueueUrl: d.sendQueueUrl,
      orders,
      inFlight: LATENCY_LOAD.inFlightPerHostInstance * instances,
    });
    const states = await waitForEnd(d.tableName, [...sentAt.keys()], [d.receiveQueueUrl, d.workQueueUrl]);
    const watched = watch.stop();
    // Tracking is off here: the MessageBox says which instance took each order.
    const unaccounted = await accountRun(`latency, ${instances} host instance(s)`, sent, { tableName: d.tableName });
    run = { d, sentAt, states, ...watched, unaccounted };
  } finally {
    await cluster.stop();
  }
  const { d, sentAt, states, seconds, cpu, unaccounted } = run;
  // Persistence points as clusterThroughput counts them (creation, and one per commit), each orchestration's with its branch instances'.
  const idOf = (item: Item) => String(item.pk).slice(2);
  const points = new Map(states.map((s) => [idOf(s), 1 + Number(s.rev)]));
  const branches = await branchItems(d.tableName, states);
  for (const b of branches) {
    const parent = fromItem(b).branchOf!.instanceId;
    points.set(parent, points.get(parent)! + 1 + Number(b.rev));
  }
  const completed = states.filter((s) => s.status === 'completed');
  const endToEndMs = completed.map((s) => Number(s.updatedAt) - sentAt.get(idOf(s))!);
  const persistencePoints = [...points.values()].reduce((a, b) => a + b, 0);
  return {
    instances,
    orders,
    persistencePoints,
    seconds,
    cpu,
    endToEndMs,
    unaccounted,
    perStepMs: completed.map((s, i) => endToEndMs[i]! / points.get(idOf(s))!),
    stepsPerSecond: persistencePoints / seconds,
    branchInstances: branches.length,
    suspended: states.length - completed.length,
    restarts: cluster.hosts.reduce((n, h) => n + h.restarts, 0),
    lostWrites: cluster.conditionalCheckFailed(),
    requests: requestsPerPersistencePoint(cluster.modelledLatency(), persistencePoints),
  };
}

/** Persisted steps per second of 1, 2 and 4 host instances when the store and the queues answer with AWS's latency. */
async function latencyPart(): Promise<void> {
  const settings = {
    ...LATENCY_LOAD,
    cancellationWindowMs: 0,
    longPollSeconds: 1,
    batchSize: EVENT_SOURCE.batchSize,
    cores: availableParallelism(),
    tracking: false,
  };
  const runs: Awaited<ReturnType<typeof latencyRun>>[] = [];
  const conflicts = (r: (typeof runs)[number]) =>
    round(Object.values(r.lostWrites).reduce((a, b) => a + b, 0) / r.persistencePoints, 4);
  for (const instances of HOST_INSTANCES) {
    const r = await latencyRun(instances);
    runs.push(r);
    if (r.cpu.emulatorCpuShare > 0.5)
      process.stderr.write(
        `bench: latency: the emulator's process took ${Math.round(r.cpu.emulatorCpuShare * 100)}% of the cores with ${instances} host instance(s): lower --latency-in-flight\n`,
      );
    if ((r.cpu.otherProcessesCpuShare ?? 0) > 0.05)
      process.stderr.write(
        `bench: latency: other processes took ${Math.round(r.cpu.otherProcessesCpuShare! * 100)}% of the cores during the run with ${instances} host instance(s): its figures are disturbed\n`,
      );
    record({
      metric: 'persistedStepsPerSecond',
      model: 'latency',
      value: round(r.stepsPerSecond),
      hostInstances: instances,
      orchestrationsPerSecond: round(r.orders / r.seconds),
      orders: r.orders,
      persistencePoints: r.persistencePoints,
      branchInstances: r.branchInstances,
      seconds: round(r.seconds, 1),
      conflictsPerPersistencePoint: conflicts(r),
      lostWrites: r.lostWrites,
      unaccounted: r.unaccounted,
      requestsPerPersistencePoint: r.requests.byOperation,
      requestMsPerPersistencePoint: r.requests.msPerPersistencePoint,
      cpu: r.cpu,
      ...(r.suspended || r.restarts ? { notCompleted: r.suspended, restarts: r.restarts } : {}),
      settings,
    });
  }
  for (const r of runs) {
    record({
      metric: 'endToEndLatency',
      model: 'latency',
      hostInstances: r.instances,
      orchestrations: r.endToEndMs.length,
      p50Ms: Math.round(percentile(r.endToEndMs, 50)),
      p99Ms: Math.round(percentile(r.endToEndMs, 99)),
      perStepOverheadMs: { p50: round(percentile(r.perStepMs, 50), 1), p99: round(percentile(r.perStepMs, 99), 1) },
      conflictsPerPersistencePoint: conflicts(r),
      note: "from the order's SendMessageBatch to the commit that completed its orchestration (its updatedAt); per step: that ÷ the orchestration's persistence points (its branch instances' included)",
    });
  }
  const at = (n: number) => runs.find((r) => r.instances === n)!.stepsPerSecond;
  record({
    metric: 'scaleOutRatio',
    model: 'latency',
    value: round(at(2) / at(1), 3),
    fourToOne: round(at(4) / at(1), 3),
    targets: { value: 1.8, fourToOne: 3.2 },
    emulatorCpuShare: Math.max(...runs.map((r) => r.cpu.emulatorCpuShare)),
    cpuStallShare: runs.map((r) => r.cpu.cpuStallShare),
    latencyModel: LATENCY_MODEL,
    settings,
    note: `2 (and 4) host instances ÷ 1, each with ${LATENCY_LOAD.inFlightPerHostInstance} order(s) in flight; emulatorCpuShare is the highest of the three runs (this process: the emulator, the cluster's tracking and the load), cpuStallShare each run's share of time some task waited for a core`,
  });
  writeFileSync(
    join(FIGURES, 'throughput-latency-model.svg'),
    barChart(
      'Persisted steps per second, store latency modelled',
      'persisted steps / s',
      runs.map((r) => ({
        label: `${r.instances} host instance${r.instances > 1 ? 's' : ''}`,
        value: r.stepsPerSecond,
      })),
      [2, 4].map((n) => ({ label: `${n} × 1 host instance's rate`, value: n * at(1) })),
    ),
  );
}

try {
  mkdirSync(FIGURES, { recursive: true });
  const raw = stack ? await rawConditionalWrites(Number(values['raw-writes'])) : 0;
  if (stack)
    record({
      metric: 'rawConditionalWritesPerSecond',
      value: round(raw),
      emulator: 'dynalite (embedded)',
      inFlight: 16,
    });
  if (parts.has('bundles')) {
    const sizes = await bundleSizes();
    record({
      metric: 'lambdaBundleBytes',
      value: Math.max(...sizes.map((b) => b.bytes)),
      limit: BUNDLE_LIMIT_BYTES,
      functions: sizes,
      note: 'each function bundled as the stack bundles it for AWS (minified, the SDK from the runtime); value is the largest',
    });
  }
  if (parts.has('metered')) await meteredPart();
  if (parts.has('convoy')) await convoyPart();
  if (parts.has('fanout')) await fanOutPart();
  if (parts.has('cluster')) await clusterPart(raw);
  if (parts.has('failover') && KILLS > 0) await failoverPart();
  if (parts.has('latency')) await latencyPart();
  // The figures, as the docs show them (docs/benchmarks.md explains them).
  writeFileSync(
    join(FIGURES, 'bench.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), parts: [...parts], results }, null, 2)}\n`,
  );
  process.stderr.write(`bench: figures written to ${FIGURES}\n`);
  process.stderr.write(`bench: unaccounted=${unaccountedTotal}\n`);
  // Figures of a run that lost a message are not figures of Baton: the run fails.
  if (unaccountedTotal > 0) process.exitCode = 1;
  if (peers?.batonFailed) {
    process.stderr.write('bench: peers: Baton did not deliver every order exactly once (or did not run)\n');
    process.exitCode = 1;
  }
} finally {
  await stack?.stop();
  rmSync(workDir, { recursive: true, force: true });
}

function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.versions.node}, ${process.platform}`;
}
