import type { SQSRecord } from 'aws-lambda';
import type { RawMessage } from '../core/message.ts';

/** String message attributes of an SQS record as plain properties (binary attributes are not context properties). */
export function toRawMessage(record: SQSRecord): RawMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[name] = value.stringValue;
  }
  return {
    messageId: record.messageId,
    body: record.body,
    attributes,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
  };
}
