import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient } from '../adapters/aws-clients.ts';
import { DynamoDbHistory } from '../adapters/DynamoDbHistory.ts';
import { changeOf, imagesOf, type StreamRecordLike } from '../adapters/stream-changes.ts';
import { s3ClaimCheck } from '../adapters/S3PayloadStore.ts';
import { claimedKeys, releasedKeys, type PayloadStore } from '../adapters/claim-check.ts';
import { PayloadMissing } from '../core/errors.ts';
import type { HistoryStore } from '../core/ports.ts';
import { track } from '../core/tracking.ts';
import { HISTORY } from '../settings.ts';

/**
 * Tracks one MessageBox change: the history events and flow links it means, written under keys that derive from
 * the record's sequence number, so a retried record rewrites the same items.
 *
 * A change whose claim-checked objects are gone was tracked already: they are deleted only after every record of a
 * batch that refers to them was (see `createTrackingHandler`), and a record is retried only when it, or one before
 * it in its shard, failed. It is passed over (`untracked`).
 */
export async function trackRecord(
  history: HistoryStore,
  record: StreamRecordLike,
  payloads?: PayloadStore,
  untracked?: (error: PayloadMissing) => void,
): Promise<number> {
  try {
    const change = await changeOf(record, payloads);
    if (!change) return 0;
    const tracked = track(change);
    if (tracked.events.length + tracked.links.length === 0) return 0;
    const sequence = record.dynamodb?.SequenceNumber;
    if (!sequence) throw new Error('a MessageBox stream record without a SequenceNumber');
    await history.record(tracked, sequence);
    return tracked.events.length + tracked.links.length;
  } catch (error) {
    if (!(error instanceof PayloadMissing)) throw error;
    untracked?.(error);
    return 0;
  }
}

/**
 * The objects a batch's changes let go of (a state rewritten, an inbox item settled, an item expired), which no item
 * refers to any more: not those a failed record still refers to (it is retried, and needs them), nor those an item
 * refers to after its last change in the batch (a key let go of and taken again, however unlikely, stays).
 */
export function releasedBy(records: readonly StreamRecordLike[], failed: ReadonlySet<string | undefined>): string[] {
  const isFailed = (record: StreamRecordLike) => failed.has(record.dynamodb?.SequenceNumber);
  // A shard's records come in order: the last one of an item says what it refers to now.
  const latest = new Map<string, Record<string, unknown> | undefined>();
  for (const record of records) {
    const { before, after } = imagesOf(record);
    const item = after ?? before;
    if (item) latest.set(`${String(item.pk)}\u0000${String(item.sk)}`, after);
  }
  const held = new Set([
    ...[...latest.values()].flatMap((after) => claimedKeys(after)),
    ...records.filter(isFailed).flatMap((record) => {
      const { before, after } = imagesOf(record);
      return [...claimedKeys(before), ...claimedKeys(after)];
    }),
  ]);
  const released = records
    .filter((record) => !isFailed(record))
    .flatMap((record) => {
      const { before, after } = imagesOf(record);
      return releasedKeys(before, after);
    });
  return [...new Set(released)].filter((key) => !held.has(key));
}

/**
 * The tracking function: the MessageBox's DynamoDB stream → history items. Reports partial batch failures, so
 * a failing record is retried alone (then goes to the function's on-failure destination) without holding back
 * or repeating the rest of its batch. With a claim check, it then deletes the objects the batch let go of: after
 * the whole batch, because its records run side by side and two of them can be one item's consecutive changes.
 */
export function createTrackingHandler(history: HistoryStore, logger?: Logger, payloads?: PayloadStore) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const response = await processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        try {
          await trackRecord(history, record, payloads, (missing) =>
            logger?.warn('a change whose claim-checked object is gone was tracked already; passed over', {
              sequenceNumber: record.dynamodb?.SequenceNumber,
              key: missing.key,
            }),
          );
        } catch (error) {
          logger?.error('tracking a MessageBox change failed; it is retried', {
            sequenceNumber: record.dynamodb?.SequenceNumber,
            error: (error as Error).message,
          });
          throw error;
        }
      },
      processor,
    );
    const released = payloads
      ? releasedBy(event.Records, new Set(response.batchItemFailures.map((f) => f.itemIdentifier)))
      : [];
    try {
      if (released.length > 0) await payloads!.delete(released);
    } catch (error) {
      // Left in the bucket: storage, not correctness. The history is written; the batch is not tracked again for this.
      logger?.error('claim-checked objects no item refers to could not be deleted', {
        keys: released.slice(0, 10),
        count: released.length,
        error: (error as Error).message,
      });
    }
    return response;
  };
}

/** Lambda entry point of the tracking function, configured by its environment. */
export function trackingHandler(env: NodeJS.ProcessEnv = process.env) {
  const table = env.BATON_HISTORY_TABLE_NAME;
  if (!table) throw new Error('Baton tracking configuration incomplete; set: BATON_HISTORY_TABLE_NAME');
  const retentionDays = Number(env.BATON_HISTORY_RETENTION_DAYS ?? HISTORY.defaultRetentionDays);
  const history = new DynamoDbHistory(dynamoDbDocumentClient({ region: env.AWS_REGION }), table, { retentionDays });
  // The claim check's objects are read back for tracking, and deleted here once no item refers to them.
  const claimCheck = s3ClaimCheck(env.BATON_CLAIM_CHECK_BUCKET || undefined, { region: env.AWS_REGION });
  return createTrackingHandler(history, new Logger({ serviceName: 'baton-tracking' }), claimCheck?.payloads);
}
