/**
 * Counts AWS requests from the real SDK clients, by operation: logical calls (before retries) and HTTP
 * attempts (each retry included). The benchmarks and the demo read these; nothing here estimates.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware arguments and results, of every client and command
type Next = (args: any) => Promise<any>;
// Structural, so the meter needs no smithy types and fits every SDK v3 client.
interface MiddlewareClient {
  // biome-ignore lint/suspicious/noExplicitAny: every SDK v3 client's middleware stack, without its smithy types
  middlewareStack: { add(middleware: any, options: any): void };
}

export class RequestMeter {
  readonly calls = new Map<string, number>();
  readonly attempts = new Map<string, number>();
  /** DynamoDB capacity units the service reported (ReturnConsumedCapacity), by operation; only with `capacity`. */
  readonly capacityUnits = new Map<string, number>();
  /** Calls by who made them and operation (`caller DynamoDB.PutItem`); only with `caller`. */
  readonly byCaller = new Map<string, number>();
  /** DynamoDB write requests by the partition key they wrote (`table pk`); only with `keys`. */
  readonly writesByKey = new Map<string, number>();
  readonly #capacity: boolean;
  readonly #caller?: () => string | undefined;
  readonly #keys: boolean;

  /**
   * @param options.capacity ask DynamoDB for the capacity each request consumed (benchmarks; it adds nothing to the cost).
   * @param options.caller names who is making a request (e.g. the store method, from an AsyncLocalStorage): the
   *   benchmarks say which calls make up a figure, not only how many there are.
   * @param options.keys count DynamoDB writes by partition key: whether any item is shared across instances (a
   *   hot key) is measured, not assumed.
   */
  constructor(options: { capacity?: boolean; caller?: () => string | undefined; keys?: boolean } = {}) {
    this.#capacity = options.capacity ?? false;
    this.#caller = options.caller;
    this.#keys = options.keys ?? false;
  }

  attach(client: MiddlewareClient, service: string): void {
    const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
    if (this.#capacity && service === 'DynamoDB') {
      client.middlewareStack.add(
        (next: Next, context: { commandName?: string }) => async (args: { input?: Record<string, unknown> }) => {
          if (args.input && CAPACITY_REPORTING.test(context.commandName ?? ''))
            args.input.ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          const consumed = result?.output?.ConsumedCapacity;
          for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
            bump(this.capacityUnits, `${service}.${operation(context.commandName)}`, Number(entry.CapacityUnits ?? 0));
          }
          return result;
        },
        { step: 'initialize', name: 'batonCapacityMeter' },
      );
    }
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        bump(this.calls, `${service}.${operation(context.commandName)}`);
        if (this.#caller)
          bump(this.byCaller, `${this.#caller() ?? '(other)'} ${service}.${operation(context.commandName)}`);
        if (this.#keys && service === 'DynamoDB') {
          for (const key of writtenPartitions(operation(context.commandName), (args as { input?: WriteInput }).input))
            bump(this.writesByKey, key);
        }
        return next(args);
      },
      { step: 'initialize', name: 'batonCallMeter' },
    );
    // Runs inside the retry loop (finalizeRequest, after the retry middleware), so it sees every attempt.
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        bump(this.attempts, `${service}.${operation(context.commandName)}`);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'batonAttemptMeter' },
    );
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.calls.clear();
    this.attempts.clear();
    this.capacityUnits.clear();
    this.byCaller.clear();
    this.writesByKey.clear();
  }
}

interface WriteInput {
  readonly TableName?: string;
  readonly Key?: Record<string, unknown>;
  readonly Item?: Record<string, unknown>;
  readonly RequestItems?: Record<
    string,
    readonly { PutRequest?: { Item?: Record<string, unknown> }; DeleteRequest?: { Key?: Record<string, unknown> } }[]
  >;
}

/** The partitions (`table pk`) a write request writes: marshalled (`{ S: ... }`) or not, as the client passes it. */
function writtenPartitions(op: string, input: WriteInput | undefined): string[] {
  if (!input) return [];
  const pk = (item: Record<string, unknown> | undefined) => {
    const value = item?.pk as unknown;
    return typeof value === 'object' && value !== null && 'S' in value
      ? String((value as { S: unknown }).S)
      : String(value);
  };
  if (op === 'PutItem') return [`${input.TableName} ${pk(input.Item)}`];
  if (op === 'UpdateItem' || op === 'DeleteItem') return [`${input.TableName} ${pk(input.Key)}`];
  if (op === 'BatchWriteItem') {
    return Object.entries(input.RequestItems ?? {}).flatMap(([table, requests]) =>
      requests.map((r) => `${table} ${pk(r.PutRequest?.Item ?? r.DeleteRequest?.Key)}`),
    );
  }
  return [];
}

function operation(commandName: string | undefined): string {
  return (commandName ?? 'Unknown').replace(/Command$/, '');
}

const CAPACITY_REPORTING = /^(GetItem|PutItem|UpdateItem|DeleteItem|Query|BatchGetItem|BatchWriteItem)Command$/;

/** Operations that write to DynamoDB (each conditional write is one request). */
export const DYNAMODB_WRITES = [
  'DynamoDB.PutItem',
  'DynamoDB.UpdateItem',
  'DynamoDB.DeleteItem',
  'DynamoDB.BatchWriteItem',
  'DynamoDB.TransactWriteItems',
];
