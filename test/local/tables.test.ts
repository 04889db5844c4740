import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbService } from '../../local/in-process/dynamodb-service.ts';

/**
 * The embedded tables (local/tables/) against dynalite, the emulator they replace in memory: the same requests, the
 * same answers, where dynalite is right. Where DynamoDB and dynalite differ, the tables follow DynamoDB, and the test
 * says so. The expressions have tests of their own (table-expressions.test.ts); the MessageBox contract
 * (test/contract/) holds both to what the engine needs.
 */
// biome-ignore lint/suspicious/noExplicitAny: JSON protocol bodies
type Body = Record<string, any>;

const TABLE = {
  TableName: 'things',
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gpk', AttributeType: 'S' },
    { AttributeName: 'gsk', AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byG',
      KeySchema: [
        { AttributeName: 'gpk', KeyType: 'HASH' },
        { AttributeName: 'gsk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
    },
  ],
};

const item = (sk: string, extra: Body = {}): Body => ({ pk: { S: 'p' }, sk: { S: sk }, ...extra });

/** Requests in order, each answered by both; `only` marks what is compared (the whole answer by default). */
const steps: { name: string; action: string; input: Body; pick?: (body: Body) => unknown }[] = [
  { name: 'put', action: 'PutItem', input: { TableName: 'things', Item: item('a', { n: { N: '1' } }) } },
  {
    name: 'put if absent, present',
    action: 'PutItem',
    input: { TableName: 'things', Item: item('a'), ConditionExpression: 'attribute_not_exists(pk)' },
  },
  {
    name: 'update with a condition that holds',
    action: 'UpdateItem',
    input: {
      TableName: 'things',
      Key: item('a'),
      UpdateExpression: 'SET n = n + :one, #t = :t ADD c :one',
      ConditionExpression: 'n = :n',
      ExpressionAttributeNames: { '#t': 'tag' },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':n': { N: '1' }, ':t': { S: 'x' } },
      ReturnValues: 'ALL_NEW',
    },
  },
  {
    name: 'update of a key attribute',
    action: 'UpdateItem',
    input: {
      TableName: 'things',
      Key: item('a'),
      UpdateExpression: 'SET sk = :s',
      ExpressionAttributeValues: { ':s': { S: 'b' } },
    },
  },
  {
    name: 'a value given and not used',
    action: 'UpdateItem',
    input: {
      TableName: 'things',
      Key: item('a'),
      UpdateExpression: 'SET n = :n',
      ExpressionAttributeValues: { ':n': { N: '5' }, ':unused': { N: '1' } },
    },
  },
  { name: 'get', action: 'GetItem', input: { TableName: 'things', Key: item('a'), ConsistentRead: true } },
  {
    name: 'get projected',
    action: 'GetItem',
    input: {
      TableName: 'things',
      Key: item('a'),
      ProjectionExpression: 'n, #t',
      ExpressionAttributeNames: { '#t': 'tag' },
    },
  },
  ...['b', 'c', 'd', 'e'].map((sk, i) => ({
    name: `put ${sk} in the index`,
    action: 'PutItem',
    input: {
      TableName: 'things',
      Item: item(sk, { gpk: { S: 'g' }, gsk: { N: String(10 - i) }, note: { S: sk }, other: { S: 'not projected' } }),
    },
  })),
  {
    name: 'query a range, backwards, a page at a time',
    action: 'Query',
    input: {
      TableName: 'things',
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :d',
      ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { S: 'a' }, ':d': { S: 'd' } },
      ScanIndexForward: false,
      Limit: 2,
    },
  },
  {
    name: 'query the index: only items with its keys, projected, in its order',
    action: 'Query',
    input: {
      TableName: 'things',
      IndexName: 'byG',
      KeyConditionExpression: 'gpk = :g AND gsk > :low',
      ExpressionAttributeValues: { ':g': { S: 'g' }, ':low': { N: '7' } },
    },
  },
  {
    name: 'count with a filter',
    action: 'Query',
    input: {
      TableName: 'things',
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :pre)',
      FilterExpression: 'attribute_exists(note)',
      ExpressionAttributeValues: { ':p': { S: 'p' }, ':pre': { S: '' } },
      Select: 'COUNT',
    },
    // An empty prefix is refused by both; the count is compared in the next step.
  },
  {
    name: 'count with a filter, any sort key',
    action: 'Query',
    input: {
      TableName: 'things',
      KeyConditionExpression: 'pk = :p',
      FilterExpression: 'attribute_exists(note)',
      ExpressionAttributeValues: { ':p': { S: 'p' } },
      Select: 'COUNT',
    },
  },
  {
    name: 'a batch of 26 writes',
    action: 'BatchWriteItem',
    input: {
      RequestItems: {
        things: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: item(`z${i}`) } })),
      },
    },
    pick: (body) => body.__type?.split('#')[1],
  },
  {
    name: 'a batch that deletes',
    action: 'BatchWriteItem',
    input: { RequestItems: { things: [{ DeleteRequest: { Key: item('e') } }, { PutRequest: { Item: item('f') } }] } },
  },
  {
    name: 'delete if it has no note, returning it',
    action: 'DeleteItem',
    input: {
      TableName: 'things',
      Key: item('f'),
      ConditionExpression: 'attribute_not_exists(note)',
      ReturnValues: 'ALL_OLD',
    },
  },
  {
    name: 'an item over 400 KB',
    action: 'PutItem',
    input: { TableName: 'things', Item: item('big', { blob: { S: 'x'.repeat(410 * 1024) } }) },
    pick: (body) => body.__type?.split('#')[1],
  },
  {
    name: 'a key of the wrong type',
    action: 'GetItem',
    input: { TableName: 'things', Key: { pk: { N: '1' }, sk: { S: 'a' } } },
  },
  { name: 'no such table', action: 'GetItem', input: { TableName: 'nothing', Key: item('a') } },
  { name: 'scan it all', action: 'Scan', input: { TableName: 'things' } },
];

/** What two engines may differ in without either being wrong: the capacity dynalite leaves out, message casing. */
function comparable(body: Body): Body {
  const { ConsumedCapacity: _c, ...rest } = body;
  if (rest.__type) return { __type: String(rest.__type).split('#')[1] };
  return rest;
}

describe('the embedded tables, beside dynalite', () => {
  let tables: DynamoDbService;
  let dynalite: DynamoDbService;
  beforeAll(async () => {
    tables = await DynamoDbService.start({ engine: 'tables' });
    dynalite = await DynamoDbService.start({ engine: 'dynalite' });
    for (const db of [tables, dynalite]) expect((await db.dispatch('CreateTable', TABLE)).status).toBe(200);
    // dynalite makes a table active on a timer, even at 0 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(async () => {
    await tables?.stop();
    await dynalite?.stop();
  });

  it('answers every request as dynalite does', async () => {
    for (const step of steps) {
      const [mine, theirs] = await Promise.all([
        tables.dispatch(step.action, structuredClone(step.input)),
        dynalite.dispatch(step.action, structuredClone(step.input)),
      ]);
      const pick = step.pick ?? comparable;
      expect({ step: step.name, status: mine.status, body: pick(mine.body) }).toEqual({
        step: step.name,
        status: theirs.status,
        body: pick(theirs.body),
      });
    }
  });

  it('says, as DynamoDB does and dynalite does not, what a write that lost collided with', async () => {
    const input = {
      TableName: 'things',
      Item: item('a'),
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
    const answer = await tables.dispatch('PutItem', input);
    expect(answer.status).toBe(400);
    expect(answer.body.Item).toMatchObject({ pk: { S: 'p' }, sk: { S: 'a' }, n: { N: '2' } });
    expect((await dynalite.dispatch('PutItem', input)).body.Item).toBeUndefined();
  });

  it('reports the write units of the larger of the item before and after, a unit a KB', async () => {
    const write = (blob: number) =>
      tables.dispatch('PutItem', {
        TableName: 'things',
        Item: item('units', { blob: { S: 'x'.repeat(blob) } }),
        ReturnConsumedCapacity: 'TOTAL',
      });
    expect((await write(100)).body.ConsumedCapacity).toEqual({ TableName: 'things', CapacityUnits: 1 });
    expect((await write(2_500)).body.ConsumedCapacity.CapacityUnits).toBe(3);
    // Smaller now, but the item it replaced took three.
    expect((await write(100)).body.ConsumedCapacity.CapacityUnits).toBe(3);
  });

  it('hands the stream each write with its old and new images, batched writes included', async () => {
    const changes: [string, unknown, unknown][] = [];
    const probe = await DynamoDbService.start({ engine: 'tables' });
    try {
      await probe.dispatch('CreateTable', {
        ...TABLE,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
      const record = probe.feed.record.bind(probe.feed);
      probe.feed.record = (table, oldImage, newImage) => {
        changes.push([table, oldImage, newImage]);
        record(table, oldImage, newImage);
      };
      await probe.dispatch('PutItem', { TableName: 'things', Item: item('s', { v: { N: '1' } }) });
      await probe.dispatch('BatchWriteItem', {
        RequestItems: { things: [{ PutRequest: { Item: item('s', { v: { N: '2' } }) } }] },
      });
      await probe.dispatch('DeleteItem', { TableName: 'things', Key: item('s') });
      expect(changes.map(([, o, n]) => [(o as Body)?.v?.N, (n as Body)?.v?.N])).toEqual([
        [undefined, '1'],
        ['1', '2'],
        ['2', undefined],
      ]);
    } finally {
      await probe.stop();
    }
  });
});

describe('the embedded tables kept in a folder', () => {
  it('come back after a restart as they stood: tables, indexes, streams and items, a deletion gone, a cut last line left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-tables-'));
    try {
      const first = await DynamoDbService.start({ path: dir });
      expect(first.engine).toBe('tables');
      await first.dispatch('CreateTable', {
        ...TABLE,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
      for (const sk of ['a', 'b', 'c'])
        await first.dispatch('PutItem', {
          TableName: 'things',
          Item: item(sk, { gpk: { S: 'g' }, gsk: { N: '1' }, note: { S: sk } }),
        });
      await first.dispatch('UpdateItem', {
        TableName: 'things',
        Key: item('a'),
        UpdateExpression: 'SET note = :n',
        ExpressionAttributeValues: { ':n': { S: 'changed' } },
      });
      await first.dispatch('DeleteItem', { TableName: 'things', Key: item('b') });
      await first.stop();
      // A kill in the middle of a write leaves its line cut short.
      appendFileSync(join(dir, 'tables.jsonl'), '{"t":"things","i":{"pk":{"S":"p"},"sk":');

      const said: string[] = [];
      const second = await DynamoDbService.start({ path: dir, log: (line) => said.push(line) });
      try {
        expect(said.join('\n')).toContain('cut short');
        const all = await second.dispatch('Query', {
          TableName: 'things',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'p' } },
        });
        expect(all.body.Items.map((i: Body) => [i.sk.S, i.note.S])).toEqual([
          ['a', 'changed'],
          ['c', 'c'],
        ]);
        const indexed = await second.dispatch('Query', {
          TableName: 'things',
          IndexName: 'byG',
          KeyConditionExpression: 'gpk = :g',
          ExpressionAttributeValues: { ':g': { S: 'g' } },
        });
        expect(indexed.body.Count).toBe(2);
        expect(
          (await second.dispatch('DescribeTable', { TableName: 'things' })).body.Table.LatestStreamArn,
        ).toBeDefined();
        // Read back, the file was rewritten as it stands: one line for the table, one per item.
        expect(readFileSync(join(dir, 'tables.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
