import type { InstanceState, SuspendedMessage } from '../instance.ts';
import type { InboundMessage } from '../message.ts';

/** One change of one MessageBox item, decoded by the adapter that read it. */
export type Change =
  | { readonly kind: 'instance'; readonly at: number; readonly before?: InstanceState; readonly after?: InstanceState }
  | { readonly kind: 'delivery'; readonly at: number; readonly instanceId: string; readonly message: InboundMessage }
  | { readonly kind: 'suspended-message'; readonly at: number; readonly message: SuspendedMessage }
  /** An operator resubmitted or discarded a suspended message (its `resolution`). */
  | { readonly kind: 'message-resolved'; readonly at: number; readonly message: SuspendedMessage };

export const TrackedKind = {
  Activated: 'activated',
  Delivered: 'delivered',
  Received: 'received',
  Claimed: 'claimed',
  Takeover: 'takeover',
  Attempt: 'attempt',
  Persisted: 'persisted',
  Sent: 'sent',
  Started: 'started',
  Forked: 'forked',
  BranchEnded: 'branch-ended',
  Dispatched: 'dispatched',
  Timer: 'timer',
  Waiting: 'waiting',
  Completed: 'completed',
  /** A parallel branch instance ended with an error its orchestration's join raises (it is `completed`, with it). */
  Failed: 'failed',
  Suspended: 'suspended',
  Resumed: 'resumed',
  Terminated: 'terminated',
  Expired: 'expired',
  MessageSuspended: 'message-suspended',
  MessageResubmitted: 'message-resubmitted',
  MessageDiscarded: 'message-discarded',
} as const;
export type TrackedKind = (typeof TrackedKind)[keyof typeof TrackedKind];

export interface TrackedEvent {
  /** Whose history it is: an instance id, or `message:<id>` for a message that could not become an instance. */
  readonly subject: string;
  /**
   * Epoch ms: the host's time for what a host wrote (a commit), the store's time for the rest. A subject's history
   * is in the order its changes happened (their stream sequence), which the times of several clocks may not show.
   */
  readonly at: number;
  readonly kind: TrackedKind;
  /** The instance's revision after the change, when the change is one of the instance itself. */
  readonly revision?: number;
  /** The host instance that did it. */
  readonly host?: string;
  /** The shape the instance is at after the change (for a persistence point: the shape it went on to). */
  readonly shape?: string;
  /** For a persistence point: the shape the step started from. */
  readonly fromShape?: string;
  readonly messageId?: string;
  readonly messageType?: string;
  readonly correlationId?: string;
  readonly port?: string;
  /** Another instance this one made or reported to (a branch, its orchestration, a started one). */
  readonly related?: string;
  /** What a person reads: a reason, what it waits for, which host it took over from. */
  readonly detail?: string;
  /** Some of its text was cut to fit the history (see `fitEvent`); each field cut says from how many bytes. */
  readonly cut?: true;
}

/** A way into the message flow: `value:<correlation value>`, `message:<message id>` or `instance:<id>`. */
export interface FlowLink {
  readonly key: string;
  readonly subject: string;
  readonly at: number;
}

export interface Tracked {
  readonly events: readonly TrackedEvent[];
  readonly links: readonly FlowLink[];
}

export const subjectOfMessage = (messageId: string) => `message:${messageId}`;
export const valueKey = (value: string) => `value:${value}`;
export const messageKey = (messageId: string) => `message:${messageId}`;
export const instanceKey = (instanceId: string) => `instance:${instanceId}`;
/** Instances activated, and instances that ended (completed or terminated), by the hour (UTC): what a search by time reads. */
export const activatedKey = (at: number) => `activated:${hourOf(at)}`;
export const endedKey = (status: string, at: number) => `ended:${status}:${hourOf(at)}`;
export function hourOf(at: number): string {
  return new Date(at).toISOString().slice(0, 13);
}

/** The fields of an event that hold text from outside (a reason, a message's type or ids, an operator's name). */
const TEXT_FIELDS = [
  'detail',
  'messageType',
  'messageId',
  'correlationId',
  'host',
  'port',
  'related',
  'shape',
  'fromShape',
] as const;
/** A field is never cut below this: what is left still says what it was. */
const KEPT_BYTES = 256;

/**
 * The event, fitting in `maxBytes` as UTF-8 JSON: one larger (a reason of megabytes written by an earlier version, a
 * message type of 200 KB) has its longest text fields cut, each saying from how many bytes, and is marked `cut`. A
 * single event is never split, and one too large for the history's item would fail its write on every retry: the
 * change's whole history lost, and the claim-checked objects its batch let go of never deleted.
 */
export function fitEvent<E extends Partial<TrackedEvent>>(event: E, maxBytes: number): E {
  if (jsonBytes(event) <= maxBytes) return event;
  let fitted: Record<string, unknown> = { ...event, cut: true };
  const done = new Set<string>();
  for (let excess = jsonBytes(fitted) - maxBytes; excess > 0; excess = jsonBytes(fitted) - maxBytes) {
    // The longest field not cut yet: one cut takes all it can from a field (a byte less of text is a byte less of JSON).
    const field = TEXT_FIELDS.filter(
      (f) => !done.has(f) && typeof fitted[f] === 'string' && utf8Bytes(fitted[f] as string) > KEPT_BYTES,
    ).sort((a, b) => utf8Bytes(fitted[b] as string) - utf8Bytes(fitted[a] as string))[0];
    if (!field) break;
    done.add(field);
    const text = fitted[field] as string;
    const bytes = utf8Bytes(text);
    const note = ` … [cut: ${bytes} bytes in all]`;
    const keep = Math.max(KEPT_BYTES, bytes - excess - utf8Bytes(note));
    fitted = { ...fitted, [field]: utf8Prefix(text, keep) + note };
  }
  return fitted as E;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const jsonBytes = (value: unknown) => utf8Bytes(JSON.stringify(value));

/** The longest start of `text` of at most `bytes` UTF-8 bytes, never half a character. */
function utf8Prefix(text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.byteLength <= bytes) return text;
  let end = bytes;
  // Back to the start of a character: continuation bytes are 0b10xxxxxx.
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}
