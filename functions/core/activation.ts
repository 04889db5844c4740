import { activate } from './engine.ts';
import { InvalidMessage } from './errors.ts';
import type { CompiledOrchestration } from './definition.ts';
import type { InstanceState } from './instance.ts';
import type { InboundMessage } from './message.ts';
import type { InstanceStore } from './ports.ts';

export interface Activation {
  /** The instance the message went to: a new one, or the convoy's owner. */
  readonly instanceId: string;
  /** Set when this call created the instance (not on a redelivery, nor for a convoy's later message). */
  readonly created?: InstanceState;
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
  // the value, which joins the instance through its inbox. Only this conflict path reads.
  const existing = await store.load(state.instanceId);
  if (existing?.consumed[0] !== message.messageId) await store.deliver(state.instanceId, message);
  return { instanceId: state.instanceId };
}
