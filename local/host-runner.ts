/**
 * What one local host instance runs: the receive host and the processing host handlers (the same handler factories
 * and wiring Lambda runs) behind pollers that behave like SQS event source mappings. A host instance runs it in an
 * OS process of its own (local/host-instance.ts, over the AWS SDK to the endpoint), or in the embedded stack's
 * process on clients that reach its DynamoDB and SQS in-process (local/cluster.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientHook } from '../functions/adapters/aws-clients.ts';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import type { Clock } from '../functions/core/ports.ts';
import { readConfig } from '../functions/handlers/config.ts';
import { createProcessingHandler } from '../functions/handlers/process.ts';
import { createReceiveHandler } from '../functions/handlers/receive.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import { EVENT_SOURCE } from '../functions/settings.ts';
import { SqsPoller } from './poller.ts';

/** What a host instance counts, since it started. */
export interface HostStats {
  receiveBatches: number;
  workItems: number;
  failed: number;
  completed: number;
  suspended: number;
}

export interface HostRunnerOptions {
  /** The host instance's settings, as its process environment carries them (BATON_*). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly definitions: readonly OrchestrationDefinition[];
  /** The client its pollers receive with (long polls). */
  readonly sqs: SQSClient;
  /** Clients for the runtime; absent, it makes SDK clients to the endpoint. */
  readonly clients?: { readonly dynamo: DynamoDBDocumentClient; readonly sqs: SQSClient };
  readonly hooks: readonly ClientHook[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Chaos runs: true to skip deleting a handled message (a duplicate delivery). */
  readonly loseDelete?: () => boolean;
  /** A batch of work items starts: the instances in it (a test kills a host instance mid-step by them). */
  readonly onBusy?: (records: number, instanceIds: readonly (string | undefined)[]) => void;
}

export interface RunningHost {
  readonly stats: HostStats;
  /** Stops after the current long polls return; what is in flight finishes first. */
  stop(): Promise<void>;
}

export function runHost(o: HostRunnerOptions): RunningHost {
  const env = o.env;
  const region = env.AWS_REGION ?? 'us-east-1';
  const leaseSeconds = Math.max(1, Math.ceil(Number(env.BATON_LEASE_MS ?? 10_000) / 1000));
  const stats: HostStats = { receiveBatches: 0, workItems: 0, failed: 0, completed: 0, suspended: 0 };
  const config = readConfig(env as NodeJS.ProcessEnv);
  // The same runtime (and orchestrations) for both hosts, as one Lambda deployment has.
  const runtime = createRuntime(config, {
    definitions: o.definitions,
    hooks: o.hooks,
    clock: o.clock,
    clients: o.clients,
    // The clients it makes itself (S3 for the claim check) reach the host instance's endpoint, which a process has in
    // its environment and this process may not.
    endpoint: env.AWS_ENDPOINT_URL,
  });
  const receive = createReceiveHandler(runtime, o.logger, { deadLetterQueueArn: config.receiveDeadLetterQueueArn });
  const processing = createProcessingHandler(runtime, o.logger, (outcome) => {
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
  });
  const poll = {
    sqs: o.sqs,
    region,
    batchSize: EVENT_SOURCE.batchSize,
    waitTimeSeconds: Number(env.BATON_WAIT_SECONDS ?? EVENT_SOURCE.waitTimeSeconds),
    visibilityTimeoutSeconds: leaseSeconds,
    loseDelete: o.loseDelete,
  };
  const pollers = [
    new SqsPoller({
      ...poll,
      handler: receive,
      queueUrl: env.BATON_RECEIVE_QUEUE_URL!,
      queueArn: env.BATON_RECEIVE_QUEUE_ARN!,
      concurrency: Number(env.BATON_CONCURRENCY ?? 2),
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
            ...poll,
            handler: receive,
            queueUrl: env.BATON_RECEIVE_DLQ_URL,
            queueArn: config.receiveDeadLetterQueueArn,
            concurrency: 1,
          }),
        ]
      : []),
    new SqsPoller({
      ...poll,
      handler: processing,
      queueUrl: env.BATON_WORK_QUEUE_URL!,
      queueArn: env.BATON_WORK_QUEUE_ARN!,
      concurrency: Number(env.BATON_CONCURRENCY ?? 2),
      onBatch: ({ phase, records, failed, bodies }) => {
        if (phase === 'start') o.onBusy?.(records, bodies.map(instanceOf));
        else {
          stats.workItems += records - failed;
          stats.failed += failed;
        }
      },
    }),
  ];
  for (const poller of pollers) poller.start();
  return {
    stats,
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
    },
  };
}

function instanceOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { instanceId?: string }).instanceId;
  } catch {
    return undefined;
  }
}
