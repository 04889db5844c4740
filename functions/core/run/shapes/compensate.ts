import { newestFirst } from '../../compensable.ts';
import type { ShapeHandler } from './handler.ts';

/** Runs the compensations of the completed scopes, newest first, each completion once; then goes on. */
export const compensate: ShapeHandler<'compensate'> = (run, _shape, key) => {
  const pending = newestFirst(run.compensable);
  run.compensable = [];
  run.thread = { ...run.thread, compensating: pending, returnTo: run.after(key) };
  run.advanceTo(run.nextCompensation());
  return undefined;
};

/** The end of one compensation: the next one, or where the Compensate shape continues. */
export const compensated: ShapeHandler<'compensated'> = (run) => {
  run.advanceTo(run.nextCompensation());
  return undefined;
};
