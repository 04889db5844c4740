import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient } from '../adapters/aws-clients.ts';
import { DynamoDbHistory } from '../adapters/DynamoDbHistory.ts';
import { changeOf, type StreamRecordLike } from '../adapters/stream-changes.ts';
import type { HistoryStore } from '../core/ports.ts';
import { track } from '../core/tracking.ts';
import { HISTORY } from '../../infra/settings.ts';

/**
 * Tracks one MessageBox change: the history events and flow links it means, written under keys that derive from
 * the record's sequence number, so a retried record rewrites the same items.
 */
export async function trackRecord(history: HistoryStore, record: StreamRecordLike): Promise<number> {
  const change = changeOf(record);
  if (!change) return 0;
  const tracked = track(change);
  if (tracked.events.length + tracked.links.length === 0) return 0;
  const sequence = record.dynamodb?.SequenceNumber;
  if (!sequence) throw new Error('a MessageBox stream record without a SequenceNumber');
  await history.record(tracked, sequence);
  return tracked.events.length + tracked.links.length;
}

/**
 * The tracking function: the MessageBox's DynamoDB stream → history items. Reports partial batch failures, so
 * a failing record is retried alone (then goes to the function's on-failure destination) without holding back
 * or repeating the rest of its batch.
 */
export function createTrackingHandler(history: HistoryStore, logger?: Logger) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return processPartialResponse(event, async (record: DynamoDBRecord) => {
      try {
        await trackRecord(history, record);
      } catch (error) {
        logger?.error('tracking a MessageBox change failed; it is retried', { sequenceNumber: record.dynamodb?.SequenceNumber, error: (error as Error).message });
        throw error;
      }
    }, processor);
  };
}

/** Lambda entry point of the tracking function, configured by its environment. */
export function trackingHandler(env: NodeJS.ProcessEnv = process.env) {
  const table = env.BATON_HISTORY_TABLE_NAME;
  if (!table) throw new Error('Baton tracking configuration incomplete; set: BATON_HISTORY_TABLE_NAME');
  const retentionDays = Number(env.BATON_HISTORY_RETENTION_DAYS ?? HISTORY.defaultRetentionDays);
  const history = new DynamoDbHistory(dynamoDbDocumentClient({ region: env.AWS_REGION }), table, { retentionDays });
  return createTrackingHandler(history, new Logger({ serviceName: 'baton-tracking' }));
}
