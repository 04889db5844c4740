import { beforeAll, describe, expect, it } from 'vitest';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BatonStack } from '../../sample/BatonStack.ts';
import { EVENT_SOURCE, HISTORY, MESSAGEBOX, QUEUES, STACK_OUTPUTS } from '../../functions/settings.ts';
import { historyTableDefinition, queueAttributes, tableDefinition } from '../../local/provision.ts';

let template: Template;
let assemblyDir: string;

beforeAll(() => {
  const app = new App();
  const stack = new BatonStack(app, 'Baton');
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
});

describe('BatonStack', () => {
  it('keeps the logical ids a stack had before the Baton construct, so an upgrade replaces nothing', () => {
    // The ids CloudFormation knows a deployed stack's table, queues and timers by (construct path, no "Baton").
    const ids = Object.keys(template.toJSON().Resources);
    for (const prefix of [
      'MessageBoxTable',
      'ReceiveQueue',
      'WorkQueue',
      'SendQueue',
      'DurableTimersStateMachine',
      'ProcessingHostRegionalFunction',
      'SweepSchedule',
    ]) {
      expect(ids).toContainEqual(expect.stringMatching(new RegExp(`^${prefix}`)));
    }
  });

  it('builds the MessageBox table the local stack builds: same keys, index, PITR, encryption, TTL', () => {
    const local = tableDefinition('x');
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: local.KeySchema,
        AttributeDefinitions: Match.arrayWith(local.AttributeDefinitions),
        BillingMode: MESSAGEBOX.billingMode,
        GlobalSecondaryIndexes: local.GlobalSecondaryIndexes.map((index) =>
          Match.objectLike({ IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection }),
        ),
        TimeToLiveSpecification: { AttributeName: MESSAGEBOX.ttlAttribute, Enabled: true },
        StreamSpecification: { StreamViewType: local.StreamSpecification.StreamViewType },
        SSESpecification: Match.objectLike({ SSEEnabled: true }),
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });

  it('gives every queue a DLQ with the redrive and visibility the local stack uses, encrypted', () => {
    const queues = Object.fromEntries(
      Object.entries(template.findResources('AWS::SQS::Queue')).filter(([id]) => !id.startsWith('Tracking')),
    );
    const withRedrive = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
    expect(withRedrive).toHaveLength(Object.keys(QUEUES).length);
    expect(Object.keys(queues)).toHaveLength(2 * Object.keys(QUEUES).length);
    for (const settings of Object.values(QUEUES)) {
      const local = queueAttributes(settings, 'arn');
      expect(
        withRedrive.map((q) => ({
          VisibilityTimeout: String(q.Properties.VisibilityTimeout),
          MessageRetentionPeriod: String(q.Properties.MessageRetentionPeriod),
          maxReceiveCount: q.Properties.RedrivePolicy.maxReceiveCount,
        })),
      ).toContainEqual({
        VisibilityTimeout: local.VisibilityTimeout,
        MessageRetentionPeriod: local.MessageRetentionPeriod,
        maxReceiveCount: settings.maxReceiveCount,
      });
    }
    expect(
      Object.entries(template.findResources('AWS::SQS::Queue'))
        .filter(([, queue]) => !(queue.Properties.SqsManagedSseEnabled === true))
        .map(([id]) => id),
    ).toEqual([]);
  });

  it('tracks the MessageBox off the hot path: its stream feeds the tracking function, which alone writes the history table', () => {
    const history = historyTableDefinition('x');
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    const [historyId, historyTable] = Object.entries(tables).find(([id]) => id.startsWith('TrackingHistory'))!;
    expect(historyTable.Properties).toMatchObject({
      KeySchema: history.KeySchema,
      TimeToLiveSpecification: { AttributeName: HISTORY.ttlAttribute, Enabled: true },
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    const streamMappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'),
    );
    expect(streamMappings).toHaveLength(1);
    expect(streamMappings[0]!.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
    });
    expect(JSON.stringify(streamMappings[0]!.Properties.DestinationConfig)).toContain('TrackingFailures');
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('Tracking'),
    );
    expect(functions).toHaveLength(1);
    expect(functions[0]![1].Properties.Environment.Variables.BATON_HISTORY_RETENTION_DAYS).toBe(
      String(HISTORY.defaultRetentionDays),
    );
    // Only the tracking function may write history; no host touches it.
    const writers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes(historyId),
    );
    expect(writers.map(([id]) => id).filter((id) => !id.startsWith('Tracking'))).toEqual([]);
    expect(writers.length).toBeGreaterThan(0);
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
      .filter(([id]) => id.startsWith('Tracking'))
      .map(([, a]) => a.Properties.MetricName);
    expect(alarms.sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'Errors', 'IteratorAge']);
  });

  it('consumes the queues with partial batch failure reports and host throttling', () => {
    // The queues' mappings (the MessageBox's stream has its own, in the tracking test).
    const mappings = Object.fromEntries(
      Object.entries(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
        ([id]) => !id.startsWith('Tracking'),
      ),
    );
    // The receive queue, the work queue, and the receive queue's DLQ (the receive host's last deliveries, throttled lowest).
    expect(Object.keys(mappings)).toHaveLength(3);
    for (const mapping of Object.values(mappings)) {
      expect(mapping.Properties).toMatchObject({
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: EVENT_SOURCE.batchSize,
      });
    }
    expect(
      Object.values(mappings)
        .map((m) => m.Properties.ScalingConfig.MaximumConcurrency)
        .sort((a, b) => a - b),
    ).toEqual([2, EVENT_SOURCE.maxConcurrency, EVENT_SOURCE.maxConcurrency]);
  });

  it('runs the hosts on Node 24 (as locally), arm64, with visibility ≥ 6× the function timeout', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')))
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    // The hosts: receive, processing, sweeper (tracking reads a stream, not a queue).
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('Tracking'))
      .map(([, fn]) => fn);
    expect(functions).toHaveLength(3);
    const timeouts = functions.map((fn) => fn.Properties.Timeout as number);
    expect(QUEUES.work.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * Math.min(...timeouts));
  });

  it("scopes every host's DynamoDB permissions to the MessageBox, no wildcard, no managed policy", () => {
    // The hosts' policies (the timer state machine's role is checked in its own test).
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => !id.includes('DurableTimers') && !id.startsWith('Tracking'))
      .map(([, p]) => p);
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const dynamo = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(new Set(dynamo.flatMap((st) => [st.Action].flat()))).toEqual(
      new Set([
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:DeleteItem',
        'dynamodb:BatchGetItem',
      ]),
    );
    // The processing host creates instances (parallel branches, started orchestrations): a conditional PutItem.
    const hostActions = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.includes('ProcessingHost'))
      .flatMap(([, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) => [st.Action].flat()),
      );
    expect(hostActions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query']),
    );
    // It holds its batches with a short visibility lease (fast failover): ChangeMessageVisibility on the work queue.
    expect(hostActions).toContain('sqs:ChangeMessageVisibility');
    // Only the processing host starts timers, only on the timer state machine.
    const starts = statements.filter((st) => [st.Action].flat().includes('states:StartExecution'));
    expect(starts).toHaveLength(1);
    expect(JSON.stringify(starts[0]!.Resource)).toContain('DurableTimersStateMachine');
    // Only the claim check's objects are named at run time: those grants are checked in their own test.
    for (const st of statements.filter((st) => ![st.Action].flat().every((action) => action.startsWith('s3:'))))
      expect(JSON.stringify(st.Resource)).not.toMatch(/"\*"|\/\*"/);
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('keeps large states and bodies in a private, encrypted, TLS-only bucket, each function granted only the object actions it needs', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(1);
    const [bucketId, bucket] = Object.entries(buckets)[0]!;
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .SSEAlgorithm,
    ).toBe('AES256');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    // Only what no item refers to expires: the bodies sent and received as pointers, after SQS's 14 days; nothing a dehydrated instance needs.
    const rules = bucket.Properties.LifecycleConfiguration.Rules as {
      Prefix?: string;
      ExpirationInDays?: number;
      AbortIncompleteMultipartUpload?: unknown;
    }[];
    expect(rules.filter((r) => r.ExpirationInDays !== undefined)).toEqual([
      expect.objectContaining({ Prefix: 'outbound/', ExpirationInDays: 14 }),
      expect.objectContaining({ Prefix: 'inbound/', ExpirationInDays: 15 }),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });

    const s3Grants = Object.entries(template.findResources('AWS::IAM::Policy'))
      .map(
        ([id, p]) =>
          [
            id,
            (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((st) =>
              [st.Action].flat().some((a) => a.startsWith('s3:')),
            ),
          ] as const,
      )
      .filter(([, sts]) => sts.length > 0);
    const byFunction = Object.fromEntries(
      s3Grants.map(([id, sts]) => [
        id.replace(/(Role|ServiceRole)?DefaultPolicy.*$/, ''),
        [...new Set(sts.flatMap((st) => [st.Action].flat()))].sort(),
      ]),
    );
    // ListBucket too: without it S3 answers a read of a deleted object with AccessDenied, not NoSuchKey.
    expect(byFunction).toEqual({
      ReceiveHost: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      ProcessingHostRegional: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      TrackingFunction: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket'],
    });
    // Objects only under the claim check's prefixes (which prefix for which function: test/infra/claim-check-grants.test.ts).
    for (const [, sts] of s3Grants) {
      for (const st of sts) {
        const onBucket = [st.Action].flat().includes('s3:ListBucket');
        if (onBucket) expect(st.Resource).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
        else
          for (const resource of [st.Resource].flat())
            expect(resource).toEqual({
              'Fn::Join': [
                '',
                [
                  { 'Fn::GetAtt': [bucketId, 'Arn'] },
                  expect.stringMatching(/^\/(state|inbox|suspended|inbound|outbound)\/\*$/),
                ],
              ],
            });
      }
    }
    const env = (fn: string) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(fn))![1].Properties
        .Environment.Variables;
    expect(env('ReceiveHost').BATON_CLAIM_CHECK_BUCKET).toEqual({ Ref: bucketId });
    expect(env('TrackingFunction').BATON_CLAIM_CHECK_BUCKET).toEqual({ Ref: bucketId });
  });

  it('alarms on every DLQ, on aging queues and on suspended instances, and has a dashboard', () => {
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
      .filter(([id]) => !id.startsWith('Tracking'))
      .map(([, a]) => a);
    const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name);
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(Object.keys(QUEUES).length);
    expect(byMetric('ApproximateAgeOfOldestMessage')).toHaveLength(Object.keys(QUEUES).length);
    expect(byMetric('SuspendedInstances')).toHaveLength(1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('has the durable timer state machine: Standard, wait until $.dueAt, then the work item to the work queue, no Lambda', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    expect(machines[0]!.Properties.StateMachineType).toBe('STANDARD');
    const parts = machines[0]!.Properties.DefinitionString['Fn::Join'][1] as unknown[];
    // Tokens (Ref, GetAtt) sit inside JSON strings: flatten each to its bare name.
    const definition = JSON.parse(
      parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replace(/[{}"[\]:,]/g, ''))).join(''),
    );
    expect(definition.StartAt).toBe('WaitUntilDue');
    expect(definition.States.WaitUntilDue).toMatchObject({ Type: 'Wait', TimestampPath: '$.dueAt', Next: 'Traced' });
    // The instance's trace in the work item's body when the input has one (test/deployed runs it on an emulator).
    expect(definition.States.Traced).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.trace', IsPresent: true, Next: 'EnqueueTracedWorkItem' }],
      Default: 'EnqueueWorkItem',
    });
    expect(definition.States.EnqueueTracedWorkItem).toMatchObject({
      Type: 'Task',
      End: true,
      Parameters: { MessageBody: { 'instanceId.$': '$.instanceId', reason: 'timer', 'trace.$': '$.trace' } },
    });
    expect(definition.States.EnqueueWorkItem).toMatchObject({
      Type: 'Task',
      End: true,
      Parameters: { MessageBody: { 'instanceId.$': '$.instanceId', reason: 'timer' } },
    });
    for (const task of [definition.States.EnqueueWorkItem, definition.States.EnqueueTracedWorkItem]) {
      expect(task.Resource).toContain(':states:::sqs:sendMessage');
      expect(JSON.stringify(task.Parameters.QueueUrl)).toContain('WorkQueue');
    }
  });

  it('outputs what a tool needs to find every queue, DLQ and table (what `baton console --stack` reads)', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    const queue = (prefix: string) =>
      `<${Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith(prefix))}>`;
    // What CloudFormation resolves an output to, with each Ref written <logical id>.
    const resolved = (name: string): unknown => {
      const value = outputs[name]!.Value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
      if (value.Ref) return `<${value.Ref}>`;
      const [separator, parts] = value['Fn::Join']!;
      return JSON.parse(
        parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join(separator),
      );
    };
    expect(resolved('ReceiveQueueUrl')).toBe(queue('ReceiveQueue'));
    expect(resolved('WorkQueueUrl')).toBe(queue('WorkQueue'));
    expect(resolved('SendQueueUrl')).toBe(queue('SendQueue'));
    expect(resolved('SendPortQueueUrls')).toEqual({ send: queue('SendQueue') });
    expect(resolved('DeadLetterQueueUrls')).toEqual({
      receive: queue('ReceiveDlq'),
      work: queue('WorkDlq'),
      send: queue('SendDlq'),
    });
    expect(resolved('ProcessingHostZones')).toEqual({
      [`<${Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('ProcessingHostRegional'))}>`]:
        'regional',
    });
  });

  it('bundles each host under 300 KB', () => {
    const bundles = readdirSync(assemblyDir).filter((d) => d.startsWith('asset.'));
    expect(bundles.length).toBeGreaterThanOrEqual(3);
    for (const dir of bundles) {
      const file = readdirSync(join(assemblyDir, dir)).find((f) => /^index\.m?js$/.test(f))!;
      expect(statSync(join(assemblyDir, dir, file)).size).toBeLessThan(300 * 1024);
    }
  });
});
