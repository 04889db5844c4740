import type { SQSClient } from '@aws-sdk/client-sqs';
import type { WorkItem, WorkQueue } from '../core/ports.ts';
import { CoalescingSender } from './sqs-batches.ts';
import { TRACE_ATTRIBUTE, isTraceparent } from '../core/trace.ts';

/** A processing host's work queue on SQS. A work item names an instance; the state is in the MessageBox. */
export class SqsWorkQueue implements WorkQueue {
  readonly #sender: CoalescingSender;
  readonly #queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.#sender = new CoalescingSender(client);
    this.#queueUrl = queueUrl;
  }

  async enqueue(items: readonly WorkItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.#sender.send(
      this.#queueUrl,
      items.map(({ delaySeconds, trace, ...item }) => ({
        MessageBody: JSON.stringify(item),
        DelaySeconds: delaySeconds,
        // The instance's W3C Trace Context, as on every message it causes (core/trace.ts).
        ...(trace ? { MessageAttributes: { [TRACE_ATTRIBUTE]: { DataType: 'String', StringValue: trace } } } : {}),
      })),
    );
  }
}

/**
 * Reads a work item back; anything else on the work queue is a bug worth a loud error. Its trace context is the
 * `traceparent` attribute (the caller's to read), or the body's `trace`: the timer state machine's SQS task
 * (infra/constructs/DurableTimers.ts) writes it there.
 */
export function parseWorkItem(body: string): WorkItem {
  const item = JSON.parse(body) as Partial<WorkItem>;
  if (typeof item.instanceId !== 'string' || item.instanceId === '')
    throw new Error(`not a work item: ${body.slice(0, 200)}`);
  return {
    instanceId: item.instanceId,
    reason: typeof item.reason === 'string' ? item.reason : 'unknown',
    state: item.state,
    ...(Array.isArray(item.branches) ? { branches: item.branches } : {}),
    ...(isTraceparent(item.trace) ? { trace: item.trace } : {}),
    ...(item.redelivery === true ? { redelivery: true } : {}),
  };
}
