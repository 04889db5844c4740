import { describe, expect, it } from 'vitest';
import { type StartExecutionCommand, ExecutionAlreadyExists, type SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsTimerScheduler } from '../../functions/adapters/StepFunctionsTimerScheduler.ts';

/** A Step Functions client that keeps execution names as the service does: a second start of a name is refused. */
function fakeSfn() {
  const names = new Set<string>();
  const inputs: unknown[] = [];
  const client = {
    async send(command: StartExecutionCommand) {
      const name = command.input.name!;
      inputs.push(JSON.parse(command.input.input!));
      if (name.length > 80 || !/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid execution name ${name}`);
      if (names.has(name)) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
      names.add(name);
      return {};
    },
  };
  return { client: client as unknown as SFNClient, names, inputs };
}

describe('StepFunctionsTimerScheduler', () => {
  it('starts one execution per timer, even for two long timers of one branch instance', async () => {
    const { client, names } = fakeSfn();
    const scheduler = new StepFunctionsTimerScheduler(
      client,
      'arn:aws:states:us-east-1:000000000000:stateMachine:timers',
    );
    const branch = `${'0123abcd-'.repeat(4)}0123abcd~12~reservation-with-a-long-name`;
    await scheduler.schedule({ instanceId: branch, timerId: `${branch}-1795000000000`, dueAt: 1_795_000_000_000 });
    await scheduler.schedule({ instanceId: branch, timerId: `${branch}-1795000900000`, dueAt: 1_795_000_900_000 });
    expect(names.size).toBe(2);
    // A retried start of the same timer is the same execution: it does not fire twice.
    await scheduler.schedule({ instanceId: branch, timerId: `${branch}-1795000000000`, dueAt: 1_795_000_000_000 });
    expect(names.size).toBe(2);
  });

  it("gives the execution the instance's trace context, and no trace key without one (the state machine chooses by its presence)", async () => {
    const { client, inputs } = fakeSfn();
    const scheduler = new StepFunctionsTimerScheduler(
      client,
      'arn:aws:states:us-east-1:000000000000:stateMachine:timers',
    );
    const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await scheduler.schedule({ instanceId: 'a', timerId: 'a-1795000000000', dueAt: 1_795_000_000_000, trace });
    await scheduler.schedule({ instanceId: 'b', timerId: 'b-1795000000000', dueAt: 1_795_000_000_000 });
    expect(inputs).toEqual([
      { instanceId: 'a', dueAt: new Date(1_795_000_000_000).toISOString(), trace },
      { instanceId: 'b', dueAt: new Date(1_795_000_000_000).toISOString() },
    ]);
  });
});
