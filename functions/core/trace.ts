/**
 * One trace per business transaction: the W3C Trace Context of the message that started an orchestration travels
 * with everything it causes (its instance, branch instances and started orchestrations, their work items, the messages
 * sent), so a tracing tool follows one order across the receive host, host instances, timers and send ports, and a
 * consumer continues the same trace. A message without one gets one derived from its id: a redelivery, and every
 * host, derive the same.
 *
 * The value is a `traceparent` header (https://www.w3.org/TR/trace-context/): version 00, a 32-hex trace id, a
 * 16-hex parent id, flags. It is kept as text: the core never starts or ends a span.
 */
import { createHash } from 'node:crypto';
import type { InboundMessage } from './message.ts';

/** The message attribute (and message property) that carries it, named as the W3C header. */
export const TRACE_ATTRIBUTE = 'traceparent';

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/** The trace context a message brings, or one derived from its id (sampled, so downstream tools keep it). */
export function traceOf(message: Pick<InboundMessage, 'messageId' | 'properties'>): string {
  const given = message.properties[TRACE_ATTRIBUTE];
  if (isTraceparent(given)) return given;
  const hex = createHash('sha256').update(`trace\u0000${message.messageId}`).digest('hex');
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-01`;
}
