import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSettings } from '../../functions/settings.ts';

/** A queue with its dead-letter queue, both encrypted and TLS-only, settings from functions/settings.ts. */
export class DurableQueue extends Construct {
  /** The queue. */
  readonly queue: Queue;
  /** Where a message goes after its last delivery failed. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, settings: QueueSettings) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      // As long as its queue's: a host may read it (the receive host does), and Lambda wants a visibility timeout no
      // shorter than the function's.
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.dlqRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });
  }
}
