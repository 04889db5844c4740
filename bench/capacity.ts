/**
 * Capacity on paper: how many orchestrations per second a default AWS account sustains, quota by quota, computed
 * from what one orchestration of the sample was measured to use. Quotas are AWS's defaults (us-east-1, read on
 * QUOTAS_AS_OF from the pages named beside each); they change, and most can be raised.
 */
export const QUOTAS_AS_OF = '2026-12-01';

/** What one orchestration of the sample used, measured in the bench's metered run. */
export interface PerOrchestration {
  /** Write units on the table itself, and on its indexes (each index has the same per-table quota as the table). */
  readonly tableWriteUnits: number;
  readonly indexWriteUnits: number;
  readonly readUnits: number;
  /** Lambda invocations of the hosts (receive and processing), and their handler seconds. */
  readonly invocations: number;
  readonly handlerSeconds: number;
  /** Shapes run: what Step Functions Standard would count as state transitions. */
  readonly shapes: number;
}

export interface CapacityRow {
  readonly limit: string;
  readonly quota: string;
  readonly orchestrationsPerSecond: number;
  readonly raise: string;
  readonly source: string;
}

/** Step Functions Standard's state transitions per second (token bucket refill, us-east-1). */
const SFN_STANDARD_TRANSITIONS_PER_SECOND = 5_000;
/** An SQS event source mapping's MaximumConcurrency, as the stack sets it (Baton's `hostConcurrency`). */
const HOST_CONCURRENCY = 20;

export function capacity(
  use: PerOrchestration,
  options: { processingHostInstances: number; hostConcurrency?: number },
): CapacityRow[] {
  const hostConcurrency = options.hostConcurrency ?? HOST_CONCURRENCY;
  // Concurrency an orchestration per second holds: its invocations × how long each lasts.
  const concurrencyPerOrchestration = use.handlerSeconds;
  return [
    {
      limit: "host throttling (each host queue's MaximumConcurrency)",
      quota: `${hostConcurrency} concurrent invocations per host function; ${options.processingHostInstances} processing host instance(s)`,
      orchestrationsPerSecond: (hostConcurrency * options.processingHostInstances) / concurrencyPerOrchestration,
      raise:
        'Baton `hostConcurrency` (or `-c hostConcurrency=N`), up to 1,000; more processing host instances (`placement: perAz`)',
      source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html (MaximumConcurrency 2–1,000)',
    },
    {
      limit: 'Lambda concurrent executions (the account, all functions)',
      quota: '1,000 per region',
      orchestrationsPerSecond: 1_000 / concurrencyPerOrchestration,
      raise: 'Service Quotas: Lambda concurrent executions (new accounts start lower)',
      source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    },
    {
      limit: 'DynamoDB on-demand table writes',
      quota:
        '40,000 write units/s per table (each index the same); a new table serves 4,000 at once and doubles from its peak',
      orchestrationsPerSecond: 40_000 / use.tableWriteUnits,
      raise: 'Service Quotas: table-level write throughput; warm the table (warm throughput) before a launch',
      source:
        'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
    },
    {
      limit: 'DynamoDB on-demand, a new table on its first day',
      quota: '4,000 write units/s at once (twice the initial 2,000 peak), then double the previous peak',
      orchestrationsPerSecond: 4_000 / use.tableWriteUnits,
      raise: 'pre-warm the table (warm throughput) to the expected peak',
      source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html',
    },
    {
      limit: 'DynamoDB on-demand index writes (the due index)',
      quota: '40,000 write units/s per index',
      orchestrationsPerSecond: use.indexWriteUnits > 0 ? 40_000 / use.indexWriteUnits : Number.POSITIVE_INFINITY,
      raise: 'as the table',
      source:
        'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
    },
    {
      limit: 'DynamoDB on-demand table reads',
      quota: '40,000 read units/s per table',
      orchestrationsPerSecond: 40_000 / use.readUnits,
      raise: 'Service Quotas: table-level read throughput',
      source:
        'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
    },
    {
      limit: 'Step Functions Standard, the same sample as a state machine (for comparison)',
      quota: `${SFN_STANDARD_TRANSITIONS_PER_SECOND.toLocaleString('en-US')} state transitions/s (bucket refill)`,
      orchestrationsPerSecond: SFN_STANDARD_TRANSITIONS_PER_SECOND / use.shapes,
      raise: 'Service Quotas: StateTransition',
      source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
    },
    {
      limit: 'BizTalk Server 2010, one MessageBox (for comparison)',
      quota: '680 orchestration documents/s measured on one MessageBox (1,487/s with four)',
      orchestrationsPerSecond: 680,
      raise: 'more MessageBox databases (and SQL Server machines)',
      source: 'Microsoft, BizTalk Server 2010 performance optimization guide',
    },
  ];
}
