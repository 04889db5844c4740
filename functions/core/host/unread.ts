import type { CompiledOrchestration } from '../program.ts';
import type { InstanceState } from '../instance.ts';
import { bodyLeft } from '../message.ts';
import type { InstanceStore } from '../ports.ts';
import { keysField } from '../receive/keys.ts';
import { passedOver } from '../run/transient.ts';

/** Whether messages are ever delivered to a running instance of it (a receive after the first, or a listen); asked once per definition. */
const followsMessages = new WeakMap<CompiledOrchestration, boolean>();
function takesLaterMessages(orchestration: CompiledOrchestration): boolean {
  let answer = followsMessages.get(orchestration);
  if (answer === undefined) {
    answer = [...orchestration.shapes.values()].some(
      (shape) => (shape.kind === 'receive' && !shape.activate) || shape.kind === 'listen',
    );
    followsMessages.set(orchestration, answer);
  }
  return answer;
}

/**
 * Messages delivered to an instance that ended without taking them (BizTalk's "completed with discarded
 * messages", a message a transient receive passed over among them) become suspended messages, visible with their
 * reason and body, and its inbox is emptied: nothing is
 * left there to outlive the instance (a copy of a message it took whose removal did not happen, a message for an
 * earlier instance of the same id). Idempotent (one record per message id), so a redelivery may do it again; a
 * message is kept before its inbox copy goes. Without the definition (an operator's terminate) the inbox is read
 * anyway: skipping that read is a saving only the definition allows (one that takes no later message).
 */
export async function keepUnread(
  store: InstanceStore,
  state: InstanceState,
  orchestration: CompiledOrchestration | undefined,
): Promise<void> {
  // A branch instance takes no message (the definition forbids receives in a branch), so none is ever delivered to it.
  if (state.branchOf || (orchestration && !takesLaterMessages(orchestration))) return;
  const inbox = await store.deliveries(state.instanceId);
  if (inbox.length === 0) return;
  const consumed = new Set(state.consumed);
  const candidates = inbox.filter((m) => !consumed.has(m.messageId));
  // A copy SQS brought back of a message the instance took and settled is not unread.
  const settled =
    candidates.length > 0
      ? await store.settled(
          state.instanceId,
          candidates.map((m) => m.messageId),
        )
      : new Set<string>();
  for (const entry of candidates.filter((m) => !settled.has(m.messageId))) {
    // A large one was listed without its body: the record keeps it whole. Gone meanwhile: another host kept it.
    const message = bodyLeft(entry) ? await store.delivery(state.instanceId, entry.messageId) : entry;
    if (!message) continue;
    const earlier = message.incarnation !== undefined && message.incarnation !== state.createdAt;
    // Passed over by a transient receive (it came before the receive waited): the reason says so.
    const passed = orchestration && passedOver(orchestration, state, message);
    await store.putSuspendedMessage({
      messageId: message.messageId,
      reason: earlier
        ? `delivered to an earlier ${state.orchestration} instance under the id ${state.instanceId}, which ended without taking it`
        : `delivered to ${state.instanceId} (${state.orchestration} version ${state.version}), which ended ${state.status} without taking it${passed ? `: ${passed}` : ''}`,
      body: JSON.stringify(message.body) ?? 'null',
      attributes: { ...message.properties, MessageType: message.messageType },
      receivedAt: message.receivedAt,
      source: `inbox of ${state.instanceId}`,
      ...keysField([...Object.values(message.keys ?? {}), ...Object.values(state.correlations)]),
    });
  }
  await store.discard(
    state.instanceId,
    inbox.map((m) => m.messageId),
  );
}
