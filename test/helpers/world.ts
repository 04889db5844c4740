import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { ProcessingHost, type ProcessingHostDeps } from '../../functions/core/processing-host.ts';
import { ReceiveHost } from '../../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { ManualClock, MemoryInstanceStore, MemorySendPort, MemoryWorkQueue } from './memory.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { MESSAGEBOX, OWNERSHIP } from '../../functions/settings.ts';

/** The engine on in-memory fakes: one MessageBox, one work queue, one send port, a clock tests move. */
export function createWorld(definitions: OrchestrationDefinition[]) {
  const registry = new OrchestrationRegistry(definitions);
  const store = new MemoryInstanceStore();
  const workQueue = new MemoryWorkQueue();
  const sendPort = new MemorySendPort();
  const clock = new ManualClock();
  // Finished instances expire after the MessageBox's retention, as DynamoDB's TTL deletes them.
  store.expiry = { clock, retentionMs: MESSAGEBOX.finishedRetentionDays * 86_400_000 };
  const receiverFor = () => new ReceiveHost({ registry, store, workQueue, clock, source: 'receive' });
  /** A processing host instance; several with different ids stand for several machines. */
  const host = (hostId = 'h', extra: Partial<ProcessingHostDeps> = {}) =>
    new ProcessingHost({ registry, store, sendPort, workQueue, clock, lease: DEFAULT_LEASE, hostId, ...extra });
  return { registry, store, workQueue, sendPort, clock, receiver: receiverFor(), receiverFor, host };
}

type World = ReturnType<typeof createWorld>;

/**
 * Handles work items until none is ready. Each round's ready items run at the same moment, each on a host
 * of its own (several machines at once). With `timers`, delayed items (durable timers) fire too: the
 * clock jumps to the nearest one; with `sweeper` too, the sweeper runs each time the clock jumps.
 */
export async function settle(
  w: World,
  options: { timers?: boolean; sweeper?: boolean; maxRounds?: number } = {},
): Promise<void> {
  for (let round = 0; w.workQueue.items.length > 0; round++) {
    if (round > (options.maxRounds ?? 200)) throw new Error('the world does not settle');
    let ready = w.workQueue.items.filter((i) => !i.delaySeconds);
    if (ready.length === 0) {
      if (!options.timers) return;
      const next = Math.min(...w.workQueue.items.map((i) => i.delaySeconds!));
      w.clock.advance(next * 1000);
      w.workQueue.items.splice(
        0,
        w.workQueue.items.length,
        ...w.workQueue.items.map((i) => ({ ...i, delaySeconds: Math.max(0, i.delaySeconds! - next) || undefined })),
      );
      if (options.sweeper)
        await sweep(
          { store: w.store, workQueue: w.workQueue, clock: w.clock },
          { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: DEFAULT_LEASE },
        );
      ready = w.workQueue.items.filter((i) => !i.delaySeconds);
    }
    w.workQueue.items.splice(0, w.workQueue.items.length, ...w.workQueue.items.filter((i) => i.delaySeconds));
    await Promise.all(ready.map((item, n) => w.host(`host-${n}`).process(item, { receiveCount: 1 })));
  }
}
