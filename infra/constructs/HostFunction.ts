import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AdotLambdaExecWrapper,
  AdotLambdaLayerJavaScriptSdkVersion,
  AdotLayerVersion,
  Architecture,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE, HOST_FUNCTION_TIMEOUT_SECONDS } from '../../functions/settings.ts';

/** Same major as the local runtime (Node 24). */
export const HOST_RUNTIME = Runtime.NODEJS_24_X;

/** How to build a {@link HostFunction}: its entry, its settings, the queue it consumes. */
export interface HostFunctionProps {
  /** The entry file to bundle (absolute path, under `projectRoot`). */
  readonly entry: string;
  /** The project the entry and its imports belong to: the folder of its lock file. */
  readonly projectRoot: string;
  /** The project's lock file, which the bundler installs from. */
  readonly depsLockFilePath: string;
  /** The function's environment variables. */
  readonly environment: Record<string, string>;
  /** The queue this host consumes, through an event source mapping. */
  readonly source?: IQueue;
  /**
   * The source's dead-letter queue, read too (the receive host's): each record there is a message's last delivery,
   * after which it is routed or kept as a suspended message (`BATON_RECEIVE_DLQ_ARN` tells the handler which is which).
   */
  readonly lastDeliveries?: IQueue;
  /** The function's timeout. @defaultValue HOST_FUNCTION_TIMEOUT_SECONDS (10) */
  readonly timeoutSeconds?: number;
  /** Bundle the AWS SDK instead of using the runtime's. @defaultValue false */
  readonly bundleAwsSdk?: boolean;
  /** The most concurrent invocations its queue may start (see BatonProps.hostConcurrency). @defaultValue EVENT_SOURCE.maxConcurrency */
  readonly maxConcurrency?: number;
  /** Bind this host instance to one subnet (one Availability Zone). */
  readonly vpc?: IVpc;
  /** The subnet of `vpc` it runs in. */
  readonly subnet?: ISubnet;
  /** Its security group, in `vpc`. */
  readonly securityGroup?: ISecurityGroup;
  /** Record its spans with AWS Distro for OpenTelemetry (the ADOT Lambda layer). @defaultValue false */
  readonly otel?: boolean;
}

/**
 * The ADOT layer for JavaScript the hosts get with `tracing: 'otel'`. Its OpenTelemetry API (1.9) must be at least as
 * new as the one bundled in the hosts, or the API ignores the SDK it registers: Baton pins `@opentelemetry/api` ~1.9.
 */
export const ADOT_LAYER = AdotLambdaLayerJavaScriptSdkVersion.V1_30_0;

/** How every host is bundled (esbuild through NodejsFunction); the bench bundles the same way to report sizes. */
export const HOST_BUNDLING: {
  readonly minify: boolean;
  readonly target: string;
  readonly mainFields: string[];
  readonly banner: string;
} = {
  minify: true,
  target: 'node24',
  mainFields: ['module', 'main'],
  // ESM bundles still meet CommonJS dependencies that call require().
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};

/** A Baton host as a Lambda function: bundled by local esbuild (no Docker), arm64, Node 24. */
export class HostFunction extends Construct {
  /** The function. */
  readonly fn: NodejsFunction;
  /** The function's own role: no managed policy, only what the stack grants it. */
  readonly role: Role;
  /** Its log group, kept a month. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HostFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    // Instead of AWSLambdaBasicExecutionRole (which may write to any log group): this one only.
    this.logGroup.grantWrite(this.role);
    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, without its log permissions on every log group.
      // EC2 network-interface actions support no resource-level scoping for Lambda's ENI management.
      this.role.addToPolicy(
        new PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda manages its ENIs with ec2:Describe*/Create/DeleteNetworkInterface, which take no resource scoping here; the same grant as AWSLambdaVPCAccessExecutionRole, without its logs:* part.',
      });
    }
    this.fn = new NodejsFunction(this, 'Function', {
      role: this.role,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.subnet ? { subnets: [props.subnet] } : undefined,
      securityGroups: props.securityGroup ? [props.securityGroup] : undefined,
      entry: props.entry,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      handler: 'handler',
      runtime: HOST_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(props.timeoutSeconds ?? HOST_FUNCTION_TIMEOUT_SECONDS),
      environment: {
        ...props.environment,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(props.otel ? { OTEL_PROPAGATORS: 'tracecontext', OTEL_SERVICE_NAME: 'baton' } : {}),
      },
      // The layer's wrapper starts the OpenTelemetry SDK; the hosts' spans (functions/adapters/tracing.ts) go through it.
      ...(props.otel
        ? {
            adotInstrumentation: {
              layerVersion: AdotLayerVersion.fromJavaScriptSdkLayerVersion(ADOT_LAYER),
              execWrapper: AdotLambdaExecWrapper.REGULAR_HANDLER,
            },
          }
        : {}),
      bundling: {
        ...HOST_BUNDLING,
        format: OutputFormat.ESM,
        forceDockerBundling: false,
        // On AWS the nodejs24.x runtime provides SDK v3 and the bundles stay small (52–112 KB, `npm run bench`).
        // Emulators whose local executor has no SDK (MiniStack) get it bundled: `-c bundleAwsSdk=true` (380–500 KB).
        externalModules: props.bundleAwsSdk ? [] : ['@aws-sdk/*'],
      },
    });
    if (props.otel) {
      // The layer exports to X-Ray by default: the CDK grants xray:PutTraceSegments and PutTelemetryRecords, which take no resource.
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ADOT exports spans to X-Ray by default: xray:PutTraceSegments and xray:PutTelemetryRecords accept no resource scoping.',
      });
    }
    if (props.source) {
      this.fn.addEventSource(
        new SqsEventSource(props.source, {
          batchSize: EVENT_SOURCE.batchSize,
          maxBatchingWindow:
            EVENT_SOURCE.maxBatchingWindowSeconds > 0
              ? Duration.seconds(EVENT_SOURCE.maxBatchingWindowSeconds)
              : undefined,
          reportBatchItemFailures: true,
          // Host throttling, as BizTalk hosts have: bounds the load one host puts on the MessageBox.
          maxConcurrency: props.maxConcurrency ?? EVENT_SOURCE.maxConcurrency,
        }),
      );
    }
    if (props.lastDeliveries) {
      this.fn.addEventSource(
        new SqsEventSource(props.lastDeliveries, {
          batchSize: EVENT_SOURCE.batchSize,
          reportBatchItemFailures: true,
          // Few messages come this way; the lowest concurrency SQS allows keeps them from crowding out the main source.
          maxConcurrency: 2,
        }),
      );
      this.fn.addEnvironment('BATON_RECEIVE_DLQ_ARN', props.lastDeliveries.queueArn);
    }
  }
}
