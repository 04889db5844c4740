import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { systemClock } from '../adapters/system-clock.ts';
import { definitionsOf } from '../core/orchestrations-module.ts';
import { sweep } from '../core/sweeper.ts';
import { OWNERSHIP } from '../settings.ts';
import { readConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

/** Namespace of Baton's own CloudWatch metrics (the stack's alarms read them). */
export const METRICS_NAMESPACE = 'Baton';

/**
 * Lambda entry point of the sweeper (on a schedule): wakes what is due and was not woken (see core/sweeper.ts),
 * and publishes the counts the alarms read: suspended instances and suspended messages. It does not count running
 * or waiting instances: that would page the whole status index every minute, a cost that grows with them.
 */
export function sweeperHandler(module: unknown) {
  const logger = new Logger({ serviceName: 'baton-sweeper' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'baton' });
  const runtime = createRuntime(readConfig(), {
    definitions: definitionsOf(module, process.env, 'the orchestrations module'),
  });
  return async function handler(): Promise<{ requeued: number }> {
    const requeued = await sweep(
      { store: runtime.store, workQueue: runtime.workQueue, clock: systemClock },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: runtime.lease },
    );
    if (requeued.length > 0)
      logger.warn('re-enqueued instances whose work item was lost', {
        count: requeued.length,
        instanceIds: requeued.slice(0, 20),
      });
    const counts = await runtime.store.countByStatus(['suspended', 'message']);
    metrics.addMetric('RequeuedInstances', MetricUnit.Count, requeued.length);
    metrics.addMetric('SuspendedInstances', MetricUnit.Count, counts.suspended ?? 0);
    metrics.addMetric('SuspendedMessages', MetricUnit.Count, counts.message ?? 0);
    metrics.publishStoredMetrics();
    return { requeued: requeued.length };
  };
}
