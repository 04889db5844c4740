import type { LeaseConfig } from './ownership.ts';
import { traced, type Clock, type InstanceStore, type WorkItem, type WorkQueue } from './ports.ts';

export interface SweeperConfig {
  /** How long past its due time (core/due.ts) an instance is left before the sweeper counts its wake-up as lost. */
  readonly staleAfterMs: number;
  readonly lease: LeaseConfig;
  /** Most entries one sweep takes; the rest wait for the next. @defaultValue 10,000 */
  readonly limit?: number;
}

/**
 * Wakes what is overdue: a running instance whose lease ended (or that nobody leased) a while ago, a timer whose
 * work item never came, a waiting instance with a delivery nobody read, a join whose last branch ended unheard.
 * It reads only the due index, entries whose time has passed, so its cost follows the wake-ups that were lost,
 * not the number of instances. Waking a live instance is harmless: the processing host reads the state, and the
 * revision check stops any double commit.
 */
export async function sweep(
  deps: { store: InstanceStore; workQueue: WorkQueue; clock: Clock },
  config: SweeperConfig,
): Promise<string[]> {
  const now = deps.clock.now();
  // Beyond the skew too: a due time set from a lease was computed on its owner's clock.
  const before = now - Math.max(config.staleAfterMs, config.lease.maxClockSkewMs);
  const due = await deps.store.listDue(before, config.limit);
  const items = new Map<string, WorkItem>();
  for (const entry of due) {
    // An entry of an earlier version, on a finished branch, is due for its join: wake the orchestration waiting there.
    const instanceId = entry.joinOf ?? entry.instanceId;
    items.set(instanceId, { instanceId, reason: 'sweep', ...traced(entry) });
  }
  await deps.workQueue.enqueue([...items.values()]);
  return [...items.keys()];
}
