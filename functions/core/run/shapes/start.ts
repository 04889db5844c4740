import { outboundMessageId } from '../../ids.ts';
import type { ShapeHandler } from './handler.ts';

/** Starts another orchestration with a message built here, once the run's commit lands (BizTalk's Start Orchestration). */
export const start: ShapeHandler<'start'> = async (run, shape, key) => {
  const built = run.evaluate(`start "${shape.id}" could not build its message`, key, () => shape.body(run.context()));
  const messageType = run.options.schemas?.activationTypeOf(shape.orchestration);
  const checked = await run.conformOutbound(messageType, built, key, `start "${shape.id}"`);
  if ('failed' in checked) return run.fail(checked.failed, key);
  const { current } = run;
  // Numbered with the sends: one sequence gives every outgoing message a stable id.
  run.sendSequence++;
  run.outbox.push({
    kind: 'start',
    messageId: outboundMessageId(current.instanceId, run.sendSequence, current.incarnation),
    orchestration: shape.orchestration,
    messageType,
    // The started orchestration takes it as its receive host would hand it over: the schema's output.
    body: checked.output,
    instanceId: current.instanceId,
  });
  run.advanceTo(run.after(key));
  return undefined;
};
