/**
 * Suspended messages: resubmitted (as they are, or edited) once, sent again after a send that failed, or discarded
 * with a reason; each written to the audit trail with its outcome.
 */
import { randomUUID } from 'node:crypto';
import { isOffloaded, parsePointer, withoutSizeAttribute } from '../../functions/adapters/extended-client.ts';
import type { MessageResolution, SuspendedMessage } from '../../functions/core/instance.ts';
import { RESUBMISSION_ID } from '../../functions/core/resubmission.ts';
import { TRACE_ATTRIBUTE, traceOf } from '../../functions/core/trace.ts';
import { messageKey, RESUBMITTED_FROM, subjectOfMessage } from '../../functions/core/tracking.ts';
import { resubmissionKey } from '../queues.ts';
import type { ActionResult, OperationContext } from './types.ts';

export type Resubmitted = ActionResult & { newMessageId?: string };

/**
 * Resubmits a suspended message (as it is, or edited) to the receive queue, once. The record is claimed first: one
 * conditional write names the resubmission (an id chosen now) and what it goes with, so of two operators (or two
 * clicks) one wins and the other is refused, sending nothing. Then it is sent, naming the original and itself; the
 * receive host takes it under that id, so any second copy of it is a redelivery (core/resubmission.ts). The original's
 * record stays, body and reason. A send that fails after the claim leaves the record naming a resubmission that was
 * not sent: `sendAgain` sends it.
 */
export async function resubmit(
  o: OperationContext,
  messageId: string,
  edit: { body?: string; messageType?: string } = {},
): Promise<Resubmitted> {
  const { store } = o.deps;
  const original = await store.suspendedMessage(messageId);
  let result: Resubmitted;
  if (!original) result = { target: messageId, outcome: 'refused', detail: 'no such suspended message' };
  else if (original.resolution)
    result = { target: messageId, outcome: 'refused', detail: resolvedAlready(original.resolution) };
  // SQS takes no empty message: refused before the claim, which would otherwise name a resubmission never sent.
  else if ((edit.body ?? original.body).trim() === '')
    result = { target: messageId, outcome: 'refused', detail: 'the body is empty: SQS takes no empty message' };
  else {
    const messageType = edit.messageType?.trim();
    const edited = edit.body !== undefined && edit.body !== original.body;
    const resolution: MessageResolution = {
      kind: 'resubmitted',
      by: o.deps.operator,
      at: o.now(),
      resubmittedAs: (o.deps.newId ?? randomUUID)(),
      ...(edited ? { reason: 'edited', body: edit.body } : {}),
      ...(messageType && messageType !== original.attributes.MessageType ? { messageType } : {}),
    };
    if (!(await store.resolveSuspendedMessage(messageId, resolution))) {
      const now = await store.suspendedMessage(messageId, { bodies: false });
      result = {
        target: messageId,
        outcome: 'refused',
        detail: now?.resolution ? resolvedAlready(now.resolution) : 'no such suspended message',
      };
    } else result = await sendResubmission(o, original, resolution);
  }
  await o.audit('resubmit', result);
  return result;
}

/**
 * Sends again the resubmission a suspended message's record names, the same message (a send that failed, or a crash,
 * after the claim). Harmless if it was sent after all: the receive host takes a second copy as a redelivery. Refused
 * once its tracked history shows it arrived (no need; and long after, its instances may have expired).
 */
export async function sendAgain(o: OperationContext, messageId: string): Promise<Resubmitted> {
  const original = await o.deps.store.suspendedMessage(messageId);
  const resolution = original?.resolution;
  let result: Resubmitted;
  if (!original) result = { target: messageId, outcome: 'refused', detail: 'no such suspended message' };
  else if (resolution?.kind !== 'resubmitted' || !resolution.resubmittedAs)
    result = {
      target: messageId,
      outcome: 'refused',
      detail: resolution ? resolvedAlready(resolution) : 'it was not resubmitted: resubmit it',
    };
  else {
    const arrived = await arrivedAs(o, messageId, resolution.resubmittedAs);
    result = arrived
      ? {
          target: messageId,
          outcome: 'refused',
          detail: `resubmission ${resolution.resubmittedAs} arrived (${arrived}): nothing to send again`,
        }
      : await sendResubmission(o, original, resolution);
  }
  await o.audit('resubmit again', result);
  return result;
}

/** What shows that a resubmission reached the receive host, if anything does: a record of its own, or its history. */
async function arrivedAs(o: OperationContext, original: string, resubmission: string): Promise<string | undefined> {
  if (await o.deps.store.suspendedMessage(resubmission, { bodies: false })) return 'it was suspended in its turn';
  // The original's own record links to it from its claim: anything else is where it went.
  const went = (await o.deps.history.linked(messageKey(resubmission), 10)).filter(
    (subject) => subject !== subjectOfMessage(original),
  );
  return went.length > 0 ? `taken by ${went.join(', ')}` : undefined;
}

/**
 * The message a resubmission's record describes, sent to the receive queue: the same each time. A body too large to
 * send goes to the bucket under `inbound/<resubmission id>` and out as a pointer. A size attribute (an extended
 * client's: its body is a pointer) goes only with a pointer that came as one, unedited (the receive host follows it
 * again: its object may be back); never with a body the operator wrote, which the receive host would take for one.
 */
async function sendResubmission(
  o: OperationContext,
  original: SuspendedMessage,
  resolution: MessageResolution,
): Promise<Resubmitted> {
  const id = resolution.resubmittedAs!;
  try {
    const pointer =
      resolution.body === undefined && isOffloaded(original.attributes) && parsePointer(original.body) !== undefined;
    const { MessageType: _type, [RESUBMITTED_FROM]: _from, [RESUBMISSION_ID]: _id, ...copied } = original.attributes;
    const kept = pointer ? copied : withoutSizeAttribute(copied);
    const messageType = resolution.messageType ?? original.attributes.MessageType;
    const attributes = {
      ...kept,
      ...(messageType ? { MessageType: messageType } : {}),
      // Its own trace unless the original brought one: every copy of it in the same one, as the engine derives it.
      ...(kept[TRACE_ATTRIBUTE] ? {} : { [TRACE_ATTRIBUTE]: traceOf({ messageId: id, properties: {} }) }),
      [RESUBMITTED_FROM]: original.messageId,
      [RESUBMISSION_ID]: id,
    };
    await o.deps.queues.send(
      'receive',
      resolution.body ?? original.body,
      attributes,
      pointer ? {} : { offloadAs: resubmissionKey(id) },
    );
    return {
      target: original.messageId,
      outcome: 'done',
      newMessageId: id,
      detail: `resubmitted as ${id}${resolution.reason ? ` (${resolution.reason})` : ''}`,
    };
  } catch (error) {
    return {
      target: original.messageId,
      outcome: 'failed',
      newMessageId: id,
      detail:
        `claimed as resubmission ${id}, but sending it failed: ${(error as Error).message}; send it again ` +
        `(baton resubmit ${original.messageId} --again, or the console's Send it again)`,
    };
  }
}

export async function discard(o: OperationContext, messageId: string, reason: string): Promise<ActionResult> {
  if (!reason.trim()) throw new Error('discarding a message needs a reason');
  const done = await o.deps.store.resolveSuspendedMessage(messageId, {
    kind: 'discarded',
    by: o.deps.operator,
    at: o.now(),
    reason: reason.trim(),
  });
  const result: ActionResult = done
    ? { target: messageId, outcome: 'done', detail: reason.trim() }
    : { target: messageId, outcome: 'refused', detail: 'no such unresolved suspended message' };
  await o.audit('discard', result);
  return result;
}

function resolvedAlready(resolution: MessageResolution): string {
  const as = resolution.resubmittedAs ? ` as ${resolution.resubmittedAs}` : '';
  return `already ${resolution.kind}${as} by ${resolution.by} at ${new Date(resolution.at).toISOString()}`;
}
