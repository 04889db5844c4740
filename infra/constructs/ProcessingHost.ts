import {
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  SecurityGroup,
  SubnetType,
  type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HostFunction, type HostFunctionProps } from './HostFunction.ts';
import type { MessageBox } from './MessageBox.ts';

/**
 * Where the processing host's instances run:
 * - `regional`: one function outside any VPC. Lambda already runs it across the region's zones and
 *   replaces failed execution environments; no VPC endpoints to pay for. The default.
 * - `perAz`: one function per Availability Zone, each bound to that zone's subnet, all consuming the same
 *   work queue: BizTalk's "host instance per server", made explicit. Needs VPC endpoints (a DynamoDB
 *   gateway, free; SQS interface endpoints, billed per zone and hour) so no NAT gateway is needed.
 */
export type Placement = 'regional' | 'perAz';

/** How to build a {@link ProcessingHost}. */
export interface ProcessingHostProps {
  /** Where its host instances run. */
  readonly placement: Placement;
  /** How to bundle the host's entry (see HostFunctionProps). */
  readonly code: Pick<HostFunctionProps, 'entry' | 'projectRoot' | 'depsLockFilePath' | 'maxConcurrency'>;
  /** Required for `perAz`: its isolated subnets, one per zone, carry the host instances. */
  readonly vpc?: IVpc;
  /** The work queue its host instances consume. */
  readonly workQueue: IQueue;
  /** The queues of the send ports the orchestrations use. */
  readonly sendQueues: readonly IQueue[];
  /** The MessageBox its host instances step instances in. */
  readonly messageBox: MessageBox;
  /** The host instances' environment variables. */
  readonly environment: Record<string, string>;
  /** Bundle the AWS SDK instead of using the runtime's. @defaultValue false */
  readonly bundleAwsSdk?: boolean;
}

/** The processing host: its host-instance functions, granted what a step needs and nothing else. */
export class ProcessingHost extends Construct {
  /** Its host instances: one function (`regional`), or one per zone (`perAz`). */
  readonly instances: HostFunction[] = [];
  /** The zone each of `instances` is bound to (`perAz`), or undefined (`regional`: Lambda picks, in any zone). */
  readonly zones: (string | undefined)[] = [];

  constructor(scope: Construct, id: string, props: ProcessingHostProps) {
    super(scope, id);
    if (props.placement === 'perAz' && !props.vpc) throw new Error('ProcessingHost: placement "perAz" needs a vpc');
    if (props.placement === 'regional') {
      this.instances.push(
        new HostFunction(this, 'Regional', {
          ...props.code,
          environment: props.environment,
          source: props.workQueue,
          bundleAwsSdk: props.bundleAwsSdk,
        }),
      );
      this.zones.push(undefined);
    } else {
      const vpc = props.vpc!;
      const subnets = vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_ISOLATED, onePerAz: true }).subnets;
      if (subnets.length < 2)
        throw new Error(
          `ProcessingHost: "perAz" needs isolated subnets in at least 2 zones; the vpc has ${subnets.length}`,
        );
      vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB, subnets: [{ subnets }] });
      // The claim check's bucket (large states and bodies), like the MessageBox, through a free gateway endpoint.
      vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3, subnets: [{ subnets }] });
      const securityGroup = new SecurityGroup(this, 'HostInstances', {
        vpc,
        description: 'Baton processing host instances (egress to VPC endpoints only)',
      });
      // Closed by default: only the host instances' security group may reach the endpoint, not the whole VPC.
      vpc
        .addInterfaceEndpoint('Sqs', {
          service: InterfaceVpcEndpointAwsService.SQS,
          subnets: { subnets },
          privateDnsEnabled: true,
          open: false,
        })
        .connections.allowDefaultPortFrom(securityGroup);
      for (const subnet of subnets) {
        this.instances.push(
          new HostFunction(this, `Instance-${subnet.availabilityZone}`, {
            ...props.code,
            environment: props.environment,
            source: props.workQueue,
            vpc,
            subnet,
            securityGroup,
            bundleAwsSdk: props.bundleAwsSdk,
          }),
        );
        this.zones.push(subnet.availabilityZone);
      }
    }
    for (const instance of this.instances) {
      props.messageBox.grant(instance.role, 'step');
      for (const queue of props.sendQueues) queue.grantSendMessages(instance.fn);
    }
  }
}
