import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler's own return type (aws-lambda's)
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  readonly batchSize: number;
  readonly waitTimeSeconds: number;
  /** Visibility per receive; kept alive by heartbeats while the batch runs, so a dead host frees it fast. */
  readonly visibilityTimeoutSeconds: number;
  /** Concurrent batches (Lambda's concurrent invocations for one event source). */
  readonly concurrency: number;
  readonly onBatch?: (event: {
    phase: 'start' | 'end';
    records: number;
    failed: number;
    bodies: readonly string[];
  }) => void;
  /** Chaos runs: true to skip deleting a handled message, so SQS delivers it again (a duplicate delivery). */
  readonly loseDelete?: () => boolean;
}

/**
 * Feeds a Lambda-style handler from an SQS queue the way the event source mapping does: long polling,
 * batches, partial batch failures (failed records stay on the queue and come back after their visibility
 * timeout; the queue's redrive policy moves them to the DLQ), and deletion of what succeeded.
 */
export class SqsPoller {
  readonly #options: PollerOptions;
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(options: PollerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running = true;
    for (let i = 0; i < this.#options.concurrency; i++) this.#loops.push(this.#loop());
  }

  /**
   * Stops after the current long polls return (at most `waitTimeSeconds`). Aborting them instead would
   * not help: the queue may still hand messages to the abandoned request, and they would stay in flight
   * for nobody until their visibility timeout. Messages that arrive while stopping are released at once.
   */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.allSettled(this.#loops);
  }

  async #loop(): Promise<void> {
    const o = this.#options;
    while (this.#running) {
      let messages: Message[] = [];
      try {
        const response = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: o.batchSize,
            WaitTimeSeconds: o.waitTimeSeconds,
            VisibilityTimeout: o.visibilityTimeoutSeconds,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = response.Messages ?? [];
        if (!this.#running && messages.length > 0) {
          await o.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: o.queueUrl,
              Entries: messages.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: 0,
              })),
            }),
          );
          return;
        }
      } catch (error) {
        if (!this.#running) return;
        console.error(`poller ${o.queueUrl}: receive failed (${(error as Error).message}); retrying in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (messages.length > 0) await this.#runBatch(messages);
    }
  }

  async #runBatch(messages: Message[]): Promise<void> {
    const o = this.#options;
    const records = messages.map((m) => toRecord(m, o.queueArn, o.region));
    o.onBatch?.({ phase: 'start', records: records.length, failed: 0, bodies: records.map((r) => r.body) });
    const heartbeat = setInterval(
      () => {
        o.sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: o.queueUrl,
              Entries: messages.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: o.visibilityTimeoutSeconds,
              })),
            }),
          )
          .catch(() => undefined);
      },
      (o.visibilityTimeoutSeconds * 1000) / 2,
    );
    let failed: Set<string>;
    try {
      const response = await o.handler({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown handler fails the whole batch, as with Lambda.
      console.error(`handler failed for a batch of ${records.length}: ${(error as Error).message}`);
      failed = new Set(records.map((r) => r.messageId));
    } finally {
      clearInterval(heartbeat);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!) && !o.loseDelete?.());
    if (done.length > 0) {
      try {
        await o.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: o.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      } catch (error) {
        // Not deleted means redelivered: the handlers are idempotent, so this costs work, not correctness.
        console.error(`delete failed: ${(error as Error).message}`);
      }
    }
    o.onBatch?.({ phase: 'end', records: records.length, failed: failed.size, bodies: [] });
  }
}

/** An SQS message as a Lambda event record carries it (the event source mapping's shape). */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
