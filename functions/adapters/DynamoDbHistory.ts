import { BatchWriteCommand, QueryCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, HistoryPage, HistoryStore } from '../core/ports.ts';
import { fitEvent, type Tracked, type TrackedEvent } from '../core/tracking.ts';
import { HISTORY } from '../settings.ts';
import type { Item } from './item.ts';
import { systemClock } from './system-clock.ts';

/*
 * Item layout of the history table:
 *   H#<subject> / <sequence, 40 digits>~<n>       the events one change brought to one subject, in order (a list;
 *                                                n counts items when they pass ITEM_BUDGET_BYTES), keyed by the
 *                                                stream sequence number of the change: a subject's history reads in
 *                                                the order it happened, a page at a time, however long it grows. One
 *                                                item a change rather than one an event: a persistence point's
 *                                                events (received, persisted, sent, waiting...) cost one write unit,
 *                                                not one each.
 *   H#<subject> / <sequence>#<n>                  one event alone, as versions before wrote it: still read.
 *   K#<flow key> / <subject>                      a flow link: a correlation value, a message id or an instance
 *                                                pointing at a subject that it touched.
 * Every item expires with the retention (DynamoDB TTL). Writes are plain puts of deterministic keys: a retried
 * batch rewrites the same items.
 */
const EVENT = 'H#';
const LINK = 'K#';

/** Events of one change for one subject go in one item up to this many bytes (as JSON), then in the next. */
const ITEM_BUDGET_BYTES = 32 * 1024;

export class DynamoDbHistory implements HistoryStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  readonly #clock: Pick<Clock, 'now'>;

  constructor(
    client: DynamoDBDocumentClient,
    tableName: string,
    options: { retentionDays?: number; clock?: Pick<Clock, 'now'> } = {},
  ) {
    this.#client = client;
    this.#table = tableName;
    this.#retentionSeconds = Math.round((options.retentionDays ?? HISTORY.defaultRetentionDays) * 86_400);
    this.#clock = options.clock ?? systemClock;
  }

  async record(tracked: Tracked, origin: string): Promise<void> {
    if (!/^\d{1,40}$/.test(origin))
      throw new Error(`a change's origin is its stream sequence number (up to 40 digits), not "${origin}"`);
    const sequence = origin.padStart(40, '0');
    const ttl = Math.floor(this.#clock.now() / 1000) + this.#retentionSeconds;
    const byKey = new Map<string, Record<string, unknown>>();
    const put = (item: Record<string, unknown> & { pk: string; sk: string }) =>
      byKey.set(`${item.pk}\u0000${item.sk}`, item);
    for (const [subject, chunks] of eventsBySubject(tracked.events)) {
      chunks.forEach((events, n) =>
        put({ pk: `${EVENT}${subject}`, sk: `${sequence}~${String(n).padStart(3, '0')}`, events, ttl }),
      );
    }
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
        if (attempt > 8)
          throw new Error(
            `history table ${this.#table}: ${requests.length} item(s) still unprocessed after ${attempt} tries`,
          );
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt) * Math.random()));
      }
      const { UnprocessedItems } = await this.#client.send(
        new BatchWriteCommand({ RequestItems: { [this.#table]: requests } }),
      );
      requests = (UnprocessedItems?.[this.#table] ?? []) as typeof requests;
    }
  }

  async history(
    subject: string,
    page: { limit?: number; after?: string; newestFirst?: boolean } = {},
  ): Promise<HistoryPage> {
    const limit = Math.min(Math.max(page.limit ?? 100, 1), 1_000);
    const from = page.after ? decodeCursor(page.after) : undefined;
    const events: TrackedEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          // From the item the cursor names, itself included: the page before may have ended inside it.
          KeyConditionExpression: from ? `pk = :pk AND sk ${page.newestFirst ? '<=' : '>='} :sk` : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `${EVENT}${subject}`, ...(from ? { ':sk': from.sk } : {}) },
          ScanIndexForward: !page.newestFirst,
          // Every item holds an event at least; one more item says whether a page follows. Each page's size depends on
          // what the pages before gave, which the SDK's paginator cannot ask for.
          Limit: limit - events.length + 1,
          ExclusiveStartKey: start,
        }),
      );
      // A change tracked by both layouts (a stream batch retried across the upgrade): its items sit side by side; the
      // newer layout's stands for it.
      const regrouped = new Set(
        Items.map((item) => String(item.sk))
          .filter((sk) => sk[40] === '~')
          .map((sk) => sk.slice(0, 40)),
      );
      for (const item of Items) {
        if (String(item.sk)[40] === '#' && regrouped.has(String(item.sk).slice(0, 40))) continue;
        const own = eventsOf(subject, item);
        if (page.newestFirst) own.reverse();
        const given = from && item.sk === from.sk ? from.given : 0;
        // Full, and there is more: the next page starts here.
        if (events.length === limit && given < own.length)
          return { events, next: encodeCursor({ sk: String(item.sk), given }) };
        const taken = own.slice(given, given + limit - events.length);
        events.push(...taken);
        if (given + taken.length < own.length)
          return { events, next: encodeCursor({ sk: String(item.sk), given: given + taken.length }) };
      }
      start = LastEvaluatedKey;
    } while (start);
    return { events };
  }

  async linked(key: string, limit = 200): Promise<string[]> {
    const subjects: string[] = [];
    const pages = paginateQuery(
      { client: this.#client, pageSize: limit },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${LINK}${key}` },
        ProjectionExpression: 'sk',
      },
    );
    for await (const page of pages) {
      subjects.push(...(page.Items ?? []).map((item) => String(item.sk)));
      if (subjects.length >= limit) break;
    }
    return subjects.slice(0, limit);
  }

  async countLinked(key: string): Promise<number> {
    let count = 0;
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${LINK}${key}` },
        Select: 'COUNT',
      },
    );
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  }
}

interface Cursor {
  readonly sk: string;
  /** How many of the item's events (in the page's order) the pages before gave. */
  readonly given: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.sk}|${cursor.given}`).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{40}[~#]\d{3})\|(\d{1,6})$/.exec(text);
  if (match) return { sk: match[1]!, given: Number(match[2]) };
  // A cursor of a version before (a console page open across the upgrade): the key of the one-event item it ended on.
  if (/^\d{40}#\d{3}$/.test(text)) return { sk: text, given: 1 };
  throw new Error(`not a history page cursor: ${cursor}`);
}

/** The events of one history item, of either layout. */
function eventsOf(subject: string, item: Item): TrackedEvent[] {
  if (Array.isArray(item.events))
    return (item.events as Omit<TrackedEvent, 'subject'>[]).map((event) => ({ subject, ...event }) as TrackedEvent);
  const { pk: _pk, sk: _sk, ttl: _ttl, ...event } = item;
  return [event as TrackedEvent];
}

/**
 * A change's events by subject, in order, each subject's cut into items of ITEM_BUDGET_BYTES at most (as UTF-8 JSON,
 * more than DynamoDB counts of the same values): an event larger than that alone has its text cut to fit (fitEvent),
 * so no item passes DynamoDB's 400 KB and fails its write on every retry.
 */
function eventsBySubject(events: readonly TrackedEvent[]): Map<string, Omit<TrackedEvent, 'subject'>[][]> {
  const bySubject = new Map<string, { chunks: Omit<TrackedEvent, 'subject'>[][]; bytes: number }>();
  for (const { subject, ...event } of events) {
    const own = fitEvent(stripUndefined(event), ITEM_BUDGET_BYTES);
    const bytes = Buffer.byteLength(JSON.stringify(own), 'utf8');
    const entry = bySubject.get(subject) ?? { chunks: [[]], bytes: 0 };
    if (entry.bytes + bytes > ITEM_BUDGET_BYTES && entry.chunks.at(-1)!.length > 0) {
      entry.chunks.push([]);
      entry.bytes = 0;
    }
    entry.chunks.at(-1)!.push(own);
    entry.bytes += bytes;
    bySubject.set(subject, entry);
  }
  return new Map([...bySubject].map(([subject, { chunks }]) => [subject, chunks]));
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
