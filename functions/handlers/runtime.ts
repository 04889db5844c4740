import { systemClock } from '../adapters/system-clock.ts';
import { ProcessingHost, type ProcessingHostDeps } from '../core/processing-host.ts';
import { ReceiveHost } from '../core/receive-host.ts';
import { OrchestrationRegistry } from '../core/registry.ts';
import type { OrchestrationDefinition } from '../core/definition.ts';
import { dynamoDbDocumentClient, s3Client, sfnClient, sqsClient, type ClientHook } from '../adapters/aws-clients.ts';
import { StepFunctionsTimerScheduler } from '../adapters/StepFunctionsTimerScheduler.ts';
import { DynamoDbInstanceStore } from '../adapters/DynamoDbInstanceStore.ts';
import { S3PayloadStore } from '../adapters/S3PayloadStore.ts';
import { DEFAULT_CLAIM_CHECK_FROM_BYTES } from '../adapters/claim-check.ts';
import { EXTENDED_CLIENT_THRESHOLD_BYTES } from '../adapters/extended-client.ts';
import { ExtendedClientBodies } from '../adapters/ExtendedClientBodies.ts';
import { SqsSendPort } from '../adapters/SqsSendPort.ts';
import { SqsWorkQueue } from '../adapters/SqsWorkQueue.ts';
import type { RequestMeter } from '../adapters/request-meter.ts';
import { CLAIM_CHECK, EAGER, HOST_FUNCTION_TIMEOUT_SECONDS, OWNERSHIP, QUEUES } from '../settings.ts';
import type { HostConfig } from './config.ts';
import type { Clock } from '../core/ports.ts';
import { SpanKind, contextOf, inSpan } from '../adapters/tracing.ts';
import { describeStep } from './step-span.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The one wiring of the engine to AWS adapters, used by the Lambda handlers and the local host instances
 * alike. Only this file knows the concrete adapters.
 */
export function createRuntime(
  config: HostConfig,
  options: {
    definitions: readonly OrchestrationDefinition[];
    meter?: RequestMeter;
    endpoint?: string;
    hooks?: readonly ClientHook[];
    clock?: Clock;
    /**
     * The DynamoDB and SQS clients to use instead of SDK clients to the endpoint (a local cluster's host instances in
     * the embedded stack's process reach it in-process); the meter and the hooks are attached to them here.
     */
    clients?: { readonly dynamo: DynamoDBDocumentClient; readonly sqs: SQSClient };
  },
) {
  // Without an explicit endpoint the SDK resolves AWS_ENDPOINT_URL itself, then the AWS endpoint.
  const clientOptions = {
    region: config.region,
    meter: options.meter,
    endpoint: options.endpoint,
    hooks: options.hooks,
  };
  const { dynamo, sqs } = options.clients
    ? hooked(options.clients, [...(options.meter ? [options.meter] : []), ...(options.hooks ?? [])])
    : { dynamo: dynamoDbDocumentClient(clientOptions), sqs: sqsClient(clientOptions) };
  const registry = new OrchestrationRegistry(options.definitions);
  // A send to a port with no queue would fail at dispatch, after its step committed: refuse to start instead.
  const unbound = [...registry.ports()].filter((port) => !config.sendPorts[port]);
  if (unbound.length > 0) {
    throw new Error(
      `the orchestrations send to port(s) ${unbound.map((p) => `"${p}"`).join(', ')}, which no queue is bound to; bound: ${
        Object.keys(config.sendPorts)
          .map((p) => `"${p}"`)
          .join(', ') || 'none'
      } (BATON_SEND_PORTS)`,
    );
  }
  const s3 = s3Client(clientOptions);
  // The claim check: what a MessageBox item would hold of a large state or body is in the bucket (claim-check.ts).
  const payloads = config.claimCheckBucket ? new S3PayloadStore(s3, config.claimCheckBucket) : undefined;
  // The store keeps the machine's time (its default clock), not `options.clock`: a host instance's clock may be skewed
  // (the local cluster's chaos skews some), and the due times a delivery writes must stay ahead of the sweeper's cursor.
  const store = new DynamoDbInstanceStore(dynamo, config.tableName, {
    claimCheck: payloads && { payloads, fromBytes: config.claimCheckFromBytes ?? DEFAULT_CLAIM_CHECK_FROM_BYTES },
  });
  const workQueue = new SqsWorkQueue(sqs, config.workQueueUrl);
  // Large outbound bodies go out as SQS extended clients' pointers; inbound ones are read from theirs.
  const sendPort = new SqsSendPort(
    sqs,
    config.sendPorts,
    payloads && {
      payloads,
      bucket: payloads.bucket,
      fromBytes: config.sendClaimCheckFromBytes ?? EXTENDED_CLIENT_THRESHOLD_BYTES,
    },
  );
  // A pointer is followed only into Baton's bucket under inbound/ and the buckets the deployer allowed, never into
  // the claim check's own objects (states, inboxes, suspended bodies, what was sent out).
  const inbound = config.claimCheckBucket
    ? [{ bucket: config.claimCheckBucket, prefix: CLAIM_CHECK.inboundPrefix }]
    : [];
  const bodies = new ExtendedClientBodies(s3, store.maxBodyBytes, [
    ...inbound,
    ...(config.extendedPayloadSources ?? []),
  ]);
  const timers = config.timerStateMachineArn
    ? new StepFunctionsTimerScheduler(sfnClient(clientOptions), config.timerStateMachineArn)
    : undefined;
  const lease = { leaseMs: config.leaseMs, maxClockSkewMs: OWNERSHIP.maxClockSkewMs };
  const clock = options.clock ?? systemClock;
  return {
    hostId: config.hostId,
    clock,
    sqs,
    store,
    workQueue,
    registry,
    lease,
    // A message failing at its last delivery is kept as a suspended message rather than failed into the receive DLQ.
    receiveHost: new ReceiveHost({
      registry,
      store,
      workQueue,
      clock,
      source: 'receive',
      maxBodyBytes: store.maxBodyBytes,
      bodies,
      suspendAtReceive: QUEUES.receive.maxReceiveCount,
    }),
    // A run keeps an exclusive step's lease no longer than a Lambda invocation of the host lasts, locally too.
    processingHost: new ProcessingHost({
      registry,
      store,
      sendPort,
      workQueue,
      timers,
      clock,
      lease,
      hostId: config.hostId,
      runTimeLimitMs: HOST_FUNCTION_TIMEOUT_SECONDS * 1000,
      eager: eagerRuns(config.hostId),
    }),
  };
}

export type Runtime = ReturnType<typeof createRuntime>;

/** Eager execution (core/host/eager.ts), each eager run a step of its instance's trace as a queued work item is. */
function eagerRuns(hostId: string): ProcessingHostDeps['eager'] {
  return {
    ...EAGER,
    around: (item, run) =>
      inSpan(
        'step',
        {
          kind: SpanKind.INTERNAL,
          parent: contextOf(item.trace),
          attributes: {
            'baton.instance.id': item.instanceId,
            'baton.work_item.reason': item.reason,
            'baton.eager': true,
            'baton.host.id': hostId,
          },
        },
        async (span) => {
          const outcome = await run();
          describeStep(span, outcome);
          return outcome;
        },
      ),
  };
}

/** Clients given to the runtime, with the meter and the hooks attached as the client factories attach them. */
function hooked<C extends { readonly dynamo: DynamoDBDocumentClient; readonly sqs: SQSClient }>(
  clients: C,
  hooks: readonly Pick<ClientHook, 'attach'>[],
): C {
  for (const hook of hooks) {
    hook.attach(clients.dynamo, 'DynamoDB');
    hook.attach(clients.sqs, 'SQS');
  }
  return clients;
}
