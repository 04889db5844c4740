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
import { TERMINAL_STATUSES, type SuspendedMessage } from './instance.ts';
import type { RawMessage } from './message.ts';
import { RESUBMISSION_ID } from './resubmission.ts';
import { RESUBMITTED_FROM, type TrackedEvent } from './tracking.ts';
import type { Accounting, Delivery, Fate, FateKind, MessageAccount } from './conservation/fates.ts';
import { INBOX_SOURCE, Lookups, pool, type ConservationPorts, type MessageFacts } from './conservation/lookups.ts';
import { routeOf } from './conservation/route.ts';

export type { Accounting, Delivery, Fate, FateKind, MessageAccount } from './conservation/fates.ts';
export { wholeHistory, type ConservationPorts } from './conservation/lookups.ts';
export { routeOf, type Route } from './conservation/route.ts';

export interface AccountingOptions {
  /**
   * The run is over: nothing is on its way (queues drained, hosts idle, tracking caught up), so a delivery with no end
   * now will never have one, and is unaccounted. With false (a check while a run goes on), such a delivery is `open`,
   * and only what no future can mend is unaccounted (two ends, a record gone, a resubmission that names nothing).
   * @defaultValue true
   */
  readonly final?: boolean;
  /**
   * A message an operator resubmitted, by its new id, as it was sent. Without it, it is rebuilt from the original's
   * record (same body and attributes), which is right unless the operator edited it; an edited one (the record says
   * so) is then followed through the history's links to the new message id.
   */
  readonly resubmitted?: (messageId: string) => RawMessage | undefined;
  /** Lookups in flight at once. @defaultValue 16 */
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
