/**
 * The embedded stack's DynamoDB: dynalite's own store, validations and actions, called in-process, with DynamoDB
 * Streams kept in front of it (a ChangeFeed). One service answers two callers the same way:
 * - the endpoint (`handle`: the DynamoDB and DynamoDB Streams JSON protocols, for the SDK, the CLI and users' tools);
 * - host instances running in the embedded stack's process (`dispatch`, through InProcessDocumentClient), without
 *   HTTP, signing or a second copy of the request.
 *
 * Streams: dynalite has none. An item write to a table that has a stream is seen with its old and new images and
 * recorded in the feed: a PutItem or DeleteItem asks dynalite for ALL_OLD (the new image of a put is its item); an
 * UpdateItem reads the old image first and asks for ALL_NEW. The caller gets the answer it asked for. Writes to one
 * item are serialized here, so the read before an update sees the image that update changes, and the feed holds one
 * item's changes in the order they happened.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ChangeFeed } from '../change-feed.ts';
import { releaseDynaliteIterators } from '../dynalite-iterators.ts';
import type { Item } from '../../functions/adapters/item.ts';
import { Tables } from '../tables/tables.ts';
import { TABLE_ACTIONS, TableFile } from '../tables/table-file.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
releaseDynaliteIterators();

type Image = Record<string, AttributeValue>;
type Callback = (error: DynaliteError | null, result?: Item) => void;
/** dynalite's error: the HTTP status and the JSON body DynamoDB would answer. */
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message?: string };
}

/** An answer of the service: the status and the JSON body the protocol carries. */
export interface DynamoDbAnswer {
  readonly status: number;
  readonly body: Item;
}

/** The DynamoDB actions whose requests the streams logic reads; the rest go to dynalite as they are. */
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

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/**
 * dynalite with its store in reach. dynalite builds its store inside `dynalite()` and keeps it to its HTTP handler;
 * `create` is looked up on its db module at that moment, so wrapping it there hands the same store to this process's
 * own calls. Pinned dynalite version (package.json): this reaches into its modules.
 */
function startDynalite(options: Record<string, unknown>): { server: Server; store: unknown } {
  const db = require('dynalite/db') as { create(options: unknown): unknown };
  const create = db.create;
  let store: unknown;
  db.create = (o: unknown) => {
    store = create(o);
    return store;
  };
  try {
    const server = (require('dynalite') as (options: Record<string, unknown>) => Server)(options);
    if (!store) throw new Error('dynalite did not build its store through db.create (has its version changed?)');
    return { server, store };
  } finally {
    db.create = create;
  }
}

export class DynamoDbService {
  readonly feed: ChangeFeed;
  /** Which store answers: the embedded tables (in memory), or dynalite (its LevelDB, in a folder). */
  readonly engine: 'tables' | 'dynalite';
  /** dynalite's HTTP server (its own handler answers what needs no streams); listening on a loopback port. */
  readonly #server?: Server;
  readonly #store: unknown;
  readonly #tables?: Tables;
  /** Where the embedded tables are kept, in a data folder. */
  #file?: TableFile;
  readonly #passthrough?: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #keyNames = new Map<string, string[]>();
  /** The tail of each item's chain of writes: a write waits for the one before it on the same item. */
  readonly #chains = new Map<string, Promise<void>>();

  private constructor(feed: ChangeFeed, backend: { server: Server; store: unknown } | Tables, file?: TableFile) {
    this.feed = feed;
    if (backend instanceof Tables) {
      this.engine = 'tables';
      this.#tables = backend;
      this.#file = file;
      // A write is seen as it happens, with both images: the stream needs no read of its own, the file keeps it.
      backend.onChange = (table, oldImage, newImage) => {
        file?.item(table, newImage, newImage ? undefined : oldImage && backend.keyOf(table, oldImage));
        if (feed.has(table)) feed.record(table, oldImage as Image | undefined, newImage as Image | undefined);
      };
    } else {
      this.engine = 'dynalite';
      this.#server = backend.server;
      this.#store = backend.store;
      this.#passthrough = backend.server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
    }
  }

  /**
   * The embedded tables (local/tables), in memory or kept in a folder (`path`, local/tables/table-file.ts). A folder
   * an earlier version kept with dynalite's LevelDB stays dynalite's (its tables are not moved), as `engine` can choose
   * too (a comparison, a test).
   */
  static async start(
    options: { path?: string; feed?: ChangeFeed; engine?: 'tables' | 'dynalite'; log?: (line: string) => void } = {},
  ): Promise<DynamoDbService> {
    const feed = options.feed ?? new ChangeFeed({ region: process.env.AWS_REGION });
    const levelDb = options.path !== undefined && existsSync(join(options.path, 'CURRENT'));
    if ((options.engine ?? (levelDb ? 'dynalite' : 'tables')) === 'tables') {
      const tables = new Tables({ region: process.env.AWS_REGION });
      if (!options.path) return new DynamoDbService(feed, tables);
      mkdirSync(options.path, { recursive: true });
      const file = new TableFile(join(options.path, 'tables.jsonl'));
      const service = new DynamoDbService(feed, tables);
      // Table actions go through the service (a table's stream comes back with it); items straight in, unseen.
      file.load(tables, (action, input) => void service.dispatch(action, input), options.log);
      return new DynamoDbService(feed, tables, file);
    }
    const { server, store } = startDynalite({
      path: options.path,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    // dynalite only closes its LevelDB (and releases the folder's lock) when its own server closes,
    // and a server that never listened cannot close: give it a loopback port nobody uses.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new DynamoDbService(feed, { server, store });
  }

  async stop(): Promise<void> {
    this.#file?.close();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves one request whose X-Amz-Target starts with DynamoDB_ or DynamoDBStreams_. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const [service, action = ''] = String(req.headers['x-amz-target']).split('.');
    if (this.#passthrough && service !== 'DynamoDBStreams_20120810' && !SEEN.has(action)) {
      this.#passthrough(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let input: Item;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        send(res, { status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } });
        return;
      }
      const answer =
        service === 'DynamoDBStreams_20120810'
          ? Promise.resolve(this.feed.handle(action, input) as DynamoDbAnswer)
          : this.dispatch(action, input);
      answer.then(
        (reply) => send(res, reply),
        (error: Error) =>
          send(res, {
            status: 500,
            body: {
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: `embedded DynamoDB: ${error.message}`,
            },
          }),
      );
    });
  }

  /** One DynamoDB action (`PutItem`...) on its JSON input, as the protocol carries it; the answer likewise. */
  async dispatch(action: string, input: Item): Promise<DynamoDbAnswer> {
    const answer = await this.#dispatch(action, input);
    if (this.#file && answer.status === 200 && TABLE_ACTIONS.has(action)) this.#file.table(action, input);
    return answer;
  }

  async #dispatch(action: string, input: Item): Promise<DynamoDbAnswer> {
    const table = String(input.TableName ?? '');
    switch (action) {
      case 'CreateTable': {
        const reply = await this.#raw(action, input);
        if (reply.status === 200 && input.StreamSpecification?.StreamEnabled) {
          this.#keyNames.set(table, keyNamesOf(input.KeySchema));
          this.feed.enable(table, this.#keyNames.get(table)!, input.StreamSpecification);
          return withTable(reply, 'TableDescription', this.feed.describeTableFields(table));
        }
        return reply;
      }
      case 'UpdateTable': {
        const { StreamSpecification: specification, ...rest } = input;
        if (!specification) return this.#raw(action, input);
        const keys = await this.#keysOf(table);
        if (!keys) return this.#raw(action, input);
        // dynalite refuses an UpdateTable with nothing it knows to change: answer a streams-only update here.
        const changesMore = Object.keys(rest).some((key) => key !== 'TableName');
        const reply = changesMore
          ? await this.#raw(action, rest)
          : await this.#raw('DescribeTable', { TableName: table });
        if (reply.status !== 200) return reply;
        this.feed.enable(table, keys, specification);
        return changesMore
          ? withTable(reply, 'TableDescription', this.feed.describeTableFields(table))
          : {
              status: 200,
              body: { TableDescription: { ...reply.body.Table, ...this.feed.describeTableFields(table) } },
            };
      }
      case 'DescribeTable':
        return withTable(await this.#raw(action, input), 'Table', this.feed.describeTableFields(table));
      case 'DeleteTable': {
        const reply = await this.#raw(action, input);
        if (reply.status === 200) this.feed.drop(table);
        return reply;
      }
      case 'BatchWriteItem':
      case 'TransactWriteItems': {
        // The embedded tables see every write, batched or not.
        if (this.#tables) return this.#raw(action, input);
        const tables =
          action === 'BatchWriteItem'
            ? Object.keys(input.RequestItems ?? {})
            : (input.TransactItems ?? []).map((item: Item) => Object.values(item)[0]?.TableName);
        const streamed = tables.find((name: string) => this.feed.has(name));
        if (streamed)
          return {
            status: 400,
            body: {
              __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
              message: `the embedded stack records the stream of ${streamed} for PutItem, UpdateItem and DeleteItem only, not ${action}`,
            },
          };
        return this.#raw(action, input);
      }
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return this.feed.has(table) && !this.#tables ? this.#tracked(action, input) : this.#raw(action, input);
      default:
        return this.#raw(action, input);
    }
  }

  /** A write to an item of a table with a stream: made, and its change recorded once it succeeded. */
  async #tracked(action: string, input: Item): Promise<DynamoDbAnswer> {
    const table = String(input.TableName);
    const keyNames = this.#keyNames.get(table) ?? [];
    const keySource: Image = action === 'PutItem' ? input.Item : input.Key;
    const itemKey = `${table}\u0000${JSON.stringify(keyNames.map((name) => keySource?.[name]))}`;
    const asked = input.ReturnValues ?? 'NONE';
    return this.#serialized(itemKey, async () => {
      if (action === 'UpdateItem') {
        const before = await this.#raw('GetItem', { TableName: table, Key: input.Key, ConsistentRead: true });
        if (before.status !== 200) return before;
        const oldImage = before.body.Item as Image | undefined;
        const reply = await this.#raw(action, asked === 'NONE' ? { ...input, ReturnValues: 'ALL_NEW' } : input);
        if (reply.status !== 200) return reply;
        const newImage =
          asked === 'NONE' || asked === 'ALL_NEW'
            ? (reply.body.Attributes as Image)
            : ((await this.#raw('GetItem', { TableName: table, Key: input.Key, ConsistentRead: true })).body
                .Item as Image);
        this.feed.record(table, oldImage, newImage);
        return asked === 'NONE' ? without(reply, 'Attributes') : reply;
      }
      // PutItem and DeleteItem: the old image comes back with the write itself.
      const reply = await this.#raw(action, { ...input, ReturnValues: 'ALL_OLD' });
      if (reply.status !== 200) return reply;
      this.feed.record(
        table,
        reply.body.Attributes as Image | undefined,
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

  async #keysOf(table: string): Promise<string[] | undefined> {
    if (!this.#keyNames.has(table)) {
      const reply = await this.#raw('DescribeTable', { TableName: table });
      if (reply.status !== 200) return undefined;
      this.#keyNames.set(table, keyNamesOf(reply.body.Table?.KeySchema));
    }
    return this.#keyNames.get(table);
  }

  /** dynalite's own validation and action, as its HTTP handler runs them, without the HTTP. */
  #raw(action: string, input: Item): Promise<DynamoDbAnswer> {
    if (this.#tables) return Promise.resolve(this.#tables.call(action, input));
    const served = dynaliteAction(action);
    if (!served)
      return Promise.resolve({
        status: 400,
        body: { __type: 'com.amazon.coral.service#UnknownOperationException', message: `${action} is not served here` },
      });
    const { action: actionFn, validation } = served;
    let data: Item;
    try {
      data = validations.checkTypes(input, validation.types);
      validations.checkValidations(data, validation.types, validation.custom, this.#store);
    } catch (error) {
      const e = error as DynaliteError;
      if (e.statusCode && e.body) return Promise.resolve({ status: e.statusCode, body: e.body });
      throw error;
    }
    return new Promise((resolve, reject) => {
      actionFn(this.#store, data, (error, result) => {
        if (error?.statusCode && error.body) resolve({ status: error.statusCode, body: error.body });
        else if (error) reject(error);
        else resolve({ status: 200, body: result ?? {} });
      });
    });
  }
}

interface DynaliteAction {
  readonly action: (store: unknown, data: Item, cb: Callback) => void;
  readonly validation: { types: unknown; custom?: unknown };
}

const validations = require('dynalite/validations') as {
  checkTypes(data: Item, types: unknown): Item;
  checkValidations(data: Item, types: unknown, custom: unknown, store: unknown): void;
};
/** Looked up once each: resolving a module on every call costs more than some actions. */
const served = new Map<string, DynaliteAction | undefined>();

function dynaliteAction(action: string): DynaliteAction | undefined {
  if (!served.has(action)) {
    const name = lowerFirst(action);
    try {
      served.set(action, {
        action: require(`dynalite/actions/${name}`),
        validation: require(`dynalite/validations/${name}`),
      });
    } catch {
      served.set(action, undefined);
    }
  }
  return served.get(action);
}

function keyNamesOf(schema: { AttributeName: string; KeyType: string }[] | undefined): string[] {
  return [...(schema ?? [])]
    .sort((a, b) => (a.KeyType === 'HASH' ? -1 : 1) - (b.KeyType === 'HASH' ? -1 : 1))
    .map((k) => k.AttributeName);
}

function without(reply: DynamoDbAnswer, field: string): DynamoDbAnswer {
  const { [field]: _dropped, ...rest } = reply.body;
  return { status: reply.status, body: rest };
}

/** Adds the stream fields to the table description under `field` of a successful reply. */
function withTable(reply: DynamoDbAnswer, field: string, fields: Record<string, unknown>): DynamoDbAnswer {
  if (reply.status !== 200 || Object.keys(fields).length === 0) return reply;
  return { status: reply.status, body: { ...reply.body, [field]: { ...reply.body[field], ...fields } } };
}

/** The JSON protocol's reply, with the checksum DynamoDB sends (x-amz-crc32). */
function send(res: ServerResponse, reply: DynamoDbAnswer): void {
  const body = Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(body.length),
    'x-amz-crc32': String(crc32(body)),
  });
  res.end(body);
}
