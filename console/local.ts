import { userInfo } from 'node:os';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DynamoDbHistory } from '../functions/adapters/DynamoDbHistory.ts';
import { EXTENDED_CLIENT_THRESHOLD_BYTES } from '../functions/adapters/extended-client.ts';
import { S3PayloadStore } from '../functions/adapters/S3PayloadStore.ts';
import { createRuntime } from '../functions/handlers/runtime.ts';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import { UnknownOrchestration } from '../functions/core/errors.ts';
import { OWNERSHIP } from '../functions/settings.ts';
import { AuditTrail } from './audit.ts';
import { Operations, type HostSource } from './operations.ts';
import { OperatorQueues } from './queues.ts';

/**
 * What the console needs to know of a cluster: what `npm start` writes to its endpoints file, or what a deployed
 * stack's outputs say (console/stack.ts).
 */
export interface ClusterAddresses {
  /** Absent for AWS itself (the SDK resolves AWS_ENDPOINT_URL, then AWS's endpoints). */
  readonly endpoint?: string;
  readonly region?: string;
  readonly tableName: string;
  readonly historyTableName?: string;
  readonly receiveQueueUrl: string;
  readonly workQueueUrl: string;
  readonly sendPortQueueUrls: Readonly<Record<string, string>>;
  readonly deadLetterQueueUrls?: Readonly<Record<string, string>>;
  /** Where large states and bodies are (the claim check's bucket); without it only items that keep theirs are read. */
  readonly claimCheckBucket?: string;
}

/** The operator at this keyboard. */
export function localOperator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

/**
 * The orchestration definitions the hosts run, which the operator's resume and terminate need (ProcessingHost): the
 * branch instances of an instance waiting at a parallel join are named by its definition, and an orchestration its
 * outbox starts is found in them. Without them those two are refused (UnknownOrchestration), never done halfway.
 */
export interface OperatorOrchestrations {
  readonly definitions: readonly OrchestrationDefinition[];
  /** Said after the refusal when an instance's orchestration is not among them: where they came from, what to do. */
  readonly hint: string;
}

export interface OperationsOptions {
  /** @defaultValue the local user (localOperator()) */
  readonly operator?: string;
  readonly hosts?: HostSource;
  /** @defaultValue none: resume and terminate refuse what needs a definition, saying to pass --orchestrations */
  readonly orchestrations?: OperatorOrchestrations;
}

const NO_ORCHESTRATIONS: OperatorOrchestrations = {
  definitions: [],
  hint: 'this console was given no orchestrations: pass --orchestrations F, the module the hosts run',
};

/** The operations of a cluster known by its addresses (the CLI's case: it runs apart from `npm start`). */
export function operationsFor(d: ClusterAddresses, options: OperationsOptions = {}): Operations {
  if (!d.historyTableName)
    throw new Error('this cluster was started by an older Baton that keeps no history; restart it with "npm start"');
  const { operator = localOperator(), hosts, orchestrations = NO_ORCHESTRATIONS } = options;
  // Resume and terminate as the processing host does them, named for the operator in each instance's history.
  const runtime = createRuntime(
    {
      tableName: d.tableName,
      workQueueUrl: d.workQueueUrl,
      sendPorts: d.sendPortQueueUrls,
      hostId: `console:${operator}`,
      leaseMs: OWNERSHIP.leaseMs,
      region: d.region,
      claimCheckBucket: d.claimCheckBucket,
    },
    { endpoint: d.endpoint, definitions: orchestrations.definitions },
  );
  const host = runtime.processingHost;
  const explained = async <T>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      if (error instanceof UnknownOrchestration) error.message = `${error.message}; ${orchestrations.hint}`;
      throw error;
    }
  };
  const dynamo = dynamoDbDocumentClient({ endpoint: d.endpoint, region: d.region });
  const dlq = (name: string) => d.deadLetterQueueUrls?.[name];
  // A resubmission too large for a plain SendMessage goes through the claim check's bucket, as an extended client's
  // pointer, from the threshold the send ports use by default (every queue takes that much, whatever its setting).
  const bucket = d.claimCheckBucket;
  const offload = bucket
    ? {
        payloads: new S3PayloadStore(s3Client({ endpoint: d.endpoint, region: d.region }), bucket),
        bucket,
        fromBytes: EXTENDED_CLIENT_THRESHOLD_BYTES,
      }
    : undefined;
  return new Operations({
    store: runtime.store,
    history: new DynamoDbHistory(dynamo, d.historyTableName),
    admin: {
      resume: (instanceId) => explained(() => host.resume(instanceId)),
      terminate: (instanceId, reason) => explained(() => host.terminate(instanceId, reason)),
    },
    queues: new OperatorQueues(
      sqsClient({ endpoint: d.endpoint, region: d.region }),
      [
        { name: 'receive', url: d.receiveQueueUrl, dlqUrl: dlq('receive') },
        { name: 'work', url: d.workQueueUrl, dlqUrl: dlq('work') },
        ...Object.entries(d.sendPortQueueUrls).map(([port, url]) => ({ name: port, url, dlqUrl: dlq(port) })),
      ],
      offload,
    ),
    audit: new AuditTrail(dynamo, d.historyTableName),
    operator,
    hosts,
  });
}
