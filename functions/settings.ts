/**
 * Resource settings, defined once: the CDK stacks and the embedded local stack both read this module,
 * so the MessageBox table and the queues behave the same wherever Baton runs. No CDK import here, so the
 * local runtime can load it cheaply.
 */

export const MESSAGEBOX = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Finished instances expire after this many days (DynamoDB TTL on `ttl`). */
  ttlAttribute: 'ttl',
  finishedRetentionDays: 7,
  /**
   * Sparse index of what an operator lists by status: dehydrated instances (waiting for a message or a timer, not at
   * a join), suspended ones, and suspended messages (`message`); sorted by creation. Not read by the sweeper, which
   * reads the due index; running instances and joins are listed from there.
   */
  statusIndex: { name: 'byStatus', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /**
   * The status index spreads each status over this many partition keys, so no single index partition
   * takes every status change (invariant 7: no shared hot item).
   */
  statusShards: 8,
  /**
   * Sparse index of what is due (see core/due.ts): a running instance's lease end (or a window after its last write),
   * a waiting instance's timer or unread delivery, a join's next check. Sharded like the status index; the sweeper reads
   * only entries whose time has passed, so its cost follows what is due, not how many instances exist.
   */
  dueIndex: { name: 'byDue', partitionKey: 'duePk', sortKey: 'dueAt', projected: ['joinOf'] },
  billingMode: 'PAY_PER_REQUEST',
  pointInTimeRecovery: true,
} as const;

/**
 * The tracked history (functions/core/tracking.ts): its own table, written only by the tracking function from the
 * MessageBox's stream, so a step never pays for it.
 */
export const HISTORY = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** How long history is kept (DynamoDB TTL), Temporal Cloud's namespace default. Set by the user. */
  defaultRetentionDays: 30,
  /** The stream feeding the tracking function: both images, so a change can be told from what it changed. */
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

/** The claim check's bucket (functions/adapters/claim-check.ts, infra/constructs/ClaimCheck.ts). */
export const CLAIM_CHECK = {
  /** Instances' states, inbox messages and suspended bodies: each lives as long as the item that refers to it. */
  statePrefix: 'state/',
  inboxPrefix: 'inbox/',
  suspendedPrefix: 'suspended/',
  /** Bodies sent out as extended-client pointers, left for their consumers (the extended clients do the same). */
  outboundPrefix: 'outbound/',
  /** SQS keeps a message 14 days at most: no pointer outlives that. */
  outboundRetentionDays: 14,
  /**
   * Where senders may leave the bodies their extended clients offload (the receive host reads them; Baton keeps what
   * it takes in its own keys). A pointer waits at most 14 days in the receive queue and its DLQ; a day's margin.
   */
  inboundPrefix: 'inbound/',
  inboundRetentionDays: 15,
} as const;

export interface QueueSettings {
  /** Name suffix; the stack prefixes it (locally: `baton-<suffix>`). */
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Receives before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  readonly dlqRetentionSeconds: number;
}

const FOURTEEN_DAYS = 14 * 24 * 3600;

/** Processing host function timeout; the work queue's visibility timeout is 6× it, as AWS advises for event sources. */
export const HOST_FUNCTION_TIMEOUT_SECONDS = 10;

export const QUEUES = {
  /** Receive location: users send here. */
  receive: {
    name: 'receive',
    visibilityTimeoutSeconds: 6 * HOST_FUNCTION_TIMEOUT_SECONDS,
    retentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    dlqRetentionSeconds: FOURTEEN_DAYS,
  },
  /** The processing host's work queue. */
  work: {
    name: 'work',
    visibilityTimeoutSeconds: 6 * HOST_FUNCTION_TIMEOUT_SECONDS,
    retentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: 10,
    dlqRetentionSeconds: FOURTEEN_DAYS,
  },
  /** Send port `send`: users read results here. */
  send: {
    name: 'send',
    visibilityTimeoutSeconds: 30,
    retentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    dlqRetentionSeconds: FOURTEEN_DAYS,
  },
} as const satisfies Record<string, QueueSettings>;

/** How the hosts consume their queues (the Lambda event source mapping, and the local poller that mimics it). */
export const EVENT_SOURCE = {
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  /** Host throttling: at most this many concurrent invocations per host function. */
  maxConcurrency: 20,
  /** Long polling, as the event source mapping does. */
  waitTimeSeconds: 20,
} as const;

/**
 * Eager execution (see ProcessingHostDeps.eager): a work item's runs for other instances (a fork's branch instances,
 * the join the last one wakes) run in the same invocation, up to `items` of them per work item handled, while more
 * than `minRemainingMs` of the invocation is left; the rest go through the work queue.
 */
export const EAGER = { items: 16, minRemainingMs: 2_000 } as const;

/** Step ownership timings (see functions/core/ownership.ts). */
export const OWNERSHIP = {
  leaseMs: 10_000,
  maxClockSkewMs: 1_000,
  /** The sweeper re-enqueues what has been due this long (a running instance with no live lease, a lost wake-up). */
  sweepStaleAfterMs: 30_000,
} as const;

/** Where the tracking function's event source puts a MessageBox stream record it could not track (its position). */
export const TRACKING_FAILURES: QueueSettings = {
  name: 'tracking-failures',
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 5,
  dlqRetentionSeconds: FOURTEEN_DAYS,
};

/**
 * The queue of a send port: `send` is the default port's queue; any other port gets `send-<port>` with the
 * same settings (the port names the orchestrations use, see CompiledOrchestration.ports).
 */
export function sendPortQueue(port: string): QueueSettings {
  return port === 'send' ? QUEUES.send : { ...QUEUES.send, name: `send-${port}` };
}

export function dlqName(queue: QueueSettings): string {
  return `${queue.name}-dlq`;
}

/**
 * The outputs a deployed Baton is found by (`Baton.addOutputs()` declares them on its stack; `baton console --stack`
 * and the CLI's `--stack` read them with DescribeStacks). The JSON-valued ones map names to values.
 */
export const STACK_OUTPUTS = {
  receiveQueueUrl: 'ReceiveQueueUrl',
  /** The default send port's queue (also in SendPortQueueUrls). */
  sendQueueUrl: 'SendQueueUrl',
  workQueueUrl: 'WorkQueueUrl',
  /** JSON: send port → its queue's URL. */
  sendPortQueueUrls: 'SendPortQueueUrls',
  /** JSON: queue (receive, work, each send port) → its dead-letter queue's URL. */
  deadLetterQueueUrls: 'DeadLetterQueueUrls',
  tableName: 'TableName',
  historyTableName: 'HistoryTableName',
  timerStateMachineArn: 'TimerStateMachineArn',
  /** The claim check's bucket (absent from a stack of Baton 0.3 or older). */
  claimCheckBucket: 'ClaimCheckBucketName',
  /** JSON: processing host function name → the zone its host instances run in, or "regional" (any zone). */
  processingHostZones: 'ProcessingHostZones',
} as const;
