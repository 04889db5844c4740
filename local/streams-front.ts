/**
 * The DynamoDB half of the embedded endpoint, with streams: item writes to a table that has a stream are seen
 * with their old and new images and recorded in the ChangeFeed; table calls learn and show the stream; the
 * DynamoDB Streams API is answered from the feed. Everything else goes to dynalite untouched.
 *
 * How the images are had without a second copy of the data: a PutItem or DeleteItem is forwarded asking for
 * ALL_OLD (the new image of a put is its item); an UpdateItem reads the old image first and is forwarded asking for
 * ALL_NEW. The caller gets the response it asked for. Writes to one item are serialized here, so the read before an
 * update sees the image that update changes, and the feed holds one item's changes in the order they happened.
 */
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { crc32 } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ChangeFeed } from './change-feed.ts';
import type { Item } from '../functions/adapters/item.ts';

type Image = Record<string, AttributeValue>;
interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The DynamoDB actions whose requests are read here; the rest stream through. */
const SEEN = new Set([
  'CreateTable',
  'UpdateTable',
  'DescribeTable',
  'DeleteTable',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

export class StreamsFront {
  readonly feed: ChangeFeed;
  readonly #target: URL;
  readonly #agent: Agent;
  readonly #passthrough: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #keyNames = new Map<string, string[]>();
  /** The tail of each item's chain of writes: a write waits for the one before it on the same item. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(options: {
    target: URL;
    agent: Agent;
    passthrough: (req: IncomingMessage, res: ServerResponse) => void;
    feed?: ChangeFeed;
  }) {
    this.#target = options.target;
    this.#agent = options.agent;
    this.#passthrough = options.passthrough;
    this.feed = options.feed ?? new ChangeFeed({ region: process.env.AWS_REGION });
  }

  /** Serves one request whose X-Amz-Target starts with DynamoDB_ or DynamoDBStreams_. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const [service, action = ''] = String(req.headers['x-amz-target']).split('.');
    if (service !== 'DynamoDBStreams_20120810' && !SEEN.has(action)) {
      this.#passthrough(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const answer =
        service === 'DynamoDBStreams_20120810'
          ? Promise.resolve(this.#streams(action, raw))
          : this.#dynamo(action, raw, req.headers);
      answer.then(
        (reply) => send(res, reply),
        (error: Error) =>
          send(
            res,
            jsonReply(500, {
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: `embedded DynamoDB: ${error.message}`,
            }),
          ),
      );
    });
  }

  #streams(action: string, raw: Buffer): Reply {
    let input: Item;
    try {
      input = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return jsonReply(400, {
        __type: 'com.amazon.coral.service#SerializationException',
        message: 'request body is not JSON',
      });
    }
    const { status, body } = this.feed.handle(action, input);
    return jsonReply(status, body);
  }

  async #dynamo(action: string, raw: Buffer, headers: IncomingHttpHeaders): Promise<Reply> {
    let input: Item;
    try {
      input = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.#forward(raw, headers);
    }
    const table = String(input.TableName ?? '');
    switch (action) {
      case 'CreateTable': {
        const reply = await this.#forward(raw, headers);
        if (reply.status === 200 && input.StreamSpecification?.StreamEnabled) {
          this.#keyNames.set(table, keyNamesOf(input.KeySchema));
          this.feed.enable(table, this.#keyNames.get(table)!, input.StreamSpecification);
          return withTable(reply, 'TableDescription', this.feed.describeTableFields(table));
        }
        return reply;
      }
      case 'UpdateTable': {
        const { StreamSpecification: specification, ...rest } = input;
        if (!specification) return this.#forward(raw, headers);
        const keys = await this.#keysOf(table, headers);
        if (!keys) return this.#forward(raw, headers);
        // dynalite refuses an UpdateTable with nothing it knows to change: answer a streams-only update here.
        const changesMore = Object.keys(rest).some((key) => key !== 'TableName');
        const reply = changesMore
          ? await this.#forward(json(rest), headers)
          : await this.#call('DescribeTable', { TableName: table }, headers);
        if (reply.status !== 200) return reply;
        this.feed.enable(table, keys, specification);
        return changesMore
          ? withTable(reply, 'TableDescription', this.feed.describeTableFields(table))
          : renameTable(reply, this.feed.describeTableFields(table));
      }
      case 'DescribeTable':
        return withTable(await this.#forward(raw, headers), 'Table', this.feed.describeTableFields(table));
      case 'DeleteTable': {
        const reply = await this.#forward(raw, headers);
        if (reply.status === 200) this.feed.drop(table);
        return reply;
      }
      case 'BatchWriteItem':
      case 'TransactWriteItems': {
        const tables =
          action === 'BatchWriteItem'
            ? Object.keys(input.RequestItems ?? {})
            : (input.TransactItems ?? []).map((item: Item) => Object.values(item)[0]?.TableName);
        const streamed = tables.find((name: string) => this.feed.has(name));
        if (streamed)
          return jsonReply(400, {
            __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
            message: `the embedded stack records the stream of ${streamed} for PutItem, UpdateItem and DeleteItem only, not ${action}`,
          });
        return this.#forward(raw, headers);
      }
      default:
        if (!this.feed.has(table)) return this.#forward(raw, headers);
        return this.#tracked(action, input, headers);
    }
  }

  /** A write to an item of a table with a stream: forwarded, and its change recorded once it succeeded. */
  async #tracked(action: string, input: Item, headers: IncomingHttpHeaders): Promise<Reply> {
    const table = String(input.TableName);
    const keyNames = this.#keyNames.get(table) ?? [];
    const keySource: Image = action === 'PutItem' ? input.Item : input.Key;
    const itemKey = `${table}\u0000${JSON.stringify(keyNames.map((name) => keySource?.[name]))}`;
    const asked = input.ReturnValues ?? 'NONE';
    return this.#serialized(itemKey, async () => {
      if (action === 'UpdateItem') {
        const before = await this.#call('GetItem', { TableName: table, Key: input.Key, ConsistentRead: true }, headers);
        if (before.status !== 200) return before;
        const oldImage = parse(before).Item as Image | undefined;
        const reply = await this.#forward(
          json(asked === 'NONE' ? { ...input, ReturnValues: 'ALL_NEW' } : input),
          headers,
        );
        if (reply.status !== 200) return reply;
        const newImage =
          asked === 'NONE' || asked === 'ALL_NEW'
            ? (parse(reply).Attributes as Image)
            : (parse(await this.#call('GetItem', { TableName: table, Key: input.Key, ConsistentRead: true }, headers))
                .Item as Image);
        this.feed.record(table, oldImage, newImage);
        return asked === 'NONE' ? without(reply, 'Attributes') : reply;
      }
      // PutItem and DeleteItem: the old image comes back with the write itself.
      const reply = await this.#forward(json({ ...input, ReturnValues: 'ALL_OLD' }), headers);
      if (reply.status !== 200) return reply;
      this.feed.record(
        table,
        parse(reply).Attributes as Image | undefined,
        action === 'PutItem' ? (input.Item as Image) : undefined,
      );
      return asked === 'ALL_OLD' ? reply : without(reply, 'Attributes');
    });
  }

  async #serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#chains.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = before.then(() => mine);
    this.#chains.set(key, tail);
    await before;
    try {
      return await work();
    } finally {
      done();
      // The last write of a chain removes it, so idle items cost nothing.
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    }
  }

  async #keysOf(table: string, headers: IncomingHttpHeaders): Promise<string[] | undefined> {
    if (!this.#keyNames.has(table)) {
      const reply = await this.#call('DescribeTable', { TableName: table }, headers);
      if (reply.status !== 200) return undefined;
      this.#keyNames.set(table, keyNamesOf(parse(reply).Table?.KeySchema));
    }
    return this.#keyNames.get(table);
  }

  #call(action: string, input: unknown, headers: IncomingHttpHeaders): Promise<Reply> {
    return this.#forward(json(input), { ...headers, 'x-amz-target': `DynamoDB_20120810.${action}` });
  }

  #forward(body: Buffer, headers: IncomingHttpHeaders): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          method: 'POST',
          path: '/',
          headers: { ...headers, 'content-length': String(body.length) },
          agent: this.#agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function keyNamesOf(schema: { AttributeName: string; KeyType: string }[] | undefined): string[] {
  return [...(schema ?? [])]
    .sort((a, b) => (a.KeyType === 'HASH' ? -1 : 1) - (b.KeyType === 'HASH' ? -1 : 1))
    .map((k) => k.AttributeName);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function parse(reply: Reply): Item {
  return JSON.parse(reply.body.toString('utf8') || '{}');
}

function jsonReply(status: number, body: unknown): Reply {
  return withBody({ status, headers: { 'content-type': 'application/x-amz-json-1.0' } }, json(body));
}

/** A reply with a new body: its length and checksum (the x-amz-crc32 DynamoDB sends) follow it. */
function withBody(reply: Omit<Reply, 'body'>, body: Buffer): Reply {
  return {
    status: reply.status,
    headers: { ...reply.headers, 'content-length': String(body.length), 'x-amz-crc32': String(crc32(body)) },
    body,
  };
}

function without(reply: Reply, field: string): Reply {
  const { [field]: _dropped, ...rest } = parse(reply);
  return withBody(reply, json(rest));
}

/** Adds the stream fields to the table description under `field` of a successful reply. */
function withTable(reply: Reply, field: string, fields: Record<string, unknown>): Reply {
  if (reply.status !== 200 || Object.keys(fields).length === 0) return reply;
  const body = parse(reply);
  return withBody(reply, json({ ...body, [field]: { ...body[field], ...fields } }));
}

/** A DescribeTable reply presented as UpdateTable's (its description under TableDescription). */
function renameTable(reply: Reply, fields: Record<string, unknown>): Reply {
  const { Table } = parse(reply);
  return withBody(reply, json({ TableDescription: { ...Table, ...fields } }));
}

function send(res: ServerResponse, reply: Reply): void {
  const headers = { ...reply.headers };
  delete headers['transfer-encoding'];
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}
