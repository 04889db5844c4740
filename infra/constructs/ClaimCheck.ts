import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLAIM_CHECK } from '../settings.ts';

export interface ClaimCheckProps {
  /** Keep the bucket when the stack goes away. @default true */
  readonly retain?: boolean;
}

/** What a function does with the claim check's objects. */
export type ClaimCheckAccess = 'readWrite' | 'readDelete';

/**
 * The claim check's bucket (functions/adapters/claim-check.ts): large states, inbox messages and suspended bodies,
 * each written before the MessageBox item that refers to it, and deleted by the tracking function once no item does.
 * Encrypted, TLS-only, private. Its lifecycle expires only what no item refers to by design: the bodies sent out as
 * pointers, after SQS's longest retention (`outbound/`), and uploads left incomplete. The rest lives as long as the
 * item that refers to it, which may be a dehydrated instance waiting for months: an age rule would take its state.
 */
export class ClaimCheck extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: ClaimCheckProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      lifecycleRules: [
        { id: 'outbound', prefix: CLAIM_CHECK.outboundPrefix, expiration: Duration.days(CLAIM_CHECK.outboundRetentionDays) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Only Baton\'s own functions read and write this bucket, under keys the MessageBox records; each access is a request of a function whose logs and CloudTrail record it. A bucket of access logs would be a second one to keep.',
    });
  }

  /** `role` gets the object actions its function needs, on this bucket's objects only. */
  grant(role: IGrantable & Construct, access: ClaimCheckAccess): void {
    const actions = access === 'readWrite' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject', 's3:DeleteObject'];
    role.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.bucket.arnForObjects('*')] }));
    const bucketId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason: 'Objects are named by instance and message ids, known only at run time: the grant is this bucket\'s objects, and only the object actions the function needs (no listing, no bucket actions).',
    });
  }
}
