import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FlowLogDestination, IpAddresses, SubnetType, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { DurableTimers } from './constructs/DurableTimers.ts';
import { Monitoring } from './constructs/Monitoring.ts';
import { ProcessingHost, type Placement } from './constructs/ProcessingHost.ts';
import { DurableQueue } from './constructs/DurableQueue.ts';
import { HostFunction } from './constructs/HostFunction.ts';
import { MessageBox } from './constructs/MessageBox.ts';
import { QUEUES } from './settings.ts';
import { sampleOptionsToEnv, type SampleOptions } from '../functions/orchestrations/index.ts';

export interface BatonStackProps extends StackProps {
  /** Keep the MessageBox table when the stack is deleted. @default true */
  readonly retainData?: boolean;
  /** Where processing host instances run (see ProcessingHost). @default 'regional' */
  readonly placement?: Placement;
  /** For `perAz`: the VPC to use. When absent, the stack creates one with an isolated subnet per zone. */
  readonly vpc?: IVpc;
  /** Bundle the AWS SDK into the functions (for emulators whose Lambda runtime lacks it). @default false */
  readonly bundleAwsSdk?: boolean;
  /** For a VPC the stack creates: how many zones. @default 2 (3 needs an environment or explicit zones) */
  readonly zones?: number;
  /** Options of the sample orchestrations (approval threshold, approval timeout, cancellation window). */
  readonly sample?: SampleOptions;
}

/**
 * Baton on AWS: receive queue → receive host → MessageBox + work queue → processing host → send queue,
 * and a sweeper on a schedule. The processing host runs as a regional function, which Lambda already
 * spreads over the region's Availability Zones.
 */
export class BatonStack extends Stack {
  constructor(scope: Construct, id: string, props: BatonStackProps = {}) {
    super(scope, id, props);
    const messageBox = new MessageBox(this, 'MessageBox', { retain: props.retainData });
    const receive = new DurableQueue(this, 'Receive', QUEUES.receive);
    const work = new DurableQueue(this, 'Work', QUEUES.work);
    const send = new DurableQueue(this, 'Send', QUEUES.send);
    const timers = new DurableTimers(this, 'DurableTimers', { workQueue: work.queue });
    const environment = {
      BATON_TABLE_NAME: messageBox.table.tableName,
      BATON_WORK_QUEUE_URL: work.queue.queueUrl,
      BATON_SEND_QUEUE_URL: send.queue.queueUrl,
      BATON_TIMER_STATE_MACHINE_ARN: timers.stateMachine.stateMachineArn,
      ...sampleOptionsToEnv(props.sample ?? {}),
    };

    // Least privilege, by what each host does to the MessageBox (see functions/core/ports.ts).
    const receiveHost = new HostFunction(this, 'ReceiveHost', { entry: 'receive-host.ts', environment, source: receive.queue, bundleAwsSdk: props.bundleAwsSdk });
    messageBox.grant(receiveHost.role, 'create');
    work.queue.grantSendMessages(receiveHost.fn);

    const placement = props.placement ?? 'regional';
    const vpc = placement === 'perAz' ? props.vpc ?? this.#isolatedVpc(props.zones ?? 2) : undefined;
    const processingHost = new ProcessingHost(this, 'ProcessingHost', { placement, vpc, workQueue: work.queue, sendQueue: send.queue, messageBox, environment, bundleAwsSdk: props.bundleAwsSdk });
    for (const instance of processingHost.instances) timers.grantStart(instance.role);

    const sweeper = new HostFunction(this, 'Sweeper', { entry: 'sweeper.ts', environment, timeoutSeconds: 60, bundleAwsSdk: props.bundleAwsSdk });
    messageBox.grant(sweeper.role, 'sweep');
    work.queue.grantSendMessages(sweeper.fn);
    new Rule(this, 'SweepSchedule', { schedule: Schedule.rate(Duration.minutes(1)), targets: [new LambdaFunction(sweeper.fn)] });

    new Monitoring(this, 'Monitoring', {
      queues: { Receive: receive, Work: work, Send: send },
      functions: {
        ReceiveHost: receiveHost.fn,
        Sweeper: sweeper.fn,
        ...Object.fromEntries(processingHost.instances.map((host, i) => [`ProcessingHost${i + 1}`, host.fn])),
      },
      namespace: 'Baton',
    });

    new CfnOutput(this, 'ReceiveQueueUrl', { value: receive.queue.queueUrl });
    new CfnOutput(this, 'SendQueueUrl', { value: send.queue.queueUrl });
    new CfnOutput(this, 'TableName', { value: messageBox.table.tableName });
    new CfnOutput(this, 'TimerStateMachineArn', { value: timers.stateMachine.stateMachineArn });
  }

  /** A VPC with only isolated subnets (no NAT, no internet gateway): the hosts reach AWS through endpoints. */
  #isolatedVpc(zones: number): Vpc {
    const region = this.region.startsWith('${Token') ? this.node.tryGetContext('region') ?? 'us-east-1' : this.region;
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.42.0.0/16'),
      // An environment-agnostic stack only knows two zones by itself; name them to get more.
      availabilityZones: Array.from({ length: zones }, (_, i) => `${region}${'abcdef'[i]}`),
      natGateways: 0,
      subnetConfiguration: [{ name: 'hosts', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs() });
    return vpc;
  }
}
