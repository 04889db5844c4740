import type { ShapeHandler } from './handler.ts';

/**
 * Takes the oldest message delivered for it, or waits for one; an activating receive ran when the instance was made.
 * A transient one takes only a message that arrived once the thread reached it.
 */
export const receive: ShapeHandler<'receive'> = async (run, shape, key) => {
  if (!shape.activate) {
    const match = await run.findDelivery(shape, shape.transient ? run.reached(key) : undefined);
    if (!match) return run.finish('waiting');
    run.take(shape.into, match);
  }
  run.advanceTo(run.after(key));
  return undefined;
};
