import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OwnershipLost, describeError } from '../core/errors.ts';
import { parseWorkItem } from '../adapters/SqsWorkQueue.ts';
import type { ProcessOutcome } from '../core/processing-host.ts';
import { QUEUES } from '../../infra/settings.ts';
import type { Runtime } from './runtime.ts';

/** Past this many receives the instance is suspended with the error instead of cycling through the DLQ. */
const SUSPEND_AT_RECEIVE = QUEUES.work.maxReceiveCount - 1;

/** Processing host: work queue → claim → run to the next persistence point → commit → dispatch outbox. */
export function createProcessingHandler(
  runtime: Runtime,
  logger?: Logger,
  /** Told of each work item's outcome (the local cluster counts them per host instance). */
  onOutcome?: (outcome: ProcessOutcome) => void,
) {

  async function processRecord(record: SQSRecord): Promise<void> {
    const item = parseWorkItem(record.body);
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1);
    try {
      const outcome = await runtime.processingHost.process(item, { receiveCount });
      onOutcome?.(outcome);
      if (outcome.result === 'retry') {
        // Another host holds a live lease. Come back when it may have expired, as a new delayed work item:
        // failing this one instead would count towards the DLQ while the other host works, however long.
        await runtime.workQueue.enqueue([{ instanceId: item.instanceId, reason: item.reason, delaySeconds: Math.min(900, Math.ceil(outcome.retryAfterMs / 1000)) }]);
        logger?.debug('instance busy; work item re-enqueued', { instanceId: item.instanceId, detail: outcome.detail });
      }
    } catch (error) {
      // OwnershipLost here means the host lost twice to other writers: let SQS bring the item back, so what
      // it carries (a wake-up) is looked at against the state they left.
      if (!(error instanceof OwnershipLost) && receiveCount >= SUSPEND_AT_RECEIVE) {
        logger?.error('work item failed past its retries; suspending the instance', { instanceId: item.instanceId, error: describeError(error) });
        const outcome = await runtime.processingHost.suspend(item, `work item failed ${receiveCount} times: ${describeError(error)}`);
        // Not running (its effects failing to go out, say): nothing to suspend, so the item goes on to the DLQ.
        if (outcome.detail === 'nothing to suspend') throw error;
        return;
      }
      throw error;
    }
  }

  return async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
    // One processor per invocation: it keeps the batch's failures, and batches may run concurrently.
    return processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false });
  };
}
