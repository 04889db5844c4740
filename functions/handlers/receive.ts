import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError } from '../core/errors.ts';
import type { Runtime } from './runtime.ts';
import { toRawMessage } from './sqs-event.ts';

/** Receive host: receive queue → parse, type, route, persist, enqueue work. Reports partial batch failures. */
export function createReceiveHandler(runtime: Runtime, logger?: Logger) {
  return async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
    const { outcomes, failures } = await runtime.receiveHost.receive(event.Records.map(toRawMessage));
    for (const outcome of outcomes) {
      if (outcome.result === 'suspended') logger?.warn('message suspended', { messageId: outcome.messageId, reason: outcome.reason });
      else logger?.info('message routed', { messageId: outcome.messageId, instanceIds: outcome.instanceIds, created: outcome.created?.length ?? 0 });
    }
    for (const [messageId, error] of failures) logger?.error('receive failed; SQS will redeliver', { messageId, error: describeError(error) });
    return { batchItemFailures: [...failures.keys()].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
