import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MESSAGEBOX, QUEUES, dlqName, sendPortQueue, type QueueSettings } from '../infra/settings.ts';

export interface QueueResource {
  readonly url: string;
  readonly dlqUrl: string;
  readonly arn: string;
}

export interface Resources {
  readonly tableName: string;
  readonly queues: Record<keyof typeof QUEUES, QueueResource>;
  /** Send port name → its queue (`send` is `queues.send`). */
  readonly sendPorts: Record<string, QueueResource>;
}

/** Names of the local resources: one prefix, so several clusters can share an endpoint. */
export function resourceNames(prefix: string) {
  return {
    tableName: `${prefix}-messagebox`,
    queue: (settings: QueueSettings) => `${prefix}-${settings.name}`,
  };
}

/** The table definition the CDK MessageBox construct also builds (see infra/settings.ts). */
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
    GlobalSecondaryIndexes: [{
      IndexName: statusIndex.name,
      KeySchema: [
        { AttributeName: statusIndex.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: statusIndex.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    }, {
      IndexName: dueIndex.name,
      KeySchema: [
        { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...dueIndex.projected] },
    }],
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
export async function provision(clients: { dynamo: DynamoDBClient; sqs: SQSClient }, prefix: string, ports: Iterable<string> = ['send']): Promise<Resources> {
  const names = resourceNames(prefix);
  try {
    await clients.dynamo.send(new CreateTableCommand(tableDefinition(names.tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await whenActive(clients.dynamo, names.tableName);
  await addMissingIndexes(clients.dynamo, names.tableName);
  try {
    await clients.dynamo.send(new UpdateTimeToLiveCommand({
      TableName: names.tableName,
      TimeToLiveSpecification: { AttributeName: MESSAGEBOX.ttlAttribute, Enabled: true },
    }));
  } catch {
    // dynalite does not implement TTL (items are not expired locally); DynamoDB Local does.
  }

  const create = async (settings: QueueSettings): Promise<QueueResource> => {
    const dlq = await clients.sqs.send(new CreateQueueCommand({
      QueueName: names.queue({ ...settings, name: dlqName(settings) }),
      Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
    }));
    const dlqArn = await queueArn(clients.sqs, dlq.QueueUrl!);
    const queue = await clients.sqs.send(new CreateQueueCommand({
      QueueName: names.queue(settings),
      Attributes: queueAttributes(settings, dlqArn),
    }));
    return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, arn: await queueArn(clients.sqs, queue.QueueUrl!) };
  };
  const queues = { receive: await create(QUEUES.receive), work: await create(QUEUES.work), send: await create(QUEUES.send) };
  const sendPorts: Record<string, QueueResource> = { send: queues.send };
  for (const port of ports) sendPorts[port] ??= await create(sendPortQueue(port));
  return { tableName: names.tableName, queues, sendPorts };
}

async function whenActive(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE')) return;
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
      await dynamo.send(new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions.filter((a) => keys.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }));
    } catch (error) {
      throw new Error(`the MessageBox table ${tableName} was made by an older Baton and lacks the index ${index.IndexName}, which could not be added ` +
        `(${(error as Error).message}); stop the cluster and delete its data folder (.baton/data by default) to start afresh`, { cause: error });
    }
    await whenActive(dynamo, tableName);
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}
