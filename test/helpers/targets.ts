import { spawnSync } from 'node:child_process';
import { startEmbeddedStack } from '../../local/embedded-stack.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';

/** Where an integration suite runs: the embedded stack, DynamoDB Local behind it, or an external endpoint. */
export interface Target {
  readonly name: string;
  /** Why the suite is skipped here, or undefined when it runs. */
  readonly skip?: string;
  /**
   * What this target's DynamoDB does not do that AWS does, and so what a suite does not expect of it here: a refused
   * write's item (ReturnValuesOnConditionCheckFailure), which OwnershipLost reports as what it collided with.
   */
  readonly returnsNoCollision?: string;
  /** Starts what the target needs; `endpoint` answers DynamoDB and SQS. */
  start(): Promise<{ endpoint?: string; dynamodbEndpoint?: string; stop(): Promise<void> }>;
}

const javaWorks = spawnSync('java', ['-version']).status === 0;
const external = process.env.AWS_ENDPOINT_URL;

export const targets: Target[] = [
  {
    name: 'the embedded stack (its tables + fauxqs)',
    start: async () => ({ stop: async () => {} }),
  },
  {
    name: 'DynamoDB Local (Java) + fauxqs',
    // CI sets BATON_REQUIRE_DYNAMODB_LOCAL so a missing Java fails the run instead of skipping it.
    skip:
      javaWorks || process.env.BATON_REQUIRE_DYNAMODB_LOCAL
        ? undefined
        : 'Java 17+ is not on PATH (DynamoDB Local needs it)',
    start: async () => {
      const local = await startDynamoDbLocal();
      return { dynamodbEndpoint: local.endpoint, stop: local.stop };
    },
  },
  {
    name: `an external endpoint (${external ?? 'none'})`,
    skip: external ? undefined : 'AWS_ENDPOINT_URL is not set (point it at LocalStack to run this suite there)',
    start: async () => ({ endpoint: external, stop: async () => {} }),
  },
];

/** A bare stack for store-level tests: one endpoint for DynamoDB (and SQS). */
export async function startTargetEndpoint(target: Target): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const started = await target.start();
  if (started.endpoint) return { endpoint: started.endpoint, stop: started.stop };
  const stack = await startEmbeddedStack({ port: 0, dynamodbEndpoint: started.dynamodbEndpoint });
  return {
    endpoint: stack.endpoint,
    stop: async () => {
      await stack.stop();
      await started.stop();
    },
  };
}

export function announceSkip(target: Target): void {
  if (target.skip) console.warn(`[skipped] suites on ${target.name}: ${target.skip}`);
}
