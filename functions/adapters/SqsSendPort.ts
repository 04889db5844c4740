import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SendEntry } from '../core/instance.ts';
import type { SendPort } from '../core/ports.ts';
import { CoalescingSender } from './sqs-batches.ts';

/**
 * Send ports on SQS: each logical port name maps to a queue URL. Every message carries a deterministic
 * `MessageId` attribute, so a re-dispatch after a crash can be deduplicated by consumers; on a FIFO queue
 * it is also the deduplication id, so SQS drops the copy itself (within its 5-minute window).
 */
export class SqsSendPort implements SendPort {
  readonly #sender: CoalescingSender;
  readonly #ports: Readonly<Record<string, string>>;

  constructor(client: SQSClient, ports: Readonly<Record<string, string>>) {
    this.#sender = new CoalescingSender(client);
    this.#ports = ports;
  }

  async dispatch(entries: readonly SendEntry[]): Promise<void> {
    const byPort = new Map<string, SendEntry[]>();
    for (const entry of entries) byPort.set(entry.port, [...(byPort.get(entry.port) ?? []), entry]);
    // Every port is checked before anything is sent.
    const unbound = [...byPort.keys()].filter((port) => !this.#ports[port]);
    if (unbound.length > 0) throw new Error(`send port(s) ${unbound.map((p) => `"${p}"`).join(', ')} not bound to a queue; bound ports: ${Object.keys(this.#ports).join(', ')}`);
    await Promise.all([...byPort].map(([port, group]) => {
      const queueUrl = this.#ports[port]!;
      const fifo = queueUrl.endsWith('.fifo');
      return this.#sender.send(queueUrl, group.map((entry) => ({
        MessageBody: JSON.stringify(entry.body),
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: entry.messageType },
          MessageId: { DataType: 'String', StringValue: entry.messageId },
          InstanceId: { DataType: 'String', StringValue: entry.instanceId },
          CorrelationId: { DataType: 'String', StringValue: entry.correlationId },
        },
        ...(fifo ? { MessageGroupId: entry.instanceId, MessageDeduplicationId: entry.messageId } : {}),
      })));
    }));
  }
}
