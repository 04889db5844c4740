/**
 * The message flow of a business transaction: from a correlation value (an `orderId`), a message id or an
 * instance id, every instance it touched (convoys, parallel branches, started orchestrations) and every message
 * in and out of them, in time order. BizTalk's Message Flow view covers one instance; this follows the links the
 * tracking recorded (core/tracking.ts) across instances and queue hops.
 */
import type { HistoryStore } from './ports.ts';
import { instanceKey, messageKey, valueKey, type TrackedEvent } from './tracking.ts';

export interface MessageFlow {
  /** Instances (and suspended messages) the flow touched, in the order they were found. */
  readonly subjects: readonly string[];
  /** Their events, oldest first, each with the time since the flow's previous event. */
  readonly events: readonly (TrackedEvent & { readonly sincePreviousMs: number })[];
  /** The flow reached a limit (subjects or events) and shows only part of what is linked. */
  readonly truncated: boolean;
}

export interface FlowLimits {
  readonly maxSubjects?: number;
  readonly maxEventsPerSubject?: number;
}

/**
 * The flow from what an operator typed: it may be a correlation value, a message id or an instance id; or from
 * several of these at once (an instance and its business keys), one flow.
 */
export async function messageFlow(
  history: HistoryStore,
  query: string | readonly string[],
  limits: FlowLimits = {},
): Promise<MessageFlow> {
  const maxSubjects = limits.maxSubjects ?? 100;
  const maxEvents = limits.maxEventsPerSubject ?? 2_000;
  const keys = (typeof query === 'string' ? [query] : query).flatMap((q) => [
    valueKey(q),
    messageKey(q),
    instanceKey(q),
  ]);
  const seenKeys = new Set<string>(keys);
  const subjects: string[] = [];
  const events: TrackedEvent[] = [];
  let truncated = false;
  while (keys.length > 0) {
    const key = keys.shift()!;
    for (const subject of await history.linked(key)) {
      if (subjects.includes(subject)) continue;
      if (subjects.length >= maxSubjects) {
        truncated = true;
        break;
      }
      subjects.push(subject);
      const own = await allEvents(history, subject, maxEvents);
      truncated ||= own.truncated;
      events.push(...own.events);
      // What this subject's history names leads further: the messages it took and sent, the instances it made.
      const next = [
        instanceKey(subject),
        ...own.events.flatMap((e) => [
          e.messageId ? messageKey(e.messageId) : undefined,
          e.related ? instanceKey(e.related) : undefined,
        ]),
      ];
      for (const k of next) {
        if (k && !seenKeys.has(k)) {
          seenKeys.add(k);
          keys.push(k);
        }
      }
    }
  }
  events.sort((a, b) => a.at - b.at || a.subject.localeCompare(b.subject));
  return {
    subjects,
    events: events.map((e, i) => ({ ...e, sincePreviousMs: i === 0 ? 0 : e.at - events[i - 1]!.at })),
    truncated,
  };
}

async function allEvents(
  history: HistoryStore,
  subject: string,
  max: number,
): Promise<{ events: TrackedEvent[]; truncated: boolean }> {
  const events: TrackedEvent[] = [];
  let after: string | undefined;
  do {
    const page = await history.history(subject, { limit: Math.min(1_000, max - events.length), after });
    events.push(...page.events);
    after = page.next;
  } while (after && events.length < max);
  return { events, truncated: after !== undefined };
}
