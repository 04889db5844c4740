/**
 * Fault injection for chaos runs: sits between a host instance and the store and queues (a middleware of the
 * real SDK clients, inside their retry loop, so each attempt is a fresh draw) and makes some requests fail the
 * way AWS does: throttled, a 5xx, slow, or cut after the service applied a write (the ambiguous case: the
 * host sees a network error for a write that happened). The poller asks it too whether to lose a delete,
 * which makes SQS deliver that message again (a duplicate delivery). Off unless a rate is given.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

type Next = (args: unknown) => Promise<unknown>;
interface MiddlewareClient {
  middlewareStack: { add(middleware: unknown, options: unknown): void };
}

export const FAULT_KINDS = ['throttled', 'serverError', 'slow', 'cutAfterWrite', 'lostDelete', 'outage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Operations that change something: only these can be cut after they were applied. */
const WRITES =
  /^(PutItem|UpdateItem|DeleteItem|SendMessage|SendMessageBatch|DeleteMessageBatch|ChangeMessageVisibilityBatch|StartExecution)Command$/;

export class FaultInjector {
  readonly counts: Record<FaultKind, number> = {
    throttled: 0,
    serverError: 0,
    slow: 0,
    cutAfterWrite: 0,
    lostDelete: 0,
    outage: 0,
  };
  readonly #rate: number;
  readonly #random: () => number;
  readonly #outages: OutageSwitch | undefined;

  constructor(rate: number, random: () => number = Math.random, outages?: OutageSwitch) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate must be between 0 and 1 (got ${rate})`);
    this.#rate = rate;
    this.#random = random;
    this.#outages = outages;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  attach(client: MiddlewareClient, service: string): void {
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        if (this.#outages?.isDown(service)) {
          // The whole service is unreachable: every attempt fails until the outage ends.
          this.counts.outage++;
          throw sdkError(
            'ServiceUnavailable',
            503,
            `injected outage of ${service} (${(context.commandName ?? '').replace(/Command$/, '')})`,
          );
        }
        const draw = this.#random();
        if (draw >= this.#rate) return next(args);
        const share = draw / this.#rate;
        const operation = `${service}.${(context.commandName ?? '').replace(/Command$/, '')}`;
        if (share < 0.3) {
          this.counts.throttled++;
          throw sdkError(
            service === 'DynamoDB' ? 'ProvisionedThroughputExceededException' : 'ThrottlingException',
            400,
            `injected throttling on ${operation}`,
            { throttling: true },
          );
        }
        if (share < 0.5) {
          this.counts.serverError++;
          throw sdkError('InternalServerError', 500, `injected 5xx on ${operation}`);
        }
        if (share < 0.75 || !WRITES.test(context.commandName ?? '')) {
          this.counts.slow++;
          await new Promise((resolve) => setTimeout(resolve, 50 + this.#random() * 450));
          return next(args);
        }
        // Applied, then the connection drops before the reply: the caller cannot tell whether it happened.
        await next(args);
        this.counts.cutAfterWrite++;
        throw Object.assign(new Error(`injected: connection reset after ${operation} was applied`), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      },
      // Inside the retry loop, like the attempt meter: the SDK retries what AWS's retry policy would.
      { step: 'finalizeRequest', priority: 'low', name: 'batonFaults' },
    );
  }

  /** Whether the poller should lose this delete (the message then comes back: a duplicate delivery). */
  loseDelete(): boolean {
    if (this.#random() >= this.#rate) return false;
    this.counts.lostDelete++;
    return true;
  }
}

function sdkError(name: string, status: number, message: string, retryable?: { throttling: boolean }): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...(retryable ? { $retryable: retryable } : {}),
  });
}

/**
 * Outages shared by every host instance of a chaos run: the run writes `{ "service": "DynamoDB" | "SQS", "until":
 * epoch ms }` to a file, and each host instance's requests to that service fail until then. A file, because the
 * host instances are separate processes; it is read at most every 100 ms.
 */
export class OutageSwitch {
  readonly #file: string;
  #checkedAt = 0;
  #current: { service: string; until: number } | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  isDown(service: string): boolean {
    const now = Date.now();
    if (now - this.#checkedAt > 100) {
      this.#checkedAt = now;
      try {
        this.#current = JSON.parse(readFileSync(this.#file, 'utf8')) as { service: string; until: number };
      } catch {
        this.#current = undefined; // no outage announced (or the file is being replaced)
      }
    }
    return this.#current !== undefined && this.#current.service === service && now < this.#current.until;
  }

  /** Announces an outage of `service` for `ms` from now (the chaos run's side). */
  static announce(file: string, service: 'DynamoDB' | 'SQS', ms: number): void {
    writeFileSync(`${file}.tmp`, JSON.stringify({ service, until: Date.now() + ms }));
    renameSync(`${file}.tmp`, file);
  }
}

/** The injector a host instance reads from its environment (BATON_FAULT_RATE, BATON_OUTAGE_FILE), if any. */
export function faultsFromEnv(env: NodeJS.ProcessEnv): FaultInjector | undefined {
  const rate = Number(env.BATON_FAULT_RATE ?? 0);
  const outages = env.BATON_OUTAGE_FILE ? new OutageSwitch(env.BATON_OUTAGE_FILE) : undefined;
  return rate > 0 || outages ? new FaultInjector(rate, Math.random, outages) : undefined;
}
