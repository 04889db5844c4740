import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { Baton } from '../infra/constructs/Baton.ts';
import type { Placement } from '../infra/constructs/ProcessingHost.ts';
import { sampleOptionsToEnv, type SampleOptions } from '../functions/orchestrations/index.ts';

/** The sample's orchestrations module (functions/orchestrations/index.ts). */
export const SAMPLE_MODULE = fileURLToPath(
  new URL(`../functions/orchestrations/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export interface BatonStackProps extends StackProps {
  /** Keep the MessageBox table when the stack is deleted. @defaultValue true */
  readonly retainData?: boolean;
  /** Where processing host instances run (see ProcessingHost). @defaultValue 'regional' */
  readonly placement?: Placement;
  /** For `perAz`: the VPC to use. When absent, the stack creates one with an isolated subnet per zone. */
  readonly vpc?: IVpc;
  /** Bundle the AWS SDK into the functions (for emulators whose Lambda runtime lacks it). @defaultValue false */
  readonly bundleAwsSdk?: boolean;
  /** For a VPC the stack creates: how many zones. @defaultValue 2 (3 needs an environment or explicit zones) */
  readonly zones?: number;
  /** Host throttling: the most concurrent invocations per host function (see BatonProps.hostConcurrency). @defaultValue 20 */
  readonly hostConcurrency?: number;
  /** `otel`: spans through the ADOT Lambda layer (see BatonProps.tracing). @defaultValue 'off' */
  readonly tracing?: 'off' | 'otel';
  /** Options of the sample orchestrations (approval threshold, approval timeout, cancellation window). */
  readonly sample?: SampleOptions;
}

/** Baton's sample application: the Baton construct with the sample orchestrations, and the outputs a client needs. */
export class BatonStack extends Stack {
  readonly baton: Baton;

  constructor(scope: Construct, id: string, props: BatonStackProps = {}) {
    super(scope, id, props);
    // 'Default' leaves the construct out of the logical ids: a stack deployed before the construct existed keeps
    // its table, queues and timers (otherwise CloudFormation would replace them, in-flight work included).
    this.baton = new Baton(this, 'Default', {
      orchestrations: SAMPLE_MODULE,
      environment: sampleOptionsToEnv(props.sample ?? {}),
      placement: props.placement,
      vpc: props.vpc,
      zones: props.zones,
      retainData: props.retainData,
      bundleAwsSdk: props.bundleAwsSdk,
      hostConcurrency: props.hostConcurrency,
      tracing: props.tracing,
    });
    this.baton.addOutputs();
  }
}
