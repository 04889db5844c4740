import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError, UncorrelatedMessage } from '../core/errors.ts';
import type { RawMessage } from '../core/message.ts';
import { traceOf } from '../core/trace.ts';
import type { Runtime } from './runtime.ts';
import { SoonerRetry } from './sooner.ts';
import { toRawMessage } from './sqs-event.ts';
import { SpanKind, contextOf, flushSpans, inSpan, linksTo, tracer } from '../adapters/tracing.ts';

/**
 * Receive host: receive queue → parse, type, route, persist, enqueue work. Reports partial batch failures. It reads
 * the receive queue's dead-letter queue too (`deadLetterQueueArn`): a message there failed every delivery, and gets a
 * last one, after which it is routed or kept as a suspended message, never left where nothing takes it.
 */
export function createReceiveHandler(runtime: Runtime, logger?: Logger, options: { deadLetterQueueArn?: string } = {}) {
  const sooner = new SoonerRetry(runtime.sqs);
  return async function handler(
    event: SQSEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SQSBatchResponse> {
    const raws = event.Records.map((record): RawMessage => {
      const raw = toRawMessage(record);
      return options.deadLetterQueueArn !== undefined && record.eventSourceARN === options.deadLetterQueueArn
        ? { ...raw, deadLettered: true }
        : raw;
    });
    // Each message's trace context: the one it brought, or the one its instance will keep (derived from its id).
    const traces = new Map(
      raws.map((raw) => [raw.messageId, traceOf({ messageId: raw.messageId, properties: raw.attributes })]),
    );
    const started = runtime.clock.now();
    try {
      const response = await receiveBatch(raws, traces, started);
      // Held for an instance not there yet: back in a second or two, not a visibility timeout later.
      const held = new Set(response.heldIds);
      if (held.size > 0) await sooner.retry(event.Records.filter((r) => held.has(r.messageId)));
      return { batchItemFailures: response.batchItemFailures };
    } finally {
      await flushSpans(context);
    }
  };

  function receiveBatch(
    raws: RawMessage[],
    traces: Map<string, string>,
    started: number,
  ): Promise<SQSBatchResponse & { heldIds: string[] }> {
    return inSpan(
      'process receive',
      {
        kind: SpanKind.CONSUMER,
        links: linksTo([...traces.values()]),
        attributes: {
          'messaging.system': 'aws_sqs',
          'messaging.operation.type': 'process',
          'messaging.batch.message_count': raws.length,
        },
      },
      async () => {
        const { outcomes, failures } = await runtime.receiveHost.receive(raws);
        for (const outcome of outcomes) {
          if (outcome.result === 'suspended')
            logger?.warn('message suspended', { messageId: outcome.messageId, reason: outcome.reason });
          else
            logger?.info('message routed', {
              messageId: outcome.messageId,
              instanceIds: outcome.instanceIds,
              created: outcome.created?.length ?? 0,
            });
        }
        for (const [messageId, error] of failures)
          logger?.error('receive failed; SQS will redeliver', { messageId, error: describeError(error) });
        // Each message's receive, in its own trace: what it became.
        for (const raw of raws) {
          const outcome = outcomes.find((o) => o.messageId === raw.messageId);
          const span = tracer().startSpan(
            `receive ${raw.attributes.MessageType ?? 'message'}`,
            {
              kind: SpanKind.CONSUMER,
              startTime: started,
              attributes: {
                'messaging.system': 'aws_sqs',
                'messaging.message.id': raw.messageId,
                'baton.result': outcome?.result ?? 'failed',
                ...(outcome?.instanceIds.length ? { 'baton.instance.ids': [...outcome.instanceIds] } : {}),
                ...(outcome?.reason ? { 'baton.reason': outcome.reason } : {}),
              },
            },
            contextOf(traces.get(raw.messageId)),
          );
          span.end();
        }
        return {
          batchItemFailures: [...failures.keys()].map((itemIdentifier) => ({ itemIdentifier })),
          heldIds: [...failures].filter(([, error]) => error instanceof UncorrelatedMessage).map(([id]) => id),
        };
      },
    );
  }
}
