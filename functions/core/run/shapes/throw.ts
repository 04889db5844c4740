import { textOf, type ShapeHandler } from './handler.ts';

/** Raises an error, as a failed step does: the enclosing scope's handler takes it, else the instance is suspended. */
export const throwShape: ShapeHandler<'throw'> = (run, shape, key) => {
  return run.fail(`thrown by "${shape.id}": ${textOf(run, shape.error)}`, key);
};
