import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One operator action: who did what to what, when, and how it ended. */
export interface AuditEntry {
  readonly at: number;
  readonly who: string;
  /** resume, terminate, resubmit (and resubmit again), discard, redrive. */
  readonly action: string;
  /** An instance id, a message id or a queue. */
  readonly target: string;
  readonly outcome: 'done' | 'refused' | 'failed';
  /** The reason given, or why it was refused or failed. */
  readonly detail?: string;
}

/** An audit entry is kept this long (DynamoDB TTL), longer than history: operators answer for what they did. */
export const AUDIT_RETENTION_DAYS = 400;

/**
 * The audit trail, in the history table: `A#<day>` / `<time>#<id>`, one partition a day (operator actions are few,
 * so a day's partition is never hot), read newest first.
 */
export class AuditTrail {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: `A#${day(entry.at)}`,
          sk: `${String(entry.at).padStart(15, '0')}#${randomUUID()}`,
          ...Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)),
          ttl: Math.floor(entry.at / 1000) + AUDIT_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /** The latest entries, newest first, from the last `days` days. */
  async recent(options: { days?: number; limit?: number; now?: number } = {}): Promise<AuditEntry[]> {
    const { days = 30, limit = 200, now = Date.now() } = options;
    const entries: AuditEntry[] = [];
    for (let d = 0; d < days && entries.length < limit; d++) {
      const { Items = [] } = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `A#${day(now - d * 86_400_000)}` },
          ScanIndexForward: false,
          Limit: limit - entries.length,
        }),
      );
      entries.push(...Items.map(({ pk: _pk, sk: _sk, ttl: _ttl, ...entry }) => entry as AuditEntry));
    }
    return entries;
  }
}

function day(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
