import { paginateQuery, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { InstanceStatus } from '../../core/instance.ts';
import { MESSAGEBOX } from '../../settings.ts';
import type { Item } from '../item.ts';
import type { MessageBoxTable } from './table.ts';

/**
 * The status index (`gsi1pk` = `STATUS#<status>#<shard>`, sparse, sorted by creation): waiting and suspended instances,
 * and suspended messages under `message`. It projects keys only, so its writes stay cheap; a listing reads the items.
 */

/** Pages of the status index for one status, shard after shard (or one shard): all of them unless the reader stops. */
export async function* statusPages(
  table: MessageBoxTable,
  status: string,
  options: { readonly count?: boolean; readonly pageSize?: number; readonly shard?: number } = {},
): AsyncGenerator<QueryCommandOutput> {
  const shards = options.shard === undefined ? [...Array(MESSAGEBOX.statusShards).keys()] : [options.shard];
  for (const shard of shards) {
    yield* paginateQuery(
      { client: table.client, ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }) },
      {
        TableName: table.name,
        IndexName: MESSAGEBOX.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `STATUS#${status}#${shard}` },
        ...(options.count ? { Select: 'COUNT' as const } : {}),
      },
    );
  }
}

/**
 * The items in a status, at most `limit`: each shard gets its own share, so a crowded first shard cannot hide the
 * others. Read whole (claim-checked values back in place) unless `whole` is false.
 */
export async function inStatus(table: MessageBoxTable, status: string, limit: number, whole = true): Promise<Item[]> {
  const entries: Item[] = [];
  const perShard = Math.max(1, Math.ceil(limit / MESSAGEBOX.statusShards));
  for (let shard = 0; shard < MESSAGEBOX.statusShards; shard++) {
    const fromShard: Item[] = [];
    for await (const page of statusPages(table, status, { pageSize: perShard, shard })) {
      fromShard.push(...(page.Items ?? []));
      if (fromShard.length >= perShard) break;
    }
    entries.push(...fromShard.slice(0, perShard));
  }
  const wanted = status === 'message' ? InstanceStatus.Suspended : status;
  return (await table.fetch(entries, whole)).filter((item) => item.status === wanted);
}
