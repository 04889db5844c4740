import { correlationValue } from '../correlation.ts';
import { activate } from '../engine.ts';
import { describeError } from '../errors.ts';
import { convoyInstanceId } from '../ids.ts';
import { parseInbound, type InboundMessage, type RawMessage } from '../message.ts';
import type { OrchestrationRegistry } from '../registry.ts';
import { conform, describeIssues } from '../schema.ts';

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
