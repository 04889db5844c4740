import { activate } from './engine.ts';
import { InvalidMessage } from './errors.ts';
import type { CompiledOrchestration } from './definition.ts';
import { InstanceStatus, type InstanceState } from './instance.ts';
import type { InboundMessage } from './message.ts';
import type { InstanceStore } from './ports.ts';

export interface Activation {
  /** The instance the message went to: a new one, or the convoy's owner. */
  readonly instanceId: string;
  /** Set when this call created the instance (not on a redelivery, nor for a convoy's later message). */
  readonly created?: InstanceState;
}

/** Nothing would ever take it: kept as a suspended message with this reason instead. */
export class NoTaker extends InvalidMessage {
  constructor(reason: string) {
    super(reason);
    this.name = 'NoTaker';
  }
}

/**
 * Whether an instance already has this message (taken by a receive, or waiting in its inbox): then a new
 * delivery of it is SQS delivering it again, not a new message. Read only when the instance has ended.
 */
export async function alreadyHas(store: InstanceStore, state: InstanceState | undefined, messageId: string): Promise<boolean> {
  if (!state) return false;
  if (state.consumed.includes(messageId)) return true;
  if ((await store.settled(state.instanceId, [messageId])).has(messageId)) return true;
  return (await store.deliveries(state.instanceId)).some((m) => m.messageId === messageId);
}

/** Why a message for an existing instance will never be taken, or undefined when the instance may still take it. */
export function refusal(orchestration: string, set: string, value: string, status: InstanceStatus | undefined, messageType: string): string | undefined {
  if (status === InstanceStatus.Completed) return `the ${orchestration} instance for ${set}="${value}" has already completed; nothing waits for this ${messageType}`;
  if (status === InstanceStatus.Terminated) return `the ${orchestration} instance for ${set}="${value}" has already ended (terminated); nothing waits for this ${messageType}`;
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
export async function activateOrDeliver(orchestration: CompiledOrchestration, message: InboundMessage, store: InstanceStore, now: number): Promise<Activation> {
  const state = activate(orchestration, message, now);
  const set = orchestration.activation.correlation;
  if (set !== undefined && state.correlations[set] === undefined) {
    throw new InvalidMessage(`no value for correlation set "${set}" of ${orchestration.name} in this ${message.messageType}`);
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
    if (await alreadyHas(store, existing, message.messageId)) return { instanceId: state.instanceId };
    throw new NoTaker(ended);
  }
  if (!orchestration.followers.has(message.messageType)) {
    throw new NoTaker(`${orchestration.name} instance ${state.instanceId} for ${set}="${value}" is already ${existing?.status ?? 'running'} and takes no further ${message.messageType}: a duplicate?`);
  }
  await store.deliver(state.instanceId, { ...message, incarnation: existing?.createdAt });
  return { instanceId: state.instanceId };
}
