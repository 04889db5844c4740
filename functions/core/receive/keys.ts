import { correlationValue } from '../correlation.ts';
import type { CompiledOrchestration } from '../program.ts';
import { parseInbound, type InboundMessage, type RawMessage } from '../message.ts';
import type { OrchestrationRegistry } from '../registry.ts';

/** A suspended message names at most this many business keys, each at most this long (a sender writes them). */
const MAX_KEYS = 8;
const MAX_KEY_LENGTH = 512;

/**
 * The business keys a message carries: each correlation value the orchestrations it goes to read from it (an order's
 * `orderId`). A suspended message keeps them, so the history links it to its key (core/tracking.ts) and the message
 * flow of the key shows it, uncorrelated or refused, beside the instances that have the key. Read from the body as it
 * came: one that does not match its schema may still name its key. None for a body that is not JSON.
 */
export function businessKeys(registry: OrchestrationRegistry, raw: RawMessage, now: number): string[] {
  let message: InboundMessage;
  try {
    message = parseInbound(raw, now);
  } catch {
    return [];
  }
  return keysFor([...registry.route(message), ...registry.followers(message.messageType)], message);
}

/** The correlation values these orchestrations read from the message, each once. */
export function keysFor(orchestrations: readonly CompiledOrchestration[], message: InboundMessage): string[] {
  const keys = new Set<string>();
  for (const orchestration of orchestrations)
    for (const set of Object.keys(orchestration.correlationSets)) {
      const value = correlationValue(orchestration, set, message);
      if (value !== undefined && value.length <= MAX_KEY_LENGTH) keys.add(value);
    }
  return [...keys].slice(0, MAX_KEYS);
}

/** The `keys` field of a suspended message's record: none when there are none. */
export const keysField = (keys: readonly string[]): { keys?: readonly string[] } =>
  keys.length > 0 ? { keys: [...new Set(keys)].slice(0, MAX_KEYS) } : {};
