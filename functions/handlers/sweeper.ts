import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { systemClock } from '../adapters/system-clock.ts';
import { definitionsOf } from '../core/orchestrations-module.ts';
import { sweep } from '../core/sweeper.ts';
import { OWNERSHIP } from '../../infra/settings.ts';
import { readConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

/** Namespace of Baton's own CloudWatch metrics (the stack's alarms read them). */
export const METRICS_NAMESPACE = 'Baton';

/**
 * Lambda entry point of the sweeper (on a schedule), for the orchestrations of `module` (it needs them to find
 * joins whose last wake-up was lost): re-enqueues instances whose work item was lost, and publishes the
 * MessageBox's counts (running, waiting, suspended instances, suspended messages) for the alarms.
 */
export function sweeperHandler(module: unknown) {
  const logger = new Logger({ serviceName: 'baton-sweeper' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'baton' });
  const runtime = createRuntime(readConfig(), { definitions: definitionsOf(module, process.env, 'the orchestrations module') });
  return async function handler(): Promise<{ requeued: number }> {
    const requeued = await sweep(
      { store: runtime.store, workQueue: runtime.workQueue, clock: systemClock, registry: runtime.registry },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: runtime.lease },
    );
    if (requeued.length > 0) logger.warn('re-enqueued instances whose work item was lost', { count: requeued.length, instanceIds: requeued.slice(0, 20) });
    const counts = await runtime.store.countByStatus();
    metrics.addMetric('RequeuedInstances', MetricUnit.Count, requeued.length);
    metrics.addMetric('RunningInstances', MetricUnit.Count, counts.running ?? 0);
    metrics.addMetric('WaitingInstances', MetricUnit.Count, counts.waiting ?? 0);
    metrics.addMetric('SuspendedInstances', MetricUnit.Count, counts.suspended ?? 0);
    metrics.addMetric('SuspendedMessages', MetricUnit.Count, counts.message ?? 0);
    metrics.publishStoredMetrics();
    return { requeued: requeued.length };
  };
}
