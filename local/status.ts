import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../functions/adapters/aws-clients.ts';
import { MESSAGEBOX } from '../functions/settings.ts';
import type { LocalCluster } from './cluster.ts';

/** Instances that are not finished, by status, orchestrations and their parallel branch instances apart, and suspended messages. */
export interface ClusterCounts {
  readonly orchestrations: Record<string, number>;
  readonly branches: Record<string, number>;
  readonly suspendedMessages: number;
}

/** The statuses the status index holds (see DynamoDbInstanceStore): what is not finished. */
const ACTIVE = ['running', 'waiting', 'suspended'] as const;

/**
 * Counts for the status line, from the sparse status index only: the instances that are not finished, and the
 * suspended messages. Finished instances are not counted live. That would scan the whole table every second, and
 * the emulator leaves each paged read's LevelDB iterator open: a scan a second grew the `npm start` process by
 * about 1 MB/s with 6,000 instances on disk, idle (`npm run soak` watches for it). Completions are counted by the
 * host instances instead (see statusLine). A branch instance's id is `<instance>~<fork>~<branch>` (see ids.ts).
 */
export async function clusterCounts(cluster: LocalCluster): Promise<ClusterCounts> {
  const client = clientFor(cluster);
  const orchestrations: Record<string, number> = {};
  const branches: Record<string, number> = {};
  let suspendedMessages = 0;
  for (const status of [...ACTIVE, 'message']) {
    for (let shard = 0; shard < MESSAGEBOX.statusShards; shard++) {
      // No page size: each read runs to the end of its key range, which is what closes the emulator's iterator.
      const pages = paginateQuery(
        { client },
        {
          TableName: cluster.resources.tableName,
          IndexName: MESSAGEBOX.statusIndex.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': MESSAGEBOX.statusIndex.partitionKey },
          ExpressionAttributeValues: { ':pk': `STATUS#${status}#${shard}` },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          if (status === 'message') suspendedMessages++;
          else {
            const counts = String(item.pk).includes('~') ? branches : orchestrations;
            counts[status] = (counts[status] ?? 0) + 1;
          }
        }
      }
    }
  }
  return { orchestrations, branches, suspendedMessages };
}

// One client per cluster, not one per refresh: a client keeps its connections open until they time out.
const clients = new WeakMap<LocalCluster, ReturnType<typeof dynamoDbDocumentClient>>();
function clientFor(cluster: LocalCluster): ReturnType<typeof dynamoDbDocumentClient> {
  let client = clients.get(cluster);
  if (!client) clients.set(cluster, (client = dynamoDbDocumentClient({ endpoint: cluster.endpoint })));
  return client;
}

export function statusLine(cluster: LocalCluster, counts: ClusterCounts | undefined): string {
  const hosts = cluster.hosts
    .map(
      (h) =>
        `${h.name} ${h.status === 'up' ? (h.pid === undefined ? 'up' : `pid ${h.pid}`) : h.status} items=${h.workItems} completed=${h.completed} suspended=${h.suspended}${h.restarts ? ` restarts=${h.restarts}` : ''}`,
    )
    .join(' | ');
  const completed = cluster.hosts.reduce((sum, h) => sum + h.completed, 0);
  if (!counts) return `${hosts} || counting…`;
  const o = counts.orchestrations;
  const b = counts.branches;
  return (
    `${hosts} || completed since start=${completed} || MessageBox: orchestrations running=${n(o.running)} waiting=${n(o.waiting)} suspended=${n(o.suspended)}` +
    ` | branches running=${n(b.running) + n(b.waiting)} suspended=${n(b.suspended)} | suspended-messages=${counts.suspendedMessages}`
  );
}

const n = (count: number | undefined) => count ?? 0;
