/**
 * Tracking: what happened to an instance, read from how its MessageBox items changed. Nothing here is written by
 * a step: the changes come from the table's stream (DynamoDB Streams on AWS, the embedded stack's change feed
 * locally), so a step pays no write and no read for its history (BizTalk's tracking host did the same job off
 * the MessageBox's hot path).
 *
 * Each change gives tracked events (history of one subject: an instance, or a message that never became one) and
 * flow links (a business key, a message id or a related instance, pointing at a subject), from which the message
 * flow of an order is put together across instances and queue hops.
 */
import {
  InstanceStatus,
  type InstanceState,
  type OutboxEntry,
  type SuspendedMessage,
  type Thread,
} from './instance.ts';
import type { InboundMessage } from './message.ts';

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

/** What one change of the MessageBox means for the history and the message flow. */
export function track(change: Change): Tracked {
  switch (change.kind) {
    case 'delivery': {
      const { instanceId, message, at } = change;
      return {
        events: [
          {
            subject: instanceId,
            at: message.receivedAt || at,
            kind: TrackedKind.Delivered,
            messageId: message.messageId,
            messageType: message.messageType,
            ...correlationOf(message),
          },
        ],
        links: [{ key: messageKey(message.messageId), subject: instanceId, at }],
      };
    }
    case 'suspended-message': {
      const { message, at } = change;
      const subject = subjectOfMessage(message.messageId);
      return {
        events: [
          {
            subject,
            at: message.receivedAt || at,
            kind: TrackedKind.MessageSuspended,
            messageId: message.messageId,
            messageType: message.attributes.MessageType,
            detail: message.reason,
          },
        ],
        links: [
          { key: messageKey(message.messageId), subject, at },
          ...resubmittedFrom(message.attributes, subject, at),
        ],
      };
    }
    case 'message-resolved': {
      const { message, at } = change;
      const resolution = message.resolution!;
      const subject = subjectOfMessage(message.messageId);
      const resubmitted = resolution.kind === 'resubmitted';
      return {
        events: [
          {
            subject,
            at: resolution.at || at,
            kind: resubmitted ? TrackedKind.MessageResubmitted : TrackedKind.MessageDiscarded,
            host: resolution.by,
            messageId: resolution.resubmittedAs ?? message.messageId,
            messageType: message.attributes.MessageType,
            detail: resolution.reason,
          },
        ],
        links:
          resubmitted && resolution.resubmittedAs ? [{ key: messageKey(resolution.resubmittedAs), subject, at }] : [],
      };
    }
    case 'instance':
      return instanceChange(change.before, change.after, change.at);
  }
}

function instanceChange(before: InstanceState | undefined, after: InstanceState | undefined, at: number): Tracked {
  if (!after) {
    // Gone: DynamoDB's TTL removed a finished instance.
    return before
      ? {
          events: [{ subject: before.instanceId, at, kind: TrackedKind.Expired, revision: before.revision }],
          links: [],
        }
      : { events: [], links: [] };
  }
  const subject = after.instanceId;
  // What the stream times (in whole seconds on AWS) comes after the commit it follows: never show it earlier.
  at = Math.max(at, after.updatedAt);
  const events: TrackedEvent[] = [];
  const links: FlowLink[] = [];
  const event = (e: Omit<TrackedEvent, 'subject' | 'revision'> & { revision?: number }) =>
    events.push({ subject, revision: after.revision, ...e });
  const link = (key: string) => links.push({ key, subject, at });

  if (!before) {
    const activating = Object.values(after.messages).find((m) => m.messageId === after.causationId);
    event({
      at: after.createdAt,
      kind: TrackedKind.Activated,
      host: after.lastHost,
      shape: shapeOf(after),
      messageId: after.causationId,
      messageType: activating?.messageType,
      related: after.branchOf?.instanceId,
      detail: `${after.orchestration} v${after.version}${after.branchOf ? `, branch ${after.branchOf.branch} of ${after.branchOf.parallel}` : ''}`,
    });
    link(messageKey(after.causationId));
    link(instanceKey(subject));
    link(activatedKey(after.createdAt));
    if (after.branchOf) link(instanceKey(after.branchOf.instanceId));
    if (activating) links.push(...resubmittedFrom(activating.properties, subject, at));
  }
  const base = before ?? emptyLike(after);

  for (const value of Object.values(after.correlations)) {
    if (!Object.values(base.correlations).includes(value)) link(valueKey(value));
  }

  if ((after.attempts ?? 0) > (base.attempts ?? 0) && after.revision === base.revision) {
    event({
      at,
      kind: TrackedKind.Attempt,
      shape: shapeOf(after),
      detail: `run ${after.attempts} of the step at revision ${after.revision} (its work item came back)`,
    });
  }
  if (after.dispatchedRevision !== undefined && after.dispatchedRevision !== base.dispatchedRevision) {
    event({ at, kind: TrackedKind.Dispatched, detail: `the effects of revision ${after.dispatchedRevision} went out` });
  }

  if (before && after.revision > before.revision && after.commitId === before.commitId && after.lease) {
    // A claim moves the revision and the lease and nothing else.
    const from = before.lease?.owner;
    if (from && from !== after.lease.owner)
      event({ at, kind: TrackedKind.Takeover, host: after.lease.owner, shape: shapeOf(after), detail: `from ${from}` });
    else event({ at, kind: TrackedKind.Claimed, host: after.lease.owner, shape: shapeOf(after) });
  } else if (!before || after.revision > before.revision) {
    commitEvents(base, after, !before, event, link);
  }
  return { events, links };
}

/** A persistence point: where the step went, what it took in, what it sent, what the instance now waits for. */
function commitEvents(
  before: InstanceState,
  after: InstanceState,
  created: boolean,
  event: (e: Omit<TrackedEvent, 'subject' | 'revision'>) => void,
  link: (key: string) => void,
): void {
  const at = after.updatedAt;
  const host = after.lastHost;
  const consumed = new Set(before.consumed);
  for (const messageId of after.consumed.filter((id) => !consumed.has(id))) {
    const message = Object.values(after.messages).find((m) => m.messageId === messageId);
    event({
      at,
      kind: TrackedKind.Received,
      host,
      messageId,
      messageType: message?.messageType,
      ...(message ? correlationOf(message) : {}),
    });
    link(messageKey(messageId));
  }
  if (!created) {
    if (after.failovers > before.failovers)
      event({
        at,
        kind: TrackedKind.Takeover,
        host,
        detail: `finished the step ${before.lease?.owner ?? 'another host instance'} left unfinished`,
      });
    event({ at, kind: TrackedKind.Persisted, host, shape: shapeOf(after), fromShape: shapeOf(before) });
  }
  for (const entry of newEntries(before.outbox, after.outbox)) {
    switch (entry.kind) {
      case 'send':
        event({
          at,
          kind: TrackedKind.Sent,
          host,
          messageId: entry.messageId,
          messageType: entry.messageType,
          port: entry.port,
          correlationId: entry.correlationId,
        });
        link(messageKey(entry.messageId));
        break;
      case 'start':
        event({
          at,
          kind: TrackedKind.Started,
          host,
          messageId: entry.messageId,
          messageType: entry.messageType,
          detail: entry.orchestration,
        });
        link(messageKey(entry.messageId));
        break;
      case 'fork':
        event({
          at,
          kind: TrackedKind.Forked,
          host,
          related: entry.branch.instanceId,
          detail: `branch ${entry.branch.branchOf?.branch ?? ''}`.trim(),
        });
        link(instanceKey(entry.branch.instanceId));
        break;
      case 'join':
        event({ at, kind: TrackedKind.BranchEnded, host, related: entry.instanceId });
        break;
      case 'retire':
        break;
    }
  }
  for (const thread of after.cursor.threads) {
    const earlier = before.cursor.threads.find((t) => t.id === thread.id);
    if (thread.timerDue !== undefined && thread.timerDue !== earlier?.timerDue) {
      event({
        at,
        kind: TrackedKind.Timer,
        host,
        shape: thread.at,
        detail: `until ${new Date(thread.timerDue).toISOString()}`,
      });
    }
  }
  if (before.status !== after.status || created) {
    switch (after.status) {
      case InstanceStatus.Waiting:
        event({ at, kind: TrackedKind.Waiting, host, shape: shapeOf(after), detail: waitingFor(after.cursor.threads) });
        break;
      case InstanceStatus.Completed:
        if (before.status === InstanceStatus.Suspended)
          event({ at, kind: TrackedKind.Resumed, host, detail: 'its last effects went out' });
        event({ at, kind: TrackedKind.Completed, host });
        link(endedKey(InstanceStatus.Completed, at));
        break;
      case InstanceStatus.Suspended:
        event({
          at,
          kind: TrackedKind.Suspended,
          host,
          shape: after.error?.shapeId ?? shapeOf(after),
          detail: after.error?.reason,
        });
        break;
      case InstanceStatus.Terminated:
        event({ at, kind: TrackedKind.Terminated, host, detail: after.error?.reason });
        link(endedKey(InstanceStatus.Terminated, at));
        break;
      case InstanceStatus.Running:
        if (before.status === InstanceStatus.Suspended)
          event({ at, kind: TrackedKind.Resumed, host, shape: shapeOf(after) });
        break;
    }
    if (before.status === InstanceStatus.Suspended && after.status === InstanceStatus.Waiting)
      event({ at, kind: TrackedKind.Resumed, host, shape: shapeOf(after) });
  }
}

/** Entries of a commit's outbox that the previous commit did not carry (a terminate keeps undispatched ones). */
function newEntries(before: readonly OutboxEntry[], after: readonly OutboxEntry[]): OutboxEntry[] {
  const seen = new Set(before.map(entryKey));
  return after.filter((entry) => !seen.has(entryKey(entry)));
}

function entryKey(entry: OutboxEntry): string {
  switch (entry.kind) {
    case 'send':
    case 'start':
      return `${entry.kind}:${entry.messageId}`;
    case 'fork':
      return `fork:${entry.branch.instanceId}`;
    case 'join':
      return `join:${entry.instanceId}`;
    case 'retire':
      return `retire:${entry.instanceIds.join(',')}`;
  }
}

function shapeOf(state: InstanceState): string | undefined {
  return state.cursor.threads[0]?.at;
}

function waitingFor(threads: readonly Thread[]): string {
  const due = threads.map((t) => t.timerDue).filter((t): t is number => t !== undefined);
  const timer = due.length ? ` or until ${new Date(Math.min(...due)).toISOString()}` : '';
  return `a message at ${threads.map((t) => t.at).join(', ')}${timer}`;
}

function correlationOf(message: InboundMessage): { correlationId?: string } {
  const id = message.properties.CorrelationId;
  return id ? { correlationId: id } : {};
}

/** A message resubmitted by an operator names the one it replaces: the flow goes from one to the other. */
function resubmittedFrom(properties: Readonly<Record<string, string>>, subject: string, at: number): FlowLink[] {
  const original = properties[RESUBMITTED_FROM];
  return original ? [{ key: messageKey(original), subject, at }] : [];
}

/** The message attribute a resubmitted message carries: the id of the suspended message it replaces. */
export const RESUBMITTED_FROM = 'ResubmittedFrom';

/** An instance before anything: what an INSERT is compared with. */
function emptyLike(state: InstanceState): InstanceState {
  return {
    ...state,
    status: InstanceStatus.Running,
    cursor: { threads: [] },
    outbox: [],
    consumed: [],
    correlations: {},
    failovers: 0,
    attempts: undefined,
    dispatchedRevision: undefined,
    lease: undefined,
  };
}
