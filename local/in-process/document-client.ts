/**
 * A DynamoDB document client that answers in the embedded stack's process (DynamoDbService), for the host instances
 * that run there: the AWS adapters (DynamoDbInstanceStore, DynamoDbHistory...) run unchanged on it, paginators
 * included, and the hooks (request meter, lost-write counter) attach to it as to the SDK's. What it saves is the
 * SDK's request building and signing, the HTTP round trip and the JSON text both ways: it marshals the command's
 * input as lib-dynamodb would, hands it to the service, and unmarshals the answer.
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type NativeAttributeValue, marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Item } from '../../functions/adapters/item.ts';
import { InProcessStack } from './client-stack.ts';
import type { DynamoDbAnswer, DynamoDbService } from './dynamodb-service.ts';

type NativeItem = Record<string, NativeAttributeValue>;
type Translate = (value: Item) => Item;

const toWire = (item: NativeItem | undefined) =>
  item === undefined ? undefined : binaryAsText(marshall(item, { removeUndefinedValues: true }), toBase64);
const fromWire = (item: Item | undefined) => (item === undefined ? undefined : unmarshall(binaryAsText(item, toBytes)));
const toBase64 = (value: Uint8Array | string) =>
  typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
const toBytes = (value: Uint8Array | string) => (typeof value === 'string' ? Buffer.from(value, 'base64') : value);

/**
 * Binary values (B, BS) are base64 text on the JSON protocol, which the service reads and writes, and bytes in the
 * SDK's values: converted at this edge, in every map and list of an item.
 */
function binaryAsText(item: Item, convert: (value: Uint8Array | string) => Uint8Array | string): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) out[name] = attribute(value, convert);
  return out;
}

function attribute(value: Item, convert: (value: Uint8Array | string) => Uint8Array | string): Item {
  if (value.B !== undefined) return { B: convert(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(convert) };
  if (value.M !== undefined) return { M: binaryAsText(value.M, convert) };
  if (value.L !== undefined) return { L: value.L.map((v: Item) => attribute(v, convert)) };
  return value;
}
const each =
  (translate: (item: Item) => unknown) =>
  (items: Item[] | undefined): unknown =>
    items?.map(translate);

/** The document commands: the DynamoDB action each is, and the fields it marshals in and unmarshals out. */
const DOCUMENT_COMMANDS = new Map<
  abstract new (
    ...args: never[]
  ) => unknown,
  { action: string; input: Translate; output: Translate }
>([
  [
    PutCommand,
    { action: 'PutItem', input: marshalled('Item', 'ExpressionAttributeValues'), output: unmarshalled('Attributes') },
  ],
  [GetCommand, { action: 'GetItem', input: marshalled('Key'), output: unmarshalled('Item') }],
  [
    UpdateCommand,
    { action: 'UpdateItem', input: marshalled('Key', 'ExpressionAttributeValues'), output: unmarshalled('Attributes') },
  ],
  [
    DeleteCommand,
    { action: 'DeleteItem', input: marshalled('Key', 'ExpressionAttributeValues'), output: unmarshalled('Attributes') },
  ],
  [
    QueryCommand,
    { action: 'Query', input: marshalled('ExpressionAttributeValues', 'ExclusiveStartKey'), output: list() },
  ],
  [
    ScanCommand,
    { action: 'Scan', input: marshalled('ExpressionAttributeValues', 'ExclusiveStartKey'), output: list() },
  ],
  [BatchGetCommand, { action: 'BatchGetItem', input: batchGet(toWire), output: batchGetOutput }],
  [BatchWriteCommand, { action: 'BatchWriteItem', input: batchWrite(toWire), output: batchWriteOutput }],
  [TransactWriteCommand, { action: 'TransactWriteItems', input: transactWrite, output: (o) => o }],
  [TransactGetCommand, { action: 'TransactGetItems', input: transactGet, output: transactGetOutput }],
]);

/** Marshals the named item-valued fields of a request (they are native in a document command). */
function marshalled(...names: string[]): Translate {
  return (value) => {
    const out: Item = { ...value };
    for (const name of names) if (out[name] !== undefined) out[name] = toWire(out[name]);
    return out;
  };
}

/** Unmarshals the named item-valued fields of an answer. */
function unmarshalled(...names: string[]): Translate {
  return (value) => {
    const out: Item = { ...value };
    for (const name of names) if (out[name] !== undefined) out[name] = fromWire(out[name]);
    return out;
  };
}

function list(): Translate {
  return (o) => ({
    ...o,
    ...(o.Items ? { Items: o.Items.map(fromWire) } : {}),
    ...(o.LastEvaluatedKey ? { LastEvaluatedKey: fromWire(o.LastEvaluatedKey) } : {}),
  });
}

function batchGet(translate: (item: NativeItem) => Item | undefined): Translate {
  return (input) => ({
    ...input,
    RequestItems: Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, request]) => [
        table,
        { ...(request as Item), Keys: (request as Item).Keys?.map(translate) },
      ]),
    ),
  });
}

function batchGetOutput(output: Item): Item {
  return {
    ...output,
    Responses: Object.fromEntries(
      Object.entries(output.Responses ?? {}).map(([table, items]) => [table, each(fromWire)(items as Item[])]),
    ),
    ...(output.UnprocessedKeys
      ? {
          UnprocessedKeys: batchGet((key) => fromWire(key as Item))({ RequestItems: output.UnprocessedKeys })
            .RequestItems,
        }
      : {}),
  };
}

function batchWrite(translate: (item: NativeItem) => Item | undefined): Translate {
  return (input) => ({
    ...input,
    RequestItems: Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, requests]) => [
        table,
        (requests as Item[]).map((r) =>
          r.PutRequest
            ? { PutRequest: { ...r.PutRequest, Item: translate(r.PutRequest.Item) } }
            : { DeleteRequest: { ...r.DeleteRequest, Key: translate(r.DeleteRequest.Key) } },
        ),
      ]),
    ),
  });
}

function batchWriteOutput(output: Item): Item {
  return output.UnprocessedItems
    ? {
        ...output,
        UnprocessedItems: batchWrite((item) => fromWire(item as Item))({ RequestItems: output.UnprocessedItems })
          .RequestItems,
      }
    : output;
}

function transactWrite(input: Item): Item {
  const wire = marshalled('Item', 'Key', 'ExpressionAttributeValues');
  return {
    ...input,
    TransactItems: (input.TransactItems as Item[]).map((entry) =>
      Object.fromEntries(Object.entries(entry).map(([kind, request]) => [kind, wire(request as Item)])),
    ),
  };
}

function transactGet(input: Item): Item {
  return {
    ...input,
    TransactItems: (input.TransactItems as Item[]).map((entry) => ({ Get: marshalled('Key')(entry.Get) })),
  };
}

function transactGetOutput(output: Item): Item {
  return { ...output, Responses: output.Responses?.map((r: Item) => (r.Item ? { Item: fromWire(r.Item) } : r)) };
}

/** The SDK's exception for an answer that is not a success, as its deserializer would throw it. */
function exceptionOf(answer: DynamoDbAnswer): Error {
  const type = String(answer.body.__type ?? 'InternalServerError');
  const name = type.slice(type.indexOf('#') + 1);
  const message = String(answer.body.message ?? answer.body.Message ?? name);
  const $metadata = { httpStatusCode: answer.status };
  const Exception = (dynamodb as unknown as Record<string, unknown>)[name];
  if (typeof Exception === 'function' && Exception.prototype instanceof DynamoDBServiceException) {
    const Modelled = Exception as new (options: Item) => Error;
    return new Modelled({ message, $metadata, ...answer.body });
  }
  return new DynamoDBServiceException({
    name,
    message,
    $fault: answer.status >= 500 ? 'server' : 'client',
    $metadata,
  });
}

export class InProcessDocumentClient extends DynamoDBDocumentClient {
  readonly #service: DynamoDbService;

  constructor(service: DynamoDbService) {
    // The base client is never sent anything: it only gives the document client its configuration.
    super(
      new DynamoDBClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        endpoint: 'http://in-process.invalid',
        credentials: { accessKeyId: 'in-process', secretAccessKey: 'in-process' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    this.#service = service;
    // Hooks attach to the in-process stack, and `send` runs every command through it.
    (this as { middlewareStack: unknown }).middlewareStack = new InProcessStack();
  }

  // biome-ignore lint/suspicious/noExplicitAny: every command of both packages, as the SDK's `send` takes them
  override async send(command: any): Promise<any> {
    const document = DOCUMENT_COMMANDS.get(command.constructor);
    // The hooks see the command the SDK would send (PutItemCommand for a PutCommand), as on an SDK client.
    const commandName: string = document ? `${document.action}Command` : command.constructor.name;
    const action = document?.action ?? commandName.replace(/Command$/, '');
    const stack = this.middlewareStack as unknown as InProcessStack;
    // The hooks see the input as it goes on the wire (lib-dynamodb marshals before them) and the answer before it is
    // unmarshalled, as on an SDK client.
    const wireInput = document ? document.input(command.input) : command.input;
    const output = await stack.run(commandName, wireInput, async (input: Item) => {
      const answer = await this.#service.dispatch(action, input);
      if (answer.status !== 200) throw exceptionOf(answer);
      return { ...answer.body, $metadata: { httpStatusCode: 200 } };
    });
    return document ? document.output(output as Item) : output;
  }

  override destroy(): void {}
}
