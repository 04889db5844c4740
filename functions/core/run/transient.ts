import type { ReceiveShape } from '../definition.ts';
import type { CompiledOrchestration } from '../program.ts';
import type { InstanceState, Thread } from '../instance.ts';
import type { InboxEntry } from '../message.ts';
import { MAX_CLOCK_SKEW_MS } from '../ownership.ts';

/**
 * Transient receives (see `ReceiveShape.transient`): a message counts for one only if it arrived while the instance's
 * thread waited there. The thread keeps when it reached the shape (`Thread.reached`); a message's arrival is its
 * `receivedAt`, read on another host's clock, so the two are compared with the skew the hosts tolerate: a message
 * counts unless it was received more than `MAX_CLOCK_SKEW_MS` before the thread reached the shape. In doubt it counts:
 * passing over a message that came while the shape waited would leave the instance waiting for what it already has.
 */
export function arrivedWhileWaiting(message: Pick<InboxEntry, 'receivedAt'>, reached: number): boolean {
  return message.receivedAt >= reached - MAX_CLOCK_SKEW_MS;
}

/**
 * A transient receive of a definition, with the key of the shape its thread waits at (its own, or its listen's), or,
 * for an event handler's trigger, of the scope it listens in.
 */
export interface TransientReceive {
  readonly at: string;
  readonly receive: ReceiveShape;
}

const found = new WeakMap<CompiledOrchestration, readonly TransientReceive[]>();

/** The transient receives of a definition (a listen's and scope events' among them); asked once per definition. */
export function transientReceives(orchestration: CompiledOrchestration): readonly TransientReceive[] {
  let answer = found.get(orchestration);
  if (answer !== undefined) return answer;
  const list: TransientReceive[] = [];
  const triggers = new Set<unknown>();
  for (const [at, shape] of orchestration.shapes) {
    // A scope's event triggers count from when the thread entered the scope.
    if (shape.kind === 'scope')
      for (const { trigger } of shape.events ?? []) {
        triggers.add(trigger);
        if (trigger.transient) list.push({ at, receive: trigger });
      }
    if (shape.kind !== 'listen') continue;
    for (const { trigger } of shape.branches) {
      triggers.add(trigger);
      if (trigger.kind === 'receive' && trigger.transient) list.push({ at, receive: trigger });
    }
  }
  for (const [at, shape] of orchestration.shapes) {
    // A listen's triggers are registered as shapes too (their ids are taken), but the thread waits at the listen.
    if (shape.kind === 'receive' && shape.transient && !shape.activate && !triggers.has(shape))
      list.push({ at, receive: shape });
  }
  answer = list;
  found.set(orchestration, answer);
  return answer;
}

/**
 * Why an ended instance did not take a message of its inbox, when a transient receive passed it over: it arrived before
 * the thread last reached that receive. Undefined when none did (the instance never reached one of its type, or the
 * message came after).
 */
export function passedOver(
  orchestration: CompiledOrchestration,
  state: InstanceState,
  message: Pick<InboxEntry, 'messageType' | 'receivedAt'>,
): string | undefined {
  const thread: Thread | undefined = state.cursor.threads.find((t) => t.id === 'main');
  for (const { at, receive } of transientReceives(orchestration)) {
    const reached = thread?.reached?.[at];
    if (receive.messageType !== message.messageType || reached === undefined) continue;
    if (arrivedWhileWaiting(message, reached)) continue;
    return (
      `it arrived (${new Date(message.receivedAt).toISOString()}) before the transient receive "${receive.id}" ` +
      `began waiting (${new Date(reached).toISOString()}), and a transient receive takes only what arrives while it waits`
    );
  }
  return undefined;
}
