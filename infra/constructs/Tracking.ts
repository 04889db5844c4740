import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HISTORY, TRACKING_FAILURES } from '../../functions/settings.ts';
import { DurableQueue } from './DurableQueue.ts';
import { HostFunction, type HostFunctionProps } from './HostFunction.ts';
import type { MessageBox } from './MessageBox.ts';

/** What the tracking function reads and how it is built. */
export interface TrackingProps {
  /** The MessageBox whose stream it reads. */
  readonly messageBox: MessageBox;
  /** How the tracking function is bundled (its entry and project). */
  readonly code: Omit<HostFunctionProps, 'environment'> & { environment?: Record<string, string> };
  /** How long history is kept. @defaultValue 30 days */
  readonly retention?: Duration;
  /** Keep the history table when the stack goes away. @defaultValue true */
  readonly retain?: boolean;
}

/**
 * Tracking, off the hot path: the MessageBox's stream (new and old images) feeds the tracking function, which
 * writes each instance's history and the message-flow links to a table of their own (functions/core/tracking.ts).
 * No step writes or reads anything for it. A record that keeps failing goes, after its retries, to the failures
 * queue (the stream's own DLQ: it holds where the record was, to replay by hand), and alarms say so.
 */
export class Tracking extends Construct {
  /** The history table: what each change meant, by subject, and the links a message flow follows. */
  readonly table: TableV2;
  /** The tracking function, on the MessageBox's stream. */
  readonly function: HostFunction;
  /** Where a stream record the function could not track goes after its retries (its position in the stream). */
  readonly failures: Queue;
  /** Its alarms: stream records it could not track, and its errors. */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: TrackingProps) {
    super(scope, id);
    const retain = props.retain ?? true;
    const retention = props.retention ?? Duration.days(HISTORY.defaultRetentionDays);
    this.table = new TableV2(this, 'History', {
      partitionKey: { name: HISTORY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: HISTORY.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: HISTORY.ttlAttribute,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // A queue like the others (encrypted, TLS-only, with a DLQ of its own for whatever later reads it and fails).
    this.failures = new DurableQueue(this, 'Failures', TRACKING_FAILURES).queue;
    this.function = new HostFunction(this, 'Function', {
      ...props.code,
      timeoutSeconds: 60,
      environment: {
        ...props.code.environment,
        BATON_HISTORY_TABLE_NAME: this.table.tableName,
        BATON_HISTORY_RETENTION_DAYS: String(retention.toDays({ integral: false })),
      },
    });
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.function.fn.addEventSource(
      new DynamoEventSource(props.messageBox.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        reportBatchItemFailures: true,
        retryAttempts: 5,
        // Records older than the stream keeps (24 h) cannot be read anyway; say so through the failures queue.
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.failures),
        parallelizationFactor: 1,
      }),
    );

    this.alarms.push(
      new Alarm(this, 'Behind', {
        alarmDescription:
          'Tracking lags the MessageBox by more than 5 minutes: history and the console are behind (the engine is not affected).',
        metric: this.function.fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: Duration.minutes(5).toMilliseconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms.push(
      new Alarm(this, 'Errors', {
        alarmDescription:
          'The tracking function fails: MessageBox changes are retried and, past their retries, their positions go to the failures queue.',
        metric: this.function.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms.push(
      new Alarm(this, 'FailuresNotEmpty', {
        alarmDescription:
          'MessageBox changes could not be tracked: their history is missing. The queue holds their stream positions.',
        metric: this.failures.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Lets an operator's tools (console, CLI) read history. */
  grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:GetItem'], resources: [this.table.tableArn] }),
    );
  }
}
