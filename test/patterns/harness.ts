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
    /**
     * Lets `ms` pass: the durable timers due within it fire, in the order they are due, each with what it sets off
     * handled; those due later stay set. The clock ends `ms` on.
     */
    wait: async (ms: number) => {
      const until = w.clock.now() + ms;
      for (;;) {
        await settle(w, { maxRounds: 2_000 });
        const delays = w.workQueue.items.map((i) => i.delaySeconds ?? 0);
        const next = delays.length > 0 ? Math.min(...delays) * 1000 : Number.POSITIVE_INFINITY;
        const step = Math.min(next, until - w.clock.now());
        w.clock.advance(step);
        w.workQueue.items.splice(
          0,
          w.workQueue.items.length,
          ...w.workQueue.items.map((i) => ({
            ...i,
            delaySeconds: Math.max(0, (i.delaySeconds ?? 0) - step / 1000) || undefined,
          })),
        );
        if (next > step) return settle(w, { maxRounds: 2_000 });
      }
    },
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
