import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { MESSAGEBOX } from '../settings.ts';

export interface MessageBoxProps {
  /**
   * Keep the table (and block its deletion) when the stack goes away: it holds every running orchestration.
   * @default true
   */
  readonly retain?: boolean;
}

/** The MessageBox: one DynamoDB table holding instance state, with the sparse status index. */
export class MessageBox extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: MessageBoxProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    const { partitionKey, sortKey, statusIndex } = MESSAGEBOX;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: MESSAGEBOX.pointInTimeRecovery },
      encryption: TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: MESSAGEBOX.ttlAttribute,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: [{
        indexName: statusIndex.name,
        partitionKey: { name: statusIndex.partitionKey, type: AttributeType.STRING },
        sortKey: { name: statusIndex.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
      }],
    });
  }
}
