import { activateOrDeliver, deliverTo, NoTaker, refusal, took } from '../activation.ts';
import { correlationValue, REPLY_ATTRIBUTE, REPLY_SET } from '../correlation.ts';
import type { CompiledOrchestration } from '../program.ts';
import { InvalidMessage } from '../errors.ts';
import { convoyInstanceId } from '../ids.ts';
import type { InstanceState, InstanceStatus } from '../instance.ts';
import type { InboundMessage } from '../message.ts';
import type { InstanceStore } from '../ports.ts';

/** A running instance a message follows (a convoy, by its correlation value), as it was when the message came. */
export interface Target {
  readonly orchestration: CompiledOrchestration;
  readonly set: string;
  readonly value: string;
  /** The instance's id (a convoy's, from its correlation value). */
  readonly owner: string;
  readonly status: InstanceStatus | undefined;
  readonly incarnation: number | undefined;
}

/**
 * The instances a message follows. Every key is read before anything is written, so a message is routed everywhere
 * or nowhere; every follower's instance is looked at before anything is written, so while one may still be on its way
 * the message is held for all of them, and no instance gets it in its inbox with no work item to wake it.
 *
 * @throws InvalidMessage when the message has no value for a follower's correlation set.
 */
export async function targetsOf(
  store: InstanceStore,
  followers: readonly CompiledOrchestration[],
  message: InboundMessage,
): Promise<Target[]> {
  const followed = followers.map((orchestration) => {
    const set = orchestration.followers.get(message.messageType)!.correlation!;
    const value = correlationValue(orchestration, set, message);
    if (value === undefined)
      throw new InvalidMessage(
        set === REPLY_SET
          ? `this ${message.messageType} is a reply ${orchestration.name} waits for: it needs the ${REPLY_ATTRIBUTE} attribute its request went out with`
          : `no value for correlation set "${set}" of ${orchestration.name} in this ${message.messageType}`,
      );
    return { orchestration, set, value };
  });
  const replies = await repliedTo(store, followed);
  return Promise.all(
    followed
      .filter((f) => f.set !== REPLY_SET || replies.get(f.value) === f.orchestration.name)
      .map(async (f) => {
        // A reply names its instance; a convoy's id derives from its correlation value; a value a send initialized
        // was recorded with its instance (none yet: held, as a convoy's message whose instance is not there yet).
        const owner =
          f.set === REPLY_SET
            ? f.value
            : f.set === f.orchestration.activation.correlation
              ? convoyInstanceId(f.orchestration.name, f.set, f.value)
              : await store.correlated({ orchestration: f.orchestration.name, set: f.set, value: f.value });
        if (owner === undefined) return { ...f, owner: '', status: undefined, incarnation: undefined };
        const summary = await store.summaryOf(owner);
        return { ...f, owner, status: summary?.status, incarnation: summary?.createdAt };
      }),
  );
}

/**
 * The orchestration of each instance a reply names. A reply goes only to the orchestration its instance runs (several
 * may wait for replies of one type), and one naming no instance of an orchestration waiting for it is refused.
 *
 * @throws InvalidMessage when a reply names no instance of the orchestrations that wait for its type.
 */
async function repliedTo(
  store: InstanceStore,
  followed: readonly { orchestration: CompiledOrchestration; set: string; value: string }[],
): Promise<Map<string, string>> {
  const replies = followed.filter((f) => f.set === REPLY_SET);
  const named = new Map<string, string>();
  for (const id of new Set(replies.map((f) => f.value))) {
    const state = await store.load(id);
    if (state) named.set(id, state.orchestration);
  }
  for (const f of replies)
    if (!replies.some((r) => r.value === f.value && named.get(r.value) === r.orchestration.name))
      throw new InvalidMessage(
        `this reply names instance "${f.value}" (its ${REPLY_ATTRIBUTE} attribute), which is not an instance of ${[...new Set(replies.map((r) => r.orchestration.name))].join(' or ')}`,
      );
  return named;
}

/** Where one message went: the instances that took it (made or delivered to), and who refused it and why. */
export interface Routed {
  readonly instanceIds: string[];
  readonly created: InstanceState[];
  readonly refused: InvalidMessage[];
  /** The orchestrations that took it, as its suspended record names them if some refuse it. */
  readonly taken: string[];
}

/**
 * Activates the message's subscriptions and delivers it to the instances it follows. One that refuses it (its convoy
 * ended, no value for its key) does not stop the others.
 */
export async function deliverAll(
  store: InstanceStore,
  activations: readonly CompiledOrchestration[],
  targets: readonly Target[],
  message: InboundMessage,
  context: { readonly now: number; readonly receiveCount: number; readonly takenBefore: readonly string[] },
): Promise<Routed> {
  const routed: Routed = { instanceIds: [], created: [], refused: [], taken: [...context.takenBefore] };
  for (const orchestration of activations) {
    let activation: Awaited<ReturnType<typeof activateOrDeliver>>;
    try {
      activation = await activateOrDeliver(orchestration, message, store, context.now);
    } catch (error) {
      // Refused by this one (its convoy ended, no value for its key): the others still take it.
      if (!(error instanceof InvalidMessage)) throw error;
      routed.refused.push(error);
      continue;
    }
    if (activation.created) routed.created.push(activation.created);
    routed.instanceIds.push(activation.instanceId);
    routed.taken.push(orchestration.name);
  }
  for (const target of targets) await deliverToTarget(store, target, message, context.receiveCount, routed);
  return routed;
}

async function deliverToTarget(
  store: InstanceStore,
  { orchestration, set, value, owner, status, incarnation }: Target,
  message: InboundMessage,
  receiveCount: number,
  routed: Routed,
): Promise<void> {
  const ended = await endedFor(store, { orchestration, set, value, owner, status, incarnation }, message);
  if (ended === 'took') {
    routed.instanceIds.push(owner);
    routed.taken.push(orchestration.name);
    return;
  }
  if (ended) {
    routed.refused.push(ended);
    return;
  }
  if (status === undefined) {
    routed.refused.push(
      new InvalidMessage(
        `no ${orchestration.name} instance has ${set}="${value}" (held for ${receiveCount} deliveries)`,
      ),
    );
    return;
  }
  try {
    await deliverTo(store, { instanceId: owner, incarnation, orchestration: orchestration.name, set, value }, message);
    routed.instanceIds.push(owner);
    routed.taken.push(orchestration.name);
  } catch (error) {
    if (!(error instanceof NoTaker)) throw error;
    routed.refused.push(error);
  }
}

/**
 * The copies ended instances hold of a message that is kept as a suspended message (or already was): never taken,
 * they go.
 */
export async function discardCopies(store: InstanceStore, refusals: readonly unknown[]): Promise<void> {
  for (const refused of refusals)
    if (refused instanceof NoTaker && refused.copy)
      await store.discard(refused.copy.instanceId, [refused.copy.messageId]);
}

/** A message kept already: the copies the ended instances it follows hold of it, and did not take, go. */
export async function discardUntakenCopies(
  store: InstanceStore,
  targets: readonly Target[],
  message: InboundMessage,
): Promise<void> {
  for (const target of targets) {
    const ended = await endedFor(store, target, message);
    if (ended instanceof NoTaker) await discardCopies(store, [ended]);
  }
}

/**
 * What an instance that ended makes of a message routed to it: `took` it before it ended (SQS delivers it again:
 * nothing new to say), or a refusal naming the copy left in its inbox (a delivery that crashed before it looked again),
 * never taken, which goes once the message is kept. Undefined while the instance has not ended.
 */
async function endedFor(
  store: InstanceStore,
  target: Target,
  message: InboundMessage,
): Promise<'took' | NoTaker | undefined> {
  const { orchestration, set, value, owner, status } = target;
  const ended = refusal(orchestration.name, set, value, status, message.messageType);
  if (!ended) return undefined;
  if (await took(store, await store.load(owner), message.messageId)) return 'took';
  return new NoTaker(ended, { instanceId: owner, messageId: message.messageId });
}
