import { OwnershipLost, describeError, remedyOf } from './errors.ts';
import type { Delivery, ProcessingHost, ProcessOutcome } from './processing-host.ts';
import { MAX_DELAY_SECONDS, traced, type WorkItem, type WorkQueue } from './ports.ts';

/**
 * What became of one work item, for the transport to act on: `ack` deletes it from the work queue; otherwise the
 * transport delivers it again (and, past its receive limit, moves it to the dead-letter queue).
 */
export type Handled =
  /** Done: run to a persistence point, or nothing to do. */
  | { readonly ack: true; readonly outcome: ProcessOutcome }
  /** Another host holds a live lease: a delayed copy of the item was enqueued for when it may have run out. */
  | { readonly ack: true; readonly outcome: ProcessOutcome & { result: 'retry' }; readonly requeued: WorkItem }
  /**
   * It kept failing, for an outage (the MessageBox or a queue out of reach, throttled): its instance is not suspended
   * for what is not its fault; a delayed copy of the item was enqueued, to try again once the outage may be over.
   */
  | { readonly ack: true; readonly requeued: WorkItem; readonly error: unknown }
  /** It kept failing: its instance was suspended with the error, visible to an operator. */
  | { readonly ack: true; readonly suspended: string; readonly error: unknown }
  /** Failed this time: deliver it again. `lostRace`: other hosts committed first, twice. */
  | { readonly ack: false; readonly error: unknown; readonly lostRace: boolean };

export interface WorkItemPolicy {
  /** The processing host's own work queue, for a busy instance's item to come back on. */
  readonly workQueue: WorkQueue;
  /**
   * From this receive on, an item that fails suspends its instance (with the error) instead of failing again: below
   * the work queue's receive limit, so the instance shows up suspended rather than its work item in the DLQ.
   */
  readonly suspendAtReceive: number;
}

/** How long a work item that failed for an outage at its last delivery waits before it is tried again. */
export const OUTAGE_RETRY_SECONDS = 30;

/**
 * The processing host's retry policy, the same whatever carries the work items (a Lambda event source, the local
 * poller, the simulator):
 * - a busy instance (another host's live lease) comes back as a new delayed item rather than failing, which would count
 *   towards the DLQ however long the other host works (the instance counts runs that never end itself: see
 *   `ProcessingHostDeps.maxAttempts`);
 * - a failure is delivered again, until `suspendAtReceive`, when the instance is suspended with the error, unless the
 *   error's remedy (core/errors.ts) is `retry`, such as an outage: then the item comes back as a new, delayed one,
 *   however long the outage lasts; an error whose remedy is `suspend` (it would fail again, as it is) suspends the
 *   instance at once;
 * - an instance that cannot be suspended (gone, or suspended already) leaves its item to the DLQ.
 */
export async function handleWorkItem(
  host: ProcessingHost,
  item: WorkItem,
  delivery: Delivery,
  policy: WorkItemPolicy,
): Promise<Handled> {
  try {
    const outcome = await host.process(item, delivery);
    if (outcome.result !== 'retry') return { ack: true, outcome };
    // A redelivery comes back as a new item: it keeps standing for one (see WorkItem.redelivery).
    const redelivery = delivery.receiveCount > 1 || item.redelivery === true;
    const requeued: WorkItem = {
      instanceId: item.instanceId,
      reason: item.reason,
      delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(outcome.retryAfterMs / 1000)),
      ...traced(item),
      ...(redelivery ? { redelivery } : {}),
    };
    await policy.workQueue.enqueue([requeued]);
    return { ack: true, outcome, requeued };
  } catch (error) {
    // Lost twice to other writers: what the item carries (a wake-up) must be looked at again against what they left.
    if (error instanceof OwnershipLost) return { ack: false, error, lostRace: true };
    const remedy = remedyOf(error);
    if (delivery.receiveCount < policy.suspendAtReceive && remedy !== 'suspend')
      return { ack: false, error, lostRace: false };
    if (remedy === 'retry') {
      // A copy starts its count again: an outage longer than the work queue's retries neither suspends the instance nor
      // leaves its item in the DLQ. Past the outage it runs as it would have.
      const requeued: WorkItem = { ...item, delaySeconds: OUTAGE_RETRY_SECONDS, redelivery: true };
      try {
        await policy.workQueue.enqueue([requeued]);
        return { ack: true, requeued, error };
      } catch {
        return { ack: false, error, lostRace: false };
      }
    }
    const reason = `work item failed ${delivery.receiveCount} times: ${describeError(error)}`;
    if (!(await host.suspend(item, reason))) return { ack: false, error, lostRace: false };
    return { ack: true, suspended: reason, error };
  }
}
