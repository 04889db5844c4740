import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/system-clock.ts';
import { sweep } from '../core/sweeper.ts';
import { OWNERSHIP } from '../../infra/settings.ts';
import { readConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

const logger = new Logger({ serviceName: 'baton-sweeper' });
const runtime = createRuntime(readConfig());

/** Sweeper (on a schedule): re-enqueues running instances whose work item was lost. */
export async function handler(): Promise<{ requeued: number }> {
  const requeued = await sweep(
    { store: runtime.store, workQueue: runtime.workQueue, clock: systemClock },
    { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: runtime.lease },
  );
  if (requeued.length > 0) logger.warn('re-enqueued instances whose work item was lost', { count: requeued.length, instanceIds: requeued.slice(0, 20) });
  return { requeued: requeued.length };
}
