/**
 * DynamoDB Streams for the embedded stack. dynalite has no streams, so the embedded endpoint keeps one of its
 * own for every table created (or updated) with a `StreamSpecification`: each item-level change, with its old and
 * new images, in the order the changes of one item happened, served through the DynamoDB Streams API
 * (`ListStreams`, `DescribeStream`, `GetShardIterator`, `GetRecords`). A consumer written for DynamoDB Streams
 * (the tracking poller, the AWS SDK's DynamoDBStreamsClient) reads it unchanged, and reads LocalStack's or
 * DynamoDB Local's real streams the same way.
 *
 * Differences from the service, on purpose: a stream lives in memory for the life of the process (one shard,
 * never split), and keeps its records 30 seconds (at most `retainRecords` of them), not 24 hours: the tracking poller
 * reads within a second, and a feed that kept a day of changes would hold a day of item images in memory. A reader
 * that falls further behind reads on from the oldest record kept.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../functions/adapters/item.ts';

type Image = Record<string, AttributeValue>;

export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: '1.1';
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime: number;
    readonly Keys: Image;
    readonly NewImage?: Image;
    readonly OldImage?: Image;
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: string;
  };
}

interface Stream {
  readonly tableName: string;
  readonly arn: string;
  readonly label: string;
  readonly viewType: string;
  readonly keyNames: readonly string[];
  readonly records: StreamRecord[];
  /** Sequence number of the next record. */
  next: bigint;
}

const SHARD_ID = 'shardId-00000000000000000001-00000001';
/** Sequence numbers are decimal strings of 21 digits or more in DynamoDB Streams; keep their shape. */
const SEQUENCE_BASE = 100_000_000_000_000_000_000n;

export class ChangeFeed {
  readonly #streams = new Map<string, Stream>();
  readonly #region: string;
  readonly #account: string;
  readonly #retain: number;
  readonly #retainMs: number;
  /** Records dropped: older than the retention, or past the cap (a reader that far behind misses them). */
  trimmed = 0;

  constructor(options: { region?: string; account?: string; retainRecords?: number; retainMs?: number } = {}) {
    this.#region = options.region ?? 'us-east-1';
    this.#account = options.account ?? '000000000000';
    this.#retain = options.retainRecords ?? 20_000;
    this.#retainMs = options.retainMs ?? 30_000;
  }

  /** Whether changes to this table are recorded. */
  has(tableName: string): boolean {
    return this.#streams.has(tableName);
  }

  /** Turns the table's stream on (idempotent) or off; returns the description fields DescribeTable shows. */
  enable(
    tableName: string,
    keyNames: readonly string[],
    specification: { StreamEnabled?: boolean; StreamViewType?: string },
  ): Record<string, unknown> {
    if (!specification.StreamEnabled) {
      this.#streams.delete(tableName);
      return {};
    }
    let stream = this.#streams.get(tableName);
    if (!stream) {
      const label = new Date().toISOString().replace('Z', '');
      stream = {
        tableName,
        label,
        arn: `arn:aws:dynamodb:${this.#region}:${this.#account}:table/${tableName}/stream/${label}`,
        viewType: specification.StreamViewType ?? 'NEW_AND_OLD_IMAGES',
        keyNames,
        records: [],
        next: SEQUENCE_BASE,
      };
      this.#streams.set(tableName, stream);
    }
    return this.describeTableFields(tableName);
  }

  /** The stream fields of a table's description, as DynamoDB adds them. */
  describeTableFields(tableName: string): Record<string, unknown> {
    const stream = this.#streams.get(tableName);
    if (!stream) return {};
    return {
      StreamSpecification: { StreamEnabled: true, StreamViewType: stream.viewType },
      LatestStreamArn: stream.arn,
      LatestStreamLabel: stream.label,
    };
  }

  drop(tableName: string): void {
    this.#streams.delete(tableName);
  }

  /** Records a change of one item. A write that left the item as it was is no change, as in DynamoDB Streams. */
  record(tableName: string, oldImage: Image | undefined, newImage: Image | undefined): void {
    const stream = this.#streams.get(tableName);
    if (!stream || (oldImage === undefined && newImage === undefined)) return;
    const now = Date.now();
    if (oldImage && newImage && sameImage(oldImage, newImage)) return;
    const image = (newImage ?? oldImage)!;
    const keys = Object.fromEntries(stream.keyNames.map((name) => [name, image[name]!]));
    const sequence = String(stream.next++);
    const view = stream.viewType;
    stream.records.push({
      eventID: sequence.slice(-16),
      eventName: oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.#region,
      dynamodb: {
        // Seconds, as the service gives them; with the milliseconds as a fraction, which history orders by.
        ApproximateCreationDateTime: now / 1000,
        Keys: keys,
        ...(newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { NewImage: newImage } : {}),
        ...(oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { OldImage: oldImage } : {}),
        SequenceNumber: sequence,
        SizeBytes: JSON.stringify(newImage ?? oldImage).length,
        StreamViewType: view,
      },
    });
    let excess = Math.max(0, stream.records.length - this.#retain);
    const oldest = (now - this.#retainMs) / 1000;
    while (excess < stream.records.length && stream.records[excess]!.dynamodb.ApproximateCreationDateTime < oldest)
      excess++;
    if (excess > 0) {
      stream.records.splice(0, excess);
      this.trimmed += excess;
    }
  }

  /**
   * Answers a DynamoDB Streams request (`X-Amz-Target: DynamoDBStreams_20120810.<action>`): a status and a JSON
   * body, errors in the service's shape.
   */
  handle(action: string, input: Item): { status: number; body: unknown } {
    try {
      switch (action) {
        case 'ListStreams':
          return ok({
            Streams: [...this.#streams.values()]
              .filter((s) => !input.TableName || s.tableName === input.TableName)
              .map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })),
          });
        case 'DescribeStream': {
          const s = this.#stream(input.StreamArn);
          return ok({
            StreamDescription: {
              StreamArn: s.arn,
              StreamLabel: s.label,
              StreamStatus: 'ENABLED',
              StreamViewType: s.viewType,
              TableName: s.tableName,
              KeySchema: s.keyNames.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
              Shards: [{ ShardId: SHARD_ID, SequenceNumberRange: { StartingSequenceNumber: String(SEQUENCE_BASE) } }],
            },
          });
        }
        case 'GetShardIterator': {
          const s = this.#stream(input.StreamArn);
          if (input.ShardId !== SHARD_ID)
            throw new StreamsError('ResourceNotFoundException', `shard ${input.ShardId} not found`);
          const after = {
            TRIM_HORIZON: () => (s.records[0] ? BigInt(s.records[0].dynamodb.SequenceNumber) : s.next) - 1n,
            LATEST: () => s.next - 1n,
            AT_SEQUENCE_NUMBER: () => BigInt(input.SequenceNumber) - 1n,
            AFTER_SEQUENCE_NUMBER: () => BigInt(input.SequenceNumber),
          }[input.ShardIteratorType as string];
          if (!after)
            throw new StreamsError(
              'ValidationException',
              `ShardIteratorType must be TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER`,
            );
          return ok({ ShardIterator: iterator(s.arn, after()) });
        }
        case 'GetRecords': {
          const { arn, after } = parseIterator(input.ShardIterator);
          const s = this.#stream(arn);
          const limit = Math.min(Math.max(Number(input.Limit ?? 1000), 1), 1000);
          // Records are in sequence order, numbered without gaps: the first one past `after` is found by arithmetic.
          const first = s.records[0] ? BigInt(s.records[0].dynamodb.SequenceNumber) : s.next;
          const from = Number((after + 1n > first ? after + 1n : first) - first);
          const records = s.records.slice(from, from + limit);
          const last = records.length
            ? BigInt(records.at(-1)!.dynamodb.SequenceNumber)
            : after + 1n > first
              ? after
              : first - 1n;
          return ok({ Records: records, NextShardIterator: iterator(arn, last) });
        }
        default:
          throw new StreamsError(
            'UnknownOperationException',
            `the embedded stack does not serve DynamoDB Streams' ${action}`,
          );
      }
    } catch (error) {
      if (error instanceof StreamsError)
        return {
          status: 400,
          body: { __type: `com.amazonaws.dynamodb.v20120810#${error.type}`, message: error.message },
        };
      throw error;
    }
  }

  #stream(arn: unknown): Stream {
    const stream = [...this.#streams.values()].find((s) => s.arn === arn);
    if (!stream)
      throw new StreamsError(
        'ResourceNotFoundException',
        `Requested resource not found: Stream: ${String(arn)} not found`,
      );
    return stream;
  }
}

class StreamsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

function ok(body: unknown) {
  return { status: 200, body };
}

function iterator(arn: string, after: bigint): string {
  return Buffer.from(JSON.stringify({ arn, after: String(after) })).toString('base64url');
}

function parseIterator(text: unknown): { arn: string; after: bigint } {
  try {
    const { arn, after } = JSON.parse(Buffer.from(String(text), 'base64url').toString('utf8')) as {
      arn: string;
      after: string;
    };
    return { arn, after: BigInt(after) };
  } catch {
    throw new StreamsError('ValidationException', 'Invalid ShardIterator');
  }
}

/** Same attributes with the same values (attribute order does not matter). */
function sameImage(a: Image, b: Image): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => key in b && JSON.stringify(a[key]) === JSON.stringify(b[key]));
}
