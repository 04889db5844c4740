import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { PayloadStore } from '../functions/adapters/claim-check.ts';
import { SIZE_ATTRIBUTE, pointerBody } from '../functions/adapters/extended-client.ts';
import { entryBytes } from '../functions/adapters/sqs-batches.ts';
import { CLAIM_CHECK } from '../functions/settings.ts';

/** A queue an operator watches, and its dead-letter queue. */
export interface WatchedQueue {
  readonly name: string;
  readonly url: string;
  readonly arn?: string;
  readonly dlqUrl?: string;
  readonly dlqArn?: string;
}

export interface QueueDepth {
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dlq?: number;
}

/** A message looked at, not taken: its body and attributes as the queue holds them. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly receiveCount: number;
  readonly sentAt?: number;
}

export interface Redrive {
  readonly queue: string;
  /** How: SQS's own move task (AWS, LocalStack), or moved by the console where the endpoint has none (fauxqs). */
  readonly how: 'StartMessageMoveTask' | 'moved by the console';
  /** Messages moved (known only when the console moved them). */
  readonly moved?: number;
  readonly taskHandle?: string;
}

/** Where a message too large to send as it is goes: Baton's claim-check bucket, read back by the receive host. */
export interface QueueOffload {
  readonly payloads: PayloadStore;
  readonly bucket: string;
  /** A body larger than this, with its attributes (as SQS counts them), goes as a pointer. */
  readonly fromBytes: number;
}

/** Where a resubmission's body goes when it is too large to send: `inbound/`, where the receive host follows pointers. */
export const resubmissionKey = (resubmissionId: string) =>
  `${CLAIM_CHECK.inboundPrefix}${encodeURIComponent(resubmissionId)}`;

/**
 * What an operator does with queues: their depths, a look into a dead-letter queue, a redrive back to its source,
 * a message sent to the receive queue. SQS's own operations where the endpoint has them.
 */
export class OperatorQueues {
  readonly #sqs: SQSClient;
  readonly queues: readonly WatchedQueue[];
  readonly #offload?: QueueOffload;

  constructor(sqs: SQSClient, queues: readonly WatchedQueue[], offload?: QueueOffload) {
    this.#sqs = sqs;
    this.queues = queues;
    this.#offload = offload;
  }

  queue(name: string): WatchedQueue {
    const found = this.queues.find((q) => q.name === name);
    if (!found) throw new Error(`no queue "${name}"; the queues: ${this.queues.map((q) => q.name).join(', ')}`);
    return found;
  }

  async depths(): Promise<QueueDepth[]> {
    return Promise.all(
      this.queues.map(async (q) => {
        const own = await this.#counts(q.url);
        const dead = q.dlqUrl ? await this.#counts(q.dlqUrl) : undefined;
        const dlq = dead ? dead.visible + dead.inFlight : undefined;
        return { name: q.name, ...own, ...(dlq === undefined ? {} : { dlq }) };
      }),
    );
  }

  async #counts(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const { Attributes = {} } = await this.#sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /**
   * Up to `max` messages of a queue's DLQ, left where they are: each is received with a visibility timeout of 0, so
   * it is visible again at once (its receive count grows; a DLQ has no redrive policy of its own to count it).
   */
  async peekDlq(name: string, max = 20): Promise<PeekedMessage[]> {
    const q = this.queue(name);
    if (!q.dlqUrl) throw new Error(`the ${name} queue has no dead-letter queue`);
    const seen = new Map<string, PeekedMessage>();
    for (let round = 0; round < 5 && seen.size < max; round++) {
      const { Messages = [] } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: q.dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) if (!seen.has(m.MessageId!) && seen.size < max) seen.set(m.MessageId!, peeked(m));
    }
    return [...seen.values()];
  }

  /**
   * Moves a DLQ's messages back to their queue. On AWS (and LocalStack) SQS's own move task does it; where the
   * endpoint has none, the console moves them itself, a batch at a time, each sent before it is deleted (a crash in
   * between leaves a copy in both, never none).
   */
  async redrive(name: string): Promise<Redrive> {
    const q = this.queue(name);
    if (!q.dlqUrl) throw new Error(`the ${name} queue has no dead-letter queue`);
    try {
      const [source, destination] = await Promise.all([q.dlqArn ?? this.#arn(q.dlqUrl), q.arn ?? this.#arn(q.url)]);
      const { TaskHandle } = await this.#sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }),
      );
      return { queue: name, how: 'StartMessageMoveTask', taskHandle: TaskHandle };
    } catch (error) {
      if (!unsupported(error)) throw error;
    }
    let moved = 0;
    for (;;) {
      const { Messages = [] } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: q.dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return { queue: name, how: 'moved by the console', moved };
      const sent = await this.#sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: q.url,
          Entries: Messages.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body!,
            MessageAttributes: m.MessageAttributes,
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const done = Messages.filter((_, i) => ok.has(i));
      if (done.length > 0)
        await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: q.dlqUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      moved += done.length;
      if (done.length < Messages.length)
        throw new Error(
          `redrive of ${name} stopped after ${moved} message(s): ${(sent.Failed ?? []).map((f) => f.Message).join('; ')}`,
        );
    }
  }

  async #arn(url: string): Promise<string> {
    const { Attributes } = await this.#sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return Attributes!.QueueArn!;
  }

  /**
   * Sends a message to a queue (the receive queue, for a resubmission); returns its SQS MessageId. Given `offloadAs`,
   * a body too large for the queue (past the offload's threshold, with its attributes) is written to that key of the
   * bucket first, and the message carries an SQS extended client's pointer to it (functions/adapters/extended-client.ts),
   * as the send ports' large bodies go: sent again, it rewrites the same object.
   */
  async send(
    name: string,
    body: string,
    attributes: Readonly<Record<string, string>>,
    options: { readonly offloadAs?: string } = {},
  ): Promise<string> {
    const strings = Object.fromEntries(
      Object.entries(attributes).map(([k, v]): [string, MessageAttributeValue] => [
        k,
        { DataType: 'String', StringValue: v },
      ]),
    );
    let message = { MessageBody: body, MessageAttributes: strings };
    const offload = this.#offload;
    if (offload && options.offloadAs !== undefined && entryBytes(message) > offload.fromBytes) {
      const bytes = Buffer.from(body, 'utf8');
      await offload.payloads.put(options.offloadAs, bytes);
      message = {
        MessageBody: pointerBody({ bucket: offload.bucket, key: options.offloadAs }),
        MessageAttributes: {
          ...strings,
          [SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(bytes.byteLength) },
        },
      };
    }
    const { MessageId } = await this.#sqs.send(new SendMessageCommand({ QueueUrl: this.queue(name).url, ...message }));
    return MessageId!;
  }
}

function peeked(m: Message): PeekedMessage {
  return {
    messageId: m.MessageId!,
    body: m.Body ?? '',
    attributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) =>
        v.StringValue === undefined ? [] : [[k, v.StringValue]],
      ),
    ),
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
    ...(m.Attributes?.SentTimestamp ? { sentAt: Number(m.Attributes.SentTimestamp) } : {}),
  };
}

/** The endpoint does not know the operation (fauxqs has no move tasks). */
function unsupported(error: unknown): boolean {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return (
    /UnsupportedOperation|UnknownOperation|InvalidAction|not (implemented|supported)/i.test(`${e.name} ${e.message}`) ||
    e.$metadata?.httpStatusCode === 501
  );
}
