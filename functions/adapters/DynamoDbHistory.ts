import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HistoryPage, HistoryStore } from '../core/ports.ts';
import type { Tracked, TrackedEvent } from '../core/tracking.ts';
import { HISTORY } from '../../infra/settings.ts';

/*
 * Item layout of the history table:
 *   H#<subject> / <sequence, 40 digits>#<n>       one tracked event, keyed by the stream sequence number of the
 *                                                change it came from: a subject's history reads in the order it
 *                                                happened, a page at a time, however long it grows (no event cap).
 *   K#<flow key> / <subject>                      a flow link: a correlation value, a message id or an instance
 *                                                pointing at a subject that it touched.
 * Every item expires with the retention (DynamoDB TTL). Writes are plain puts of deterministic keys: a retried
 * batch rewrites the same items.
 */
const EVENT = 'H#';
const LINK = 'K#';

export class DynamoDbHistory implements HistoryStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: { retentionDays?: number } = {}) {
    this.#client = client;
    this.#table = tableName;
    this.#retentionSeconds = Math.round((options.retentionDays ?? HISTORY.defaultRetentionDays) * 86_400);
  }

  async record(tracked: Tracked, origin: string): Promise<void> {
    if (!/^\d{1,40}$/.test(origin)) throw new Error(`a change's origin is its stream sequence number (up to 40 digits), not "${origin}"`);
    const sequence = origin.padStart(40, '0');
    const ttl = Math.floor(Date.now() / 1000) + this.#retentionSeconds;
    const byKey = new Map<string, Record<string, unknown>>();
    const put = (item: Record<string, unknown> & { pk: string; sk: string }) => byKey.set(`${item.pk}\u0000${item.sk}`, item);
    tracked.events.forEach((event, n) => put({ ...stripUndefined(event), pk: `${EVENT}${event.subject}`, sk: `${sequence}#${String(n).padStart(3, '0')}`, ttl }));
    // One change may name the same link twice (an activation message is also the first one taken); a batch may not.
    for (const link of tracked.links) put({ pk: `${LINK}${link.key}`, sk: link.subject, at: link.at, ttl });
    const items = [...byKey.values()];
    for (let i = 0; i < items.length; i += 25) await this.#write(items.slice(i, i + 25));
  }

  /** One BatchWriteItem, with what DynamoDB left unprocessed (throttling) tried again, backing off. */
  async #write(items: Record<string, unknown>[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw new Error(`history table ${this.#table}: ${requests.length} item(s) still unprocessed after ${attempt} tries`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt) * Math.random()));
      }
      const { UnprocessedItems } = await this.#client.send(new BatchWriteCommand({ RequestItems: { [this.#table]: requests } }));
      requests = (UnprocessedItems?.[this.#table] ?? []) as typeof requests;
    }
  }

  async history(subject: string, page: { limit?: number; after?: string; newestFirst?: boolean } = {}): Promise<HistoryPage> {
    const { Items = [], LastEvaluatedKey } = await this.#client.send(new QueryCommand({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${EVENT}${subject}` },
      ScanIndexForward: !page.newestFirst,
      Limit: Math.min(Math.max(page.limit ?? 100, 1), 1_000),
      ExclusiveStartKey: page.after ? { pk: `${EVENT}${subject}`, sk: decodeCursor(page.after) } : undefined,
    }));
    const events = Items.map(({ pk: _pk, sk: _sk, ttl: _ttl, ...event }) => event as TrackedEvent);
    return LastEvaluatedKey ? { events, next: Buffer.from(String(LastEvaluatedKey.sk)).toString('base64url') } : { events };
  }

  async linked(key: string, limit = 200): Promise<string[]> {
    const subjects: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${LINK}${key}` },
        ProjectionExpression: 'sk',
        Limit: limit - subjects.length,
        ExclusiveStartKey: start,
      }));
      subjects.push(...(page.Items ?? []).map((item) => String(item.sk)));
      start = page.LastEvaluatedKey;
    } while (start && subjects.length < limit);
    return subjects;
  }

  async countLinked(key: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${LINK}${key}` },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }
}

function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{40}#\d{3}$/.test(sk)) throw new Error(`not a history page cursor: ${cursor}`);
  return sk;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
