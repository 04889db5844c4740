import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import type { InstanceState, InstanceStatus, SuspendedMessage } from '../functions/core/instance.ts';
import { LocalCluster } from './cluster.ts';

/** What {@link startLocalCluster} runs, and how. */
export interface StartLocalClusterOptions {
  /** The module exporting your orchestrations (see OrchestrationsModule), relative to the working directory. */
  readonly orchestrations: string;
  /** Settings for your orchestrations: the host instances' environment, and what `orchestrations(env)` receives. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Host instances (OS processes). @defaultValue 2 */
  readonly instances?: number;
  /** Port of the embedded DynamoDB + SQS endpoint. @defaultValue 0, a free one */
  readonly port?: number;
  /** Use a running LocalStack-compatible endpoint instead of the embedded stack. @defaultValue AWS_ENDPOINT_URL when set */
  readonly endpoint?: string;
  /** Step lease; a host instance that dies mid-step is taken over after it. @defaultValue 3 s */
  readonly leaseMs?: number;
}

/** A message read from a send port's queue. */
export interface SentMessage<Body = unknown> {
  /** Its message type (its `MessageType` attribute). */
  readonly messageType: string;
  /** Its body, parsed. */
  readonly body: Body;
  /** Stable across a re-dispatch after a crash: what a consumer deduplicates on. */
  readonly messageId: string;
  /** The id of the message that drove the instance which sent it. */
  readonly correlationId?: string;
  /** The instance that sent it. */
  readonly instanceId?: string;
}

/** A local cluster {@link startLocalCluster} started: send to it, read what it sent, look at its instances. */
export interface RunningLocalCluster {
  /** The cluster itself: its host instances, its store, its registry. */
  readonly cluster: LocalCluster;
  /** The single endpoint answering DynamoDB and SQS. */
  readonly endpoint: string;
  /** Sends a message to the receive queue, as a producer would; returns its SQS MessageId. */
  send(messageType: string, body: unknown, attributes?: Readonly<Record<string, string>>): Promise<string>;
  /**
   * Reads (and deletes) messages from a send port's queue until `count` distinct ones arrived or `timeoutMs`
   * passed. Copies of one MessageId (a re-dispatch) count once, as a deduplicating consumer would see them.
   *
   * @param options - `count`: how many to wait for (1 by default). `port`: the send port (`send` by default).
   *   `timeoutMs`: how long to wait at most (30 s by default).
   * @returns The messages read, fewer than `count` if the time ran out.
   * @throws `Error` when the cluster has no such send port.
   */
  receive(options?: { count?: number; port?: string; timeoutMs?: number }): Promise<SentMessage[]>;
  /** Messages that could not become an instance, with their reasons. */
  suspendedMessages(): Promise<SuspendedMessage[]>;
  /** Instances by status (running, waiting or suspended). */
  instances(status: InstanceStatus): Promise<InstanceState[]>;
  /** Stops the host instances and the embedded stack, and removes the cluster's temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts a local cluster for your orchestrations, in memory, on a free port, for a test: the embedded stack,
 * the resources, and host instances running your module as Lambda would.
 *
 * @remarks
 * It resolves once every host instance is up. A module that fails to load, or a definition that does not check,
 * rejects it with the reason, and nothing is left running.
 *
 * @param options - The module to run, and the cluster's settings.
 * @returns The running cluster; stop it when the test ends.
 *
 * @example
 * ```ts
 * import { startLocalCluster } from 'baton/local';
 *
 * const baton = await startLocalCluster({ orchestrations: 'src/orchestrations.ts' });
 * await baton.send('Greeting', { name: 'Ada' });
 * const [reply] = await baton.receive({ count: 1 });
 * await baton.stop();
 * ```
 */
export async function startLocalCluster(options: StartLocalClusterOptions): Promise<RunningLocalCluster> {
  const workDir = mkdtempSync(join(tmpdir(), 'baton-'));
  const cluster = new LocalCluster({
    instances: options.instances ?? 2,
    port: options.port ?? 0,
    endpoint: options.endpoint ?? process.env.AWS_ENDPOINT_URL,
    prefix: `baton-${process.pid}-${Date.now().toString(36)}`,
    leaseMs: options.leaseMs ?? 3_000,
    orchestrations: options.orchestrations,
    environment: options.environment,
    workDir,
    waitSeconds: 1,
    sweepEveryMs: 1_000,
  });
  try {
    await cluster.start();
    await cluster.waitUntilUp();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  const d = cluster.describe();
  const sqs = sqsClient({ endpoint: d.endpoint, longPolling: true });
  const seen = new Set<string>();
  return {
    cluster,
    endpoint: d.endpoint,
    async send(messageType, body, attributes = {}) {
      const response = await sqs.send(
        new SendMessageCommand({
          QueueUrl: d.receiveQueueUrl,
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
          MessageAttributes: Object.fromEntries(
            Object.entries({ ...attributes, MessageType: messageType }).map(([k, v]) => [
              k,
              { DataType: 'String', StringValue: v },
            ]),
          ),
        }),
      );
      return response.MessageId!;
    },
    async receive({ count = 1, port = 'send', timeoutMs = 30_000 } = {}) {
      const queueUrl = d.sendPortQueueUrls[port];
      if (!queueUrl)
        throw new Error(
          `no send port "${port}" in this cluster; its ports: ${Object.keys(d.sendPortQueueUrls).join(', ')}`,
        );
      const got: SentMessage[] = [];
      const deadline = Date.now() + timeoutMs;
      while (got.length < count && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        for (const m of Messages) {
          const attribute = (name: string) => m.MessageAttributes?.[name]?.StringValue;
          const messageId = attribute('MessageId') ?? m.MessageId!;
          if (seen.has(messageId)) continue;
          seen.add(messageId);
          got.push({
            messageType: attribute('MessageType') ?? '',
            body: JSON.parse(m.Body ?? 'null'),
            messageId,
            correlationId: attribute('CorrelationId'),
            instanceId: attribute('InstanceId'),
          });
        }
        if (Messages.length > 0)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
      }
      return got;
    },
    suspendedMessages: () => cluster.store.listSuspendedMessages(),
    instances: (status) => cluster.store.listInstances(status),
    async stop() {
      await cluster.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
