import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { HISTORY, MESSAGEBOX, QUEUES, dlqName, sendPortQueue, type QueueSettings } from '../functions/settings.ts';

export interface QueueResource {
  readonly url: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly arn: string;
}

export interface Resources {
  readonly tableName: string;
  /** The MessageBox's stream, which feeds tracking (absent where the endpoint has no streams). */
  readonly streamArn?: string;
  readonly historyTableName: string;
  readonly queues: Record<keyof typeof QUEUES, QueueResource>;
  /** Send port name → its queue (`send` is `queues.send`). */
  readonly sendPorts: Record<string, QueueResource>;
  /** The claim check's bucket (absent where the endpoint serves no S3: bodies then stay in the items, up to 300 KB). */
  readonly claimCheckBucket?: string;
  /** Why there is no claim-check bucket, when there is none. */
  readonly claimCheckOff?: string;
}

/** Names of the local resources: one prefix, so several clusters can share an endpoint. */
export function resourceNames(prefix: string) {
  return {
    tableName: `${prefix}-messagebox`,
    historyTableName: `${prefix}-history`,
    // S3 names are lower case.
    claimCheckBucket: `${prefix}-claim-check`.toLowerCase(),
    queue: (settings: QueueSettings) => `${prefix}-${settings.name}`,
  };
}

/** The table definition the CDK MessageBox construct also builds (see functions/settings.ts). */
export function tableDefinition(tableName: string) {
  const { partitionKey, sortKey, statusIndex, dueIndex } = MESSAGEBOX;
  return {
    TableName: tableName,
    BillingMode: MESSAGEBOX.billingMode,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: sortKey, AttributeType: 'S' as const },
      { AttributeName: statusIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: statusIndex.sortKey, AttributeType: 'S' as const },
      { AttributeName: dueIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: dueIndex.sortKey, AttributeType: 'N' as const },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: HISTORY.streamViewType },
    GlobalSecondaryIndexes: [
      {
        IndexName: statusIndex.name,
        KeySchema: [
          { AttributeName: statusIndex.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: statusIndex.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' as const },
      },
      {
        IndexName: dueIndex.name,
        KeySchema: [
          { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...dueIndex.projected] },
      },
    ],
  };
}

/** The history table (tracked events and flow links), as the CDK History construct builds it. */
export function historyTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: HISTORY.partitionKey, AttributeType: 'S' as const },
      { AttributeName: HISTORY.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: HISTORY.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: HISTORY.sortKey, KeyType: 'RANGE' as const },
    ],
  };
}

/** The queue attributes the CDK stacks also set, for a queue and its DLQ. */
export function queueAttributes(settings: QueueSettings, dlqArn: string): Record<string, string> {
  return {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
  };
}

/**
 * Creates the MessageBox table and the queues if they are missing (a queue per send port the orchestrations
 * use); safe to run on every start.
 */
export async function provision(
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; s3?: S3Client },
  prefix: string,
  ports: Iterable<string> = ['send'],
): Promise<Resources> {
  const names = resourceNames(prefix);
  await createTable(clients.dynamo, tableDefinition(names.tableName), MESSAGEBOX.ttlAttribute);
  await addMissingIndexes(clients.dynamo, names.tableName);
  const streamArn = await enableStream(clients.dynamo, names.tableName);
  await createTable(clients.dynamo, historyTableDefinition(names.historyTableName), HISTORY.ttlAttribute);

  const create = async (settings: QueueSettings): Promise<QueueResource> => {
    const dlq = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: names.queue({ ...settings, name: dlqName(settings) }),
        Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
      }),
    );
    const dlqArn = await queueArn(clients.sqs, dlq.QueueUrl!);
    const queue = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: names.queue(settings),
        Attributes: queueAttributes(settings, dlqArn),
      }),
    );
    return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, dlqArn, arn: await queueArn(clients.sqs, queue.QueueUrl!) };
  };
  const queues = {
    receive: await create(QUEUES.receive),
    work: await create(QUEUES.work),
    send: await create(QUEUES.send),
  };
  const sendPorts: Record<string, QueueResource> = { send: queues.send };
  for (const port of ports) sendPorts[port] ??= await create(sendPortQueue(port));
  const bucket = clients.s3 ? await createBucket(clients.s3, names.claimCheckBucket) : { off: 'no S3 client given' };
  return {
    tableName: names.tableName,
    streamArn,
    historyTableName: names.historyTableName,
    queues,
    sendPorts,
    ...('off' in bucket ? { claimCheckOff: bucket.off } : { claimCheckBucket: bucket.name }),
  };
}

/** The claim check's bucket, unless it exists; where the endpoint has no S3, why not. */
async function createBucket(s3: S3Client, name: string): Promise<{ name: string } | { off: string }> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (
      !(error instanceof BucketAlreadyOwnedByYou) &&
      (error as { name?: string }).name !== 'BucketAlreadyOwnedByYou'
    ) {
      return { off: `the endpoint did not create the bucket ${name}: ${(error as Error).message}` };
    }
  }
  return { name };
}

/** Creates a table unless it exists, waits for it, and turns its TTL on where the endpoint has TTL. */
async function createTable(
  dynamo: DynamoDBClient,
  definition: ConstructorParameters<typeof CreateTableCommand>[0],
  ttlAttribute: string,
): Promise<void> {
  try {
    await dynamo.send(new CreateTableCommand(definition));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await whenActive(dynamo, definition.TableName!);
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: definition.TableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch {
    // dynalite does not implement TTL (items are not expired locally); DynamoDB Local does.
  }
}

/**
 * The MessageBox's stream (tracking reads it), turned on for a table made before it had one (a kept data folder).
 * Undefined where the endpoint keeps no streams: then nothing is tracked, and the start says so.
 */
async function enableStream(dynamo: DynamoDBClient, tableName: string): Promise<string | undefined> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled && Table.LatestStreamArn) return Table.LatestStreamArn;
  try {
    const { TableDescription } = await dynamo.send(
      new UpdateTableCommand({
        TableName: tableName,
        StreamSpecification: { StreamEnabled: true, StreamViewType: HISTORY.streamViewType },
      }),
    );
    await whenActive(dynamo, tableName);
    return (
      TableDescription?.LatestStreamArn ??
      (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn
    );
  } catch {
    return undefined;
  }
}

async function whenActive(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (
      Table?.TableStatus === 'ACTIVE' &&
      (Table.GlobalSecondaryIndexes ?? []).every(
        (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A table kept from an older version (a local data folder) gets the indexes added since. */
async function addMissingIndexes(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const wanted = tableDefinition(tableName);
  for (const index of wanted.GlobalSecondaryIndexes.filter((i) => !present.has(i.IndexName))) {
    const keys = new Set<string>(index.KeySchema.map((k) => k.AttributeName));
    try {
      await dynamo.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: wanted.AttributeDefinitions.filter((a) => keys.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    } catch (error) {
      throw new Error(
        `the MessageBox table ${tableName} was made by an older Baton and lacks the index ${index.IndexName}, which could not be added ` +
          `(${(error as Error).message}); stop the cluster and delete its data folder (.baton/data by default) to start afresh`,
        { cause: error },
      );
    }
    await whenActive(dynamo, tableName);
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}
