import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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
      restore.push(() => {
        store.prototype[make] = original;
      });
    }
  }
  return { open, opened: () => opened, stop: () => restore.forEach((undo) => undo()) };
}

describe("the embedded DynamoDB's data folder (dynalite)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  // What grew `npm start` by tens of MB a minute, for good: each read kept LevelDB's memtable of its moment alive.
  // (In memory the embedded tables serve DynamoDB, with no LevelDB.)
  it.each([['on disk', true]])(
    'releases the LevelDB iterator of every Query and Scan once it is read (%s)',
    async (_, onDisk) => {
      const iterators = watchIterators();
      const dataDir = onDisk ? mkdtempSync(join(tmpdir(), 'baton-iterators-')) : undefined;
      if (dataDir) dirs.push(dataDir);
      // A data folder an earlier version kept with dynalite stays dynalite's.
      const stack = await startEmbeddedStack({ port: 0, dataDir, dynamodbEngine: 'dynalite' });
      try {
        const raw = new DynamoDBClient({ endpoint: stack.endpoint });
        const db = DynamoDBDocumentClient.from(raw);
        await raw.send(
          new CreateTableCommand({
            TableName: 'iterators',
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
          }),
        );
        for (let batch = 0; batch < 4; batch++) {
          await db.send(
            new BatchWriteCommand({
              RequestItems: {
                iterators: Array.from({ length: 25 }, (_, i) => ({
                  PutRequest: { Item: { pk: 'p', sk: `${batch}-${String(i).padStart(2, '0')}`, pad: 'x'.repeat(100) } },
                })),
              },
            }),
          );
        }
        const before = iterators.opened();
        // Reads that run to the end, that stop at a Limit, and that page through.
        await db.send(
          new QueryCommand({
            TableName: 'iterators',
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': 'p' },
          }),
        );
        await db.send(
          new QueryCommand({
            TableName: 'iterators',
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': 'p' },
            Limit: 5,
          }),
        );
        await db.send(new ScanCommand({ TableName: 'iterators', Limit: 7 }));
        let startKey: Record<string, unknown> | undefined;
        let pages = 0;
        do {
          const page = await db.send(
            new ScanCommand({ TableName: 'iterators', Limit: 30, ExclusiveStartKey: startKey }),
          );
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
    },
  );
});

describe('DynamoDB Streams on the embedded stack (dynalite has none: the endpoint keeps them)', () => {
  const table = {
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
  };

  async function recordsOf(streams: DynamoDBStreamsClient, streamArn: string) {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardId = StreamDescription!.Shards![0]!.ShardId!;
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const records = [];
    for (;;) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 2 }));
      records.push(...(page.Records ?? []));
      if (!page.Records?.length) return records;
      ShardIterator = page.NextShardIterator;
    }
  }

  it('records each item change with its old and new image, in order, and only changes that happened', async () => {
    const stack = await startEmbeddedStack({ port: 0 });
    try {
      const raw = new DynamoDBClient({ endpoint: stack.endpoint });
      const db = DynamoDBDocumentClient.from(raw);
      const streams = new DynamoDBStreamsClient({ endpoint: stack.endpoint });
      const created = await raw.send(
        new CreateTableCommand({
          TableName: 'streamed',
          ...table,
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      const streamArn = created.TableDescription!.LatestStreamArn!;
      expect(streamArn).toMatch(/:table\/streamed\/stream\//);
      expect((await raw.send(new DescribeTableCommand({ TableName: 'streamed' }))).Table!.LatestStreamArn).toBe(
        streamArn,
      );
      expect(
        (await streams.send(new ListStreamsCommand({ TableName: 'streamed' }))).Streams!.map((s) => s.StreamArn),
      ).toEqual([streamArn]);

      await db.send(new PutCommand({ TableName: 'streamed', Item: { pk: 'a', sk: '1', n: 1 } }));
      // The caller gets what it asked for, whatever the endpoint asked dynalite for to see the images.
      const updated = await db.send(
        new UpdateCommand({
          TableName: 'streamed',
          Key: { pk: 'a', sk: '1' },
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      expect(updated.Attributes).toEqual({ n: 2 });
      const plain = await db.send(
        new UpdateCommand({
          TableName: 'streamed',
          Key: { pk: 'a', sk: '1' },
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
      expect(plain.Attributes).toBeUndefined();
      // A write whose condition fails changes nothing, and one that sets what is there changes nothing either.
      await expect(
        db.send(
          new UpdateCommand({
            TableName: 'streamed',
            Key: { pk: 'a', sk: '1' },
            UpdateExpression: 'SET n = :x',
            ConditionExpression: 'n = :never',
            ExpressionAttributeValues: { ':x': 9, ':never': 0 },
          }),
        ),
      ).rejects.toThrow(/conditional/i);
      await db.send(
        new UpdateCommand({
          TableName: 'streamed',
          Key: { pk: 'a', sk: '1' },
          UpdateExpression: 'SET n = :same',
          ExpressionAttributeValues: { ':same': 3 },
        }),
      );
      const deleted = await db.send(
        new DeleteCommand({ TableName: 'streamed', Key: { pk: 'a', sk: '1' }, ReturnValues: 'ALL_OLD' }),
      );
      expect(deleted.Attributes).toEqual({ pk: 'a', sk: '1', n: 3 });

      const records = await recordsOf(streams, streamArn);
      expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'REMOVE']);
      const n = (image?: Record<string, { N?: string }>) => image?.n?.N;
      expect(records.map((r) => [n(r.dynamodb!.OldImage as never), n(r.dynamodb!.NewImage as never)])).toEqual([
        [undefined, '1'],
        ['1', '2'],
        ['2', '3'],
        ['3', undefined],
      ]);
      expect(records.filter((r) => !(r.dynamodb!.Keys!.pk!.S === 'a'))).toEqual([]);
      const sequence = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));

      // A table without a stream is left alone; a stream turned on later records from then on.
      await raw.send(new CreateTableCommand({ TableName: 'plain', ...table }));
      await db.send(new PutCommand({ TableName: 'plain', Item: { pk: 'b', sk: '1' } }));
      const enabled = await raw.send(
        new UpdateTableCommand({
          TableName: 'plain',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      await db.send(new PutCommand({ TableName: 'plain', Item: { pk: 'b', sk: '2' } }));
      const later = await recordsOf(streams, enabled.TableDescription!.LatestStreamArn!);
      expect(later.map((r) => r.dynamodb!.Keys!.sk!.S)).toEqual(['2']);
    } finally {
      await stack.stop();
    }
  });

  it("keeps one item's changes in the order they happened when writers race on it", async () => {
    const stack = await startEmbeddedStack({ port: 0 });
    try {
      const raw = new DynamoDBClient({ endpoint: stack.endpoint });
      const db = DynamoDBDocumentClient.from(raw);
      const created = await raw.send(
        new CreateTableCommand({
          TableName: 'raced',
          ...table,
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      await db.send(new PutCommand({ TableName: 'raced', Item: { pk: 'x', sk: 's', n: 0 } }));
      await Promise.all(
        Array.from({ length: 40 }, () =>
          db.send(
            new UpdateCommand({
              TableName: 'raced',
              Key: { pk: 'x', sk: 's' },
              UpdateExpression: 'SET n = n + :one',
              ExpressionAttributeValues: { ':one': 1 },
            }),
          ),
        ),
      );
      const records = await recordsOf(
        new DynamoDBStreamsClient({ endpoint: stack.endpoint }),
        created.TableDescription!.LatestStreamArn!,
      );
      // Each change starts from the image the one before it left: no two writes saw the same old image.
      const steps = records
        .slice(1)
        .map((r) => [
          Number((r.dynamodb!.OldImage as { n: { N: string } }).n.N),
          Number((r.dynamodb!.NewImage as { n: { N: string } }).n.N),
        ]);
      expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => [i, i + 1]));
    } finally {
      await stack.stop();
    }
  });
});
