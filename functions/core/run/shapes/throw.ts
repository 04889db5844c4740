import { describeError } from '../../errors.ts';
import type { ShapeHandler } from './handler.ts';

/** Raises an error, as a failed step does: the enclosing scope's handler takes it, else the instance is suspended. */
export const throwShape: ShapeHandler<'throw'> = (run, shape, key) => {
  let message: string;
  try {
    message = shape.error(run.context());
  } catch (error) {
    message = describeError(error);
  }
  return run.fail(`thrown by "${shape.id}": ${message}`, key);
};
