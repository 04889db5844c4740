/**
 * What a local run sent, and what became of it: the tools that judge a run (the chaos run, the soak, the demo, the
 * bench) send their messages through `sendMessages`, which keeps each one's SQS MessageId, and judge them at the end
 * with `judgeConservation`: the engine's own accounting (functions/core/conservation.ts) over the MessageBox and the
 * tracked history, and the claim check's objects (functions/adapters/claim-check.ts). It prints what it found, and
 * the evidence for each delivery with no end: the inbox item still there, and where in the instance's history the
 * delivery came.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  claimedKeys,
  CLAIMED,
  unaccountedObjects,
  UNREFERENCED_OBJECT_BOUND_MS,
  type StoredObject,
} from '../functions/adapters/claim-check.ts';
import {
  accountFor,
  describeDelivery,
  type Accounting,
  type ConservationPorts,
  type Delivery,
} from '../functions/core/conservation.ts';
import { InstanceStatus, TERMINAL_STATUSES } from '../functions/core/instance.ts';
import type { RawMessage } from '../functions/core/message.ts';
import type { InstanceStore } from '../functions/core/ports.ts';
import { TrackedKind } from '../functions/core/tracking.ts';

/** The events that end an instance (a branch that failed into its join's handler ends `failed`). */
const ENDS: ReadonlySet<string> = new Set([TrackedKind.Completed, TrackedKind.Failed, TrackedKind.Terminated]);
/** Sends messages to a queue, ten a request, and returns each as the receive host will see it (with its MessageId). */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly { readonly type: string; readonly body: unknown }[],
): Promise<RawMessage[]> {
  const sent: RawMessage[] = [];
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages
      .slice(i, i + 10)
      .map((m) => ({ body: JSON.stringify(m.body), attributes: { MessageType: m.type } }));
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: m.body,
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.attributes.MessageType } },
        })),
      }),
    );
    if ((response.Failed ?? []).length > 0) throw new Error(`could not send: ${JSON.stringify(response.Failed)}`);
    const ids = new Map((response.Successful ?? []).map((s) => [s.Id, s.MessageId!]));
    chunk.forEach((m, j) => sent.push({ messageId: ids.get(String(j))!, ...m }));
  }
  return sent;
}

/** Where the claim check's objects and the items that refer to them are, when the run has one. */
export interface ClaimCheckPlace {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
}

export interface Judgement {
  readonly accounting: Accounting;
  /** Deliveries with no end, and objects left behind or missing. */
  readonly unaccounted: number;
  readonly objects?: {
    readonly listed: number;
    readonly leaked: readonly StoredObject[];
    readonly dangling: readonly string[];
  };
}

/**
 * Judges a run that is over (queues drained, tracking caught up): every message it sent, to every subscriber, and
 * the claim check's objects. Logs a summary line and the evidence for each delivery with no end (at most `show`).
 */
export async function judgeConservation(
  sent: readonly RawMessage[],
  ports: ConservationPorts,
  options: {
    readonly log: (line: string) => void;
    readonly claimCheck?: ClaimCheckPlace;
    /** Reads the inbox item an unaccounted delivery left, as evidence. */
    readonly dynamo?: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
    /** Messages found in a dead-letter queue, by MessageId (see `deadLettered`): where a message never seen may be. */
    readonly deadLetters?: ReadonlyMap<string, string>;
    readonly show?: number;
  },
): Promise<Judgement> {
  const accounting = await accountFor(sent, ports, { final: true });
  const objects = options.claimCheck ? await objectsOf(options.claimCheck) : undefined;
  const f = accounting.fates;
  const deliveries = Object.values(f).reduce((a, b) => a + b, 0);
  options.log(
    `conservation: messages=${accounting.messages.length} deliveries=${deliveries} taken=${f.taken} suspended=${f.suspended} discarded=${f.discarded} resubmitted=${f.resubmitted} unaccounted=${f.unaccounted}` +
      (objects
        ? `; claim-check objects=${objects.listed} leaked=${objects.leaked.length} dangling=${objects.dangling.length} (bound ${UNREFERENCED_OBJECT_BOUND_MS / 1000} s)`
        : '; no claim check'),
  );
  const types = new Map(accounting.messages.map((m) => [m.messageId, m.messageType]));
  for (const delivery of accounting.unaccounted.slice(0, options.show ?? 20)) {
    options.log(
      `conservation: unaccounted ${types.get(delivery.messageId) ?? 'message'} ${describeDelivery(delivery)}`,
    );
    const evidence = [await evidenceOf(delivery, ports, options.dynamo), options.deadLetters?.get(delivery.messageId)]
      .filter(Boolean)
      .join('; ');
    if (evidence) options.log(`conservation:   ${evidence}`);
  }
  for (const object of objects?.leaked.slice(0, 10) ?? [])
    options.log(
      `conservation: leaked object ${object.key} (no item refers to it; written ${new Date(object.at).toISOString()})`,
    );
  for (const key of objects?.dangling.slice(0, 10) ?? [])
    options.log(`conservation: dangling key ${key} (an item refers to it; no such object)`);
  return {
    accounting,
    unaccounted: accounting.unaccounted.length + (objects ? objects.leaked.length + objects.dangling.length : 0),
    ...(objects ? { objects } : {}),
  };
}

/** The inbox item a delivery left, and where the delivery falls in its instance's history. */
async function evidenceOf(
  delivery: Delivery,
  ports: ConservationPorts,
  dynamo?: { readonly client: DynamoDBDocumentClient; readonly tableName: string },
): Promise<string | undefined> {
  if (!delivery.to) return undefined;
  const parts: string[] = [];
  if (dynamo) {
    const key = { pk: `I#${delivery.to}`, sk: `MSG#${delivery.messageId}` };
    const { Item } = await dynamo.client.send(
      new GetCommand({ TableName: dynamo.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'pk, sk' }),
    );
    parts.push(`item ${key.pk} / ${key.sk} ${Item ? 'is in the MessageBox' : 'is not in the MessageBox'}`);
  }
  if (ports.history) {
    const events = (await ports.history.history(delivery.to, { limit: 1_000 })).events;
    const delivered = events.findIndex((e) => e.kind === TrackedKind.Delivered && e.messageId === delivery.messageId);
    const ended = events.findIndex((e) => ENDS.has(e.kind));
    const end = ended >= 0 ? events[ended]! : undefined;
    if (delivered >= 0 && end)
      parts.push(
        `its history has the delivery ${delivered > ended ? 'after' : 'before'} the instance ${end.kind} (revision ${end.revision}, ${new Date(end.at).toISOString()}, ${end.host ?? 'host ?'})`,
      );
    else if (end)
      parts.push(`its history has no delivery of it; the instance ${end.kind} at ${new Date(end.at).toISOString()}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * The bucket's listing and the keys the MessageBox's items refer to, judged. An object no item refers to yet younger
 * than the bound is waited for (at most the bound): by then it must be gone, or an item must refer to it.
 */
async function objectsOf(place: ClaimCheckPlace): Promise<NonNullable<Judgement['objects']>> {
  const first = await listAndJudge(place);
  if (first.young === 0) return first.judged;
  await new Promise((r) => setTimeout(r, UNREFERENCED_OBJECT_BOUND_MS + 1_000));
  return (await listAndJudge(place)).judged;
}

async function listAndJudge(
  place: ClaimCheckPlace,
): Promise<{ judged: NonNullable<Judgement['objects']>; young: number }> {
  const objects: StoredObject[] = [];
  for await (const page of paginateListObjectsV2({ client: place.s3 }, { Bucket: place.bucket }))
    for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, at: o.LastModified?.getTime() ?? 0 });
  const referenced = new Set<string>();
  const scan = { TableName: place.tableName, ProjectionExpression: Object.values(CLAIMED).join(', ') };
  for await (const page of paginateScan({ client: place.dynamo }, scan))
    for (const item of page.Items ?? []) for (const key of claimedKeys(item)) referenced.add(key);
  const now = Date.now();
  const young =
    unaccountedObjects(objects, referenced, { now, boundMs: 0 }).leaked.length -
    unaccountedObjects(objects, referenced, { now }).leaked.length;
  return { judged: { listed: objects.length, ...unaccountedObjects(objects, referenced, { now }) }, young };
}

/** Nothing is on its way: the queues hold nothing, visible, in flight or delayed (timers are delayed work items). */
export async function quiet(sqs: SQSClient, queueUrls: readonly string[]): Promise<boolean> {
  for (const QueueUrl of queueUrls) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    if (Object.values(Attributes).some((n) => Number(n) > 0)) return false;
  }
  return true;
}

/**
 * Every instance ended, or nothing will move it: one that has not ended and is due (core/due.ts: its lease, its timer,
 * a delivery it has not read, a lost work item) will be woken by its work item or the sweeper, so it is waited for; one
 * that is not due will not move again (stuck), nor will a suspended one (only an operator resumes it: a suspended join
 * is due only so its branches are watched), and one never created, with the queues empty, never will be.
 */
export async function settledAll(store: InstanceStore, instanceIds: readonly string[]): Promise<boolean> {
  for (const instanceId of instanceIds) {
    if (await willMove(store, instanceId)) return false;
  }
  return true;
}

/** Whether something will move an instance on: it has not ended, is not suspended, and is due (see `settledAll`). */
export async function willMove(store: InstanceStore, instanceId: string): Promise<boolean> {
  const due = await store.dueOf(instanceId);
  return due !== undefined && !TERMINAL_STATUSES.has(due.status) && due.status !== InstanceStatus.Suspended && due.due;
}

/**
 * What the dead-letter queues hold, by MessageId (a message moved there keeps its id): each read once and left in
 * place (it comes back after a long visibility timeout, for an operator to redrive). For a run that is over.
 */
export async function deadLettered(
  sqs: SQSClient,
  queues: Readonly<Record<string, string>>,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const [name, QueueUrl] of Object.entries(queues)) {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 600,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages)
        found.set(
          m.MessageId!,
          `in the ${name} DLQ (received ${m.Attributes?.ApproximateReceiveCount ?? '?'} times there)`,
        );
    }
  }
  return found;
}
