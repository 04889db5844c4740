import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * Holds a batch's work items invisible for `seconds` at a time (a lease on the messages) while the handler
 * runs, instead of the queue's visibility timeout. Lambda's event source needs that timeout to be at least
 * six times the function's (60 s here), so a host instance that dies mid-batch would otherwise leave its
 * work items hidden for a minute; held this way they come back within `seconds` of the death, which is
 * what bounds failover. Costs one SQS request per batch, plus one per `seconds / 2` a batch runs longer.
 * Failures to extend are ignored: the queue's own timeout still applies.
 */
export function holdVisibility(
  sqs: SQSClient,
  queueUrl: string,
  records: readonly SQSRecord[],
  seconds: number,
): { release(): void } {
  const extend = () => {
    for (let i = 0; i < records.length; i += 10) {
      sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: records
              .slice(i, i + 10)
              .map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle, VisibilityTimeout: seconds })),
          }),
        )
        .catch(() => undefined);
    }
  };
  extend();
  const timer = setInterval(extend, Math.max(1, seconds * 500));
  return { release: () => clearInterval(timer) };
}
