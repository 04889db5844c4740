import type { ShapeHandler } from './handler.ts';

/** Waits until its timer is due: started on the first visit, a durable timer wakes the instance. */
export const delay: ShapeHandler<'delay'> = (run, shape, key) => {
  run.startTimer(shape);
  if (run.thread.timerDue! > run.options.now()) return run.finish('waiting');
  run.clearTimer();
  run.advanceTo(run.after(key));
  return undefined;
};
