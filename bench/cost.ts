import { PRICES, PRICES_AS_OF } from './prices.ts';

/** What one orchestration of the bench's sample used, measured on the real clients in one run. */
export interface MeasuredUse {
  /** DynamoDB capacity units the service reported, by operation (e.g. `DynamoDB.UpdateItem`). */
  readonly capacityUnits: Readonly<Record<string, number>>;
  /** DynamoDB write requests to instance items (each may also write the sparse status index). */
  readonly writeRequests: number;
  /** SQS requests of every kind (sends, receives by the event source, deletes, visibility changes). */
  readonly sqsRequests: number;
  /** Lambda invocations: batches handed to the receive and processing hosts. */
  readonly invocations: number;
  /** Handler time, in seconds (measured here, on a laptop-class machine against an emulator). */
  readonly handlerSeconds: number;
  /** DynamoDB index write units, from each change's images (bench/write-units.ts): the emulator does not report them. */
  readonly indexWriteUnits: number;
  /** Persistence points, and shapes run (what a state machine would count as state transitions). */
  readonly persistencePoints: number;
  readonly shapes: number;
}

export interface CostLine {
  readonly option: string;
  readonly perMillionOrchestrations: number;
  readonly perMillionPersistedSteps?: number;
  readonly basis: string;
}

const LAMBDA_MEMORY_GB = 0.5;

/**
 * Cost per million orchestrations of the same sample: Baton (from what was measured), and the services a
 * user would otherwise pick, priced on the same count of steps. List prices of PRICES_AS_OF, no free tier.
 */
export function compareCosts(use: MeasuredUse): CostLine[] {
  const units = (prefix: RegExp) =>
    Object.entries(use.capacityUnits)
      .filter(([op]) => prefix.test(op))
      .reduce((n, [, u]) => n + u, 0);
  const writeUnits = units(/\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/) + use.indexWriteUnits;
  const readUnits = units(/\.(GetItem|Query|BatchGetItem)$/);
  const baton =
    writeUnits * PRICES.dynamoWriteUnit +
    readUnits * PRICES.dynamoReadUnit +
    use.sqsRequests * PRICES.sqsRequest +
    use.invocations * PRICES.lambdaRequest +
    use.handlerSeconds * LAMBDA_MEMORY_GB * PRICES.lambdaArmGbSecond;
  const million = 1e6;
  // Each shape is at least one state transition in an equivalent Standard workflow (Task, Choice, Parallel, Wait...).
  const standard = use.shapes * PRICES.sfnStandardTransition;
  // Express: one request; duration at its 64 MB minimum for the time the hosts took. It cannot wait 48 h for an approval.
  const express = PRICES.sfnExpressRequest + Math.max(0.1, use.handlerSeconds) * 0.0625 * PRICES.sfnExpressGbSecond;
  // Durable functions: one durable operation per persisted step, plus its Lambda invocations and time as Baton's.
  const durable =
    use.persistencePoints * PRICES.lambdaDurableOperation +
    use.invocations * PRICES.lambdaRequest +
    use.handlerSeconds * LAMBDA_MEMORY_GB * PRICES.lambdaArmGbSecond;
  const perStep = (perOrchestration: number) => (perOrchestration / use.persistencePoints) * million;
  return [
    {
      option: 'Baton (DynamoDB on-demand + SQS + Lambda arm64 512 MB)',
      perMillionOrchestrations: baton * million,
      perMillionPersistedSteps: perStep(baton),
      basis: `measured: ${round(writeUnits)} write units (table, reported by the store, + indexes, from each change), ${round(readUnits)} read units, ${round(use.sqsRequests)} SQS requests, ${round(use.invocations)} invocations, ${round(use.handlerSeconds * 1000)} ms of handler time per orchestration`,
    },
    {
      option: 'Step Functions Standard',
      perMillionOrchestrations: standard * million,
      perMillionPersistedSteps: perStep(standard),
      basis: `${round(use.shapes)} state transitions per orchestration (one per shape run), tasks' Lambda not counted`,
    },
    {
      option: 'Step Functions Express',
      perMillionOrchestrations: express * million,
      basis:
        'one request + duration at 64 MB; cannot hold an order 48 h for approval (5-minute limit), so only the plain path fits',
    },
    {
      option: 'Lambda durable functions',
      perMillionOrchestrations: durable * million,
      perMillionPersistedSteps: perStep(durable),
      basis: `${round(use.persistencePoints)} durable operations per orchestration (one per persisted step) + the same invocations and time; data written/retained not counted`,
    },
  ].map((line) => ({
    ...line,
    perMillionOrchestrations: round(line.perMillionOrchestrations),
    ...(line.perMillionPersistedSteps === undefined
      ? {}
      : { perMillionPersistedSteps: round(line.perMillionPersistedSteps) }),
  }));
}

export const COST_NOTE = `AWS list prices, US East (N. Virginia), on-demand, no free tier, as of ${PRICES_AS_OF}`;

const round = (n: number) => Number(n.toFixed(n < 10 ? 3 : 2));
