/**
 * Counts AWS requests from the real SDK clients, by operation: logical calls (before retries) and HTTP
 * attempts (each retry included). The benchmarks and the demo read these; nothing here estimates.
 */
type Next = (args: any) => Promise<any>;
// Structural, so the meter needs no smithy types and fits every SDK v3 client.
interface MiddlewareClient {
  middlewareStack: { add(middleware: any, options: any): void };
}

export class RequestMeter {
  readonly calls = new Map<string, number>();
  readonly attempts = new Map<string, number>();

  attach(client: MiddlewareClient, service: string): void {
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        bump(this.calls, `${service}.${operation(context.commandName)}`);
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
  }
}

function operation(commandName: string | undefined): string {
  return (commandName ?? 'Unknown').replace(/Command$/, '');
}

/** Operations that write to DynamoDB (each conditional write is one request). */
export const DYNAMODB_WRITES = ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem', 'DynamoDB.BatchWriteItem', 'DynamoDB.TransactWriteItems'];
