import { correlationValue } from '../../correlation.ts';
import { outboundMessageId } from '../../ids.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * Builds the message and puts it in the outbox, dispatched once the run's commit lands. Its body must match its
 * type's schema, or the step fails.
 */
export const send: ShapeHandler<'send'> = async (run, shape, key) => {
  const built = run.evaluate(`send "${shape.id}" could not build its message`, key, () => shape.body(run.context()));
  const checked = await run.conformOutbound(shape.messageType, built, key, `send "${shape.id}"`);
  if ('failed' in checked) return run.fail(checked.failed, key);
  const { current } = run;
  if (shape.initializes !== undefined) {
    // Read from the message as it goes out, as the answer's key will be read from the answer.
    const set = shape.initializes;
    const value = correlationValue(run.orchestration, set, {
      messageId: '',
      messageType: shape.messageType,
      body: checked.body,
      properties: {},
      receivedAt: run.options.now(),
    });
    if (value === undefined)
      return run.fail(
        `send "${shape.id}" initializes correlation set "${set}", but its ${shape.messageType} has no value for it`,
        key,
      );
    run.correlations[set] = value;
    run.outbox.push({
      kind: 'correlate',
      orchestration: current.orchestration,
      set,
      value,
      instanceId: current.instanceId,
    });
  }
  run.sendSequence++;
  run.outbox.push({
    kind: 'send',
    messageId: outboundMessageId(current.instanceId, run.sendSequence, current.incarnation),
    port: shape.port,
    messageType: shape.messageType,
    // On the wire goes what was built and validated (the type's input shape): a receiver validates it with the same
    // schema, which a transformed output would no longer match.
    body: checked.body,
    instanceId: current.instanceId,
    correlationId: run.causationId,
    ...(current.trace ? { trace: current.trace } : {}),
  });
  run.advanceTo(run.after(key));
  return undefined;
};
