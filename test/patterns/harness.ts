import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/**
 * A pattern sample on the in-memory world (test/helpers/world.ts): messages go in through the receive host as a
 * client's would, what the orchestrations send is read from the send port, instances from the MessageBox.
 */
export function patternWorld(definitions: OrchestrationDefinition[]) {
  const w = createWorld(definitions);
  const instances = () => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
  return {
    ...w,
    /** A message of `type` with `body`, received as from the receive queue. */
    send: (type: string, body: unknown = {}) => w.receiver.receive([rawMessage(body, { MessageType: type })]),
    /** Handles work items until none is ready; with `timers`, durable timers fire too (the clock jumps to each). */
    run: (options: { timers?: boolean } = {}) => settle(w, { ...options, maxRounds: 2_000 }),
    /** The types of the messages sent so far, in the order they went out. */
    sent: () => w.sendPort.sent.map((m) => m.messageType),
    /** The bodies of the messages of `type` sent so far. */
    bodies: <T = Record<string, unknown>>(type: string) =>
      w.sendPort.sent.filter((m) => m.messageType === type).map((m) => m.body as T),
    instances,
    /** The instances of `orchestration`, without their branch instances. */
    of: (orchestration: string) => instances().filter((s) => s.orchestration === orchestration && !s.branchOf),
    /** The branch instances. */
    branches: () => instances().filter((s) => s.branchOf),
  };
}

/** The `key` of a message body: the correlation value the samples' convoys use. */
export const keyOf = (message: { body: unknown }) => (message.body as { key: string }).key;
