/**
 * One local host instance: an OS process running the receive host and the processing host handlers
 * (the same handler factories and wiring Lambda runs) behind pollers that behave like SQS event source
 * mappings. Started by the cluster with its configuration in the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { skewedClock } from '../functions/adapters/system-clock.ts';
import { readConfig } from '../functions/handlers/config.ts';
import { createProcessingHandler } from '../functions/handlers/process.ts';
import { createReceiveHandler } from '../functions/handlers/receive.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import { EVENT_SOURCE } from '../functions/settings.ts';
import { faultsFromEnv } from './faults.ts';
import { latencyModelFromEnv } from './latency-model.ts';
import { LostWriteCounter } from './lost-writes.ts';
import { loadOrchestrations } from '../functions/load-orchestrations.ts';
import { SqsPoller } from './poller.ts';
import { TRACE_DIR_VARIABLE, startFileTracing } from './trace-export.ts';

const env = process.env;
// `npm start -- --trace`: this host instance's spans, to a file of its own (local/trace-export.ts).
const tracing = env[TRACE_DIR_VARIABLE]
  ? startFileTracing(env[TRACE_DIR_VARIABLE], env.BATON_HOST_ID ?? `host-${process.pid}`)
  : undefined;
const region = env.AWS_REGION ?? 'us-east-1';
const leaseSeconds = Math.max(1, Math.ceil(Number(env.BATON_LEASE_MS ?? 10_000) / 1000));
// Chaos runs inject faults between this host instance and the store and queues (off by default).
const faults = faultsFromEnv(env);
// Benchmarks give every request to the store and the queues a modelled latency (off by default).
const latency = latencyModelFromEnv(env);
// Conditional writes that lost: conflicts between host instances, or duplicates.
const lostWrites = new LostWriteCounter();
const hooks = [lostWrites, ...(latency ? [latency] : []), ...(faults ? [faults] : [])];
const sqs = sqsClient({ region, longPolling: true, hooks });

const stats = { receiveBatches: 0, workItems: 0, failed: 0, completed: 0, suspended: 0 };
const config = readConfig();
// The same structured logger as on Lambda, one JSON line per event, to this host instance's log file.
const logger = new Logger({ serviceName: 'baton-host', persistentKeys: { hostInstance: config.hostId } });
// The same runtime (and orchestrations) for both hosts of this process, as one Lambda deployment has.
// Chaos runs set some host instances' clocks off (see core/ownership.ts for the skew leases tolerate).
const clock = skewedClock(Number(env.BATON_CLOCK_SKEW_MS ?? 0));
const runtime = createRuntime(config, {
  definitions: await loadOrchestrations(env.BATON_ORCHESTRATIONS, env),
  hooks,
  clock,
});
const receive = {
  handler: createReceiveHandler(runtime, logger, { deadLetterQueueArn: config.receiveDeadLetterQueueArn }),
};
const processing = {
  handler: createProcessingHandler(runtime, logger, (outcome) => {
    // Orchestrations, not their parallel branch instances: those are counted with the orchestration.
    if (
      outcome.result !== 'done' ||
      !outcome.instance ||
      outcome.instance.branchOf ||
      outcome.detail.startsWith('instance is')
    )
      return;
    if (outcome.instance.status === 'completed') stats.completed++;
    if (outcome.instance.status === 'suspended') stats.suspended++;
  }),
};
const report = (kind: string, extra: Record<string, unknown> = {}) =>
  process.send?.({
    kind,
    ...stats,
    faults: faults?.total ?? 0,
    conditionalCheckFailed: lostWrites.counts,
    ...(latency ? { modelledLatency: latency.delayed } : {}),
    ...extra,
  });

const pollers = [
  new SqsPoller({
    sqs,
    region,
    handler: receive.handler,
    queueUrl: env.BATON_RECEIVE_QUEUE_URL!,
    queueArn: env.BATON_RECEIVE_QUEUE_ARN!,
    batchSize: EVENT_SOURCE.batchSize,
    waitTimeSeconds: Number(env.BATON_WAIT_SECONDS ?? EVENT_SOURCE.waitTimeSeconds),
    visibilityTimeoutSeconds: leaseSeconds,
    concurrency: Number(env.BATON_CONCURRENCY ?? 2),
    loseDelete: faults && (() => faults.loseDelete()),
    onBatch: ({ phase, failed }) => {
      if (phase === 'end') {
        stats.receiveBatches++;
        stats.failed += failed;
      }
    },
  }),
  // The receive queue's dead-letter queue, as the receive host's second event source on AWS: a last delivery there.
  ...(env.BATON_RECEIVE_DLQ_URL && config.receiveDeadLetterQueueArn
    ? [
        new SqsPoller({
          sqs,
          region,
          handler: receive.handler,
          queueUrl: env.BATON_RECEIVE_DLQ_URL,
          queueArn: config.receiveDeadLetterQueueArn,
          batchSize: EVENT_SOURCE.batchSize,
          waitTimeSeconds: Number(env.BATON_WAIT_SECONDS ?? EVENT_SOURCE.waitTimeSeconds),
          visibilityTimeoutSeconds: leaseSeconds,
          concurrency: 1,
          loseDelete: faults && (() => faults.loseDelete()),
        }),
      ]
    : []),
  new SqsPoller({
    sqs,
    region,
    handler: processing.handler,
    queueUrl: env.BATON_WORK_QUEUE_URL!,
    queueArn: env.BATON_WORK_QUEUE_ARN!,
    batchSize: EVENT_SOURCE.batchSize,
    waitTimeSeconds: Number(env.BATON_WAIT_SECONDS ?? EVENT_SOURCE.waitTimeSeconds),
    visibilityTimeoutSeconds: leaseSeconds,
    concurrency: Number(env.BATON_CONCURRENCY ?? 2),
    loseDelete: faults && (() => faults.loseDelete()),
    onBatch: ({ phase, records, failed, bodies }) => {
      // The instances in flight, so a test can kill this host instance mid-step and watch them fail over.
      if (phase === 'start') report('busy', { records, instanceIds: bodies.map(instanceOf) });
      else {
        stats.workItems += records - failed;
        stats.failed += failed;
      }
    },
  }),
];
for (const poller of pollers) poller.start();

function instanceOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { instanceId?: string }).instanceId;
  } catch {
    return undefined;
  }
}
const statsTimer = setInterval(() => report('stats'), 500);
report('ready');

async function shutdown(): Promise<void> {
  clearInterval(statsTimer);
  await Promise.all(pollers.map((p) => p.stop()));
  await tracing?.shutdown();
  report('stats');
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
