/**
 * Counts a host instance's conditional writes that lost (`ConditionalCheckFailedException`), by operation. Between
 * host instances a lost write is a conflict (two runs of one instance raced for its commit) or a duplicate (an
 * instance or a delivery that already exists); the cluster sums the counts over its host instances.
 */
import type { ClientHook } from '../functions/adapters/aws-clients.ts';

type Next = (args: unknown) => Promise<unknown>;

export class LostWriteCounter implements ClientHook {
  /** By operation, e.g. `DynamoDB.UpdateItem`. */
  readonly counts: Record<string, number> = {};

  attach(client: Parameters<ClientHook['attach']>[0], service: string): void {
    if (service !== 'DynamoDB') return;
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        try {
          return await next(args);
        } catch (error) {
          // The SDK does not retry a failed condition, so each one seen here is one write that lost.
          if ((error as Error)?.name === 'ConditionalCheckFailedException') {
            const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
            this.counts[operation] = (this.counts[operation] ?? 0) + 1;
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'batonLostWrites' },
    );
  }
}
