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
