/**
 * A suspended message resubmitted by an operator, as the receive host takes it: once, however often it is sent.
 *
 * Timeline of a resubmission (console/operations.ts):
 *   1. the operator claims the original's record: one conditional write (`resolveSuspendedMessage`) names the
 *      resubmission's id, chosen then, and what it goes with (an edited body, a changed type); of two operators, or
 *      two clicks, one wins and the other sends nothing;
 *   2. the message is sent, naming the original (`ResubmittedFrom`) and itself (`ResubmissionId`);
 *   3. the receive host takes it only when the original's record names exactly that resubmission (a sender to the
 *      queue cannot forge one), and under that id: its instances, its inbox items and its suspended record derive
 *      from it, so a second send of it (a retry, or the operator sending it again after a crash between 1 and 2) is a
 *      redelivery, routed once;
 *   4. a message routed to several orchestrations and taken by some is suspended for the rest with the names of those
 *      that took it (`takenBy`): its resubmission goes to the others only.
 * A crash between 1 and 2 leaves a record that names a resubmission never sent, and nothing lost: sending it again
 * (`baton resubmit <id> --again`, or the console's "Send it again") sends the same.
 */
import { InvalidMessage } from './errors.ts';
import type { RawMessage } from './message.ts';
import type { InstanceStore } from './ports.ts';
import { RESUBMITTED_FROM } from './tracking.ts';

/** The message attribute a resubmission carries: its own id, as its original's record names it. */
export const RESUBMISSION_ID = 'ResubmissionId';

export interface Resubmission {
  /** The id the message is taken under (its record's `resubmittedAs`), not its transport's. */
  readonly messageId: string;
  /** The suspended message it resubmits. */
  readonly original: string;
  /** The orchestrations that took the original (routed to several, refused by some): it is not routed to them again. */
  readonly takenBy: readonly string[];
}

/**
 * The resubmission a message is, or undefined when it names none (a message from anyone else).
 *
 * @throws InvalidMessage when it names a resubmission its original's record does not: suspended with that reason.
 */
export async function resubmissionOf(message: RawMessage, store: InstanceStore): Promise<Resubmission | undefined> {
  const id = message.attributes[RESUBMISSION_ID];
  if (id === undefined) return undefined;
  const original = message.attributes[RESUBMITTED_FROM];
  if (!original)
    throw new InvalidMessage(
      `it names resubmission ${id} (${RESUBMISSION_ID}) but not what it resubmits (${RESUBMITTED_FROM})`,
    );
  const record = await store.suspendedMessage(original, { bodies: false });
  const named = record?.resolution?.kind === 'resubmitted' ? record.resolution.resubmittedAs : undefined;
  if (named !== id) {
    const why = !record
      ? `there is no suspended message ${original}`
      : named
        ? `${original} was resubmitted as ${named}`
        : `${original} was not resubmitted`;
    throw new InvalidMessage(`it claims to be resubmission ${id} of ${original}, but ${why}: not taken as one`);
  }
  return { messageId: id, original, takenBy: record!.takenBy ?? [] };
}

/** The subscriptions a message goes to: all of them, or, for a resubmission, those that did not take its original. */
export function untaken<T extends { readonly name: string }>(
  subscribers: readonly T[],
  resubmission: Resubmission | undefined,
): T[] {
  return subscribers.filter((s) => !resubmission?.takenBy.includes(s.name));
}
