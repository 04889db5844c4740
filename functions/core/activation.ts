import { activate } from './engine.ts';
import { InvalidMessage } from './errors.ts';
import { correlationKey } from './ids.ts';
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
 * Activates `orchestration` with `message`, idempotently: the instance id derives from the message id, so a
 * redelivery finds the instance it made. When the activating receive initializes a correlation set, the
 * first message of a key wins the key (one conditional write) and any later one is delivered to the
 * winner's inbox instead: a convoy, with one instance per key even when two messages race.
 *
 * @throws InvalidMessage when the message has no value for the correlation set it must initialize.
 */
export async function activateOrDeliver(orchestration: CompiledOrchestration, message: InboundMessage, store: InstanceStore, now: number): Promise<Activation> {
  const state = activate(orchestration, message, now);
  const set = orchestration.activation.correlation;
  if (set !== undefined) {
    const value = state.correlations[set];
    if (value === undefined) throw new InvalidMessage(`no value for correlation set "${set}" of ${orchestration.name} in this ${message.messageType}`);
    const owner = await store.claimCorrelation(correlationKey(orchestration.name, set, value), state.instanceId);
    if (owner !== state.instanceId) {
      await store.deliver(owner, message);
      return { instanceId: owner };
    }
  }
  // false means a redelivery: the instance exists already, routed once (and its state may have moved on).
  return (await store.create(state)) ? { instanceId: state.instanceId, created: state } : { instanceId: state.instanceId };
}
