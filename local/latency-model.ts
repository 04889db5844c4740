/**
 * A store-latency model for benchmarks: every DynamoDB and SQS request a host instance makes first waits a latency
 * drawn from its service's distribution, on the client side, as a network round trip to AWS would. On one small
 * machine the emulator answers in about a millisecond when idle and runs out of CPU under load; with the model the
 * host instances wait on the store and the queues as they would on AWS, with far less load on the emulator. Its own
 * time still comes on top, so the hook measures it too (and the bench reports it, with the emulator's CPU share).
 * Off unless `BATON_LATENCY_MODEL` is set.
 */
import type { ClientHook } from '../functions/adapters/aws-clients.ts';

type Next = (args: unknown) => Promise<unknown>;

/** A log-normal distribution given by its median and 99th percentile, in ms. */
export interface LogNormalLatency {
  readonly medianMs: number;
  readonly p99Ms: number;
}

export interface LatencySpec {
  /** Seeds each host instance's draws (mixed with its name), so two runs draw the same latencies. */
  readonly seed: number;
  /** By the service name the clients are attached with (`DynamoDB`, `SQS`); other services are not delayed. */
  readonly services: Readonly<Record<string, LogNormalLatency>>;
}

export interface OperationLatency {
  requests: number;
  /** What the model made them wait, in all. */
  modelledMs: number;
  /** From the end of that wait to the answer, in all: the emulator's own time (and a long poll's wait for messages). */
  servedMs: number;
  /** Answers that carried nothing: long polls that returned no message. */
  empty: number;
}

/** The variable that carries a `LatencySpec`, as JSON, from the cluster to its host instances. */
export const LATENCY_MODEL_VARIABLE = 'BATON_LATENCY_MODEL';

/**
 * Published figures behind the model. AWS publishes no percentiles per DynamoDB operation, and no SQS request
 * latency beyond a worked example, so the distributions are chosen to agree with what is published:
 * - DynamoDB, median 4 ms and p99 9 ms (mean 4.3 ms): within AWS's "single-digit millisecond" latency.
 * - SQS, median 16 ms and p99 100 ms (mean 21.8 ms): AWS's example client "averages 20 ms" a request; a third-party
 *   measurement of SQS delivery to Lambda (send to the consumer's receipt, a standard queue) gave p50 16.2 ms and
 *   p99 105 ms. Every SQS request takes it, long polls included (before the poll is sent).
 */
export const PUBLISHED_LATENCY: LatencySpec = {
  seed: 12,
  services: {
    DynamoDB: { medianMs: 4, p99Ms: 9 },
    SQS: { medianMs: 16, p99Ms: 100 },
  },
};

/** What the distributions rest on, as the bench states it. */
export const PUBLISHED_LATENCY_SOURCES = {
  DynamoDB: {
    basis:
      'AWS publishes no percentiles per operation: median 4 ms and p99 9 ms (mean 4.3 ms) are chosen within its "single-digit millisecond"',
    sources: [
      {
        says: 'on-demand tables "deliver the same single-digit millisecond latency ... as provisioned mode"',
        url: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html',
      },
    ],
  },
  SQS: {
    basis:
      "median 16 ms and p99 100 ms (mean 21.8 ms): the third-party median and p99, with a mean close to AWS's example",
    sources: [
      {
        says: 'AWS\'s example: "if the latency from an Amazon EC2-based client to Amazon SQS in the same region averages 20 ms"',
        url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-throughput-horizontal-scaling-and-batching.html',
      },
      {
        says: "third-party, eu-west-1, September 2022, 1,024 messages: a standard queue's delivery from a producer Lambda to a consumer Lambda (event source mapping), p50 16.2 ms, p99 105 ms",
        url: 'https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/',
      },
    ],
  },
} as const;

/** The 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/**
 * The client hook: sleeps a drawn latency before each attempt of a request (inside the SDK's retry loop, as each
 * attempt is a round trip), and sums by operation what it slept and how long the service took after.
 */
export class LatencyModel implements ClientHook {
  readonly spec: LatencySpec;
  /**
   * By operation (`SQS.ReceiveMessage`). */
  readonly delayed: Record<string, OperationLatency> = {};
  readonly #random: () => number;

  constructor(spec: LatencySpec, stream = '') {
    for (const [service, latency] of Object.entries(spec.services)) {
      if (!(latency.medianMs > 0 && latency.p99Ms >= latency.medianMs))
        throw new Error(`latency model: ${service} needs 0 < medianMs ≤ p99Ms (got ${JSON.stringify(latency)})`);
    }
    this.spec = spec;
    this.#random = mulberry32(spec.seed ^ fnv1a(stream));
  }

  /** One draw of `service`'s latency in ms (0 for a service the model leaves alone). */
  draw(service: string): number {
    const latency = this.spec.services[service];
    if (!latency) return 0;
    const sigma = Math.log(latency.p99Ms / latency.medianMs) / Z99;
    return latency.medianMs * Math.exp(sigma * this.#normal());
  }

  attach(client: Parameters<ClientHook['attach']>[0], service: string): void {
    if (!this.spec.services[service]) return;
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        const totals = (this.delayed[operation] ??= { requests: 0, modelledMs: 0, servedMs: 0, empty: 0 });
        const ms = Math.round(this.draw(service));
        totals.requests++;
        totals.modelledMs += ms;
        if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
        const sent = performance.now();
        try {
          const result = (await next(args)) as { output?: { Messages?: unknown[] } };
          if (operation === 'SQS.ReceiveMessage' && !result.output?.Messages?.length) totals.empty++;
          return result;
        } finally {
          totals.servedMs += performance.now() - sent;
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'batonLatencyModel' },
    );
  }

  /** A standard normal draw (Box–Muller). */
  #normal(): number {
    const u = 1 - this.#random(); // (0, 1]: the log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#random());
  }
}

/** The model a host instance reads from its environment (`BATON_LATENCY_MODEL`), drawing its own stream by its name. */
export function latencyModelFromEnv(env: NodeJS.ProcessEnv): LatencyModel | undefined {
  const json = env[LATENCY_MODEL_VARIABLE];
  if (!json) return undefined;
  // The host's name without its restart count: a restarted host instance draws the same stream again.
  return new LatencyModel(JSON.parse(json) as LatencySpec, (env.BATON_HOST_ID ?? '').replace(/#\d+$/, ''));
}

/** A small seeded PRNG (mulberry32): runs with the same seed draw the same latencies. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
