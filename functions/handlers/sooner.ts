import { ChangeMessageVisibilityBatchCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * Brings held messages back sooner than their queue's visibility timeout. A message that follows an instance not
 * created yet (a Cancel sent right behind its Order) is held (`UncorrelatedMessage`); left to the timeout it would
 * come back a whole lease later (10 s, and 60 s on Lambda's receive queue), after the instance may have stopped
 * waiting for it. Each is made visible again after `delaySeconds(receiveCount)` instead: 1 s, then 2, then 4. Costs
 * one SQS request per batch that holds messages (and one GetQueueUrl per queue, once). A failure is ignored: the
 * queue's own timeout still brings them back.
 */
export class SoonerRetry {
  readonly #sqs: SQSClient;
  readonly #urls = new Map<string, Promise<string | undefined>>();

  constructor(sqs: SQSClient) {
    this.#sqs = sqs;
  }

  async retry(records: readonly SQSRecord[]): Promise<void> {
    const byQueue = new Map<string, SQSRecord[]>();
    for (const record of records)
      byQueue.set(record.eventSourceARN, [...(byQueue.get(record.eventSourceARN) ?? []), record]);
    await Promise.all(
      [...byQueue].map(async ([arn, held]) => {
        const queueUrl = await this.#url(arn);
        if (!queueUrl) return;
        for (let i = 0; i < held.length; i += 10)
          await this.#sqs
            .send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: queueUrl,
                Entries: held.slice(i, i + 10).map((r, j) => ({
                  Id: String(j),
                  ReceiptHandle: r.receiptHandle,
                  VisibilityTimeout: heldDelaySeconds(Number(r.attributes?.ApproximateReceiveCount ?? 1)),
                })),
              }),
            )
            .catch(() => undefined);
      }),
    );
  }

  /** A queue's URL from its ARN (`arn:aws:sqs:<region>:<account>:<name>`), asked once: it is the same on every endpoint. */
  #url(arn: string): Promise<string | undefined> {
    let url = this.#urls.get(arn);
    if (!url) {
      const [, , , , account, name] = arn.split(':');
      url = name
        ? this.#sqs
            .send(new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }))
            .then((r) => r.QueueUrl)
            .catch(() => {
              this.#urls.delete(arn);
              return undefined;
            })
        : Promise.resolve(undefined);
      this.#urls.set(arn, url);
    }
    return url;
  }
}

/** How long a held message waits before its next delivery: 1 s, 2 s, 4 s, then 8 s. */
export function heldDelaySeconds(receiveCount: number): number {
  return Math.min(8, 2 ** Math.max(0, receiveCount - 1));
}
