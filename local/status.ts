import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../functions/adapters/aws-clients.ts';
import type { LocalCluster } from './cluster.ts';

/** Instances by status, orchestrations and their parallel branch instances apart, and suspended messages. */
export interface ClusterCounts {
  readonly orchestrations: Record<string, number>;
  readonly branches: Record<string, number>;
  readonly suspendedMessages: number;
}

/**
 * Counts for the status line. Completed instances are not in the status index (they would make a hot,
 * ever-growing index), so this scans the instance items' keys and status: fine for a local cluster, never
 * for a hot path. A branch instance's id is `<instance>~<fork>~<branch>` (see ids.ts).
 */
export async function clusterCounts(cluster: LocalCluster): Promise<ClusterCounts> {
  const client = dynamoDbDocumentClient({ endpoint: cluster.endpoint });
  const orchestrations: Record<string, number> = {};
  const branches: Record<string, number> = {};
  let suspendedMessages = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({
      TableName: cluster.resources.tableName,
      ProjectionExpression: 'pk, sk, #s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      if (item.sk === 'SUSPENDED') suspendedMessages++;
      if (item.sk !== 'STATE') continue;
      const counts = String(item.pk).includes('~') ? branches : orchestrations;
      counts[item.status] = (counts[item.status] ?? 0) + 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { orchestrations, branches, suspendedMessages };
}

export function statusLine(cluster: LocalCluster, counts: ClusterCounts | undefined): string {
  const hosts = cluster.hosts
    .map((h) => `${h.name} ${h.status === 'up' ? `pid ${h.pid}` : h.status} items=${h.workItems} completed=${h.completed} suspended=${h.suspended}${h.restarts ? ` restarts=${h.restarts}` : ''}`)
    .join(' | ');
  if (!counts) return `${hosts} || counting…`;
  const o = counts.orchestrations;
  const b = counts.branches;
  return `${hosts} || orchestrations running=${n(o.running)} waiting=${n(o.waiting)} completed=${n(o.completed)} suspended=${n(o.suspended)} terminated=${n(o.terminated)}` +
    ` | branches running=${n(b.running) + n(b.waiting)} completed=${n(b.completed)} suspended=${n(b.suspended)} | suspended-messages=${counts.suspendedMessages}`;
}

const n = (count: number | undefined) => count ?? 0;
