import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLAIM_CHECK } from '../settings.ts';

export interface ClaimCheckProps {
  /** Keep the bucket when the stack goes away. @default true */
  readonly retain?: boolean;
}

/**
 * What a function does with the claim check's objects: a host reads and writes them (and deletes the one a write that
 * lost its condition left), tracking reads them and deletes those no item refers to.
 */
export type ClaimCheckAccess = 'host' | 'tracking';

/**
 * The claim check's bucket (functions/adapters/claim-check.ts): large states, inbox messages and suspended bodies,
 * each written before the MessageBox item that refers to it, and deleted by the tracking function once no item does.
 * Encrypted, TLS-only, private. Its lifecycle expires only what no item refers to by design: the bodies sent out as
 * pointers (`outbound/`) and those senders' extended clients left for the receive host (`inbound/`), after SQS's
 * longest retention, and uploads left incomplete. The rest lives as long as the
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
        { id: 'inbound', prefix: CLAIM_CHECK.inboundPrefix, expiration: Duration.days(CLAIM_CHECK.inboundRetentionDays) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Only Baton\'s own functions read and write this bucket, under keys the MessageBox records; each access is a request of a function whose logs and CloudTrail record it. A bucket of access logs would be a second one to keep.',
    });
  }

  /**
   * `role` gets the object actions its function needs, on this bucket's objects only; and ListBucket on the bucket,
   * without which S3 answers a read of a missing object with AccessDenied instead of NoSuchKey (the store tells a
   * deleted object by it).
   */
  grant(role: IGrantable & Construct, access: ClaimCheckAccess): void {
    grantObjects(role, this.bucket, access === 'host' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject', 's3:DeleteObject']);
  }
}

/**
 * `actions` on the objects of `bucket` under each of `prefixes` (their keys are ids known only at run time), and
 * ListBucket on the bucket itself, without which S3 answers a read of a missing object with AccessDenied instead of
 * NoSuchKey. cdk-nag's finding on each prefix's wildcard is acknowledged for these objects only.
 */
export function grantObjects(role: IGrantable & Construct, bucket: IBucket, actions: readonly string[], prefixes: readonly string[] = ['']): void {
  const objects = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  role.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: objects }));
  role.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  for (const arn of objects) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagName(Stack.of(role).resolve(arn))}]`,
      reason: 'Objects are named by instance and message ids, known only at run time: the grant is this bucket\'s objects under one prefix, and only the object actions the function needs there.',
    });
  }
}

/** A resolved CloudFormation value as cdk-nag names it in a finding: a reference as <Name>, an attribute as <Id.Attr>. */
function nagName(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(nagName).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
