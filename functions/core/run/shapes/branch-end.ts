import { wakeJoin } from '../../branches.ts';
import { END } from '../../definition.ts';
import type { ShapeHandler } from './handler.ts';

/** A branch instance ends here, its sends persisted first, and wakes its orchestration's join. */
export const branchEnd: ShapeHandler<'branchEnd'> = (run, shape, key) => {
  if (run.current.branchOf?.parallel !== shape.parallel) {
    return run.finish('suspended', {
      error: {
        reason: `reached the end of a branch of "${shape.parallel}" outside of it`,
        shapeId: key,
        at: run.options.now(),
      },
    });
  }
  if (run.endsAfterSends()) return run.finish('checkpoint');
  run.advanceTo(END);
  run.outbox.push(wakeJoin(run.current, run.orchestration));
  return run.finish('completed', { error: undefined });
};
