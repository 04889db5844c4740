import { activate } from './engine.ts';
import { InvalidMessage } from './errors.ts';
import type { CompiledOrchestration } from './program.ts';
import { InstanceStatus, type InstanceState } from './instance.ts';
import type { InboundMessage } from './message.ts';
import type { InstanceStore } from './ports.ts';

export interface Activation {
  /** The instance the message went to: a new one, or the convoy's owner. */
  readonly instanceId: string;
  /** Set when this call created the instance (not on a redelivery, nor for a convoy's later message). */
  readonly created?: InstanceState;
}

/**
 * Nothing would ever take it: kept as a suspended message with this reason instead. `copy`: an instance that ended
 * has it in its inbox, never to take it: removed once the message is kept (see `InstanceStore.discard`).
 */
export class NoTaker extends InvalidMessage {
  readonly copy?: { readonly instanceId: string; readonly messageId: string };
  constructor(reason: string, copy?: { readonly instanceId: string; readonly messageId: string }) {
    super(reason);
    this.name = 'NoTaker';
    if (copy) this.copy = copy;
  }
}

/**
 * Whether an instance took this message (a receive consumed it, and perhaps settled it since): then a new delivery of
 * it is SQS delivering it again, not a new message. A copy merely lying in the inbox of an instance that ended is not
 * taken: it is unread, and kept as a suspended message.
 */
export async function took(
  store: InstanceStore,
  state: InstanceState | undefined,
  messageId: string,
): Promise<boolean> {
  if (!state) return false;
  if (state.consumed.includes(messageId)) return true;
  return (await store.settled(state.instanceId, [messageId])).has(messageId);
}

/**
 * Puts a message in the inbox of a correlated instance that was not finished when it was looked at, then looks again
 * (a consistent read after the write): an instance that ended in between may have read its inbox for the last time
 * before the message landed, and the message would lie there, acknowledged, never taken and never suspended. Then,
 * unless the instance took it after all, it is refused as a message for an ended instance would be. The same goes for
 * an instance made again under the same id (a convoy whose predecessor expired): the message was for the one that ended.
 *
 * @throws NoTaker naming the inbox copy to remove once the message is kept.
 */
export async function deliverTo(store: InstanceStore, target: DeliveryTarget, message: InboundMessage): Promise<void> {
  const { instanceId, incarnation } = target;
  // With the key it was routed by: a receive matches on it without reading a large body (see InboxEntry).
  await store.deliver(instanceId, { ...message, incarnation, keys: { [target.set]: target.value } });
  const after = await store.summaryOf(instanceId);
  const remade =
    after !== undefined &&
    incarnation !== undefined &&
    after.createdAt !== undefined &&
    after.createdAt !== incarnation;
  const ended =
    after === undefined || remade
      ? `the ${target.orchestration} instance for ${target.set}="${target.value}" ended before this ${message.messageType} reached it`
      : refusal(target.orchestration, target.set, target.value, after.status, message.messageType);
  if (!ended) return;
  // Taken after all (this is a copy SQS brought back): the copy just put in the inbox is left there by nothing else,
  // since the instance emptied its inbox as it ended. It goes.
  if (!remade && (await took(store, await store.load(instanceId), message.messageId))) {
    await store.discard(instanceId, [message.messageId]);
    return;
  }
  throw new NoTaker(ended, { instanceId, messageId: message.messageId });
}

/** A correlated instance a message goes to: its id, the incarnation it was found as, and the key that names it. */
export interface DeliveryTarget {
  readonly instanceId: string;
  /** Its creation time when it was looked at (absent on items written before it was recorded). */
  readonly incarnation?: number;
  readonly orchestration: string;
  readonly set: string;
  readonly value: string;
}

/** Why a message for an existing instance will never be taken, or undefined when the instance may still take it. */
export function refusal(
  orchestration: string,
  set: string,
  value: string,
  status: InstanceStatus | undefined,
  messageType: string,
): string | undefined {
  if (status === InstanceStatus.Completed)
    return `the ${orchestration} instance for ${set}="${value}" has already completed; nothing waits for this ${messageType}`;
  if (status === InstanceStatus.Terminated)
    return `the ${orchestration} instance for ${set}="${value}" has already ended (terminated); nothing waits for this ${messageType}`;
  return undefined;
}

/**
 * Activates `orchestration` with `message` in one conditional write, idempotently: the instance id derives
 * from the message id, so a redelivery finds the instance it made. When the activating receive initializes a
 * correlation set, the id derives from the set's value instead (a convoy): of two first messages of a value
 * racing on two hosts, one creates the instance and the other is delivered to its inbox.
 *
 * @throws InvalidMessage when the message has no value for the correlation set it must initialize.
 */
export async function activateOrDeliver(
  orchestration: CompiledOrchestration,
  message: InboundMessage,
  store: InstanceStore,
  now: number,
): Promise<Activation> {
  const state = activate(orchestration, message, now);
  const set = orchestration.activation.correlation;
  if (set !== undefined && state.correlations[set] === undefined) {
    throw new InvalidMessage(
      `no value for correlation set "${set}" of ${orchestration.name} in this ${message.messageType}`,
    );
  }
  if (await store.create(state)) return { instanceId: state.instanceId, created: state };
  // The instance exists. Without a convoy that is a redelivery: routed once already (and it may have moved on).
  if (set === undefined) return { instanceId: state.instanceId };
  // In a convoy it is either this same message coming back (it activated the instance), or a later one of
  // the value, which joins the instance through its inbox if the instance can take it. Only this path reads.
  const existing = await store.load(state.instanceId);
  if (existing?.consumed[0] === message.messageId) return { instanceId: state.instanceId };
  const value = state.correlations[set]!;
  const ended = refusal(orchestration.name, set, value, existing?.status, message.messageType);
  if (ended) {
    if (await took(store, existing, message.messageId)) return { instanceId: state.instanceId };
    throw new NoTaker(ended, { instanceId: state.instanceId, messageId: message.messageId });
  }
  if (!orchestration.followers.has(message.messageType)) {
    throw new NoTaker(
      `${orchestration.name} instance ${state.instanceId} for ${set}="${value}" is already ${existing?.status ?? 'running'} and takes no further ${message.messageType}: a duplicate?`,
    );
  }
  await deliverTo(
    store,
    { instanceId: state.instanceId, incarnation: existing?.createdAt, orchestration: orchestration.name, set, value },
    message,
  );
  return { instanceId: state.instanceId };
}
