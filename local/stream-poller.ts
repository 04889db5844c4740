import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export interface StreamPollerOptions {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler's own return type (aws-lambda's)
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Records per invocation (the event source mapping's BatchSize). @defaultValue 100 */
  readonly batchSize?: number;
  /** Pause after an empty read. @defaultValue 250 ms */
  readonly idleMs?: number;
  /** Tries of a failing record before it is given up (the event source mapping's MaximumRetryAttempts + 1). @defaultValue 4 */
  readonly maxAttempts?: number;
  /** Told of a record given up (on AWS it goes to the function's on-failure destination). */
  readonly onGiveUp?: (record: DynamoDBRecord, error: string) => void;
  readonly log?: (line: string) => void;
}

/**
 * Feeds a Lambda-style handler from a DynamoDB stream the way the event source mapping does: shard by shard, in
 * order, a batch at a time, retrying from the first record the handler reports failed (ReportBatchItemFailures),
 * giving up on a record after `maxAttempts`. Reads any DynamoDB Streams endpoint: the embedded stack's change feed,
 * DynamoDB Local's or LocalStack's streams.
 */
export class StreamPoller {
  readonly #o: StreamPollerOptions;
  #running = false;
  #loop?: Promise<void>;
  /** Shard id → where to read next; a shard that closed is kept with no iterator. */
  readonly #shards = new Map<string, string | undefined>();
  /** Records handled (given to the handler and not failed), for status lines and tests. */
  handled = 0;
  /** Passes over the shards begun, and the last one that found nothing new. */
  #passes = 0;
  #idlePass = -1;

  constructor(options: StreamPollerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops once what is in the stream now has been handled (bounded by `drainMs`). */
  async stop(drainMs = 5_000): Promise<void> {
    await this.caughtUp(drainMs).catch(() => undefined);
    this.#running = false;
    await this.#loop;
  }

  /** Resolves once every record written before the call has been handled. */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // A pass begun before this call may have read the shards before those records were written.
    const after = this.#passes;
    while (this.#running && this.#idlePass <= after) {
      if (Date.now() > deadline) throw new Error(`stream ${this.#o.streamArn} not caught up after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async #run(): Promise<void> {
    let lastDescribe = 0;
    while (this.#running) {
      try {
        if (Date.now() - lastDescribe > 5_000 || [...this.#shards.values()].every((it) => it === undefined)) {
          await this.#discover();
          lastDescribe = Date.now();
        }
        const pass = ++this.#passes;
        let read = 0;
        for (const [shardId, iterator] of this.#shards) {
          if (iterator) read += await this.#readShard(shardId, iterator);
        }
        if (read === 0) {
          this.#idlePass = pass;
          await new Promise((resolve) => setTimeout(resolve, this.#o.idleMs ?? 250));
        }
      } catch (error) {
        this.#o.log?.(`tracking: reading ${this.#o.streamArn} failed (${(error as Error).message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  async #discover(): Promise<void> {
    const { StreamDescription } = await this.#o.streams.send(
      new DescribeStreamCommand({ StreamArn: this.#o.streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      if (this.#shards.has(shard.ShardId!)) continue;
      const { ShardIterator } = await this.#o.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.#o.streamArn,
          ShardId: shard.ShardId!,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.#shards.set(shard.ShardId!, ShardIterator);
    }
  }

  /** One read of one shard and the handler over it; returns the records read. */
  async #readShard(shardId: string, iterator: string): Promise<number> {
    const { Records = [], NextShardIterator } = await this.#o.streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: this.#o.batchSize ?? 100 }),
    );
    if (Records.length === 0) {
      this.#shards.set(shardId, NextShardIterator);
      return 0;
    }
    let pending = Records.map((record) => this.#lambdaRecord(record));
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failed: string | undefined;
      let reason = 'the handler reported it failed';
      try {
        const response = await this.#o.handler({ Records: pending });
        failed = response?.batchItemFailures?.[0]?.itemIdentifier;
      } catch (error) {
        failed = pending[0]!.dynamodb!.SequenceNumber;
        reason = (error as Error).message;
      }
      const from = failed === undefined ? -1 : pending.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
      this.handled += from === -1 ? pending.length : from;
      if (from === -1) break;
      if (attempt >= (this.#o.maxAttempts ?? 4)) {
        this.#o.onGiveUp?.(pending[from]!, reason);
        this.#o.log?.(`tracking: gave up on stream record ${failed} after ${attempt} tries (${reason})`);
        pending = pending.slice(from + 1);
        attempt = 0;
        continue;
      }
      pending = pending.slice(from);
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    this.#shards.set(shardId, NextShardIterator);
    return Records.length;
  }

  #lambdaRecord(record: _Record): DynamoDBRecord {
    const data = record.dynamodb ?? {};
    const created = data.ApproximateCreationDateTime;
    return {
      eventID: record.eventID,
      eventName: record.eventName as DynamoDBRecord['eventName'],
      eventVersion: record.eventVersion,
      eventSource: record.eventSource,
      awsRegion: record.awsRegion,
      eventSourceARN: this.#o.streamArn,
      dynamodb: {
        ...(data as DynamoDBRecord['dynamodb']),
        // The event carries epoch seconds; the SDK gave a Date.
        ApproximateCreationDateTime:
          created instanceof Date ? created.getTime() / 1000 : (created as number | undefined),
      },
    };
  }
}
