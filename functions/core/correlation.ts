import type { CompiledOrchestration } from './program.ts';
import type { InboundMessage } from './message.ts';

/**
 * The correlation a reply follows (BizTalk's solicit-response port): no set of the orchestration's, but the instance
 * that sent the request. A request goes out with its instance's id in the `InstanceId` attribute (SqsSendPort); the
 * service that answers sends its reply to the receive queue with that attribute, and the reply goes to that instance.
 */
export const REPLY_SET = '$reply';
/** The message attribute a reply names its instance by: the one its request went out with. */
export const REPLY_ATTRIBUTE = 'InstanceId';

/** The key of a message in a correlation set, if the set reads one from its type. */
export function correlationValue(
  orchestration: CompiledOrchestration,
  set: string,
  message: InboundMessage,
): string | undefined {
  if (set === REPLY_SET) {
    const id = message.properties[REPLY_ATTRIBUTE];
    return typeof id === 'string' && id !== '' ? id : undefined;
  }
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
