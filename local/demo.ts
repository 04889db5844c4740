import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../functions/adapters/aws-clients.ts';
import { convoyInstanceId } from '../functions/core/ids.ts';
import { fromItem } from '../functions/adapters/dynamodb/items.ts';
import { judgeConservation, sendMessages } from './accounting.ts';
import type { LocalCluster } from './cluster.ts';
import type { Item } from '../functions/adapters/item.ts';

export interface DemoResult {
  readonly orchestrations: number;
  readonly completed: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Copies of an already-received MessageId (a re-dispatch a deduplicating consumer drops). */
  readonly redeliveries: number;
  readonly failovers: number;
  /** Deliveries of the orders that reached no end (core/conservation.ts), and claim-check objects left behind. */
  readonly unaccounted: number;
  readonly killed?: { host: string; pid: number; atItems: number };
}

/**
 * The sample orders: every tenth is invalid, so both outcomes of OrderFulfilment show up. Their totals stay
 * under the approval threshold, so none waits for a person.
 */
export function sampleOrder(i: number) {
  const orderId = `demo-${Date.now().toString(36)}-${i}`;
  const valid = i % 10 !== 9;
  return {
    orderId,
    expected: valid ? ['Invoice', 'Shipment'] : ['OrderRejected'],
    body: {
      orderId,
      customerId: `c-${i % 7}`,
      lines: [{ sku: `sku-${i % 13}`, qty: valid ? 1 + (i % 3) : 0, unitPrice: 9.99 }],
    },
  };
}

/**
 * Sends `count` orders, SIGKILLs one host instance while it has work items in flight, waits until every
 * orchestration ended, checks what reached the send queue against what each order should produce, and accounts for
 * every order it sent (core/conservation.ts).
 */
export async function runDemo(
  cluster: LocalCluster,
  count: number,
  log: (line: string) => void,
  timeoutMs = 180_000,
): Promise<DemoResult> {
  const d = cluster.describe();
  const sqs = sqsClient({ endpoint: d.endpoint });
  const dynamo = dynamoDbDocumentClient({ endpoint: d.endpoint });
  const orders = Array.from({ length: count }, (_, i) => sampleOrder(i));
  const expected = new Map(orders.map((o) => [o.orderId, o.expected]));
  const expectedMessages = orders.reduce((n, o) => n + o.expected.length, 0);

  // Kill a host instance mid-step, once the host instances took a quarter as many work items as there are orders (each
  // order takes one at least; its branch instances and its join usually run in the same invocation, eagerly). Counted
  // as the batches start, not from the host instances' stats, which come every half second: a run can be over by then.
  let killed: DemoResult['killed'];
  const victim = cluster.hosts[0]!;
  const threshold = Math.max(1, Math.floor(count / 4));
  let taken = 0;
  // The instances of the batch it dies with. Only a batch with an order's own step in it: that step takes the
  // pricing latency, so the kill lands mid-step; a batch of parallel branch steps (each a few milliseconds) is
  // often over before the signal lands, and there would be nothing to take over.
  let inFlight: readonly string[] = [];
  const stopWatching = cluster.onBusy((host, instanceIds) => {
    const total = taken;
    taken += instanceIds.length;
    if (killed || host !== victim || total < threshold || !instanceIds.some((id) => !id.includes('~'))) return;
    const pid = cluster.kill(host.name);
    if (pid !== undefined) {
      inFlight = instanceIds;
      killed = { host: host.name, pid, atItems: total };
      log(`demo: SIGKILL ${host.name} (pid ${pid}) with a batch in flight, after ${total} work items`);
    }
  });

  const sent = await sendMessages(
    sqs,
    d.receiveQueueUrl,
    orders.map((o) => ({ type: 'Order', body: o.body })),
  );
  // Orders correlate on orderId (a convoy): the instance id derives from it.
  const instanceIds = orders.map((o) => orderInstanceId(o.orderId));
  log(`demo: sent ${count} orders to ${d.receiveQueueUrl}`);

  const received = new Map<string, { messageId: string; type: string }[]>();
  const seenIds = new Set<string>();
  let redeliveries = 0;
  const deadline = Date.now() + timeoutMs;
  let ended = 0;
  let states: Item[] = [];
  for (;;) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: d.sendQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of batch.Messages ?? []) {
      const body = JSON.parse(m.Body ?? '{}') as { orderId?: string };
      const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
      if (!body.orderId || !expected.has(body.orderId)) continue; // not ours: left alone
      if (seenIds.has(messageId)) {
        redeliveries++;
        continue;
      }
      seenIds.add(messageId);
      const list = received.get(body.orderId) ?? [];
      list.push({ messageId, type: m.MessageAttributes?.MessageType?.StringValue ?? '?' });
      received.set(body.orderId, list);
    }
    const ours = (batch.Messages ?? []).filter((m) =>
      expected.has((JSON.parse(m.Body ?? '{}') as { orderId?: string }).orderId ?? ''),
    );
    if (ours.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: d.sendQueueUrl,
          Entries: ours.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    if ((batch.Messages ?? []).length === 0) {
      states = await loadStates(dynamo, d.tableName, instanceIds);
      ended = states.filter((s) => ['completed', 'suspended', 'terminated'].includes(s.status)).length;
      if (ended === count && [...received.values()].reduce((n, l) => n + l.length, 0) >= expectedMessages) break;
      if (ended === count) {
        // Everything ended: give straggling sends a few more empty polls, then stop.
        const quiet = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: d.sendQueueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: 2,
            VisibilityTimeout: 0,
          }),
        );
        if ((quiet.Messages ?? []).length === 0) break;
      }
      if (Date.now() > deadline) {
        log(`demo: gave up waiting after ${timeoutMs} ms: ${ended}/${count} ended`);
        break;
      }
    }
  }
  stopWatching();

  let lost = 0;
  let duplicates = 0;
  for (const [orderId, types] of expected) {
    const got = received.get(orderId) ?? [];
    // Lost: an expected message that never came. Duplicate: a second distinct message of a type, or one not expected.
    lost += types.filter((type) => !got.some((g) => g.type === type)).length;
    duplicates += got.length - new Set(got.filter((g) => types.includes(g.type)).map((g) => g.type)).size;
  }
  const completed = states.filter((s) => s.status === 'completed').length;
  // Failovers of the orders and of the branch instances the killed host instance had in flight.
  const branches = await loadStates(
    dynamo,
    d.tableName,
    inFlight.filter((id) => !instanceIds.includes(id)),
  );
  const failovers = [...states, ...branches].reduce((n, s) => n + fromItem(s).failovers, 0);
  // Every order, taken by its instance (its history says so), or kept as a suspended message: none without an end.
  await cluster.tracking?.caughtUp(60_000);
  const { unaccounted } = await judgeConservation(
    sent,
    { store: cluster.store, history: cluster.tracking ? cluster.history : undefined, registry: cluster.registry },
    {
      log: (line) => log(`demo: ${line}`),
      dynamo: { client: dynamo, tableName: d.tableName },
      ...(d.claimCheckBucket
        ? {
            claimCheck: {
              s3: s3Client({ endpoint: d.endpoint }),
              bucket: d.claimCheckBucket,
              dynamo,
              tableName: d.tableName,
            },
          }
        : {}),
    },
  );
  return { orchestrations: count, completed, lost, duplicates, redeliveries, failovers, unaccounted, killed };
}

/** The OrderFulfilment instance of an order (v2 and later: one instance per orderId). */
export function orderInstanceId(orderId: string): string {
  return convoyInstanceId('OrderFulfilment', 'order', orderId);
}

async function loadStates(
  dynamo: ReturnType<typeof dynamoDbDocumentClient>,
  table: string,
  instanceIds: string[],
): Promise<Item[]> {
  const states: Item[] = [];
  for (let i = 0; i < instanceIds.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = instanceIds
      .slice(i, i + 100)
      .map((id) => ({ pk: `I#${id}`, sk: 'STATE' }));
    while (keys && keys.length > 0) {
      const response: {
        Responses?: Record<string, Item[]>;
        UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
      } = await dynamo.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }));
      states.push(...(response.Responses?.[table] ?? []));
      keys = response.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return states;
}
