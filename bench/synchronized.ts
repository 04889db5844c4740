/**
 * What a synchronized scope costs in writes (issue 25): the same orchestrations with and without `synchronized`, run by
 * the real engine on the real DynamoDB adapter (the bench's embedded stack) with metered clients, so the counts are the
 * SDK's and the table's units DynamoDB's (`ReturnConsumedCapacity`); the indexes' units are counted from the table's
 * stream by DynamoDB's rules (write-units.ts). The work queue and the send port are in this process: what they carry
 * does not change with the scope, but a wake-up does, and is counted as `wakeUps`.
 *
 * Two uses: a scope nobody waits for (the orchestration's own, alone), and two parallel branches whose scopes run at
 * the same moment on two hosts (one takes the lock, the other waits and is woken by its release). Each figure is the
 * difference between the synchronized and the plain run, per synchronized scope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { DYNAMODB_WRITES, RequestMeter } from '../functions/adapters/request-meter.ts';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { branch, code, orchestration, parallel, receive, scope, send } from '../functions/core/builder.ts';
import type { OrchestrationDefinition, Shape } from '../functions/core/definition.ts';
import { DEFAULT_LEASE } from '../functions/core/ownership.ts';
import type { WorkItem } from '../functions/core/ports.ts';
import { ProcessingHost } from '../functions/core/processing-host.ts';
import { ReceiveHost } from '../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { StreamPoller } from '../local/stream-poller.ts';
import { provision } from '../local/provision.ts';
import { indexWrites } from './write-units.ts';

/** A scope with an exclusive step and a send in it: what a critical section usually holds. */
const section = (name: string, synchronized: boolean): Shape =>
  scope(
    `${name}Section`,
    [code(`${name}Works`, () => {}, { exclusive: true }), send(`${name}Says`, 'send', `${name}Done`, () => ({}))],
    synchronized ? { synchronized: true } : {},
  );

const alone = (synchronized: boolean) =>
  orchestration('Alone', 1, [receive('r', 'Go', { into: 'go' }), section('only', synchronized)]);

const pair = (synchronized: boolean) =>
  orchestration('Pair', 1, [
    receive('r', 'Go', { into: 'go' }),
    parallel('both', [branch('a', [section('a', synchronized)]), branch('b', [section('b', synchronized)])]),
  ]);

interface Spent {
  readonly writes: number;
  readonly tableUnits: number;
  readonly indexUnits: number;
  readonly wakeUps: number;
  /** Write requests by the store method that made them. */
  readonly writesBy: Record<string, number>;
}

/** Runs `count` orchestrations of `definition` to their end, on a table of its own; what they wrote. */
async function spent(endpoint: string, definition: OrchestrationDefinition, count: number): Promise<Spent> {
  const resources = await provision(
    { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }) },
    `sync${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
  );
  const caller = new AsyncLocalStorage<string>();
  const meter = new RequestMeter({ capacity: true, caller: () => caller.getStore() });
  const store = new DynamoDbInstanceStore(dynamoDbDocumentClient({ endpoint, meter }), resources.tableName);
  const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const method = methods[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    methods[name] = (...args: unknown[]) => caller.run(`store.${name}`, () => method.apply(store, args));
  }
  let indexUnits = 0;
  const stream = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint }),
    streamArn: resources.streamArn!,
    handler: async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
      for (const r of event.Records) {
        const images = r.dynamodb as {
          OldImage?: Record<string, AttributeValue>;
          NewImage?: Record<string, AttributeValue>;
        };
        for (const n of Object.values(indexWrites(images.OldImage, images.NewImage))) indexUnits += n;
      }
      return { batchItemFailures: [] };
    },
  });
  stream.start();
  const items: WorkItem[] = [];
  const workQueue = { enqueue: async (more: readonly WorkItem[]) => void items.push(...more) };
  const registry = new OrchestrationRegistry([definition]);
  const deps = { registry, store, workQueue, clock: systemClock };
  const receiver = new ReceiveHost({ ...deps, source: 'bench' });
  for (let i = 0; i < count; i += 10)
    await receiver.receive(
      Array.from({ length: Math.min(10, count - i) }, (_, j) => ({
        messageId: `go-${i + j}`,
        body: '{}',
        attributes: { MessageType: 'Go' },
      })),
    );
  let wakeUps = 0;
  let host = 0;
  // Every ready work item at once, each on a host of its own: an order's two branches run at the same moment.
  while (items.length > 0) {
    const ready = items.splice(0);
    wakeUps += ready.filter((i) => i.reason === 'lock').length;
    await Promise.all(
      ready.map(async (item) => {
        const processing = new ProcessingHost({
          ...deps,
          sendPort: { dispatch: async () => {} },
          lease: DEFAULT_LEASE,
          hostId: `bench-${++host}`,
        });
        const outcome = await processing.process(item, { receiveCount: 1 }).catch(() => undefined);
        // Busy, or refused (another host committed first): SQS would bring it back.
        if (outcome?.result !== 'done') items.push({ ...item, redelivery: true });
      }),
    );
  }
  await stream.stop(30_000);
  const calls = meter.byCaller;
  const writesBy: Record<string, number> = {};
  for (const [key, n] of calls) {
    const op = key.slice(key.lastIndexOf(' ') + 1);
    if (DYNAMODB_WRITES.includes(op)) writesBy[key.slice(0, key.lastIndexOf(' '))] = n;
  }
  const snapshot = meter.snapshot();
  return {
    writes: DYNAMODB_WRITES.reduce((n, op) => n + (snapshot[op] ?? 0), 0),
    tableUnits: [...meter.capacityUnits]
      .filter(([op]) => DYNAMODB_WRITES.includes(op))
      .reduce((n, [, units]) => n + units, 0),
    indexUnits,
    wakeUps,
    writesBy,
  };
}

const round = (n: number) => Number(n.toFixed(3));

/** Write requests per orchestration, by the store method that made them. */
const perOrchestration = (run: Spent, count: number) =>
  Object.fromEntries(Object.entries(run.writesBy).map(([by, n]) => [by.replace(/^store\./, ''), round(n / count)]));

/**
 * The synchronized run less the plain one, per synchronized scope (`scopes` of them in the run of `count`
 * orchestrations), and each run's writes per orchestration by store method: a commit refused in one run (two branches
 * that end at once both wake their join) and a dehydration in the other may cancel out in the difference.
 */
function extra(plain: Spent, synchronized: Spent, scopes: number, count: number) {
  const lockWrites = Object.entries(synchronized.writesBy)
    .filter(([by]) => by.endsWith('Lock'))
    .map(([by, n]) => [by.replace(/^store\./, ''), round(n / scopes)] as const);
  return {
    writes: round((synchronized.writes - plain.writes) / scopes),
    tableWriteUnits: round((synchronized.tableUnits - plain.tableUnits) / scopes),
    indexWriteUnits: round((synchronized.indexUnits - plain.indexUnits) / scopes),
    lockWrites: Object.fromEntries(lockWrites),
    wakeUps: round(synchronized.wakeUps / scopes),
    writesPerOrchestration: {
      plain: perOrchestration(plain, count),
      synchronized: perOrchestration(synchronized, count),
    },
  };
}

/** What one synchronized scope adds, alone and contended, over `count` orchestrations of each. */
export async function synchronizedScopeWrites(endpoint: string, count = 50) {
  const uncontended = extra(
    await spent(endpoint, alone(false), count),
    await spent(endpoint, alone(true), count),
    count,
    count,
  );
  const contended = extra(
    await spent(endpoint, pair(false), count),
    await spent(endpoint, pair(true), count),
    2 * count,
    count,
  );
  return { orchestrations: count, uncontended, contended };
}
