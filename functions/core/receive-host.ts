import { took } from './activation.ts';
import { correlationValue } from './correlation.ts';
import { deliverAll, discardCopies, discardUntakenCopies, targetsOf } from './receive/deliveries.ts';
import { businessKeys, keysField } from './receive/keys.ts';
import { activate } from './engine.ts';
import {
  type BatonError,
  InvalidMessage,
  OversizedMessage,
  Refused,
  RoutingFailure,
  SchemaMismatch,
  UncorrelatedMessage,
  boundReason,
  describeError,
  remedyOf,
} from './errors.ts';

export { OversizedMessage, SchemaMismatch, UncorrelatedMessage } from './errors.ts';
import { convoyInstanceId } from './ids.ts';
import { parseInbound, type InboundMessage, type RawMessage } from './message.ts';
import { resubmissionOf, untaken, type Resubmission } from './resubmission.ts';
import { conform } from './schema.ts';
import { workItem, type BodyResolver, type Clock, type InstanceStore, type WorkItem, type WorkQueue } from './ports.ts';
import type { InstanceState } from './instance.ts';
import type { OrchestrationRegistry } from './registry.ts';

/**
 * What a MessageBox item keeps of one message, at most, when the store has no claim check (a DynamoDB item holds
 * 400 KB, and a suspended message's item keeps its reason and attributes beside the body). A larger message is
 * suspended, its original left to the DLQ.
 */
export const MAX_STORED_BODY_BYTES = 300_000;

export interface ReceiveOutcome {
  readonly messageId: string;
  /** activated: instances created (or found, on redelivery); suspended: kept as a suspended message. */
  readonly result: 'activated' | 'suspended';
  readonly instanceIds: readonly string[];
  readonly reason?: string;
  /** Instances this message created, for their work items to carry. */
  readonly created?: readonly InstanceState[];
}

export interface ReceiveHostDeps {
  readonly registry: OrchestrationRegistry;
  readonly store: InstanceStore;
  readonly workQueue: WorkQueue;
  readonly clock: Clock;
  /** Name of the receive location, recorded on suspended messages. */
  readonly source: string;
  /**
   * Deliveries for which a message whose instance does not exist yet is held (left on the queue) before it
   * is suspended. @defaultValue 4
   */
  readonly holdReceives?: number;
  /** The largest body the store keeps (larger with a claim check). @defaultValue MAX_STORED_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** Follows a body's reference (an extended client's S3 pointer) before anything else; none: bodies are taken as they come. */
  readonly bodies?: BodyResolver;
  /**
   * The delivery from which a message that fails is kept as a suspended message (its reason the last error, the
   * subscribers that already have it named) rather than failed again into the receive queue's dead-letter queue, where
   * nothing would take it: the receive queue's receive limit. Without it, a message fails for as long as it is delivered.
   */
  readonly suspendAtReceive?: number;
}

/** A message as the receive host takes it, known a little more at each step (what is kept if it is refused). */
interface Taking {
  raw: RawMessage;
  resubmission?: Resubmission;
}

/**
 * The receive host: parse, type, route, persist, enqueue work. A message is acknowledged only once
 * what it became is durable: its instances (and their work items), or its suspended record.
 */
export class ReceiveHost {
  readonly #deps: ReceiveHostDeps & { holdReceives: number; maxBodyBytes: number };

  constructor(deps: ReceiveHostDeps) {
    this.#deps = {
      ...deps,
      holdReceives: deps.holdReceives ?? 4,
      maxBodyBytes: deps.maxBodyBytes ?? MAX_STORED_BODY_BYTES,
    };
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
          else
            pending.push({
              outcome: activated,
              items: activated.instanceIds.map((instanceId) =>
                workItem(
                  instanceId,
                  'receive',
                  activated.created?.find((s) => s.instanceId === instanceId),
                ),
              ),
            });
        } catch (error) {
          // An oversized message is recorded already, and must fail: only the dead-letter queue keeps it whole.
          const kept =
            this.#lastDelivery(raw) && !(error instanceof OversizedMessage)
              ? await this.#keepFailed(raw, error).catch(() => undefined)
              : undefined;
          if (kept) outcomes.push(kept);
          else failures.set(raw.messageId, error);
        }
      }),
    );

    // Work items go out in batches; a redelivered message re-enqueues them, which the processing host tolerates.
    try {
      await this.#deps.workQueue.enqueue(pending.flatMap((p) => p.items));
      outcomes.push(...pending.map((p) => p.outcome));
    } catch (error) {
      for (const p of pending) {
        // At its last delivery it stays routed: its instances are due, and the sweeper gives them the items lost here.
        if (this.#lastDelivery(batch.find((r) => r.messageId === p.outcome.messageId))) outcomes.push(p.outcome);
        else failures.set(p.outcome.messageId, error);
      }
    }
    return { outcomes, failures };
  }

  #lastDelivery(raw: RawMessage | undefined): boolean {
    if (raw === undefined) return false;
    return (
      raw.deadLettered === true ||
      (this.#deps.suspendAtReceive !== undefined && (raw.receiveCount ?? 1) >= this.#deps.suspendAtReceive)
    );
  }

  /**
   * A message that failed at its last delivery before the dead-letter queue (the store or the queues down, again and
   * again) is kept as a suspended message with the error, visible and resubmittable, naming the subscribers that have it
   * already (a resubmission goes to the others). One that every subscriber has is routed: nothing to keep.
   */
  async #keepFailed(sent: RawMessage, error: unknown): Promise<ReceiveOutcome | undefined> {
    const { store, clock } = this.#deps;
    const raw = this.#deps.bodies ? await this.#deps.bodies.resolve(sent).catch(() => sent) : sent;
    const resubmission = await resubmissionOf(raw, store).catch(() => undefined);
    const messageId = resubmission?.messageId ?? raw.messageId;
    const found = await this.#holders({ ...raw, messageId });
    // A resubmission's original was taken by some already: they have it too, and its next resubmission must skip them.
    const holders = [...new Set([...(resubmission?.takenBy ?? []), ...found.holders])];
    if (found.subscribers.length > 0 && found.subscribers.every((s) => holders.includes(s)))
      return { messageId: sent.messageId, result: 'activated', instanceIds: [] };
    const bytes = Buffer.byteLength(raw.body, 'utf8');
    await store.putSuspendedMessage({
      messageId,
      reason: boundReason(
        `not received after ${raw.receiveCount ?? 1} deliveries (${sent.deadLettered ? "the last from the receive queue's dead-letter queue" : "next, the receive queue's dead-letter queue"}): ${describeError(error)}`,
      ),
      body:
        bytes > this.#deps.maxBodyBytes
          ? raw.body.slice(0, Math.min(this.#deps.maxBodyBytes, MAX_STORED_BODY_BYTES) / 4)
          : raw.body,
      attributes: raw.attributes,
      receivedAt: clock.now(),
      source: this.#deps.source,
      ...(holders.length > 0 ? { takenBy: holders } : {}),
      ...this.#keys(raw, clock.now()),
    });
    return { messageId: sent.messageId, result: 'suspended', instanceIds: [], reason: describeError(error) };
  }

  /** The orchestrations a message goes to, and those that have it already (an instance took it, or holds it in its inbox). */
  async #holders(raw: RawMessage): Promise<{ subscribers: string[]; holders: string[] }> {
    const { registry, store, clock } = this.#deps;
    let message: InboundMessage;
    try {
      message = await this.#validate(parseInbound(raw, clock.now()));
    } catch {
      return { subscribers: [], holders: [] };
    }
    const has = async (instanceId: string) => {
      const state = await store.load(instanceId);
      return (
        state !== undefined &&
        ((await took(store, state, raw.messageId)) || (await store.delivery(instanceId, raw.messageId)) !== undefined)
      );
    };
    const subscribers: string[] = [];
    const holders: string[] = [];
    for (const orchestration of registry.route(message)) {
      subscribers.push(orchestration.name);
      if (await has(activate(orchestration, message, 0).instanceId)) holders.push(orchestration.name);
    }
    for (const orchestration of registry.followers(message.messageType)) {
      if (subscribers.includes(orchestration.name)) continue;
      subscribers.push(orchestration.name);
      const set = orchestration.followers.get(message.messageType)!.correlation!;
      const value = correlationValue(orchestration, set, message);
      if (value !== undefined && (await has(convoyInstanceId(orchestration.name, set, value))))
        holders.push(orchestration.name);
    }
    return { subscribers, holders };
  }

  /** The business keys a kept message names, for its history to be linked to (see `businessKeys`). */
  #keys(raw: RawMessage, now: number): { keys?: readonly string[] } {
    return keysField(businessKeys(this.#deps.registry, raw, now));
  }

  /** @throws SchemaMismatch listing every issue with its path. */
  async #validate(message: InboundMessage): Promise<InboundMessage> {
    const schema = this.#deps.registry.schemaOf(message.messageType);
    if (!schema) return message;
    let result;
    try {
      result = await conform(schema, message.body);
    } catch (error) {
      // A schema that throws is a bug in its declaration, not in this message: retried, then the DLQ keeps it.
      throw new Error(`the schema of ${message.messageType} threw: ${describeError(error)}`, { cause: error });
    }
    if (!result.ok) throw new SchemaMismatch(message.messageType, result.issues);
    return { ...message, body: result.value };
  }

  async #activate(sent: RawMessage): Promise<ReceiveOutcome> {
    const now = this.#deps.clock.now();
    // What was sent, until its body is read from where the sender left it: a message that cannot be is kept as it came.
    const taking: Taking = { raw: sent };
    try {
      await this.#resolve(sent, taking);
      return await this.#route(sent, taking, now);
    } catch (error) {
      // A message that will not be taken as it is (refused, no subscriber) is kept aside; anything else comes back.
      if (remedyOf(error) !== 'suspend') throw error;
      return this.#keepRefused(sent, taking, error as BatonError, now);
    }
  }

  /**
   * The message as it is taken: its body read from where an extended client left it, and, for a resubmission, the id
   * its original's record names (sent again, it is a redelivery) and the orchestrations that took its original.
   */
  async #resolve(sent: RawMessage, taking: Taking): Promise<void> {
    const { store } = this.#deps;
    if (this.#deps.bodies) taking.raw = await this.#deps.bodies.resolve(sent);
    taking.resubmission = await resubmissionOf(taking.raw, store);
    if (taking.resubmission) {
      // A copy of the original still in flight when its record was written may have reached some since: they have it.
      const { holders } = await this.#holders({ ...taking.raw, messageId: taking.resubmission.original });
      const takenBy = [...new Set([...taking.resubmission.takenBy, ...holders])];
      taking.resubmission = { ...taking.resubmission, takenBy };
      taking.raw = { ...taking.raw, messageId: taking.resubmission.messageId };
    }
    const bytes = Buffer.byteLength(taking.raw.body, 'utf8');
    if (bytes > this.#deps.maxBodyBytes) {
      throw new InvalidMessage(
        `body is ${bytes} bytes; the MessageBox keeps at most ${this.#deps.maxBodyBytes} bytes per message`,
      );
    }
  }

  /** Routes the message to its subscriptions and the instances it follows, or says why it cannot be. */
  async #route(sent: RawMessage, { raw, resubmission }: Taking, now: number): Promise<ReceiveOutcome> {
    const { registry, store } = this.#deps;
    const parsed = parseInbound(raw, now);
    const activations = untaken(registry.route(parsed), resubmission);
    const followers = untaken(registry.followers(parsed.messageType), resubmission).filter(
      (f) => !activations.some((a) => a.name === f.name),
    );
    if (activations.length === 0 && followers.length === 0) {
      if (resubmission?.takenBy.length)
        throw new InvalidMessage(
          `every orchestration it is routed to took the message it resubmits (${resubmission.takenBy.join(', ')}): nothing left to deliver`,
        );
      throw new RoutingFailure(parsed.messageType);
    }
    // The validating receive pipeline: nothing reaches an orchestration, not even its correlation keys,
    // before the body matches its type's schema. The orchestrations see the schema's output.
    const message = await this.#validate(parsed);
    const targets = await targetsOf(store, followers, message);
    // A copy SQS brings again of a message kept as suspended (its deletion lost, or from the dead-letter queue) stays
    // kept: routed now, it would reach the orchestrations its resubmission goes to as well. Copies ended instances hold
    // of it were never taken, and go, as with the record's first write. A first delivery has no record, so only
    // redeliveries pay the read.
    const kept =
      (sent.receiveCount ?? 1) > 1 || sent.deadLettered
        ? await store.suspendedMessage(raw.messageId, { bodies: false })
        : undefined;
    if (kept) {
      await discardUntakenCopies(store, targets, message);
      const reason = `kept already as a suspended message (${kept.resolution?.kind ?? 'unresolved'}): ${kept.reason}`;
      return { messageId: sent.messageId, result: 'suspended', instanceIds: [], reason };
    }
    const missing = targets.find((t) => t.status === undefined);
    if (missing && (raw.receiveCount ?? 1) < this.#deps.holdReceives)
      throw new UncorrelatedMessage(missing.orchestration.name, missing.set, missing.value);
    const receiveCount = raw.receiveCount ?? 1;
    const routed = await deliverAll(store, activations, targets, message, {
      now,
      receiveCount,
      takenBefore: resubmission?.takenBy ?? [],
    });
    const { instanceIds, created, refused, taken } = routed;
    if (refused.length > 0) {
      if (instanceIds.length === 0) throw refused.length === 1 ? refused[0]! : new Refused(refused);
      // Taken by some, not by all: those that took it go on, and what the others did not take is kept, visible.
      await store.putSuspendedMessage({
        messageId: raw.messageId,
        reason: boundReason(
          `delivered to ${instanceIds.join(', ')}; not taken by the rest: ${refused.map((r) => r.message).join('; ')}`,
        ),
        body: raw.body,
        attributes: raw.attributes,
        receivedAt: now,
        source: this.#deps.source,
        takenBy: taken,
        ...this.#keys(raw, now),
      });
      await discardCopies(store, refused);
    }
    return { messageId: sent.messageId, result: 'activated', instanceIds, created };
  }

  /** A message no subscriber takes (or that cannot be read, typed, validated, routed) is kept, with its reason. */
  async #keepRefused(
    sent: RawMessage,
    { raw, resubmission }: Taking,
    error: BatonError,
    now: number,
  ): Promise<ReceiveOutcome> {
    const { store } = this.#deps;
    const truncated = Buffer.byteLength(raw.body, 'utf8') > this.#deps.maxBodyBytes;
    await store.putSuspendedMessage({
      messageId: raw.messageId,
      // The reason is bounded where it is kept (the outcome's, logged, is whole): a message type, a correlation value
      // or a pointer's key comes from the sender, of any size.
      reason:
        boundReason(describeError(error)) +
        (truncated ? ' (body truncated here; the original is in the receive DLQ)' : ''),
      ...(error instanceof SchemaMismatch ? { issues: error.issues } : {}),
      body: truncated ? raw.body.slice(0, Math.min(this.#deps.maxBodyBytes, MAX_STORED_BODY_BYTES) / 4) : raw.body,
      attributes: raw.attributes,
      receivedAt: now,
      source: this.#deps.source,
      ...(resubmission?.takenBy.length ? { takenBy: resubmission.takenBy } : {}),
      ...this.#keys(raw, now),
    });
    // Kept: the copies ended instances hold of it can go.
    await discardCopies(store, error instanceof Refused ? error.refusals : [error]);
    if (truncated) throw new OversizedMessage(raw.messageId);
    return { messageId: sent.messageId, result: 'suspended', instanceIds: [], reason: error.message };
  }
}
