import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS takes at most 10 entries per batch. */
const MAX_ENTRIES = 10;

/**
 * Sends entries in batches of ten; entries SQS reports as failed are sent once more, and if they still fail
 * the call throws, so the caller's work item is redelivered rather than silently half-sent.
 */
export async function sendInBatches(client: SQSClient, queueUrl: string, entries: readonly SendMessageBatchRequestEntry[]): Promise<void> {
  const chunks: SendMessageBatchRequestEntry[][] = [];
  for (let i = 0; i < entries.length; i += MAX_ENTRIES) chunks.push(entries.slice(i, i + MAX_ENTRIES));
  await Promise.all(chunks.map(async (chunk) => {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { Failed = [] } = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      if (Failed.length === 0) return;
      const failedIds = new Set(Failed.map((f) => f.Id));
      if (attempt >= 2) {
        const reasons = Failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
        throw new Error(`SQS refused ${Failed.length} of ${pending.length} messages to ${queueUrl}: ${reasons}`);
      }
      pending = pending.filter((entry) => failedIds.has(entry.Id));
    }
  }));
}
