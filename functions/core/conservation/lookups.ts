import { TERMINAL_STATUSES, type InstanceState, type SuspendedMessage } from '../instance.ts';
import type { InboxEntry, RawMessage } from '../message.ts';
import type { BodyResolver, HistoryStore, InstanceStore } from '../ports.ts';
import type { OrchestrationRegistry } from '../registry.ts';
import { messageKey, subjectOfMessage, TrackedKind, type TrackedEvent } from '../tracking.ts';
import type { Delivery } from './fates.ts';

/** The source a suspended record of a message left unread in an ended instance's inbox names. */
export const INBOX_SOURCE = 'inbox of ';

export interface ConservationPorts {
  readonly store: InstanceStore;
  /**
   * The tracked history: what says which instance took a message. Without it (a run with tracking off) the MessageBox
   * says so instead (the instance's `consumed`, its settled records), and an instance that expired says nothing.
   */
  readonly history?: HistoryStore;
  /** Routes each message as the receive host does. */
  readonly registry: OrchestrationRegistry;
  /** Follows a body its sender left elsewhere (an extended client's pointer), as the receive host does. */
  readonly bodies?: BodyResolver;
}

/** What the store and the history know of one message as a whole: its suspended record, and whether it was ever suspended. */
export interface MessageFacts {
  readonly record?: SuspendedMessage;
  /** The history's `message-suspended` event of it, if any: a record that existed (read only when the record is not there). */
  suspendedEvent(): Promise<TrackedEvent | undefined>;
}

/** What one instance shows: its state, its inbox now, and from its history what it was delivered and what it took. */
export interface InstanceFacts {
  readonly state?: InstanceState;
  readonly inbox: readonly InboxEntry[];
  /** Messages it took (the history's `received`), by id. */
  readonly received: ReadonlyMap<string, TrackedEvent>;
  /** Messages put in its inbox (the history's `delivered`). */
  readonly delivered: ReadonlySet<string>;
  /** The history has it end (completed, terminated, expired): it may be gone from the MessageBox. */
  readonly endedInHistory: boolean;
  /** The history knows it at all. */
  readonly known: boolean;
}

/** The lookups, each made once however many messages ask it. */
export class Lookups {
  readonly ports: ConservationPorts;
  readonly #instances = new Map<string, Promise<InstanceFacts>>();
  readonly #messages = new Map<string, Promise<MessageFacts>>();

  constructor(ports: ConservationPorts) {
    this.ports = ports;
  }

  resolve(raw: RawMessage): Promise<RawMessage> {
    return this.ports.bodies ? this.ports.bodies.resolve(raw).catch(() => raw) : Promise.resolve(raw);
  }

  instance(instanceId: string): Promise<InstanceFacts> {
    let facts = this.#instances.get(instanceId);
    if (!facts) this.#instances.set(instanceId, (facts = this.#readInstance(instanceId)));
    return facts;
  }

  async record(messageId: string): Promise<SuspendedMessage | undefined> {
    return (await this.messageFacts(messageId)).record;
  }

  messageFacts(messageId: string): Promise<MessageFacts> {
    let facts = this.#messages.get(messageId);
    if (!facts) this.#messages.set(messageId, (facts = this.#readMessage(messageId)));
    return facts;
  }

  async settled(instanceId: string, messageId: string): Promise<boolean> {
    return (await this.ports.store.settled(instanceId, [messageId])).has(messageId);
  }

  /**
   * Instances the history shows a message reached (put in their inbox, or taken): of the subjects linked to its id,
   * those whose own history says so (the rest are linked for other reasons: a branch instance names its order's
   * message as its cause, a resolved record names the message it was resubmitted as).
   */
  async reachedInstances(messageId: string): Promise<string[]> {
    if (!this.ports.history) return [];
    const subjects = (await this.ports.history.linked(messageKey(messageId), 1_000)).filter(
      (s) => s !== subjectOfMessage(messageId) && !s.startsWith(subjectOfMessage('')),
    );
    const reached = await Promise.all(
      subjects.map(async (s) => {
        const facts = await this.instance(s);
        return facts.received.has(messageId) ||
          facts.delivered.has(messageId) ||
          facts.inbox.some((m) => m.messageId === messageId)
          ? s
          : undefined;
      }),
    );
    return reached.filter((s): s is string => s !== undefined);
  }

  /** Messages, other than `known`, left unread with no suspended record in the inbox of an instance looked at that ended. */
  async strays(known: ReadonlySet<string>, final: boolean): Promise<Delivery[]> {
    const found: Delivery[] = [];
    for (const [instanceId, pending] of this.#instances) {
      const facts = await pending;
      const status = facts.state?.status;
      if (!(status !== undefined ? TERMINAL_STATUSES.has(status) : facts.endedInHistory)) continue;
      for (const message of facts.inbox) {
        const id = message.messageId;
        if (known.has(id) || facts.received.has(id) || facts.state?.consumed.includes(id)) continue;
        if (message.incarnation !== undefined && facts.state && message.incarnation !== facts.state.createdAt) continue;
        if (await this.settled(instanceId, id)) continue;
        if ((await this.record(id))?.source === `${INBOX_SOURCE}${instanceId}`) continue;
        const why = `a ${message.messageType} left unread in the inbox of ${instanceId}, which ended ${status ?? 'and expired'} without taking it, and no suspended record of it`;
        found.push({
          messageId: id,
          to: instanceId,
          fate: final ? { kind: 'unaccounted', why } : { kind: 'open', why },
        });
      }
    }
    return found.sort((a, b) => a.to!.localeCompare(b.to!) || a.messageId.localeCompare(b.messageId));
  }

  async #readInstance(instanceId: string): Promise<InstanceFacts> {
    const [state, inbox, events] = await Promise.all([
      this.ports.store.load(instanceId),
      this.ports.store.deliveries(instanceId),
      this.#history(instanceId),
    ]);
    const received = new Map<string, TrackedEvent>();
    const delivered = new Set<string>();
    let endedInHistory = false;
    for (const event of events) {
      if (event.kind === TrackedKind.Received && event.messageId && !received.has(event.messageId))
        received.set(event.messageId, event);
      if (event.kind === TrackedKind.Delivered && event.messageId) delivered.add(event.messageId);
      if (
        event.kind === TrackedKind.Completed ||
        event.kind === TrackedKind.Failed ||
        event.kind === TrackedKind.Terminated ||
        event.kind === TrackedKind.Expired
      )
        endedInHistory = true;
      // A resume reopens what a suspension of a finished instance kept (`suspendedFrom`); a resumed instance is not ended.
      if (event.kind === TrackedKind.Resumed) endedInHistory = false;
    }
    return { state, inbox, received, delivered, endedInHistory, known: events.length > 0 };
  }

  async #readMessage(messageId: string): Promise<MessageFacts> {
    const record = await this.ports.store.suspendedMessage(messageId);
    let event: Promise<TrackedEvent | undefined> | undefined;
    const suspendedEvent = () =>
      (event ??= this.#history(subjectOfMessage(messageId)).then((events) =>
        events.find((e) => e.kind === TrackedKind.MessageSuspended),
      ));
    return { ...(record ? { record } : {}), suspendedEvent };
  }

  async #history(subject: string): Promise<TrackedEvent[]> {
    return this.ports.history ? wholeHistory(this.ports.history, subject) : [];
  }
}

/** A subject's whole history, page after page, in the order it happened. */
export async function wholeHistory(history: HistoryStore, subject: string): Promise<TrackedEvent[]> {
  const events: TrackedEvent[] = [];
  let after: string | undefined;
  do {
    const page = await history.history(subject, { limit: 1_000, after });
    events.push(...page.events);
    after = page.next;
  } while (after);
  return events;
}

/** Runs at most `size` of the given tasks at once. */
export function pool(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot to the next one waiting, so no newcomer slips in between.
    if (running >= size) await new Promise<void>((go) => waiting.push(go));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
