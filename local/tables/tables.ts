/**
 * DynamoDB's tables, in memory, for the embedded stack: the actions Baton, its tools and a user's SDK calls make
 * (tables and their global secondary indexes, item reads and conditional writes, queries, scans, batches), on items
 * in the JSON protocol's form, answered as DynamoDB answers them (the same errors, the capacity it reports). What
 * dynalite did for the embedded stack, made for it: one synchronous step per request (a request is atomic because
 * this process runs one at a time), expressions compiled once (expressions.ts), and a write's old and new images
 * handed to the stream as it happens. Items are stored and handed out without copies: nothing changes an item in
 * place (a write replaces it, an update builds a new one), and every caller gets its own from the wire or its own
 * marshalling.
 *
 * Left out on purpose: transactions, local secondary indexes, PartiQL, backups, TTL deletion (the TTL attribute is
 * recorded and shown, items do not expire: dynalite did not expire them either), and throughput limits.
 */
import {
  type AttributeValue,
  type Item,
  type Placeholders,
  ExpressionError,
  compareBinary,
  compareNumbers,
  compareStrings,
  condition,
  keyCondition,
  projection,
  update,
} from './expressions.ts';

/** An answer: the status and the JSON body the protocol carries. */
export interface TableAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON protocol body
  readonly body: Record<string, any>;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON protocol body
type Input = Record<string, any>;
type KeyType = 'S' | 'N' | 'B';

/** An item write as the stream sees it: the images before and after (absent: no item). */
export type ChangeListener = (table: string, oldImage: Item | undefined, newImage: Item | undefined) => void;

const MAX_ITEM_BYTES = 400 * 1024;
const MAX_KEY_BYTES = { hash: 2048, range: 1024 };
const QUERY_PAGE_BYTES = 1024 * 1024;
const ACCOUNT = '000000000000';

/** A failed request: DynamoDB's error type and message. */
class Refusal extends Error {
  readonly type: string;
  readonly status: number;
  readonly extra: Input;

  constructor(type: string, message: string, status = 400, extra: Input = {}) {
    super(message);
    this.type = type;
    this.status = status;
    this.extra = extra;
  }
}
const validation = (message: string) => new Refusal('com.amazon.coral.validate#ValidationException', message);
const notFound = (message = 'Requested resource not found') =>
  new Refusal('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message);

interface KeySchema {
  readonly hash: string;
  readonly range?: string;
}

interface Index extends KeySchema {
  readonly name: string;
  readonly projection: {
    readonly ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
    readonly NonKeyAttributes?: string[];
  };
  /** Entries by index partition, each sorted by the index's sort key, then the table's key. */
  readonly partitions: Map<string, Entry[]>;
}

/** An item in a partition: its sort value (undefined without a sort key) and the table's key, for ties. */
interface Entry {
  readonly sort?: AttributeValue;
  readonly id: string;
  readonly item: Item;
}

interface Table extends KeySchema {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  definitions: Input[];
  readonly types: Map<string, KeyType>;
  readonly billing: Input;
  readonly indexes: Map<string, Index>;
  /** Items by partition, each sorted by the sort key. */
  readonly partitions: Map<string, Entry[]>;
  /** Every item by its whole key. */
  readonly items: Map<string, Item>;
  ttl?: { AttributeName: string; TimeToLiveStatus: 'ENABLED' | 'DISABLED' };
  stream?: Input;
  tags: Input[];
}

export class Tables {
  readonly #tables = new Map<string, Table>();
  readonly #region: string;
  /** Told of every item write that changed something (for the stream). */
  onChange?: ChangeListener;

  constructor(options: { region?: string } = {}) {
    this.#region = options.region ?? 'us-east-1';
  }

  /** Whether a table exists (the stream keeps its own list). */
  has(name: string): boolean {
    return this.#tables.has(name);
  }

  /** The key attribute names of a table, hash first. */
  keyNames(name: string): string[] | undefined {
    const table = this.#tables.get(name);
    return table && [table.hash, ...(table.range ? [table.range] : [])];
  }

  /** Every item of every table, as stored (what a table file writes when it starts afresh). */
  *everyItem(): Generator<[string, Item]> {
    for (const table of this.#tables.values()) for (const item of table.items.values()) yield [table.name, item];
  }

  /** Puts an item back as it was kept (a table file read at start): no condition, no change seen. */
  restore(name: string, item: Item): void {
    const table = this.#tables.get(name);
    if (!table) return;
    const id = keyId(table, item);
    const old = table.items.get(id);
    if (old) unlink(table, id, old);
    table.items.set(id, item);
    link(table.partitions, table.hash, table.range, id, item, table.types.get(table.range ?? '') ?? 'S');
    for (const index of table.indexes.values()) indexItem(index, table, id, item);
  }

  /** Takes an item out as a kept deletion says (a table file read at start): no change seen. */
  forget(name: string, key: Item): void {
    const table = this.#tables.get(name);
    if (!table) return;
    const id = keyId(table, key);
    const old = table.items.get(id);
    if (!old) return;
    unlink(table, id, old);
    table.items.delete(id);
  }

  /** The key attributes of an item of a table. */
  keyOf(name: string, item: Item): Item {
    const names = this.keyNames(name) ?? [];
    return Object.fromEntries(names.filter((n) => item[n]).map((n) => [n, item[n]!]));
  }

  /** One action on its JSON input; the answer likewise. Never throws: a refusal is an answer. */
  call(action: string, input: Input): TableAnswer {
    try {
      const act = ACTIONS[action];
      if (!act) throw new Refusal('com.amazon.coral.service#UnknownOperationException', `${action} is not served here`);
      checkPlaceholders(input ?? {});
      return { status: 200, body: act.call(this, input ?? {}) };
    } catch (error) {
      if (error instanceof Refusal)
        return { status: error.status, body: { __type: error.type, message: error.message, ...error.extra } };
      if (error instanceof ExpressionError) return { status: 400, body: validationBody(error.message) };
      throw error;
    }
  }

  // ---- tables ----

  createTable(input: Input): Input {
    const name = tableName(input);
    if (this.#tables.has(name))
      throw new Refusal('com.amazonaws.dynamodb.v20120810#ResourceInUseException', `Table already exists: ${name}`);
    const types = new Map<string, KeyType>(
      (input.AttributeDefinitions ?? []).map((d: Input) => [d.AttributeName, d.AttributeType as KeyType]),
    );
    const schema = keySchema(input.KeySchema, types, 'the table');
    const indexes = new Map<string, Index>();
    for (const gsi of input.GlobalSecondaryIndexes ?? []) indexes.set(gsi.IndexName, newIndex(gsi, types));
    const table: Table = {
      name,
      ...schema,
      arn: `arn:aws:dynamodb:${this.#region}:${ACCOUNT}:table/${name}`,
      createdAt: Date.now() / 1000,
      definitions: input.AttributeDefinitions ?? [],
      types,
      billing:
        input.BillingMode === 'PAY_PER_REQUEST' ? { BillingMode: 'PAY_PER_REQUEST' } : { BillingMode: 'PROVISIONED' },
      indexes,
      partitions: new Map(),
      items: new Map(),
      tags: input.Tags ?? [],
    };
    this.#tables.set(name, table);
    return { TableDescription: this.#describe(table) };
  }

  describeTable(input: Input): Input {
    return { Table: this.#describe(this.#table(input)) };
  }

  updateTable(input: Input): Input {
    const table = this.#table(input);
    for (const update of input.GlobalSecondaryIndexUpdates ?? []) {
      if (update.Create) {
        // The new index's key types are the table's from now on: its items are checked, linked and queried by them.
        for (const [name, type] of attributeTypes(input.AttributeDefinitions)) table.types.set(name, type);
        table.definitions = [...table.types].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        }));
        const index = newIndex(update.Create, table.types);
        table.indexes.set(index.name, index);
        for (const [id, item] of table.items) indexItem(index, table, id, item);
      } else if (update.Delete) table.indexes.delete(update.Delete.IndexName);
    }
    return { TableDescription: this.#describe(table) };
  }

  deleteTable(input: Input): Input {
    const table = this.#table(input);
    this.#tables.delete(table.name);
    return { TableDescription: { ...this.#describe(table), TableStatus: 'DELETING' } };
  }

  listTables(input: Input): Input {
    const names = [...this.#tables.keys()].sort();
    const from = input.ExclusiveStartTableName ? names.findIndex((n) => n > input.ExclusiveStartTableName) : 0;
    const limit = input.Limit ?? 100;
    const page = from < 0 ? [] : names.slice(from, from + limit);
    return {
      TableNames: page,
      ...(from >= 0 && from + limit < names.length ? { LastEvaluatedTableName: page.at(-1) } : {}),
    };
  }

  updateTimeToLive(input: Input): Input {
    const table = this.#table(input);
    const spec = input.TimeToLiveSpecification ?? {};
    table.ttl = { AttributeName: spec.AttributeName, TimeToLiveStatus: spec.Enabled ? 'ENABLED' : 'DISABLED' };
    return { TimeToLiveSpecification: spec };
  }

  describeTimeToLive(input: Input): Input {
    const table = this.#table(input);
    return { TimeToLiveDescription: table.ttl ?? { TimeToLiveStatus: 'DISABLED' } };
  }

  tagResource(input: Input): Input {
    const table = this.#byArn(input.ResourceArn);
    const keys = new Set((input.Tags ?? []).map((t: Input) => t.Key));
    table.tags = [...table.tags.filter((t) => !keys.has(t.Key)), ...(input.Tags ?? [])];
    return {};
  }

  untagResource(input: Input): Input {
    const table = this.#byArn(input.ResourceArn);
    const keys = new Set(input.TagKeys ?? []);
    table.tags = table.tags.filter((t) => !keys.has(t.Key));
    return {};
  }

  listTagsOfResource(input: Input): Input {
    return { Tags: this.#byArn(input.ResourceArn).tags };
  }

  /** The stream's fields of a table's description are the stream's to give (DynamoDbService adds them). */
  #describe(table: Table): Input {
    const count = table.items.size;
    return {
      TableName: table.name,
      TableArn: table.arn,
      TableId: table.arn,
      TableStatus: 'ACTIVE',
      CreationDateTime: table.createdAt,
      AttributeDefinitions: table.definitions,
      KeySchema: schemaOf(table),
      ItemCount: count,
      TableSizeBytes: 0,
      ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
      BillingModeSummary: table.billing,
      ...(table.indexes.size > 0
        ? {
            GlobalSecondaryIndexes: [...table.indexes.values()].map((index) => ({
              IndexName: index.name,
              KeySchema: schemaOf(index),
              Projection: index.projection,
              IndexStatus: 'ACTIVE',
              IndexArn: `${table.arn}/index/${index.name}`,
              ItemCount: 0,
              IndexSizeBytes: 0,
              ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
            })),
          }
        : {}),
    };
  }

  #table(input: Input): Table {
    const table = this.#tables.get(tableName(input));
    if (!table) throw notFound(`Requested resource not found: Table: ${input.TableName} not found`);
    return table;
  }

  #byArn(arn: string): Table {
    for (const table of this.#tables.values()) if (table.arn === arn) return table;
    throw notFound();
  }

  // ---- items ----

  getItem(input: Input): Input {
    const table = this.#table(input);
    const id = keyId(table, input.Key);
    const found = table.items.get(id);
    const names = input.ExpressionAttributeNames;
    const item =
      found && input.ProjectionExpression
        ? expression('Projection', () => projection(input.ProjectionExpression).apply(found, { names }))
        : found;
    return {
      ...(item ? { Item: item } : {}),
      ...capacity(input, table, readUnits(found, input.ConsistentRead)),
    };
  }

  putItem(input: Input): Input {
    const table = this.#table(input);
    const item = input.Item as Item;
    if (!item || typeof item !== 'object') throw validation('1 validation error detected: Item must not be null');
    checkItem(table, item);
    const id = keyId(table, item);
    const old = table.items.get(id);
    this.#check(input, old);
    this.#write(table, id, old, item);
    return {
      ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}),
      ...capacity(input, table, writeUnits(item, old)),
    };
  }

  updateItem(input: Input): Input {
    const table = this.#table(input);
    const id = keyId(table, input.Key);
    const old = table.items.get(id);
    this.#check(input, old);
    let next: Item = old ? old : { ...input.Key };
    let change: ReturnType<typeof update> | undefined;
    if (input.UpdateExpression) {
      change = expression('Update', () => update(input.UpdateExpression));
      const touched = change.touches(this.keyNames(table.name)!, placeholders(input));
      if (touched)
        throw validation(
          `One or more parameter values were invalid: Cannot update attribute ${touched}. This attribute is part of the key`,
        );
      const changing = change;
      next = expression('Update', () => changing.apply(next, placeholders(input)));
    }
    checkItem(table, next);
    this.#write(table, id, old, next);
    return {
      ...returned(input.ReturnValues, old, next, change && ((item) => change!.updated(item, placeholders(input)))),
      ...capacity(input, table, writeUnits(next, old)),
    };
  }

  deleteItem(input: Input): Input {
    const table = this.#table(input);
    const id = keyId(table, input.Key);
    const old = table.items.get(id);
    this.#check(input, old);
    if (old) this.#write(table, id, old, undefined);
    return {
      ...(input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}),
      ...capacity(input, table, old ? writeUnits(old) : 1),
    };
  }

  batchGetItem(input: Input): Input {
    const responses: Input = {};
    const consumed: Input[] = [];
    for (const [name, request] of Object.entries(input.RequestItems ?? {}) as [string, Input][]) {
      const table = this.#table({ TableName: name });
      let units = 0;
      responses[name] = [];
      for (const key of request.Keys ?? []) {
        const found = table.items.get(keyId(table, key));
        units += readUnits(found, request.ConsistentRead);
        if (!found) continue;
        const item = request.ProjectionExpression
          ? expression('Projection', () =>
              projection(request.ProjectionExpression).apply(found, { names: request.ExpressionAttributeNames }),
            )
          : found;
        responses[name].push(item);
      }
      consumed.push({ TableName: name, CapacityUnits: units });
    }
    return { Responses: responses, UnprocessedKeys: {}, ...consumedList(input, consumed) };
  }

  batchWriteItem(input: Input): Input {
    const requests = Object.entries(input.RequestItems ?? {}) as [string, Input[]][];
    const count = requests.reduce((n, [, r]) => n + r.length, 0);
    if (count > 25)
      throw validation(
        `1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
      );
    // All checked before any is written, as DynamoDB refuses a batch whole.
    const writes: { table: Table; id: string; item?: Item }[] = [];
    const seen = new Set<string>();
    for (const [name, list] of requests) {
      const table = this.#table({ TableName: name });
      for (const request of list) {
        const item = request.PutRequest?.Item as Item | undefined;
        if (item) checkItem(table, item);
        const id = keyId(table, item ?? request.DeleteRequest?.Key);
        if (seen.has(`${name}\u0000${id}`)) throw validation('Provided list of item keys contains duplicates');
        seen.add(`${name}\u0000${id}`);
        writes.push({ table, id, item });
      }
    }
    const units = new Map<string, number>();
    for (const { table, id, item } of writes) {
      const old = table.items.get(id);
      units.set(table.name, (units.get(table.name) ?? 0) + (item ? writeUnits(item, old) : old ? writeUnits(old) : 1));
      if (item || old) this.#write(table, id, old, item && item);
    }
    return {
      UnprocessedItems: {},
      ...consumedList(
        input,
        [...units].map(([TableName, CapacityUnits]) => ({ TableName, CapacityUnits })),
      ),
    };
  }

  query(input: Input): Input {
    const table = this.#table(input);
    const index = input.IndexName ? table.indexes.get(input.IndexName) : undefined;
    if (input.IndexName && !index) throw validation(`The table does not have the specified index: ${input.IndexName}`);
    const schema: KeySchema = index ?? table;
    if (!input.KeyConditionExpression)
      throw validation(
        'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
      );
    const p = placeholders(input);
    const key = expression('KeyCondition', () => keyCondition(input.KeyConditionExpression).resolve(p, schema.hash));
    if (key.partition.name !== schema.hash)
      throw validation(`Query condition missed key schema element: ${schema.hash}`);
    if (key.sort && key.sort.name !== schema.range)
      throw validation(`Query condition missed key schema element: ${schema.range ?? key.sort.name}`);
    const partition = (index ?? table).partitions.get(valueId(key.partition.value)) ?? [];
    const forward = input.ScanIndexForward !== false;
    const sortType = schema.range ? (table.types.get(schema.range) ?? 'S') : 'S';
    let entries = key.sort ? partition.filter((e) => sortMatches(e.sort, key.sort!, sortType)) : partition;
    if (!forward) entries = [...entries].reverse();
    if (input.ExclusiveStartKey) {
      const start = startAfter(table, index, input.ExclusiveStartKey);
      const at = entries.findIndex((e) =>
        forward ? compareEntries(e, start, sortType) > 0 : compareEntries(e, start, sortType) < 0,
      );
      entries = at < 0 ? [] : entries.slice(at);
    }
    return this.#page(input, table, index, entries, p, input.ConsistentRead);
  }

  scan(input: Input): Input {
    const table = this.#table(input);
    const index = input.IndexName ? table.indexes.get(input.IndexName) : undefined;
    if (input.IndexName && !index) throw validation(`The table does not have the specified index: ${input.IndexName}`);
    const source = index ?? table;
    const sortType = source.range ? (table.types.get(source.range) ?? 'S') : 'S';
    // Partitions in a stable order (their key's text), so a page's last key says where the next one starts.
    const partitions = [...source.partitions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let entries = partitions.flatMap(([pid, list]) => list.map((entry) => ({ pid, entry })));
    if (input.TotalSegments) {
      entries = entries.filter(({ pid }) => segmentOf(pid, input.TotalSegments) === input.Segment);
    }
    if (input.ExclusiveStartKey) {
      const start = startAfter(table, index, input.ExclusiveStartKey);
      const pid = valueId(input.ExclusiveStartKey[source.hash]);
      const at = entries.findIndex(
        (e) => e.pid > pid || (e.pid === pid && compareEntries(e.entry, start, sortType) > 0),
      );
      entries = at < 0 ? [] : entries.slice(at);
    }
    return this.#page(
      input,
      table,
      index,
      entries.map((e) => e.entry),
      placeholders(input),
      input.ConsistentRead,
    );
  }

  /** One page of a query or a scan: the limit and the 1 MB page, then the filter, the projection, the count. */
  #page(input: Input, table: Table, index: Index | undefined, entries: Entry[], p: Placeholders, consistent: boolean) {
    const limit = input.Limit ?? Number.POSITIVE_INFINITY;
    const filter = input.FilterExpression ? expression('Filter', () => condition(input.FilterExpression)) : undefined;
    const project = input.ProjectionExpression
      ? expression('Projection', () => projection(input.ProjectionExpression))
      : undefined;
    const items: Item[] = [];
    let read = 0;
    let bytes = 0;
    let last: Entry | undefined;
    for (const entry of entries) {
      if (read >= limit || bytes >= QUERY_PAGE_BYTES) break;
      read++;
      bytes += itemBytes(entry.item);
      last = entry;
      if (filter && !expression('Filter', () => filter.evaluate(entry.item, p))) continue;
      items.push(project ? expression('Projection', () => project.apply(entry.item, p)) : entry.item);
    }
    const more = last !== undefined && read < entries.length;
    const count = input.Select === 'COUNT';
    return {
      ...(count ? {} : { Items: items }),
      Count: items.length,
      ScannedCount: read,
      ...(more ? { LastEvaluatedKey: lastKey(table, index, last!.item) } : {}),
      ...capacity(input, table, Math.max(1, Math.ceil(bytes / 4096)) / (consistent ? 1 : 2)),
    };
  }

  /** Checks a write's condition against the item it would replace; a refusal may carry that item. */
  #check(input: Input, old: Item | undefined): void {
    if (!input.ConditionExpression) return;
    const holds = expression('Condition', () =>
      condition(input.ConditionExpression).evaluate(old, placeholders(input)),
    );
    if (holds) return;
    throw new Refusal(
      'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      'The conditional request failed',
      400,
      input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: old } : {},
    );
  }

  #write(table: Table, id: string, old: Item | undefined, next: Item | undefined): void {
    if (old) unlink(table, id, old);
    if (next) {
      table.items.set(id, next);
      link(table.partitions, table.hash, table.range, id, next, table.types.get(table.range ?? '') ?? 'S');
      for (const index of table.indexes.values()) indexItem(index, table, id, next);
    } else table.items.delete(id);
    this.onChange?.(table.name, old, next);
  }
}

// ---- the actions by name ----

const ACTIONS: Record<string, { call(tables: Tables, input: Input): Input }> = Object.fromEntries(
  (
    [
      'CreateTable',
      'DescribeTable',
      'UpdateTable',
      'DeleteTable',
      'ListTables',
      'UpdateTimeToLive',
      'DescribeTimeToLive',
      'TagResource',
      'UntagResource',
      'ListTagsOfResource',
      'GetItem',
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'BatchGetItem',
      'BatchWriteItem',
      'Query',
      'Scan',
    ] as const
  ).map((action) => {
    const method = (action.charAt(0).toLowerCase() + action.slice(1)) as keyof Tables;
    return [
      action,
      { call: (tables: Tables, input: Input) => (tables[method] as (i: Input) => Input).call(tables, input) },
    ];
  }),
);

// ---- keys and partitions ----

function tableName(input: Input): string {
  const name = input.TableName;
  if (typeof name !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name))
    throw validation(
      `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+, Member must have length greater than or equal to 3`,
    );
  return name;
}

function attributeTypes(definitions: Input[] | undefined): Map<string, KeyType> {
  return new Map((definitions ?? []).map((d) => [d.AttributeName, d.AttributeType as KeyType]));
}

function keySchema(schema: Input[] | undefined, types: ReadonlyMap<string, KeyType>, of: string): KeySchema {
  const hash = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (!hash) throw validation(`1 validation error detected: ${of} has no HASH key`);
  for (const name of [hash, range].filter(Boolean) as string[])
    if (!types.has(name))
      throw validation(
        'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions',
      );
  return { hash, ...(range ? { range } : {}) };
}

function newIndex(definition: Input, types: ReadonlyMap<string, KeyType>): Index {
  return {
    name: definition.IndexName,
    ...keySchema(definition.KeySchema, types, `index ${definition.IndexName}`),
    projection: definition.Projection ?? { ProjectionType: 'ALL' },
    partitions: new Map(),
  };
}

function schemaOf(schema: KeySchema): Input[] {
  return [
    { AttributeName: schema.hash, KeyType: 'HASH' },
    ...(schema.range ? [{ AttributeName: schema.range, KeyType: 'RANGE' }] : []),
  ];
}

/** A key value's identity: equal values (1 and 1.0, say) give one id. */
function valueId(value: AttributeValue | undefined): string {
  if (!value) return '';
  if ('S' in value) return `S${value.S}`;
  if ('N' in value) return `N${normalNumber(value.N)}`;
  if ('B' in value) return `B${value.B}`;
  return JSON.stringify(value);
}

function normalNumber(n: string): string {
  // Enough for identity: the same number written two ways ("1.50", "1.5", "15E-1") gives one text.
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim());
  if (!match) return n;
  const [, sign, int = '', frac = '', exp = '0'] = match;
  const digits = `${int}${frac}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const point =
    int.replace(/^0+/, '').length - (int.replace(/^0+/, '') === '' ? frac.match(/^0*/)![0].length : 0) + Number(exp);
  return `${sign === '-' ? '-' : ''}${digits.replace(/0+$/, '')}e${point}`;
}

/** An item's whole key as one text, checked against the table's key schema. */
function keyId(table: Table, key: Input | undefined): string {
  if (!key || typeof key !== 'object') throw validation('The provided key element does not match the schema');
  const hash = keyPart(table, key, table.hash, 'hash');
  if (!table.range) return hash;
  return `${hash}\u0000${keyPart(table, key, table.range, 'range')}`;
}

function keyPart(table: Table, key: Input, name: string, kind: 'hash' | 'range'): string {
  const value = key[name] as AttributeValue | undefined;
  const type = table.types.get(name)!;
  if (!value || !(type in value)) throw validation('The provided key element does not match the schema');
  const raw = (value as Record<string, string>)[type]!;
  if (raw === '')
    throw validation(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
    );
  if (valueBytes(value) > MAX_KEY_BYTES[kind])
    throw validation(
      `One or more parameter values were invalid: Size of ${kind} key has exceeded the maximum size limit of ${MAX_KEY_BYTES[kind]} bytes`,
    );
  return valueId(value);
}

function checkItem(table: Table, item: Item): void {
  keyId(table, item);
  for (const index of table.indexes.values())
    for (const name of [index.hash, index.range].filter(Boolean) as string[]) {
      const value = item[name];
      const type = table.types.get(name);
      if (value && type && !(type in value))
        throw validation(
          `One or more parameter values were invalid: Type mismatch for Index Key ${name} Expected: ${type} Actual: ${Object.keys(value)[0]} IndexName: ${index.name}`,
        );
    }
  if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
}

function compareValues(a: AttributeValue | undefined, b: AttributeValue | undefined, type: KeyType): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  if (type === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (type === 'B') return compareBinary((a as { B: string }).B, (b as { B: string }).B);
  return compareStrings((a as { S: string }).S, (b as { S: string }).S);
}

function compareEntries(a: Entry, b: Entry, type: KeyType): number {
  return compareValues(a.sort, b.sort, type) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Puts an item in its partition, in sort order (binary search: partitions stay sorted as they grow). */
function link(
  partitions: Map<string, Entry[]>,
  hash: string,
  range: string | undefined,
  id: string,
  item: Item,
  type: KeyType,
): void {
  const pid = valueId(item[hash]);
  let list = partitions.get(pid);
  if (!list) partitions.set(pid, (list = []));
  const entry: Entry = { sort: range ? item[range] : undefined, id, item };
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEntries(list[mid]!, entry, type) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}

function unlinkFrom(partitions: Map<string, Entry[]>, pid: string, id: string): void {
  const list = partitions.get(pid);
  if (!list) return;
  const at = list.findIndex((e) => e.id === id);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) partitions.delete(pid);
}

function unlink(table: Table, id: string, old: Item): void {
  unlinkFrom(table.partitions, valueId(old[table.hash]), id);
  for (const index of table.indexes.values())
    if (old[index.hash] && (!index.range || old[index.range]))
      unlinkFrom(index.partitions, valueId(old[index.hash]), id);
}

/** An index holds the items that have its key attributes (a sparse index), projected. */
function indexItem(index: Index, table: Table, id: string, item: Item): void {
  if (!item[index.hash] || (index.range && !item[index.range])) return;
  link(
    index.partitions,
    index.hash,
    index.range,
    id,
    projectFor(index, table, item),
    table.types.get(index.range ?? '') ?? 'S',
  );
}

function projectFor(index: Index, table: Table, item: Item): Item {
  const kind = index.projection.ProjectionType;
  if (kind === 'ALL') return item;
  const keep = new Set([table.hash, table.range, index.hash, index.range].filter(Boolean) as string[]);
  if (kind === 'INCLUDE') for (const name of index.projection.NonKeyAttributes ?? []) keep.add(name);
  const out: Item = {};
  for (const name of keep) if (item[name] !== undefined) out[name] = item[name]!;
  return out;
}

function sortMatches(
  value: AttributeValue | undefined,
  sort: { op: string; values: AttributeValue[] },
  type: KeyType,
): boolean {
  if (!value) return false;
  const [a, b] = sort.values;
  const c = compareValues(value, a, type);
  switch (sort.op) {
    case '=':
      return c === 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case 'between':
      return c >= 0 && compareValues(value, b, type) <= 0;
    case 'begins_with': {
      const text = (value as Record<string, string>)[type] ?? '';
      const prefix = (a as Record<string, string>)[type] ?? '';
      return type === 'B'
        ? Buffer.from(text, 'base64')
            .subarray(0, Buffer.from(prefix, 'base64').length)
            .equals(Buffer.from(prefix, 'base64'))
        : text.startsWith(prefix);
    }
    default:
      return false;
  }
}

/** Where a page's ExclusiveStartKey puts the next page: after this entry. */
function startAfter(table: Table, index: Index | undefined, key: Input): Entry {
  const id = keyId(table, key);
  return {
    sort: index ? (index.range ? key[index.range] : undefined) : table.range ? key[table.range] : undefined,
    id,
    item: key,
  };
}

/** A page's LastEvaluatedKey: the table's key, and the index's with an index. */
function lastKey(table: Table, index: Index | undefined, item: Item): Item {
  const names = [table.hash, table.range, index?.hash, index?.range].filter(Boolean) as string[];
  return Object.fromEntries(names.filter((n) => item[n]).map((n) => [n, item[n]!]));
}

function segmentOf(pid: string, total: number): number {
  let hash = 0;
  for (let i = 0; i < pid.length; i++) hash = (hash * 31 + pid.charCodeAt(i)) >>> 0;
  return hash % total;
}

// ---- sizes, capacity, what a write returns ----

/** An attribute value's size as DynamoDB counts it (UTF-8 bytes for text, about half a byte a digit for numbers). */
function valueBytes(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S);
  if ('N' in value) return numberBytes(value.N);
  if ('B' in value) return Buffer.byteLength(value.B, 'base64');
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if ('NS' in value) return value.NS.reduce((n, s) => n + numberBytes(s), 0);
  if ('BS' in value) return value.BS.reduce((n, s) => n + Buffer.byteLength(s, 'base64'), 0);
  if ('L' in value) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if ('M' in value)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  return 0;
}

function numberBytes(n: string): number {
  const digits =
    n
      .replace(/[^0-9]/g, '')
      .replace(/^0+/, '')
      .replace(/0+$/, '').length || 1;
  return 1 + Math.ceil(digits / 2) + (n.startsWith('-') ? 1 : 0);
}

/** Sizes of stored items, which never change once stored (a write replaces an item): each is counted once. */
const sizes = new WeakMap<Item, number>();

function itemBytes(item: Item): number {
  let bytes = sizes.get(item);
  if (bytes === undefined) {
    bytes = 0;
    for (const name in item) bytes += Buffer.byteLength(name) + valueBytes(item[name]!);
    sizes.set(item, bytes);
  }
  return bytes;
}

/** Write units: a unit a KB of the larger of the item before and after, at least one (the table's, not its indexes'). */
function writeUnits(item: Item, old?: Item): number {
  return Math.max(1, Math.ceil(itemBytes(item) / 1024), old ? Math.ceil(itemBytes(old) / 1024) : 0);
}

function readUnits(item: Item | undefined, consistent: boolean | undefined): number {
  return Math.max(1, Math.ceil((item ? itemBytes(item) : 0) / 4096)) / (consistent ? 1 : 2);
}

function capacity(input: Input, table: Table, units: number): Input {
  const asked = input.ReturnConsumedCapacity;
  if (asked !== 'TOTAL' && asked !== 'INDEXES') return {};
  return {
    ConsumedCapacity: {
      TableName: table.name,
      CapacityUnits: units,
      ...(asked === 'INDEXES' ? { Table: { CapacityUnits: units } } : {}),
    },
  };
}

function consumedList(input: Input, entries: Input[]): Input {
  const asked = input.ReturnConsumedCapacity;
  return asked === 'TOTAL' || asked === 'INDEXES' ? { ConsumedCapacity: entries } : {};
}

/** What an update returns (ReturnValues); `updated` picks, of an item, the attributes its expression names. */
function returned(
  kind: string | undefined,
  old: Item | undefined,
  next: Item,
  updated: ((item: Item) => Item) | undefined,
): Input {
  const some = (item: Item | undefined) => (item && Object.keys(item).length > 0 ? { Attributes: item } : {});
  switch (kind) {
    case 'ALL_OLD':
      return some(old);
    case 'ALL_NEW':
      return some(next);
    case 'UPDATED_OLD':
      return some(old && updated?.(old));
    case 'UPDATED_NEW':
      return some(updated?.(next));
    default:
      return {};
  }
}

const EXPRESSIONS = [
  ['ConditionExpression', 'Condition', condition],
  ['UpdateExpression', 'Update', update],
  ['KeyConditionExpression', 'KeyCondition', keyCondition],
  ['FilterExpression', 'Filter', condition],
  ['ProjectionExpression', 'Projection', projection],
] as const;

/**
 * As DynamoDB, before anything runs: every placeholder an expression uses is given, and every one given is used (a
 * value given and never used is a request's mistake, refused, not ignored).
 */
function checkPlaceholders(input: Input): void {
  const names = new Set<string>();
  const values = new Set<string>();
  for (const [field, kind, compile] of EXPRESSIONS) {
    const text = input[field];
    if (typeof text !== 'string') continue;
    const compiled = expression(kind, () => compile(text));
    for (const name of compiled.names) {
      if (!input.ExpressionAttributeNames || !(name in input.ExpressionAttributeNames))
        throw validation(
          `Invalid ${kind}Expression: An expression attribute name used in the document path is not defined; attribute name: ${name}`,
        );
      names.add(name);
    }
    for (const value of 'values' in compiled ? compiled.values : []) {
      if (!input.ExpressionAttributeValues || !(value in input.ExpressionAttributeValues))
        throw validation(
          `Invalid ${kind}Expression: An expression attribute value used in expression is not defined; attribute value: ${value}`,
        );
      values.add(value);
    }
  }
  const unused = (given: Input | undefined, used: Set<string>) => Object.keys(given ?? {}).filter((k) => !used.has(k));
  const unusedNames = unused(input.ExpressionAttributeNames, names);
  if (unusedNames.length > 0)
    throw validation(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  const unusedValues = unused(input.ExpressionAttributeValues, values);
  if (unusedValues.length > 0)
    throw validation(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
}

/** Runs an expression's compile or evaluation; its error is DynamoDB's ValidationException for that kind. */
function expression<T>(kind: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    // A whole message is DynamoDB's as it stands (an update's operand of the wrong type, a refused key condition).
    if (error instanceof ExpressionError)
      throw validation(error.whole ? error.message : `Invalid ${kind}Expression: ${error.message}`);
    throw error;
  }
}

function placeholders(input: Input): Placeholders {
  return { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues };
}

function validationBody(message: string): Input {
  return { __type: 'com.amazon.coral.validate#ValidationException', message };
}
