import type { CompiledOrchestration } from './program.ts';
import type { InboundMessage } from './message.ts';

/** The key of a message in a correlation set, if the set reads one from its type. */
export function correlationValue(
  orchestration: CompiledOrchestration,
  set: string,
  message: InboundMessage,
): string | undefined {
  const read = orchestration.correlationSets[set]?.[message.messageType];
  let value: unknown;
  try {
    value = read?.(message);
  } catch {
    // A key function written for validated bodies, given a body stored before its type had a schema: no key.
    return undefined;
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}
