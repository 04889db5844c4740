import { END } from '../../definition.ts';
import { textOf, type ShapeHandler } from './handler.ts';

/** Ends the orchestration, its sends persisted first. */
export const complete: ShapeHandler<'complete'> = (run) => {
  if (run.endsAfterSends()) return run.finish('checkpoint');
  run.advanceTo(END);
  return undefined;
};

/** Ends the orchestration as terminated, with its reason, its sends persisted first. */
export const terminate: ShapeHandler<'terminate'> = (run, shape, key) => {
  if (run.endsAfterSends()) return run.finish('checkpoint');
  const reason = textOf(run, shape.reason);
  // Branches a join let run on end with it.
  if (run.outliving.length > 0)
    run.outbox.push({
      kind: 'cancel',
      instanceIds: run.outliving,
      reason: `cancelled: its orchestration ${run.current.instanceId} was terminated: ${reason}`,
    });
  run.advanceTo(END);
  return run.finish('terminated', {
    error: { reason: `terminated by "${shape.id}": ${reason}`, shapeId: key, at: run.options.now() },
  });
};

/** Calls an orchestration inline (BizTalk's Call Orchestration): its shapes were compiled in under this one's key. */
export const call: ShapeHandler<'call'> = (run, _shape, key) => {
  run.advanceTo(run.entry(key, 'body'));
  return undefined;
};

/** Suspends the instance with its reason, for an operator; resumed, it goes on after this shape. */
export const suspend: ShapeHandler<'suspend'> = (run, shape, key) => {
  const reason = textOf(run, shape.reason);
  run.advanceTo(run.after(key));
  return run.finish('suspended', {
    error: { reason: `suspended by "${shape.id}": ${reason}`, shapeId: key, at: run.options.now() },
  });
};
