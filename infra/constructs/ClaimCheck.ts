import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLAIM_CHECK } from '../../functions/settings.ts';

/** How the claim check's bucket is made. */
export interface ClaimCheckProps {
  /** Keep the bucket when the stack goes away. @defaultValue true */
  readonly retain?: boolean;
}

/** S3 object actions → the key prefixes they are granted on. */
export type ObjectGrants = Readonly<Record<string, readonly string[]>>;

const {
  statePrefix: STATE,
  inboxPrefix: INBOX,
  suspendedPrefix: SUSPENDED,
  inboundPrefix: INBOUND,
  outboundPrefix: OUTBOUND,
} = CLAIM_CHECK;

/**
 * What each function does with the claim check's objects, by action and key prefix, read from the code it runs. No
 * function reads `outbound/` (its consumers do) or deletes `inbound/` or `outbound/` (the lifecycle does), and only the
 * receive host reads `inbound/`: a function that reads or deletes other parties' messages could be made to leak or lose them.
 * - receive: activations (`create`: state/), deliveries (`deliver`: inbox/), suspended messages (suspended/); a state
 *   and an inbox read again when an ended convoy's message comes back (activation.ts); the bodies senders left under
 *   inbound/ (ExtendedClientBodies). It deletes only the object of a write that lost its condition, in each prefix it writes.
 * - process: steps (`load`, `commit`: state/), the inbox (`deliveries`), branches and started orchestrations (`create`,
 *   and `deliver` to a started convoy: state/, inbox/), messages an ended instance did not take and starts that cannot
 *   be made (suspended/), bodies sent out as pointers (outbound/, SqsSendPort); deletes as the receive host does.
 * - tracking: the claim-checked values of the changes it tracks, and the objects no item refers to any more.
 * The sweeper reads only index attributes: it gets nothing.
 */
export const CLAIM_CHECK_ACCESS = {
  // It reads no inbox message: whether an ended instance took a message is in its state and its settled records.
  receive: {
    's3:GetObject': [STATE, INBOUND],
    's3:PutObject': [STATE, INBOX, SUSPENDED],
    's3:DeleteObject': [STATE, INBOX, SUSPENDED],
  },
  process: {
    's3:GetObject': [STATE, INBOX],
    's3:PutObject': [STATE, INBOX, SUSPENDED, OUTBOUND],
    's3:DeleteObject': [STATE, INBOX, SUSPENDED],
  },
  // A delivery is tracked from its item's head; an inbox item written before items had one is read whole (INBOX).
  tracking: { 's3:GetObject': [STATE, INBOX, SUSPENDED], 's3:DeleteObject': [STATE, INBOX, SUSPENDED] },
} as const satisfies Record<string, ObjectGrants>;
export type ClaimCheckAccess = keyof typeof CLAIM_CHECK_ACCESS;

/**
 * The claim check's bucket (functions/adapters/claim-check.ts): large states, inbox messages and suspended bodies,
 * each written before the MessageBox item that refers to it, and deleted by the tracking function once no item does.
 * Encrypted, TLS-only, private. Its lifecycle expires only what no item refers to by design: the bodies sent out as
 * pointers (`outbound/`) and those senders' extended clients left for the receive host (`inbound/`), after SQS's
 * longest retention, and uploads left incomplete. The rest lives as long as the
 * item that refers to it, which may be a dehydrated instance waiting for months: an age rule would take its state.
 */
export class ClaimCheck extends Construct {
  /** The bucket the large states, messages and bodies go to (granted to each function by the prefixes it uses). */
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
        {
          id: 'outbound',
          prefix: CLAIM_CHECK.outboundPrefix,
          expiration: Duration.days(CLAIM_CHECK.outboundRetentionDays),
        },
        {
          id: 'inbound',
          prefix: CLAIM_CHECK.inboundPrefix,
          expiration: Duration.days(CLAIM_CHECK.inboundRetentionDays),
        },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Only Baton's own functions read and write this bucket, under keys the MessageBox records; each access is a request of a function whose logs and CloudTrail record it. A bucket of access logs would be a second one to keep.",
    });
  }

  /**
   * `role` gets the object actions its function needs, each on the prefixes it uses it on (CLAIM_CHECK_ACCESS); and
   * ListBucket on the bucket, without which S3 answers a read of a missing object with AccessDenied instead of
   * NoSuchKey (the store tells a deleted object by it).
   */
  grant(role: IGrantable & Construct, access: ClaimCheckAccess): void {
    grantObjects(role, this.bucket, CLAIM_CHECK_ACCESS[access]);
  }
}

/**
 * Each action on the objects of `bucket` under its prefixes (keys are ids known only at run time), and ListBucket on
 * the bucket itself, without which S3 answers a read of a missing object with AccessDenied instead of NoSuchKey.
 * cdk-nag's finding on each prefix's wildcard is acknowledged for these objects only.
 */
export function grantObjects(role: IGrantable & Construct, bucket: IBucket, grants: ObjectGrants): void {
  for (const [action, prefixes] of Object.entries(grants)) {
    role.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [action],
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
  }
  role.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  for (const prefix of new Set(Object.values(grants).flat())) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagName(Stack.of(role).resolve(bucket.arnForObjects(`${prefix}*`)))}]`,
      reason:
        "Objects are named by instance and message ids, known only at run time: the grant is this bucket's objects under one prefix, and only the object actions the function needs there.",
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
