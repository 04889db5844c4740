import { activate } from './engine.ts';
import { InvalidMessage, RoutingFailure, describeError } from './errors.ts';
import { parseInbound, type RawMessage } from './message.ts';
import type { Clock, InstanceStore, WorkItem, WorkQueue } from './ports.ts';
import type { OrchestrationRegistry } from './registry.ts';

/** The MessageBox keeps at most this much of one message; a larger one is suspended, its original left to the DLQ. */
export const MAX_STORED_BODY_BYTES = 300_000;

export interface ReceiveOutcome {
  readonly messageId: string;
  /** activated: instances created (or found, on redelivery); suspended: kept as a suspended message. */
  readonly result: 'activated' | 'suspended';
  readonly instanceIds: readonly string[];
  readonly reason?: string;
}

export interface ReceiveHostDeps {
  readonly registry: OrchestrationRegistry;
  readonly store: InstanceStore;
  readonly workQueue: WorkQueue;
  readonly clock: Clock;
  /** Name of the receive location, recorded on suspended messages. */
  readonly source: string;
}

/**
 * The receive host: parse, type, route, persist, enqueue work. A message is acknowledged only once
 * what it became is durable: its instances (and their work items), or its suspended record.
 */
export class ReceiveHost {
  readonly #deps: ReceiveHostDeps;

  constructor(deps: ReceiveHostDeps) {
    this.#deps = deps;
  }

  /**
   * Handles one batch. Returns an outcome per message it finished; a message missing from the result
   * (its error is in `failures`) must be redelivered.
   */
  async receive(batch: readonly RawMessage[]): Promise<{ outcomes: ReceiveOutcome[]; failures: Map<string, unknown> }> {
    const outcomes: ReceiveOutcome[] = [];
    const failures = new Map<string, unknown>();
    const pending: { outcome: ReceiveOutcome; items: WorkItem[] }[] = [];

    await Promise.all(
      batch.map(async (raw) => {
        try {
          const activated = await this.#activate(raw);
          if (activated.result === 'suspended') outcomes.push(activated);
          else pending.push({ outcome: activated, items: activated.instanceIds.map((instanceId) => ({ instanceId, reason: 'activation' })) });
        } catch (error) {
          failures.set(raw.messageId, error);
        }
      }),
    );

    // Work items go out in batches; a redelivered message re-enqueues them, which the processing host tolerates.
    try {
      await this.#deps.workQueue.enqueue(pending.flatMap((p) => p.items));
      outcomes.push(...pending.map((p) => p.outcome));
    } catch (error) {
      for (const p of pending) failures.set(p.outcome.messageId, error);
    }
    return { outcomes, failures };
  }

  async #activate(raw: RawMessage): Promise<ReceiveOutcome> {
    const { registry, store, clock } = this.#deps;
    const now = clock.now();
    try {
      const bytes = Buffer.byteLength(raw.body, 'utf8');
      if (bytes > MAX_STORED_BODY_BYTES) {
        throw new InvalidMessage(`body is ${bytes} bytes; the MessageBox keeps at most ${MAX_STORED_BODY_BYTES} bytes per message`);
      }
      const message = parseInbound(raw, now);
      const targets = registry.route(message);
      if (targets.length === 0) throw new RoutingFailure(message.messageType);
      const instanceIds: string[] = [];
      for (const orchestration of targets) {
        const state = activate(orchestration, message, now);
        // false means a redelivery: the instance exists already, routed once.
        await store.create(state);
        instanceIds.push(state.instanceId);
      }
      return { messageId: raw.messageId, result: 'activated', instanceIds };
    } catch (error) {
      if (!(error instanceof InvalidMessage || error instanceof RoutingFailure)) throw error;
      const truncated = Buffer.byteLength(raw.body, 'utf8') > MAX_STORED_BODY_BYTES;
      await store.putSuspendedMessage({
        messageId: raw.messageId,
        reason: describeError(error) + (truncated ? ' (body truncated here; the original is in the receive DLQ)' : ''),
        body: truncated ? raw.body.slice(0, MAX_STORED_BODY_BYTES / 4) : raw.body,
        attributes: raw.attributes,
        receivedAt: now,
        source: this.#deps.source,
      });
      if (truncated) throw new OversizedMessage(raw.messageId);
      return { messageId: raw.messageId, result: 'suspended', instanceIds: [], reason: error.message };
    }
  }
}

/** Recorded as suspended, but left to fail so that SQS moves the intact original to the DLQ. */
export class OversizedMessage extends InvalidMessage {
  constructor(messageId: string) {
    super(`message ${messageId} is too large for the MessageBox; it is kept whole by the receive queue's DLQ`);
    this.name = 'OversizedMessage';
  }
}
