import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { StillRunningAtDeadline, describeError } from '../core/errors.ts';
import { handleWorkItem } from '../core/work-items.ts';
import { parseWorkItem } from '../adapters/SqsWorkQueue.ts';
import type { ProcessOutcome } from '../core/processing-host.ts';
import type { WorkItem } from '../core/ports.ts';
import { QUEUES } from '../settings.ts';
import type { Runtime } from './runtime.ts';
import { describeStep } from './step-span.ts';
import { holdVisibility } from './visibility.ts';
import { SpanKind, contextOf, flushSpans, inSpan, linksTo } from '../adapters/tracing.ts';
import type { Span } from '@opentelemetry/api';
import { TRACE_ATTRIBUTE, isTraceparent } from '../core/trace.ts';

/** Past this many receives the instance is suspended with the error instead of cycling through the DLQ. */
const SUSPEND_AT_RECEIVE = QUEUES.work.maxReceiveCount - 1;

/**
 * How long before the function's time limit a batch stops waiting for records still running. A record that
 * hangs then fails alone: its batch-mates are deleted rather than redelivered with it (and re-sending their
 * outboxes), and its instance's attempt count (see ProcessingHost) suspends it if it keeps hanging.
 */
export const DEADLINE_MARGIN_MS = 2_000;

/** Processing host: work queue → claim → run to the next persistence point → commit → dispatch outbox. */
export function createProcessingHandler(
  runtime: Runtime,
  logger?: Logger,
  /** Told of each work item's outcome (the local cluster counts them per host instance). */
  onOutcome?: (outcome: ProcessOutcome) => void,
  /** On Lambda: hold each batch's work items with a short visibility lease (see visibility.ts). */
  options: { holdVisibility?: { queueUrl: string; seconds: number } } = {},
) {
  const handler = new ProcessingHandler(runtime, logger, onOutcome, options);
  return (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> =>
    handler.handle(event, context);
}

class ProcessingHandler {
  readonly #runtime: Runtime;
  readonly #logger: Logger | undefined;
  readonly #onOutcome: ((outcome: ProcessOutcome) => void) | undefined;
  readonly #options: { holdVisibility?: { queueUrl: string; seconds: number } };
  /**
   * The run of each instance in progress on this host, across its concurrent batches (the local hosts poll with
   * several batches in flight). A work item of an instance already running here waits for that run, then reads
   * what it left: run side by side, the two would race for the same commit, and one conditional write would be
   * lost (two branches ending together send their join two wake-ups, often read by two batches). The wait is
   * bounded: a run that hangs (reported failed at the deadline, but still pending in this process) must not hold
   * back the redeliveries that count its attempts and suspend it. Past the bound, and between hosts (separate
   * Lambda environments each have their own map), the conditional writes alone keep runs apart, as they always do.
   */
  readonly #running = new Map<string, Promise<void>>();

  constructor(
    runtime: Runtime,
    logger: Logger | undefined,
    onOutcome: ((outcome: ProcessOutcome) => void) | undefined,
    options: { holdVisibility?: { queueUrl: string; seconds: number } },
  ) {
    this.#runtime = runtime;
    this.#logger = logger;
    this.#onOutcome = onOutcome;
    this.#options = options;
  }

  async handle(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
    const held = this.#options.holdVisibility;
    const hold = held ? holdVisibility(this.#runtime.sqs, held.queueUrl, event.Records, held.seconds) : undefined;
    const remaining = context?.getRemainingTimeInMillis();
    try {
      return await this.#handleBatch(event, remaining === undefined ? undefined : remaining - DEADLINE_MARGIN_MS);
    } finally {
      hold?.release();
      await flushSpans(context);
    }
  }

  #processRecord(record: SQSRecord, parsed: Parsed, deadline: number | undefined): Promise<void> {
    const instanceId = instanceOf(record, parsed);
    const before = this.#running.get(instanceId);
    const run = before
      ? settledOrAfter(before, SERIAL_WAIT_MS).then(() => this.#processAlone(record, parsed, deadline))
      : this.#processAlone(record, parsed, deadline);
    this.#running.set(instanceId, run);
    const forget = () => {
      if (this.#running.get(instanceId) === run) this.#running.delete(instanceId);
    };
    run.then(forget, forget);
    return run;
  }

  async #processAlone(record: SQSRecord, parsed: Parsed, deadline: number | undefined): Promise<void> {
    // An unparseable body fails its record (SQS brings it back, then the DLQ keeps it).
    if ('error' in parsed) throw parsed.error;
    const { item } = parsed;
    const receiveCount = receiveCountOf(record);
    // The run, in the instance's trace: one span per persistence point, on whichever host instance runs it.
    return inSpan(
      'step',
      {
        kind: SpanKind.CONSUMER,
        parent: contextOf(item.trace),
        attributes: {
          'messaging.system': 'aws_sqs',
          'messaging.message.id': record.messageId,
          'baton.instance.id': item.instanceId,
          'baton.work_item.reason': item.reason,
          'baton.host.id': this.#runtime.hostId,
          'baton.receive_count': receiveCount,
        },
      },
      (span) => this.#runAlone(item, receiveCount, span, deadline),
    );
  }

  async #runAlone(item: WorkItem, receiveCount: number, span: Span, deadline: number | undefined): Promise<void> {
    // The retry policy is the engine's (core/work-items.ts); this maps what became of the item to SQS.
    const handled = await handleWorkItem(
      this.#runtime.processingHost,
      item,
      { receiveCount, ...(deadline === undefined ? {} : { deadline }) },
      { workQueue: this.#runtime.workQueue, suspendAtReceive: SUSPEND_AT_RECEIVE },
    );
    if ('outcome' in handled) {
      this.#reportDone(item, receiveCount, span, handled.outcome);
      if ('requeued' in handled)
        this.#logger?.debug('instance busy; work item re-enqueued', {
          instanceId: item.instanceId,
          detail: handled.outcome.detail,
        });
      return;
    }
    const about = { instanceId: item.instanceId, reason: item.reason, receiveCount };
    const logger = this.#logger;
    if ('requeued' in handled) {
      const what = 'work item failed past its retries for an outage; re-enqueued, instance not suspended';
      logger?.warn(what, { ...about, error: describeError(handled.error) });
      return;
    }
    if ('suspended' in handled) {
      logger?.error('work item failed past its retries; instance suspended', {
        ...about,
        error: describeError(handled.error),
      });
      return;
    }
    if (handled.lostRace) logger?.info('work item lost a race to another host; SQS brings it back', about);
    else
      logger?.error('work item failed; SQS brings it back', {
        ...about,
        error: describeError(handled.error),
        stack: (handled.error as Error)?.stack,
      });
    throw handled.error;
  }

  /** What a run that ended well says: on its span, to the outcome's listener, in the log; and the runs it led to. */
  #reportDone(item: WorkItem, receiveCount: number, span: Span, outcome: ProcessOutcome): void {
    this.#reportOne(item, receiveCount, span, outcome);
    // The runs made in this invocation for other instances (eager execution): each as if its own item had come.
    for (const eager of outcome.result === 'done' ? (outcome.eager ?? []) : []) {
      const instance = eager.result === 'done' ? eager.instance : undefined;
      this.#onOutcome?.(eager);
      this.#logger?.info('work item done', {
        instanceId: instance?.instanceId,
        reason: 'eager',
        result: eager.result,
        detail: eager.detail,
        ...(instance
          ? {
              orchestration: `${instance.orchestration}@${instance.version}`,
              status: instance.status,
              revision: instance.revision,
            }
          : {}),
      });
    }
  }

  #reportOne(item: WorkItem, receiveCount: number, span: Span, outcome: ProcessOutcome): void {
    const instance = outcome.result === 'done' ? outcome.instance : undefined;
    describeStep(span, outcome);
    this.#onOutcome?.(outcome);
    this.#logger?.info('work item done', {
      instanceId: item.instanceId,
      reason: item.reason,
      receiveCount,
      result: outcome.result,
      detail: outcome.detail,
      ...(outcome.result === 'done' && instance
        ? {
            orchestration: `${instance.orchestration}@${instance.version}`,
            status: instance.status,
            revision: instance.revision,
            shapes: outcome.shapes,
          }
        : {}),
    });
  }

  async #handleBatch(event: SQSEvent, budgetMs: number | undefined): Promise<SQSBatchResponse> {
    const deadline = budgetMs === undefined ? undefined : stopwatch(Math.max(0, budgetMs));
    const shared = this.#sharedRuns(event, budgetMs, deadline);
    // One processor per invocation: it keeps the batch's failures, and batches may run concurrently. The batch is one
    // span, linked to each work item's trace.
    const traces = [...shared.parsed.values()].map((p) => ('item' in p ? p.item.trace : undefined));
    try {
      return await inSpan(
        'process work',
        {
          kind: SpanKind.CONSUMER,
          links: linksTo(traces),
          attributes: {
            'messaging.system': 'aws_sqs',
            'messaging.operation.type': 'process',
            'messaging.batch.message_count': event.Records.length,
            'baton.host.id': this.#runtime.hostId,
          },
        },
        () =>
          processPartialResponse(event, shared.run, new BatchProcessor(EventType.SQS), {
            throwOnFullBatchFailure: false,
          }),
      );
    } finally {
      deadline?.cancel();
    }
  }

  /**
   * Work items of one instance for one reason in one batch (the last two branches of a parallel ending together, say)
   * were all enqueued before this batch was read, so one run sees everything they signal: run it once, for the copy
   * received most often (it carries the re-dispatch duty), and let the others share its outcome. Run side by side, they
   * would only race each other for the same commit. Each body is parsed once (a work item may carry its instance's state).
   */
  #sharedRuns(
    event: SQSEvent,
    budgetMs: number | undefined,
    deadline: { expired: Promise<void> } | undefined,
  ): { parsed: Map<SQSRecord, Parsed>; run: (record: SQSRecord) => Promise<void> } {
    const parsed = new Map(event.Records.map((record) => [record, parse(record)] as const));
    const groupOf = (record: SQSRecord) => groupKey(record, parsed.get(record)!);
    const chosen = new Map<string, SQSRecord>();
    for (const record of event.Records) {
      const key = groupOf(record);
      const current = chosen.get(key);
      if (!current || receiveCountOf(record) > receiveCountOf(current)) chosen.set(key, record);
    }
    const runs = new Map<string, Promise<void>>();
    // When this batch reports what is still running as failed: no run may hold a lease past it.
    const reportAt = budgetMs === undefined ? undefined : this.#runtime.clock.now() + Math.max(0, budgetMs);
    const run = (record: SQSRecord): Promise<void> => {
      const key = groupOf(record);
      if (!runs.has(key)) {
        const first = chosen.get(key)!;
        const started = this.#processRecord(first, parsed.get(first)!, reportAt);
        const reportFailed = () => {
          this.#logger?.error('work item still running near the time limit; reporting it failed', {
            record: record.messageId,
            budgetMs,
          });
          throw new StillRunningAtDeadline(instanceOf(record, parsed.get(record)!), DEADLINE_MARGIN_MS);
        };
        runs.set(key, deadline ? Promise.race([started, deadline.expired.then(reportFailed)]) : started);
      }
      return runs.get(key)!;
    };
    return { parsed, run };
  }
}

/**
 * How long a work item waits for the run of its instance already in progress on this host. Runs take milliseconds
 * to a few seconds; one still going after this is slow or stuck, and waiting longer would only stall its instance.
 */
export const SERIAL_WAIT_MS = 5_000;

/** Resolves when `run` settles (however it ends) or after `ms`, whichever comes first; leaves no timer behind. */
function settledOrAfter(run: Promise<unknown>, ms: number): Promise<void> {
  const { expired, cancel } = stopwatch(ms);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([settled, expired]).finally(cancel);
}

/** A promise that resolves after `ms` (cancellable, so a finished batch leaves no timer behind). */
function stopwatch(ms: number): { expired: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { expired, cancel: () => clearTimeout(timer) };
}

/** A record's work item, or why its body is not one. */
type Parsed = { readonly item: WorkItem } | { readonly error: unknown };

function parse(record: SQSRecord): Parsed {
  try {
    // The instance's trace context travels as a message attribute (core/trace.ts).
    const trace = record.messageAttributes?.[TRACE_ATTRIBUTE]?.stringValue;
    return { item: { ...parseWorkItem(record.body), ...(isTraceparent(trace) ? { trace } : {}) } };
  } catch (error) {
    return { error };
  }
}

/** The instance a record's work item is for (an unparseable record stands alone). */
function instanceOf(record: SQSRecord, parsed: Parsed): string {
  return 'item' in parsed ? parsed.item.instanceId : `record ${record.messageId}`;
}

const receiveCountOf = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount ?? 1);

/** Work items that one run serves alike: same instance, same reason. Unparseable ones stay on their own. */
function groupKey(record: SQSRecord, parsed: Parsed): string {
  return 'item' in parsed ? JSON.stringify([parsed.item.instanceId, parsed.item.reason]) : `record:${record.messageId}`;
}
