import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS takes at most 10 entries per batch, and 256 KiB in all on queues not raised to 1 MiB. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/** What SQS counts of a message against its size limits: the body and every attribute's name, type and value. */
export function entryBytes(entry: Entry): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

type Entry = Omit<SendMessageBatchRequestEntry, 'Id'>;

/**
 * Sends entries in batches of ten; entries SQS reports as failed are sent once more, and if they still fail
 * the call throws, so the caller's work item is redelivered rather than silently half-sent.
 */
export async function sendInBatches(client: SQSClient, queueUrl: string, entries: readonly Entry[]): Promise<void> {
  const chunks: Entry[][] = [];
  let chunk: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (chunk.length === MAX_ENTRIES || (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  await Promise.all(
    chunks.map(async (chunk) => {
      let pending: SendMessageBatchRequestEntry[] = chunk.map((entry, i) => ({ ...entry, Id: String(i) }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const { Failed = [] } = await client.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
        );
        if (Failed.length === 0) return;
        const failedIds = new Set(Failed.map((f) => f.Id));
        if (attempt >= 2) {
          const reasons = Failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
          throw new Error(`SQS refused ${Failed.length} of ${pending.length} messages to ${queueUrl}: ${reasons}`);
        }
        pending = pending.filter((entry) => failedIds.has(entry.Id));
      }
    }),
  );
}

/**
 * Coalesces sends to the same queue made in the same turn of the event loop into shared SendMessageBatch
 * requests. A host processes the records of a batch concurrently; each finishes its step with its own
 * small dispatch, and coalescing turns ten one-entry requests into one ten-entry request. Each caller's
 * promise settles with the request that carried its entries.
 */
export class CoalescingSender {
  readonly #client: SQSClient;
  readonly #pending = new Map<
    string,
    { entries: Entry[]; waiters: { resolve(): void; reject(error: unknown): void }[] }
  >();

  constructor(client: SQSClient) {
    this.#client = client;
  }

  send(queueUrl: string, entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    let group = this.#pending.get(queueUrl);
    if (!group) {
      group = { entries: [], waiters: [] };
      this.#pending.set(queueUrl, group);
      setImmediate(() => this.#flush(queueUrl));
    }
    group.entries.push(...entries);
    return new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
  }

  #flush(queueUrl: string): void {
    const group = this.#pending.get(queueUrl)!;
    this.#pending.delete(queueUrl);
    sendInBatches(this.#client, queueUrl, group.entries).then(
      () => group.waiters.forEach((w) => w.resolve()),
      (error) => group.waiters.forEach((w) => w.reject(error)),
    );
  }
}
