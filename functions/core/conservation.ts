/**
 * Conservation, the invariant behind "nothing lost": every message the receive queue accepted, to every subscriber
 * it was routed to, ends in exactly one of four ways:
 *
 * - **taken** by an instance (its tracked history says which, when, on which host instance);
 * - **suspended**: a suspended message with its reason;
 * - **discarded** by an operator (the record says who, when and why: the audit an operator leaves on it);
 * - **resubmitted** by an operator as a new message, which is then accounted for in its turn.
 *
 * This reads what happened through the engine's own ports (the MessageBox, the tracked history, the registry for
 * routing) and says, message by message and subscriber by subscriber, which end each reached, or why none: never
 * seen, left unread in the inbox of an instance that ended, taken by the MessageBox's account but not by the history,
 * a suspended record that went missing, resubmitted as a message that is itself unaccounted. It writes nothing and
 * imports nothing of AWS, so the chaos run, the soak, the demo, the bench and the deterministic simulation all judge
 * a run by the same rules, each on its own adapters or models.
 */
import { correlationValue } from './correlation.ts';
import { activate } from './engine.ts';
import { describeError } from './errors.ts';
import { convoyInstanceId } from './ids.ts';
import { TERMINAL_STATUSES, type InstanceState, type SuspendedMessage } from './instance.ts';
import { parseInbound, type InboundMessage, type InboxEntry, type RawMessage } from './message.ts';
import type { BodyResolver, HistoryStore, InstanceStore } from './ports.ts';
import type { OrchestrationRegistry } from './registry.ts';
import { conform, describeIssues } from './schema.ts';
import { RESUBMISSION_ID } from './resubmission.ts';
import { messageKey, RESUBMITTED_FROM, subjectOfMessage, TrackedKind, type TrackedEvent } from './tracking.ts';

/** Where one delivery of a message ended, or why it has not. */
export type Fate =
  | {
      readonly kind: 'taken';
      readonly by: string;
      readonly at?: number;
      readonly host?: string;
      readonly evidence: 'history' | 'messagebox';
    }
  | { readonly kind: 'suspended'; readonly reason: string }
  | { readonly kind: 'discarded'; readonly by: string; readonly at: number; readonly reason?: string }
  | { readonly kind: 'resubmitted'; readonly as: string; readonly by: string; readonly at: number }
  /** No end yet, and one may still come (only when the run is not over: see `AccountingOptions.final`). */
  | { readonly kind: 'open'; readonly why: string }
  | { readonly kind: 'unaccounted'; readonly why: string };

export type FateKind = Fate['kind'];

/** One message to one subscriber (or to none, when it could not be routed: then it must be suspended). */
export interface Delivery {
  readonly messageId: string;
  /** The instance the message was routed to; absent when it was routed nowhere (unreadable, untyped, invalid, unrouted). */
  readonly to?: string;
  readonly fate: Fate;
}

export interface MessageAccount {
  readonly messageId: string;
  readonly messageType?: string;
  /** The suspended message an operator resubmitted as this one. */
  readonly resubmittedFrom?: string;
  readonly deliveries: readonly Delivery[];
}

export interface Accounting {
  /** The messages given, then those they were resubmitted as, each once. */
  readonly messages: readonly MessageAccount[];
  /** Deliveries that reached no end (and, when the run is over, never will), each with why. */
  readonly unaccounted: readonly Delivery[];
  /** Deliveries on their way (never when `final`). */
  readonly open: readonly Delivery[];
  /** Deliveries by fate. */
  readonly fates: Readonly<Record<FateKind, number>>;
}

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

export interface AccountingOptions {
  /**
   * The run is over: nothing is on its way (queues drained, hosts idle, tracking caught up), so a delivery with no end
   * now will never have one, and is unaccounted. With false (a check while a run goes on), such a delivery is `open`,
   * and only what no future can mend is unaccounted (two ends, a record gone, a resubmission that names nothing).
   * @default true
   */
  readonly final?: boolean;
  /**
   * A message an operator resubmitted, by its new id, as it was sent. Without it, it is rebuilt from the original's
   * record (same body and attributes), which is right unless the operator edited it; an edited one (the record says
   * so) is then followed through the history's links to the new message id.
   */
  readonly resubmitted?: (messageId: string) => RawMessage | undefined;
  /** Lookups in flight at once. @default 16 */
  readonly concurrency?: number;
}

/**
 * Accounts for each message: routes it as the receive host does, then says where each of its deliveries ended.
 * A message resubmitted by an operator is followed to its new message, accounted for in turn (and listed after).
 *
 * @example
 * const { unaccounted } = await accountFor(sent, { store, history, registry });
 * for (const delivery of unaccounted) console.log(describeDelivery(delivery));
 */
export async function accountFor(
  sent: readonly RawMessage[],
  ports: ConservationPorts,
  options: AccountingOptions = {},
): Promise<Accounting> {
  const lookups = new Lookups(ports);
  const final = options.final ?? true;
  const limit = pool(options.concurrency ?? 16);
  // In the order given, then each round of resubmissions in turn: the same run reads the same, whatever the timing.
  const accounts = new Map<string, MessageAccount>();
  let round: Pending[] = sent.map((raw) => ({ raw, messageId: raw.messageId }));
  while (round.length > 0) {
    const unique = [...new Map(round.filter((m) => !accounts.has(m.messageId)).map((m) => [m.messageId, m])).values()];
    const done = await Promise.all(
      unique.map((message) =>
        limit(async () => {
          const account = await accountForOne(message, lookups, final);
          // Resubmitted: the new message is accounted for in its turn.
          const record = (await lookups.messageFacts(message.messageId)).record;
          const as = record?.resolution?.resubmittedAs;
          if (!as || !account.deliveries.some((d) => d.fate.kind === 'resubmitted')) return { account };
          const given = options.resubmitted?.(as);
          // The record keeps what was resubmitted (an edited body, a changed type) and which subscribers took the original:
          // the resubmission goes to the others only (core/resubmission.ts).
          // An edit an earlier console made without keeping it: followed through the history instead.
          const unknownEdit = record.resolution!.reason === 'edited' && record.resolution!.body === undefined;
          return {
            account,
            next: {
              raw: given ?? (unknownEdit ? undefined : resubmission(record, as)),
              messageId: as,
              from: message.messageId,
              ...(record.takenBy?.length ? { takenBy: record.takenBy } : {}),
            },
          };
        }),
      ),
    );
    for (const { account } of done) accounts.set(account.messageId, account);
    round = done.flatMap((d) => (d.next ? [d.next] : []));
  }
  const messages = [...accounts.values()];
  // Every message left unread in the inbox of an instance that ended is unaccounted for, whoever sent it (a Start to a
  // convoy, a message another party sent beside the run): those of the instances looked at.
  const strays = await lookups.strays(new Set(accounts.keys()), final);
  if (strays.length > 0) messages.push(...strays.map((d) => ({ messageId: d.messageId, deliveries: [d] })));
  const deliveries = messages.flatMap((m) => m.deliveries);
  const fates = { taken: 0, suspended: 0, discarded: 0, resubmitted: 0, open: 0, unaccounted: 0 } satisfies Record<
    FateKind,
    number
  >;
  for (const d of deliveries) fates[d.fate.kind]++;
  return {
    messages,
    unaccounted: deliveries.filter((d) => d.fate.kind === 'unaccounted'),
    open: deliveries.filter((d) => d.fate.kind === 'open'),
    fates,
  };
}

/** A delivery with no end, in a line a person reads: the message, where it was routed, why. */
export function describeDelivery(delivery: Delivery): string {
  const fate = delivery.fate;
  const why = fate.kind === 'unaccounted' || fate.kind === 'open' ? fate.why : fate.kind;
  return `${delivery.messageId} → ${delivery.to ?? 'no subscriber'}: ${why}`;
}

/** Where the receive host sends a message: its subscribers' instances, or the reason it sends it nowhere. */
export type Route =
  | {
      readonly to: readonly { readonly instanceId: string; readonly orchestration: string }[];
      readonly messageType: string;
    }
  | { readonly refused: string; readonly messageType?: string };

/**
 * Routes a message as the receive host does (parse, type, subscriptions, schema, correlation keys), writing nothing:
 * the instance each activating subscription makes or joins, and each following subscription's instance. A message
 * it would refuse as a whole (unreadable, untyped, invalid, unrouted, no key) is routed nowhere, with the reason.
 */
export async function routeOf(raw: RawMessage, registry: OrchestrationRegistry): Promise<Route> {
  let message: InboundMessage;
  try {
    message = parseInbound(raw, 0);
  } catch (error) {
    return { refused: describeError(error) };
  }
  const activations = registry.route(message);
  const followers = registry.followers(message.messageType).filter((f) => !activations.some((a) => a.name === f.name));
  if (activations.length === 0 && followers.length === 0)
    return {
      refused: `no subscription matches message type "${message.messageType}"`,
      messageType: message.messageType,
    };
  const schema = registry.schemaOf(message.messageType);
  if (schema) {
    try {
      const result = await conform(schema, message.body);
      if (!result.ok)
        return {
          refused: `${message.messageType} does not match its schema: ${describeIssues(result.issues)}`,
          messageType: message.messageType,
        };
      message = { ...message, body: result.value };
    } catch (error) {
      return {
        refused: `the schema of ${message.messageType} threw: ${describeError(error)}`,
        messageType: message.messageType,
      };
    }
  }
  const to: { instanceId: string; orchestration: string }[] = [];
  for (const orchestration of activations) {
    const set = orchestration.activation.correlation;
    const state = activate(orchestration, message, 0);
    if (set !== undefined && state.correlations[set] === undefined)
      return {
        refused: `no value for correlation set "${set}" of ${orchestration.name}`,
        messageType: message.messageType,
      };
    to.push({ instanceId: state.instanceId, orchestration: orchestration.name });
  }
  for (const orchestration of followers) {
    const set = orchestration.followers.get(message.messageType)!.correlation!;
    const value = correlationValue(orchestration, set, message);
    if (value === undefined)
      return {
        refused: `no value for correlation set "${set}" of ${orchestration.name}`,
        messageType: message.messageType,
      };
    to.push({ instanceId: convoyInstanceId(orchestration.name, set, value), orchestration: orchestration.name });
  }
  return { to, messageType: message.messageType };
}

interface Pending {
  /** The message as sent; absent for an edited resubmission nobody told us about (followed through the history). */
  readonly raw?: RawMessage;
  readonly messageId: string;
  /** The suspended message it was resubmitted from. */
  readonly from?: string;
  /** The subscribers that took what it resubmits: it was not routed to them again. */
  readonly takenBy?: readonly string[];
}

async function accountForOne(message: Pending, lookups: Lookups, final: boolean): Promise<MessageAccount> {
  const base = { messageId: message.messageId, ...(message.from ? { resubmittedFrom: message.from } : {}) };
  let targets: readonly string[];
  let messageType: string | undefined;
  if (message.raw) {
    const raw = await lookups.resolve(message.raw);
    const route = await routeOf(raw, lookups.ports.registry);
    messageType = route.messageType;
    targets =
      'to' in route ? route.to.filter((t) => !message.takenBy?.includes(t.orchestration)).map((t) => t.instanceId) : [];
  } else {
    // Edited by an operator, its body unknown here: its subscribers are the instances the history shows it reached.
    targets = await lookups.reachedInstances(message.messageId);
  }
  const facts = await lookups.messageFacts(message.messageId);
  const deliveries: Delivery[] = [];
  if (targets.length === 0)
    deliveries.push({ messageId: message.messageId, fate: await nowhere(message, facts, final) });
  for (const to of new Set(targets))
    deliveries.push({ messageId: message.messageId, to, fate: await fateOf(message, to, facts, lookups, final) });
  return { ...base, ...(messageType ? { messageType } : {}), deliveries };
}

/** What the store and the history know of one message as a whole: its suspended record, and whether it was ever suspended. */
interface MessageFacts {
  readonly record?: SuspendedMessage;
  /** The history's `message-suspended` event of it, if any: a record that existed (read only when the record is not there). */
  suspendedEvent(): Promise<TrackedEvent | undefined>;
}

/** A message the receive host routes nowhere has one end: its suspended record. */
async function nowhere(message: Pending, facts: MessageFacts, final: boolean): Promise<Fate> {
  const ended = recordEnd(facts.record);
  if (ended) return ended;
  const suspended = await facts.suspendedEvent();
  if (suspended) return gone(suspended);
  const why = message.raw
    ? 'routed to no subscriber, and no suspended record of it: never seen'
    : `resubmitted from ${message.from} (edited): never seen (no instance took it or holds it, no suspended record)`;
  return final ? { kind: 'unaccounted', why } : { kind: 'open', why: `not received yet, or ${why}` };
}

/** The end a suspended record gives: suspended, or what an operator did with it. Undefined without a record. */
function recordEnd(record: SuspendedMessage | undefined): Fate | undefined {
  if (!record) return undefined;
  const resolution = record.resolution;
  if (!resolution) return { kind: 'suspended', reason: record.reason };
  if (resolution.kind === 'discarded')
    return {
      kind: 'discarded',
      by: resolution.by,
      at: resolution.at,
      ...(resolution.reason ? { reason: resolution.reason } : {}),
    };
  if (!resolution.resubmittedAs)
    return { kind: 'unaccounted', why: `resubmitted by ${resolution.by}, but its record names no new message` };
  return { kind: 'resubmitted', as: resolution.resubmittedAs, by: resolution.by, at: resolution.at };
}

function gone(event: TrackedEvent): Fate {
  return {
    kind: 'unaccounted',
    why: `its suspended record is gone (the history shows it suspended at ${new Date(event.at).toISOString()}: ${event.detail ?? 'no reason'})`,
  };
}

/** The source of a suspended record made from an ended instance's inbox (ProcessingHost#keepUnread). */
const INBOX_SOURCE = 'inbox of ';

async function fateOf(
  message: Pending,
  to: string,
  facts: MessageFacts,
  lookups: Lookups,
  final: boolean,
): Promise<Fate> {
  const id = message.messageId;
  const instance = await lookups.instance(to);
  const taken = instance.received.get(id);
  const record = facts.record;
  const recordIsThisInbox = record?.source === `${INBOX_SOURCE}${to}`;
  if (taken) {
    // Exactly one end: a message the instance took is not also kept as one it left unread.
    if (recordIsThisInbox)
      return { kind: 'unaccounted', why: `two ends: taken by ${to} and suspended from its inbox (${record.reason})` };
    return { kind: 'taken', by: to, at: taken.at, ...(taken.host ? { host: taken.host } : {}), evidence: 'history' };
  }
  const inInbox = instance.inbox.find(
    (m) =>
      m.messageId === id &&
      (m.incarnation === undefined || instance.state === undefined || m.incarnation === instance.state.createdAt),
  );
  const takenByStore = instance.state?.consumed.includes(id) || (await lookups.settled(to, id));
  if (takenByStore) {
    if (!lookups.ports.history) return { kind: 'taken', by: to, evidence: 'messagebox' };
    const why = `taken by ${to} by the MessageBox's account (consumed or settled), but its tracked history shows no receipt`;
    return final ? { kind: 'unaccounted', why: `${why}: history lost` } : { kind: 'open', why: `${why} yet` };
  }
  // A record covers this delivery when it was made from this instance's inbox, or when the receive host made it and
  // the message never reached this instance (refused for it, or as a whole), or reached it as it ended: the receive
  // host looks again after delivering, keeps a message the instance ended without taking, and removes its inbox copy.
  // A record made from another instance's inbox is that delivery's, not this one's: the store keeps one record a message.
  const delivered = inInbox !== undefined || instance.delivered.has(id);
  const status = instance.state?.status;
  const ended = status !== undefined ? TERMINAL_STATUSES.has(status) : instance.endedInHistory;
  const takenBack =
    record !== undefined && !record.source.startsWith(INBOX_SOURCE) && delivered && inInbox === undefined && ended;
  if (record && (recordIsThisInbox || (!record.source.startsWith(INBOX_SOURCE) && !delivered) || takenBack))
    return recordEnd(record)!;
  const suspended = record ? undefined : await facts.suspendedEvent();
  if (suspended) return gone(suspended);
  const otherRecord = record ? `; the suspended record of this message is ${record.source}'s, not this delivery's` : '';
  let why: string;
  if (inInbox && ended)
    why = `left unread in the inbox of ${to}, which ended ${status ?? 'and expired'} without taking it, and no suspended record of it${otherRecord}`;
  else if (inInbox) why = `waiting in the inbox of ${to} (${status ?? 'gone'})${otherRecord}`;
  else if (delivered && ended)
    why = `delivered to ${to} (its history says so), then neither taken, nor in its inbox, nor suspended${otherRecord}`;
  else if (ended)
    why = `not delivered to ${to}, which ended ${status ?? 'and expired'}, and not suspended${otherRecord}`;
  else if (instance.state || instance.known)
    why = `never reached ${to} (${status ?? 'expired'}), and not suspended${otherRecord}`;
  else why = `never seen: no instance ${to}, no suspended record${otherRecord}`;
  return final ? { kind: 'unaccounted', why } : { kind: 'open', why };
}

/**
 * The message an operator's resubmission sent, rebuilt from the original's record (the console's `resubmit`): the body
 * and type it went with (the operator's edit, if any), under the resubmission's id, which is what the receive host takes
 * it under.
 */
function resubmission(record: SuspendedMessage, messageId: string): RawMessage {
  const { [RESUBMITTED_FROM]: _from, [RESUBMISSION_ID]: _id, MessageType: type, ...attributes } = record.attributes;
  const messageType = record.resolution?.messageType ?? type;
  return {
    messageId,
    body: record.resolution?.body ?? record.body,
    attributes: {
      ...attributes,
      ...(messageType ? { MessageType: messageType } : {}),
      [RESUBMITTED_FROM]: record.messageId,
      [RESUBMISSION_ID]: messageId,
    },
  };
}

/** What one instance shows: its state, its inbox now, and from its history what it was delivered and what it took. */
interface InstanceFacts {
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
class Lookups {
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
function pool(size: number): <T>(task: () => Promise<T>) => Promise<T> {
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
