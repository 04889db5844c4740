import { InvalidMessage } from './errors.ts';

/**
 * A message as the engine sees it: typed, parsed, with its context properties (promoted properties in BizTalk).
 *
 * @typeParam Body - The body's type.
 */
export interface InboundMessage<Body = unknown> {
  /** Id of the transport message (the SQS MessageId): stable across redeliveries. */
  readonly messageId: string;
  /** Its message type's name (its `MessageType` attribute). */
  readonly messageType: string;
  /** The parsed body; when its type has a schema, the schema's output (validated before routing). */
  readonly body: Body;
  /** Its context properties: the message's other string attributes, by name. */
  readonly properties: Readonly<Record<string, string>>;
  /** Epoch ms when the receive host took it. */
  readonly receivedAt: number;
  /** Set in an inbox: the creation time of the instance it was delivered to (see InstanceStore.deliver). */
  readonly incarnation?: number;
  /**
   * Set in an inbox: the correlation values the delivery read from it, by set. A receive matches on them without the
   * body, which an inbox listing leaves out when it is large (see `InboxEntry`).
   */
  readonly keys?: Readonly<Record<string, string>>;
}

/**
 * A message in an instance's inbox as a listing gives it: whole, or, when its body is large, without it (`bodyLeft`),
 * to be read whole only if a receive takes it. So a wake-up's memory and reads follow what it takes, not what waits.
 */
export type InboxEntry =
  | InboundMessage
  | (Omit<InboundMessage, 'body'> & { readonly body?: undefined; readonly bodyLeft: true });

/** Whether an inbox entry came without its body. */
export function bodyLeft(
  entry: InboxEntry,
): entry is Omit<InboundMessage, 'body'> & { readonly body?: undefined; readonly bodyLeft: true } {
  return 'bodyLeft' in entry && entry.bodyLeft === true;
}

/**
 * An inbox entry's body is left out of listings once the whole message takes more than this (the sample's Approval and
 * Cancel take about 200 bytes): the listing of a long convoy backlog stays small.
 */
export const LISTED_MESSAGE_BYTES = 2048;

/** What arrives from the receive queue before it is parsed. */
export interface RawMessage {
  readonly messageId: string;
  readonly body: string;
  /** String message attributes; binary ones are ignored. */
  readonly attributes: Readonly<Record<string, string>>;
  /** How many times the transport delivered it (SQS ApproximateReceiveCount). */
  readonly receiveCount?: number;
  /**
   * Taken from the receive queue's dead-letter queue: every delivery before failed, so this one is the last. What
   * fails again is kept as a suspended message; nothing stays in a dead-letter queue that nothing reads.
   */
  readonly deadLettered?: boolean;
}

export const MESSAGE_TYPE_ATTRIBUTE = 'MessageType';
/** What the receive host accepts in a `MessageType` attribute, and what a definition may name. */
export const MESSAGE_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const TYPE_PATTERN = MESSAGE_TYPE_PATTERN;

/**
 * Parses and types a raw message: JSON body; type from the `MessageType` attribute, else from a
 * `messageType` field of the body. Other attributes become context properties.
 *
 * @throws InvalidMessage with a reason a person can act on.
 */
export function parseInbound(raw: RawMessage, receivedAt: number): InboundMessage {
  let body: unknown;
  try {
    body = JSON.parse(raw.body);
  } catch (error) {
    throw new InvalidMessage(`body is not JSON (${(error as Error).message})`, { cause: error });
  }
  const fromAttribute = raw.attributes[MESSAGE_TYPE_ATTRIBUTE];
  const fromBody = isRecord(body) && typeof body.messageType === 'string' ? body.messageType : undefined;
  const messageType = fromAttribute ?? fromBody;
  if (messageType === undefined) {
    throw new InvalidMessage(
      `no message type: set the "${MESSAGE_TYPE_ATTRIBUTE}" message attribute or a "messageType" field in the body`,
    );
  }
  if (!TYPE_PATTERN.test(messageType)) {
    throw new InvalidMessage(
      `message type ${JSON.stringify(messageType.slice(0, 140))} is not a valid type name (${TYPE_PATTERN})`,
    );
  }
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.attributes)) {
    if (key !== MESSAGE_TYPE_ATTRIBUTE) properties[key] = value;
  }
  return { messageId: raw.messageId, messageType, body, properties, receivedAt };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
