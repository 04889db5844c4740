import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../functions/adapters/aws-clients.ts';
import type { LocalCluster } from './cluster.ts';

/**
 * Instance counts for the status line. Running, waiting and suspended come from the status index;
 * completed ones are not indexed (they would make a hot, ever-growing index), so they are counted with a
 * Scan: fine for a local cluster, never for a hot path.
 */
export async function clusterCounts(cluster: LocalCluster): Promise<Record<string, number>> {
  const counts = await cluster.store.countByStatus();
  const client = dynamoDbDocumentClient({ endpoint: cluster.endpoint });
  let completed = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({
      TableName: cluster.resources.tableName,
      FilterExpression: '#s = :c',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':c': 'completed' },
      Select: 'COUNT',
      ExclusiveStartKey: start,
    }));
    completed += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { ...counts, completed };
}

export function statusLine(cluster: LocalCluster, counts: Record<string, number> | undefined): string {
  const hosts = cluster.hosts
    .map((h) => `${h.name} ${h.status === 'up' ? `pid ${h.pid}` : h.status} items=${h.workItems} completed=${h.completed} suspended=${h.suspended}${h.restarts ? ` restarts=${h.restarts}` : ''}`)
    .join(' | ');
  const c = counts
    ? `running=${c0(counts.running)} waiting=${c0(counts.waiting)} completed=${c0(counts.completed)} suspended=${c0(counts.suspended)} suspended-messages=${c0(counts.message)}`
    : 'counting…';
  return `${hosts} || instances ${c}`;
}

const c0 = (n: number | undefined) => n ?? 0;
