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
import { InstanceStatus, type InstanceState } from './instance.ts';
import { commitEvents, correlationOf, shapeOf } from './tracking/commit-events.ts';
import {
  activatedKey,
  instanceKey,
  messageKey,
  subjectOfMessage,
  TrackedKind,
  valueKey,
  type Change,
  type FlowLink,
  type Tracked,
  type TrackedEvent,
} from './tracking/events.ts';

export * from './tracking/events.ts';

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
          // The business keys it carries: the flow of an order shows its messages no instance took (uncorrelated,
          // refused, unreadable in part), beside the instances that have the key.
          ...(message.keys ?? []).map((key) => ({ key: valueKey(key), subject, at })),
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
