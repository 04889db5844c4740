import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TimerScheduler } from '../core/ports.ts';

/**
 * Durable timers on a Step Functions Standard state machine (Wait until a timestamp, then SendMessage of the
 * work item to the work queue, no Lambda in between; see infra/constructs/DurableTimers.ts). The execution
 * name derives from the timer id: Step Functions refuses a second execution of the same name, so a retried start
 * cannot make the timer fire twice.
 */
export class StepFunctionsTimerScheduler implements TimerScheduler {
  readonly #client: SFNClient;
  readonly #stateMachineArn: string;

  constructor(client: SFNClient, stateMachineArn: string) {
    this.#client = client;
    this.#stateMachineArn = stateMachineArn;
  }

  async schedule(timer: { instanceId: string; timerId: string; dueAt: number; trace?: string }): Promise<void> {
    try {
      await this.#client.send(
        new StartExecutionCommand({
          stateMachineArn: this.#stateMachineArn,
          name: executionName(timer.timerId),
          input: JSON.stringify({
            instanceId: timer.instanceId,
            dueAt: new Date(timer.dueAt).toISOString(),
            ...(timer.trace ? { trace: timer.trace } : {}),
          }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}

/**
 * Execution names allow 80 characters of [A-Za-z0-9-_]. A timer id is longer for a branch instance
 * (`<instance>~<fork>~<branch>-<dueAt>`), and ids that share their first 80 characters must not share a name:
 * a readable head, then a hash of the whole id.
 */
export function executionName(timerId: string): string {
  const hash = createHash('sha256').update(timerId).digest('hex').slice(0, 32);
  return `${timerId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 47)}-${hash}`;
}
