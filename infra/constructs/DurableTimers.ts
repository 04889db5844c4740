import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { SqsSendMessage } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * Durable timers longer than SQS's 15-minute delay: a Standard state machine that waits until the timer's
 * timestamp, then puts the instance's work item on the work queue through the SQS service integration
 * (no Lambda). Executions are named after the timer, so a retried start cannot fire twice.
 * Input: `{ "instanceId": "...", "dueAt": "2026-11-26T10:00:00Z", "trace": "00-…" }`. The instance's trace context
 * goes in the work item's body, which the CDK's SqsSendMessage task writes (it has no message attributes; the
 * processing host reads either, the attribute first); an input without one (a host of an earlier version starting
 * it) sends the work item without.
 */
export class DurableTimers extends Construct {
  /** The timer state machine: one execution per timer. */
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: { workQueue: IQueue }) {
    super(scope, id);
    const waitUntilDue = new Wait(this, 'WaitUntilDue', { time: WaitTime.timestampPath('$.dueAt') });
    const enqueueWorkItem = new SqsSendMessage(this, 'EnqueueWorkItem', {
      queue: props.workQueue,
      messageBody: TaskInput.fromObject({ instanceId: JsonPath.stringAt('$.instanceId'), reason: 'timer' }),
    });
    // A path that is not in the input fails the execution: the trace is taken only where there is one.
    const enqueueTracedWorkItem = new SqsSendMessage(this, 'EnqueueTracedWorkItem', {
      queue: props.workQueue,
      messageBody: TaskInput.fromObject({
        instanceId: JsonPath.stringAt('$.instanceId'),
        reason: 'timer',
        trace: JsonPath.stringAt('$.trace'),
      }),
    });
    const traced = new Choice(this, 'Traced')
      .when(Condition.isPresent('$.trace'), enqueueTracedWorkItem)
      .otherwise(enqueueWorkItem);
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(waitUntilDue.next(traced)),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
      },
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and Step Functions log delivery (logs:*LogDelivery*, DescribeResourcePolicies, DescribeLogGroups) accept no resource scoping; cdk-nag itself requires both (SF1, SF2).',
    });
  }

  /** Lets `grantee` (a host's role) start timers. */
  grantStart(grantee: IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }
}
