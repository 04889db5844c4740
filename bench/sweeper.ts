/**
 * `npm run bench:sweeper`: what one sweep reads as the MessageBox fills with instances that are not due (waiting
 * on a timer due tomorrow, or on a receive with nothing delivered), with the same few that are due each time.
 * Then what two sweeps read after orchestrations ended (their due entries stay until their expiry): the first
 * passes over each once, the next reads none of them again.
 * Prints one JSON line per size: {"metric":"sweepReads","instances":N,...}, then {"metric":"sweepEnded",...}; counts
 * and capacity units come from the metered SDK client (what the emulator reports), nothing is estimated.
 * Options: --instances 1000,10000,100000 --due 40 --ended 1000
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDbDocumentClient, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { DYNAMODB_WRITES, RequestMeter } from '../functions/adapters/request-meter.ts';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { activate } from '../functions/core/engine.ts';
import { InstanceStatus, type InstanceState } from '../functions/core/instance.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { sweep } from '../functions/core/sweeper.ts';
import { orderFulfilment } from '../functions/orchestrations/order-fulfilment.ts';
import { startEmbeddedStack } from '../local/embedded-stack.ts';
import { provision } from '../local/provision.ts';
import { OWNERSHIP } from '../functions/settings.ts';
import { useEmulatorCredentials } from '../local/emulator-credentials.ts';

useEmulatorCredentials();

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1000,10000,100000' },
    due: { type: 'string', default: '40' },
    ended: { type: 'string', default: '1000' },
  },
});
const sizes = values
  .instances!.split(',')
  .map(Number)
  .sort((a, b) => a - b);
const DUE = Number(values.due);
const ENDED = Number(values.ended);

const orchestration = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;
const now = Date.now();
let made = 0;
/** A waiting instance as a commit leaves it: a timer (due tomorrow, or overdue), or a receive with nothing delivered. */
function waiting(timerDue: number | undefined): InstanceState {
  const state = activate(
    orchestration,
    {
      messageId: `sweep-bench-${++made}`,
      messageType: 'Order',
      body: { orderId: `o-${made}` },
      properties: {},
      receivedAt: now,
    },
    now,
  );
  const thread = { id: 'main', at: 'awaitApproval', attempts: 0, ...(timerDue === undefined ? {} : { timerDue }) };
  return {
    ...state,
    status: InstanceStatus.Waiting,
    revision: 1,
    cursor: { threads: [thread] },
    updatedAt: now - 3_600_000,
  };
}

const stack = await startEmbeddedStack({ port: 0 });
try {
  const meter = new RequestMeter({ capacity: true });
  const resources = await provision(
    { dynamo: new DynamoDBClient({ endpoint: stack.endpoint }), sqs: sqsClient({ endpoint: stack.endpoint }) },
    `sweepbench${Date.now().toString(36)}`,
  );
  const store = new DynamoDbInstanceStore(
    dynamoDbDocumentClient({ endpoint: stack.endpoint, meter }),
    resources.tableName,
  );
  const writer = new DynamoDbInstanceStore(dynamoDbDocumentClient({ endpoint: stack.endpoint }), resources.tableName);
  const config = {
    staleAfterMs: OWNERSHIP.sweepStaleAfterMs,
    lease: { leaseMs: OWNERSHIP.leaseMs, maxClockSkewMs: OWNERSHIP.maxClockSkewMs },
  };
  const nowhere = { enqueue: async () => {} };

  // The instances that are due: timers that fired an hour ago and whose work items were lost.
  for (let i = 0; i < DUE; i++) await writer.create(waiting(now - 3_600_000));
  let written = DUE;
  for (const size of sizes) {
    const started = Date.now();
    const todo = size - written;
    for (let i = 0; i < todo; i += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, todo - i) }, (_, j) =>
          writer.create(waiting((i + j) % 2 ? now + 86_400_000 : undefined)),
        ),
      );
    }
    written = size;
    const fill = Date.now() - started;

    meter.reset();
    const found = await sweep({ store, workQueue: nowhere, clock: systemClock }, config);
    const sweepReads = reads(meter);

    console.log(
      JSON.stringify({
        metric: 'sweepReads',
        instances: size,
        due: DUE,
        found: found.length,
        ...sweepReads,
        fillSeconds: Math.round(fill / 100) / 10,
      }),
    );
  }

  // Orchestrations that ended keep their due entry (no index write to take it out): the next sweep reads each once
  // (whether it ended: half a unit), the one after reads none of them again.
  for (let i = 0; i < ENDED; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, ENDED - i) }, async () => {
        const state = {
          ...waiting(undefined),
          status: InstanceStatus.Running,
          revision: 0,
          cursor: { threads: [{ id: 'main', at: 'validate', attempts: 0 }] },
          createdAt: now - 3_600_000,
          updatedAt: now - 3_600_000,
        };
        await writer.create(state);
        await writer.commit(
          { ...state, status: InstanceStatus.Completed, revision: 1, updatedAt: now - 3_500_000 },
          0,
          'h',
          now,
        );
      }),
    );
  }
  meter.reset();
  const first = await sweep({ store, workQueue: nowhere, clock: systemClock }, config);
  const firstReads = reads(meter);
  meter.reset();
  const next = await sweep({ store, workQueue: nowhere, clock: systemClock }, config);
  console.log(
    JSON.stringify({
      metric: 'sweepEnded',
      ended: ENDED,
      due: DUE,
      first: { found: first.length, ...firstReads },
      next: { found: next.length, ...reads(meter) },
    }),
  );
} finally {
  await stack.stop();
}

/** Requests, and the capacity units they consumed: read units, and write units (the sweep's cursor items). */
function reads(meter: RequestMeter): { requests: number; readUnits: number; writeUnits: number } {
  const requests = [...meter.calls.entries()]
    .filter(([op]) => op.startsWith('DynamoDB.'))
    .reduce((n, [, c]) => n + c, 0);
  const units = (writes: boolean) =>
    [...meter.capacityUnits.entries()]
      .filter(([op]) => DYNAMODB_WRITES.includes(op) === writes)
      .reduce((n, [, c]) => n + c, 0);
  return { requests, readUnits: Math.round(units(false) * 10) / 10, writeUnits: Math.round(units(true) * 10) / 10 };
}
