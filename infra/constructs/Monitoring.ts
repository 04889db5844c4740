import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What {@link Monitoring} watches. */
export interface MonitoringProps {
  /** Queues users and hosts depend on, by name. */
  readonly queues: Record<string, { queue: IQueue; deadLetterQueue: IQueue }>;
  /** Functions whose errors and p99 duration the dashboard shows, by name. */
  readonly functions: Record<string, IFunction>;
  /** Namespace the sweeper publishes MessageBox counts to. */
  readonly namespace: string;
  /** Alarm when the oldest message of a queue waits longer than this. @defaultValue 5 minutes */
  readonly maxMessageAge?: Duration;
}

/** Alarms a Baton operator wants (DLQ not empty, queue backlog aging, suspended instances) and a dashboard. */
export class Monitoring extends Construct {
  /** The alarms, to add actions to (an SNS topic, say). */
  readonly alarms: Alarm[] = [];
  /** The dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const maxAge = props.maxMessageAge ?? Duration.minutes(5);
    const depthWidgets: GraphWidget[] = [];
    for (const [name, { queue, deadLetterQueue }] of Object.entries(props.queues)) {
      this.alarms.push(
        new Alarm(this, `${name}DlqNotEmpty`, {
          alarmDescription: `Messages reached the ${name} DLQ: they failed past their retries and need a look.`,
          metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      this.alarms.push(
        new Alarm(this, `${name}OldestMessage`, {
          alarmDescription: `The oldest message on the ${name} queue waits longer than ${maxAge.toHumanString()}: the hosts are not keeping up or not consuming.`,
          metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold: maxAge.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      depthWidgets.push(
        new GraphWidget({
          title: `${name} queue`,
          left: [
            queue.metricApproximateNumberOfMessagesVisible(),
            deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ' }),
          ],
          right: [queue.metricApproximateAgeOfOldestMessage()],
        }),
      );
    }
    const messageBox = (metricName: string) =>
      new Metric({
        namespace: props.namespace,
        metricName,
        dimensionsMap: { service: 'baton' },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
    this.alarms.push(
      new Alarm(this, 'SuspendedInstances', {
        alarmDescription:
          'Instances or messages are suspended in the MessageBox (npm run baton -- suspended lists them locally; the status index holds them in AWS).',
        metric: messageBox('SuspendedInstances'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        depthWidgets,
        [
          new GraphWidget({
            title: 'MessageBox',
            left: ['SuspendedInstances', 'SuspendedMessages', 'RequeuedInstances'].map(messageBox),
          }),
          new GraphWidget({
            title: 'Host errors',
            left: Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ label: name })),
          }),
          new GraphWidget({
            title: 'Host duration (p99)',
            left: Object.entries(props.functions).map(([name, fn]) =>
              fn.metricDuration({ label: name, statistic: 'p99' }),
            ),
          }),
        ],
      ],
    });
  }
}
