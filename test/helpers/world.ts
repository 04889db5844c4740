import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { ProcessingHost, type ProcessingHostDeps } from '../../functions/core/processing-host.ts';
import { ReceiveHost } from '../../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { ManualClock, MemoryInstanceStore, MemorySendPort, MemoryWorkQueue } from './memory.ts';

/** The engine on in-memory fakes: one MessageBox, one work queue, one send port, a clock tests move. */
export function createWorld(definitions: OrchestrationDefinition[]) {
  const registry = new OrchestrationRegistry(definitions);
  const store = new MemoryInstanceStore();
  const workQueue = new MemoryWorkQueue();
  const sendPort = new MemorySendPort();
  const clock = new ManualClock();
  const receiverFor = () => new ReceiveHost({ registry, store, workQueue, clock, source: 'receive' });
  /** A processing host instance; several with different ids stand for several machines. */
  const host = (hostId = 'h', extra: Partial<ProcessingHostDeps> = {}) =>
    new ProcessingHost({ registry, store, sendPort, workQueue, clock, lease: DEFAULT_LEASE, hostId, ...extra });
  return { registry, store, workQueue, sendPort, clock, receiver: receiverFor(), receiverFor, host };
}
