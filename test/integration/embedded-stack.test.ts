import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedStack } from '../../local/embedded-stack.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

type Iterator = { close(): Promise<void> };
type Store = { prototype: Record<string, unknown> };

/**
 * Every LevelDB iterator the embedded DynamoDB opens, still open or not: the stores dynalite reads through are
 * watched where they make iterators (`_iterator`, and `_keys` and `_values` where a store makes those itself),
 * and each iterator leaves the set when it closes.
 */
function watchIterators(): { open: Set<Iterator>; opened: () => number; stop(): void } {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const stores = [
    (createRequire(fromDynalite.resolve('level'))('classic-level') as { ClassicLevel: Store }).ClassicLevel,
    (fromDynalite('memory-level') as { MemoryLevel: Store }).MemoryLevel,
  ];
  const open = new Set<Iterator>();
  let opened = 0;
  const restore: (() => void)[] = [];
  for (const store of stores) {
    for (const make of ['_iterator', '_keys', '_values']) {
      if (!Object.hasOwn(store.prototype, make)) continue;
      const original = store.prototype[make] as (this: unknown, options: unknown) => Iterator;
      store.prototype[make] = function (this: unknown, options: unknown) {
        const iterator = original.call(this, options);
        opened++;
        open.add(iterator);
        const close = iterator.close.bind(iterator);
        iterator.close = () => close().finally(() => open.delete(iterator));
        return iterator;
      };
      restore.push(() => { store.prototype[make] = original; });
    }
  }
  return { open, opened: () => opened, stop: () => restore.forEach((undo) => undo()) };
}

describe('the embedded DynamoDB (dynalite)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  // What grew `npm start` by tens of MB a minute, for good: each read kept LevelDB's memtable of its moment alive.
  it.each([['on disk', true], ['in memory', false]])('releases the LevelDB iterator of every Query and Scan once it is read (%s)', async (_, onDisk) => {
    const iterators = watchIterators();
    const dataDir = onDisk ? mkdtempSync(join(tmpdir(), 'baton-iterators-')) : undefined;
    if (dataDir) dirs.push(dataDir);
    const stack = await startEmbeddedStack({ port: 0, dataDir });
    try {
      const raw = new DynamoDBClient({ endpoint: stack.endpoint });
      const db = DynamoDBDocumentClient.from(raw);
      await raw.send(new CreateTableCommand({
        TableName: 'iterators',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }));
      for (let batch = 0; batch < 4; batch++) {
        await db.send(new BatchWriteCommand({ RequestItems: { iterators: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: 'p', sk: `${batch}-${String(i).padStart(2, '0')}`, pad: 'x'.repeat(100) } } })) } }));
      }
      const before = iterators.opened();
      // Reads that run to the end, that stop at a Limit, and that page through.
      await db.send(new QueryCommand({ TableName: 'iterators', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' } }));
      await db.send(new QueryCommand({ TableName: 'iterators', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' }, Limit: 5 }));
      await db.send(new ScanCommand({ TableName: 'iterators', Limit: 7 }));
      let startKey: Record<string, unknown> | undefined;
      let pages = 0;
      do {
        const page = await db.send(new ScanCommand({ TableName: 'iterators', Limit: 30, ExclusiveStartKey: startKey }));
        startKey = page.LastEvaluatedKey;
        pages++;
      } while (startKey);
      expect(pages).toBeGreaterThan(3);
      expect(iterators.opened() - before).toBeGreaterThanOrEqual(3 + pages);
      // A close is asynchronous; give the last ones a moment.
      await expect.poll(() => iterators.open.size, { timeout: 2_000 }).toBe(0);
    } finally {
      iterators.stop();
      await stack.stop();
    }
  });
});
