import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SendEntry } from '../core/instance.ts';
import type { SendPort } from '../core/ports.ts';
import { CoalescingSender, entryBytes } from './sqs-batches.ts';
import type { PayloadStore } from './claim-check.ts';
import { SIZE_ATTRIBUTE, pointerBody } from './extended-client.ts';
import { TRACE_ATTRIBUTE } from '../core/trace.ts';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { traceparentOf, tracer } from './tracing.ts';
import { CLAIM_CHECK } from '../settings.ts';

/** Outbound bodies over `fromBytes` (with their attributes, as the extended clients count) go to `bucket` as pointers. */
export interface OutboundOffload {
  readonly payloads: PayloadStore;
  readonly bucket: string;
  readonly fromBytes: number;
}

/** Under `outbound/`, by the message's id: a re-dispatch after a crash rewrites the same object. */
export const outboundKey = (messageId: string) => `${CLAIM_CHECK.outboundPrefix}${encodeURIComponent(messageId)}`;

/**
 * Send ports on SQS: each logical port name maps to a queue URL. Every message carries a deterministic
 * `MessageId` attribute, so a re-dispatch after a crash can be deduplicated by consumers; on a FIFO queue
 * it is also the deduplication id, so SQS drops the copy itself (within its 5-minute window).
 *
 * With an offload, a body larger than its threshold goes out as an SQS extended client's pointer (extended-client.ts):
 * the object is written first, then the message, so a consumer never gets a pointer to nothing. Objects are left for
 * the consumers, as the extended clients leave them; the bucket's lifecycle removes them after SQS's retention.
 */
export class SqsSendPort implements SendPort {
  readonly #sender: CoalescingSender;
  readonly #ports: Readonly<Record<string, string>>;
  readonly #offload?: OutboundOffload;

  constructor(client: SQSClient, ports: Readonly<Record<string, string>>, offload?: OutboundOffload) {
    this.#sender = new CoalescingSender(client);
    this.#ports = ports;
    this.#offload = offload;
  }

  async dispatch(entries: readonly SendEntry[]): Promise<void> {
    const byPort = new Map<string, SendEntry[]>();
    for (const entry of entries) byPort.set(entry.port, [...(byPort.get(entry.port) ?? []), entry]);
    // Every port is checked before anything is sent.
    const unbound = [...byPort.keys()].filter((port) => !this.#ports[port]);
    if (unbound.length > 0)
      throw new Error(
        `send port(s) ${unbound.map((p) => `"${p}"`).join(', ')} not bound to a queue; bound ports: ${Object.keys(this.#ports).join(', ')}`,
      );
    await Promise.all(
      [...byPort].map(async ([port, group]) => {
        const queueUrl = this.#ports[port]!;
        const fifo = queueUrl.endsWith('.fifo');
        // A send span (OpenTelemetry's messaging conventions; a no-op without an SDK), child of the step that sends.
        const span = tracer().startSpan(`send ${port}`, {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'aws_sqs',
            'messaging.operation.type': 'send',
            'messaging.destination.name': port,
            'messaging.batch.message_count': group.length,
          },
        });
        try {
          return await this.#sender.send(
            queueUrl,
            await Promise.all(
              group.map(async (entry) => {
                // W3C Trace Context, so a consumer continues the order's trace (core/trace.ts): the send span's when one
                // records, else the instance's.
                const traceparent = traceparentOf(span) ?? entry.trace;
                return {
                  ...(await this.#carried(entry, {
                    MessageType: { DataType: 'String', StringValue: entry.messageType },
                    MessageId: { DataType: 'String', StringValue: entry.messageId },
                    InstanceId: { DataType: 'String', StringValue: entry.instanceId },
                    CorrelationId: { DataType: 'String', StringValue: entry.correlationId },
                    ...(traceparent ? { [TRACE_ATTRIBUTE]: { DataType: 'String', StringValue: traceparent } } : {}),
                  })),
                  ...(fifo ? { MessageGroupId: entry.instanceId, MessageDeduplicationId: entry.messageId } : {}),
                };
              }),
            ),
          );
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      }),
    );
  }

  /** The body and attributes a message goes out with: as they are, or a pointer to the body's object. */
  async #carried(entry: SendEntry, attributes: Record<string, { DataType: string; StringValue: string }>) {
    const body = JSON.stringify(entry.body);
    const offload = this.#offload;
    if (!offload || entryBytes({ MessageBody: body, MessageAttributes: attributes }) <= offload.fromBytes)
      return { MessageBody: body, MessageAttributes: attributes };
    const bytes = Buffer.byteLength(body, 'utf8');
    const key = outboundKey(entry.messageId);
    await offload.payloads.put(key, Buffer.from(body, 'utf8'));
    return {
      MessageBody: pointerBody({ bucket: offload.bucket, key }),
      MessageAttributes: { ...attributes, [SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(bytes) } },
    };
  }
}
