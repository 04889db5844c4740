import { InstanceStatus, type InstanceState, type OutboxEntry, type Thread } from '../instance.ts';
import type { InboundMessage } from '../message.ts';
import { endedKey, instanceKey, messageKey, TrackedKind, type TrackedEvent } from './events.ts';

type Emit = (e: Omit<TrackedEvent, 'subject' | 'revision'>) => void;
type Link = (key: string) => void;

/** A persistence point: where the step went, what it took in, what it sent, what the instance now waits for. */
export function commitEvents(
  before: InstanceState,
  after: InstanceState,
  created: boolean,
  event: Emit,
  link: Link,
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
  for (const entry of newEntries(before.outbox, after.outbox)) outboxEvent(entry, at, host, event, link);
  for (const thread of after.cursor.threads) {
    const earlier = before.cursor.threads.find((t) => t.id === thread.id);
    if (thread.timerDue !== undefined && thread.timerDue !== earlier?.timerDue) {
      const detail = `until ${new Date(thread.timerDue).toISOString()}`;
      event({ at, kind: TrackedKind.Timer, host, shape: thread.at, detail });
    }
  }
  if (before.status !== after.status || created) statusEvents(before, after, event, link);
}

/** What an effect of a commit says: a message sent, an orchestration started, a branch forked, a join woken. */
function outboxEvent(entry: OutboxEntry, at: number, host: string | undefined, event: Emit, link: Link): void {
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
        detail: `${entry.branch.branchOf?.child ? 'child' : 'branch'} ${entry.branch.branchOf?.branch ?? ''}`.trim(),
      });
      link(instanceKey(entry.branch.instanceId));
      break;
    case 'join':
      event({ at, kind: TrackedKind.BranchEnded, host, related: entry.instanceId });
      break;
    case 'retire':
    case 'cancel':
    case 'unlock':
      break;
  }
}

/** What a change of status says: waiting for what, completed, suspended why, terminated why, resumed. */
function statusEvents(before: InstanceState, after: InstanceState, event: Emit, link: Link): void {
  const at = after.updatedAt;
  const host = after.lastHost;
  switch (after.status) {
    case InstanceStatus.Waiting:
      event({ at, kind: TrackedKind.Waiting, host, shape: shapeOf(after), detail: waitingFor(after.cursor.threads) });
      break;
    case InstanceStatus.Completed:
      if (before.status === InstanceStatus.Suspended)
        event({ at, kind: TrackedKind.Resumed, host, detail: 'its last effects went out' });
      // A branch that failed into its orchestration's error handler ends `completed` with its error: it failed.
      if (after.error && after.branchOf) event({ at, kind: TrackedKind.Failed, host, detail: after.error.reason });
      else event({ at, kind: TrackedKind.Completed, host });
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
    case 'cancel':
      return `${entry.kind}:${entry.instanceIds.join(',')}`;
    case 'unlock':
      return `unlock:${entry.lock.name}:${entry.holder.revision}`;
    case 'correlate':
      return `correlate:${entry.set}:${entry.value}`;
  }
}

export function shapeOf(state: InstanceState): string | undefined {
  return state.cursor.threads[0]?.at;
}

function waitingFor(threads: readonly Thread[]): string {
  const lock = threads.find((t) => t.waitsFor !== undefined);
  if (lock) return `the lock ${JSON.stringify(lock.waitsFor)} at ${lock.at}`;
  const due = threads.map((t) => t.timerDue).filter((t): t is number => t !== undefined);
  const timer = due.length ? ` or until ${new Date(Math.min(...due)).toISOString()}` : '';
  return `a message at ${threads.map((t) => t.at).join(', ')}${timer}`;
}

export function correlationOf(message: InboundMessage): { correlationId?: string } {
  const id = message.properties.CorrelationId;
  return id ? { correlationId: id } : {};
}
