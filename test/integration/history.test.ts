import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbHistory } from '../../functions/adapters/DynamoDbHistory.ts';
import { TrackedKind } from '../../functions/core/tracking.ts';
import { historyTableDefinition } from '../../local/provision.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe('the history table (DynamoDbHistory)', () => {
  let stack: EmbeddedStack;
  let history: DynamoDbHistory;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ port: 0 });
    await new DynamoDBClient({ endpoint: stack.endpoint }).send(
      new CreateTableCommand(historyTableDefinition('history')),
    );
    history = new DynamoDbHistory(dynamoDbDocumentClient({ endpoint: stack.endpoint }), 'history');
  });
  afterAll(async () => stack?.stop());

  it('pages a long history in time order rather than loading it whole, however long it grows', async () => {
    for (let i = 0; i < 250; i += 50) {
      await history.record(
        {
          events: Array.from({ length: 50 }, (_, n) => ({
            subject: 'i-long',
            at: 1_000 + i + n,
            kind: TrackedKind.Persisted,
            shape: `s${i + n}`,
          })),
          links: [],
        },
        String(1_000 + i),
      );
    }
    const pages = [];
    let after: string | undefined;
    do {
      const page = await history.history('i-long', { limit: 100, after });
      pages.push(page.events.length);
      after = page.next;
    } while (after);
    expect(pages.slice(0, 3)).toEqual([100, 100, 50]);
    const all = (await history.history('i-long', { limit: 1_000 })).events;
    expect(all.map((e) => e.at)).toEqual(Array.from({ length: 250 }, (_, i) => 1_000 + i));
    // Its newest events in one read, newest first (what the console's host instances are read from).
    const newest = await history.history('i-long', { limit: 3, newestFirst: true });
    expect(newest.events.map((e) => e.at)).toEqual([1_249, 1_248, 1_247]);
    expect(
      (await history.history('i-long', { limit: 3, newestFirst: true, after: newest.next })).events.map((e) => e.at),
    ).toEqual([1_246, 1_245, 1_244]);
    expect((await history.history('i-none', { limit: 3, newestFirst: true })).events).toEqual([]);
  });

  it('writes the same items when a change is tracked again (a retried stream batch), and links keys to subjects once', async () => {
    const tracked = {
      events: [{ subject: 'i-1', at: 5, kind: TrackedKind.Activated, messageId: 'm-1' }],
      links: [
        { key: 'value:o-1', subject: 'i-1', at: 5 },
        { key: 'message:m-1', subject: 'i-1', at: 5 },
        { key: 'message:m-1', subject: 'i-1', at: 5 },
      ],
    };
    await history.record(tracked, '000123');
    await history.record(tracked, '000123');
    expect((await history.history('i-1')).events).toEqual([
      { subject: 'i-1', at: 5, kind: 'activated', messageId: 'm-1' },
    ]);
    expect(await history.linked('value:o-1')).toEqual(['i-1']);
    expect(await history.linked('value:o-unknown')).toEqual([]);
    expect([await history.countLinked('message:m-1'), await history.countLinked('value:o-unknown')]).toEqual([1, 0]);
  });

  it('keeps the events one change brought to one subject in one item (a write unit a change, not one an event), and reads them with the items versions before wrote one an event', async () => {
    const raw = dynamoDbDocumentClient({ endpoint: stack.endpoint });
    const items = async (subject: string) =>
      (
        await raw.send(
          new QueryCommand({
            TableName: 'history',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `H#${subject}` },
          }),
        )
      ).Items ?? [];
    // Before the upgrade: one item an event, under <sequence>#<n>.
    for (const [n, kind] of [TrackedKind.Activated, TrackedKind.Received].entries()) {
      await raw.send(
        new PutCommand({
          TableName: 'history',
          Item: {
            pk: 'H#i-mixed',
            sk: `${'7'.padStart(40, '0')}#${String(n).padStart(3, '0')}`,
            subject: 'i-mixed',
            at: 10 + n,
            kind,
            ttl: 2_000_000_000,
          },
        }),
      );
    }
    // A persistence point: four events for the instance, one for its branch, in one change.
    const at = 20;
    await history.record(
      {
        events: [
          { subject: 'i-mixed', at, kind: TrackedKind.Persisted, shape: 'b' },
          { subject: 'i-mixed', at, kind: TrackedKind.Sent, messageId: 'm-2', port: 'send' },
          { subject: 'i-mixed~1~b', at, kind: TrackedKind.Activated },
          { subject: 'i-mixed', at, kind: TrackedKind.Forked, related: 'i-mixed~1~b' },
          { subject: 'i-mixed', at, kind: TrackedKind.Waiting, detail: 'a message at r' },
        ],
        links: [],
      },
      '8',
    );
    expect((await items('i-mixed')).map((i) => i.sk)).toEqual([
      `${'7'.padStart(40, '0')}#000`,
      `${'7'.padStart(40, '0')}#001`,
      `${'8'.padStart(40, '0')}~000`,
    ]);
    expect(await items('i-mixed~1~b')).toHaveLength(1);
    const kinds = ['activated', 'received', 'persisted', 'sent', 'forked', 'waiting'];
    expect((await history.history('i-mixed')).events.map((e) => [e.subject, e.kind])).toEqual(
      kinds.map((k) => ['i-mixed', k]),
    );
    expect((await history.history('i-mixed')).events[3]).toEqual({
      subject: 'i-mixed',
      at,
      kind: 'sent',
      messageId: 'm-2',
      port: 'send',
    });
    // Pages of two, either way, across both layouts and inside an item.
    for (const newestFirst of [false, true]) {
      const read: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await history.history('i-mixed', { limit: 2, after, newestFirst });
        read.push(...page.events.map((e) => e.kind));
        after = page.next;
        pages++;
      } while (after);
      expect(read).toEqual(newestFirst ? [...kinds].reverse() : kinds);
      expect(pages).toBe(3);
    }
    // A page cursor of the version before (the key of the one-event item it ended on) goes on from there.
    const old = Buffer.from(`${'7'.padStart(40, '0')}#000`).toString('base64url');
    expect((await history.history('i-mixed', { after: old })).events.map((e) => e.kind)).toEqual(kinds.slice(1));
    // The same change tracked by both layouts (a batch retried across the upgrade): read once.
    await raw.send(
      new PutCommand({
        TableName: 'history',
        Item: {
          pk: 'H#i-mixed',
          sk: `${'8'.padStart(40, '0')}#000`,
          subject: 'i-mixed',
          at,
          kind: TrackedKind.Persisted,
          shape: 'b',
          ttl: 2_000_000_000,
        },
      }),
    );
    for (const newestFirst of [false, true])
      expect((await history.history('i-mixed', { newestFirst })).events.map((e) => e.kind)).toEqual(
        newestFirst ? [...kinds].reverse() : kinds,
      );
  });

  it('cuts a change with very many events for one subject into items of a bounded size, read back whole and in order', async () => {
    const detail = 'x'.repeat(1_000);
    await history.record(
      {
        events: Array.from({ length: 100 }, (_, n) => ({
          subject: 'i-wide',
          at: n,
          kind: TrackedKind.Sent,
          messageId: `m-${n}`,
          detail,
        })),
        links: [],
      },
      '9',
    );
    const raw = dynamoDbDocumentClient({ endpoint: stack.endpoint });
    const stored =
      (
        await raw.send(
          new QueryCommand({
            TableName: 'history',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'H#i-wide' },
          }),
        )
      ).Items ?? [];
    expect(stored.length).toBeGreaterThan(2);
    for (const item of stored) expect(JSON.stringify(item.events).length).toBeLessThan(40 * 1024);
    expect((await history.history('i-wide', { limit: 1_000 })).events.map((e) => e.at)).toEqual(
      Array.from({ length: 100 }, (_, n) => n),
    );
  });

  it('refuses a page cursor it did not make, and an origin that is not a sequence number', async () => {
    await expect(history.history('i-1', { after: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/not a history page cursor/);
    await expect(history.record({ events: [], links: [] }, 'unknown')).rejects.toThrow(/sequence number/);
  });
});
