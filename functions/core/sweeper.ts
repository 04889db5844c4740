import { forkedBranches } from './engine.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState } from './instance.ts';
import type { OrchestrationRegistry } from './registry.ts';
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
export async function sweep(deps: { store: InstanceStore; workQueue: WorkQueue; clock: Clock; registry?: OrchestrationRegistry }, config: SweeperConfig): Promise<string[]> {
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
  // Waiting at a join whose branches all ended, quiet for a while: the last branch's wake-up was lost.
  const joins: InstanceState[] = [];
  for (const state of waiting) {
    const orchestration = deps.registry?.get(state.orchestration, state.version);
    if (!orchestration || state.updatedAt >= now - config.staleAfterMs) continue;
    const branches = forkedBranches(orchestration, state);
    if (branches.length === 0) continue;
    const statuses = await Promise.all(branches.map(async (id) => (await deps.store.summaryOf(id))?.status));
    if (statuses.every((s) => s !== undefined && TERMINAL_STATUSES.has(s))) joins.push(state);
  }
  const found = [...stale, ...overdue, ...joins];
  await deps.workQueue.enqueue(found.map((state) => ({ instanceId: state.instanceId, reason: 'sweep' })));
  return found.map((state) => state.instanceId);
}
