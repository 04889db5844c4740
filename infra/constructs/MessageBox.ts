import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MESSAGEBOX } from '../../functions/settings.ts';

/** How to build a {@link MessageBox}. */
export interface MessageBoxProps {
  /**
   * Keep the table (and block its deletion) when the stack goes away: it holds every running orchestration.
   * @defaultValue true
   */
  readonly retain?: boolean;
}

/**
 * What a host does with the MessageBox, and the actions that needs:
 * - create: the receive host creates instances, inbox messages and suspended-message records (conditional PutItem),
 *   reads the instances a message is correlated to (GetItem, BatchGetItem), marks a waiting one due (UpdateItem), and
 *   removes from an ended instance's inbox a message it kept as a suspended message instead (DeleteItem);
 * - step: the processing host reads an instance and its inbox and commits or claims it (GetItem, Query on
 *   the table, conditional UpdateItem);
 * - sweep: the sweeper reads the due index and the items it names (Query on that index, BatchGetItem), keeps its
 *   cursors, and counts the suspended in the status index.
 */
export type MessageBoxAccess = 'create' | 'step' | 'sweep';

/** The MessageBox: one DynamoDB table holding instance state, with its two sparse indexes (by status, by due time). */
export class MessageBox extends Construct {
  /** The table. */
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: MessageBoxProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    const { partitionKey, sortKey, statusIndex, dueIndex } = MESSAGEBOX;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: MESSAGEBOX.pointInTimeRecovery },
      encryption: TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: MESSAGEBOX.ttlAttribute,
      // Tracking reads every change from here, off the hot path (see Tracking).
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: [
        {
          indexName: statusIndex.name,
          partitionKey: { name: statusIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: statusIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
        {
          indexName: dueIndex.name,
          partitionKey: { name: dueIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: dueIndex.sortKey, type: AttributeType.NUMBER },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...dueIndex.projected],
        },
      ],
    });
  }

  /** Grants exactly the actions of one kind of access, on this table (and its status index, for sweeps). */
  grant(grantee: IGrantable, access: MessageBoxAccess): void {
    const table = this.table.tableArn;
    const statements = {
      // Create instances and suspended messages (PutItem), deliver to an inbox (PutItem, and the due mark: UpdateItem),
      // tell a redelivery from a new message (GetItem, the inbox: Query, settled messages: BatchGetItem).
      create: [
        new PolicyStatement({
          actions: [
            'dynamodb:PutItem',
            'dynamodb:GetItem',
            'dynamodb:UpdateItem',
            'dynamodb:Query',
            'dynamodb:BatchGetItem',
            'dynamodb:DeleteItem',
          ],
          resources: [table],
        }),
      ],
      // PutItem: a step's effects create instances (parallel branches, Start Orchestration) and fill inboxes; settling
      // taken messages writes their records (PutItem) and removes them from the inbox (DeleteItem).
      step: [
        new PolicyStatement({
          actions: [
            'dynamodb:GetItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
            'dynamodb:PutItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchGetItem',
          ],
          resources: [table],
        }),
      ],
      sweep: [
        // What is due (the sweep itself), and the suspended counts it publishes for the alarms.
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table}/index/${MESSAGEBOX.dueIndex.name}`, `${table}/index/${MESSAGEBOX.statusIndex.name}`],
        }),
        // The items of the entries it reads (whether they ended), and its own cursor items, only those.
        new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [table] }),
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: [table],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SWEEP#*'] } },
        }),
      ],
    }[access];
    for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}
