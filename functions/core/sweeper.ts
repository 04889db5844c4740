import { InstanceStatus } from './instance.ts';
import { takeoverBefore, type LeaseConfig } from './ownership.ts';
import type { Clock, InstanceStore, WorkQueue } from './ports.ts';

export interface SweeperConfig {
  /** A running instance untouched for this long, with no live lease, has lost its work item. */
  readonly staleAfterMs: number;
  readonly lease: LeaseConfig;
}

/**
 * Finds running instances whose work item was lost (queue purged, message expired, host died after its
 * lease lapsed) and enqueues them again. Re-enqueueing a live instance is harmless: the processing host
 * reads the state and the revision check stops any double commit.
 */
export async function sweep(deps: { store: InstanceStore; workQueue: WorkQueue; clock: Clock }, config: SweeperConfig): Promise<string[]> {
  const now = deps.clock.now();
  const running = await deps.store.listInstances(InstanceStatus.Running);
  const stale = running.filter(
    (state) =>
      state.updatedAt < now - config.staleAfterMs &&
      (!state.lease || state.lease.expiresAt < takeoverBefore(now, config.lease)),
  );
  // Waiting instances whose timer is overdue: the host that armed it died before enqueueing it.
  const waiting = await deps.store.listInstances(InstanceStatus.Waiting);
  const overdue = waiting.filter((state) => state.cursor.threads.some((t) => t.timerDue !== undefined && t.timerDue < now - config.staleAfterMs));
  const found = [...stale, ...overdue];
  await deps.workQueue.enqueue(found.map((state) => ({ instanceId: state.instanceId, reason: 'sweep' })));
  return found.map((state) => state.instanceId);
}
