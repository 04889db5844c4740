/**
 * One local host instance as an OS process of its own: local/host-runner.ts over the AWS SDK to the cluster's
 * endpoint. Started by the cluster with its configuration in the environment, when host instances run as processes
 * (chaos runs, the failover bench, a cluster on an external endpoint).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { skewedClock } from '../functions/adapters/system-clock.ts';
import { faultsFromEnv } from './faults.ts';
import { runHost } from './host-runner.ts';
import { latencyModelFromEnv } from './latency-model.ts';
import { LostWriteCounter } from './lost-writes.ts';
import { loadOrchestrations } from '../functions/load-orchestrations.ts';
import { TRACE_DIR_VARIABLE, startFileTracing } from './trace-export.ts';

const env = process.env;
// `npm start -- --trace`: this host instance's spans, to a file of its own (local/trace-export.ts).
const tracing = env[TRACE_DIR_VARIABLE]
  ? startFileTracing(env[TRACE_DIR_VARIABLE], env.BATON_HOST_ID ?? `host-${process.pid}`)
  : undefined;
const region = env.AWS_REGION ?? 'us-east-1';
// Chaos runs inject faults between this host instance and the store and queues (off by default).
const faults = faultsFromEnv(env);
// Benchmarks give every request to the store and the queues a modelled latency (off by default).
const latency = latencyModelFromEnv(env);
// Conditional writes that lost: conflicts between host instances, or duplicates.
const lostWrites = new LostWriteCounter();
const hooks = [lostWrites, ...(latency ? [latency] : []), ...(faults ? [faults] : [])];
// The same structured logger as on Lambda, one JSON line per event, to this host instance's log file.
const logger = new Logger({ serviceName: 'baton-host', persistentKeys: { hostInstance: env.BATON_HOST_ID ?? '' } });
const host = runHost({
  env,
  definitions: await loadOrchestrations(env.BATON_ORCHESTRATIONS, env),
  sqs: sqsClient({ region, longPolling: true, hooks }),
  hooks,
  // Chaos runs set some host instances' clocks off (see core/ownership.ts for the skew leases tolerate).
  clock: skewedClock(Number(env.BATON_CLOCK_SKEW_MS ?? 0)),
  logger,
  loseDelete: faults && (() => faults.loseDelete()),
  // The instances in flight, so a test can kill this host instance mid-step and watch them fail over.
  onBusy: (records, instanceIds) => report('busy', { records, instanceIds }),
});
const report = (kind: string, extra: Record<string, unknown> = {}) =>
  process.send?.({
    kind,
    ...host.stats,
    faults: faults?.total ?? 0,
    conditionalCheckFailed: lostWrites.counts,
    ...(latency ? { modelledLatency: latency.delayed } : {}),
    ...extra,
  });
const statsTimer = setInterval(() => report('stats'), 500);
report('ready');

async function shutdown(): Promise<void> {
  clearInterval(statsTimer);
  await host.stop();
  await tracing?.shutdown();
  report('stats');
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
