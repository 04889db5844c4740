import { newestFirst, scopeOf } from '../../compensable.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * Runs the compensations of the completed scopes, newest first, each completion once; then goes on. A targeted one
 * runs its scope's completions only, and leaves the others compensable.
 */
export const compensate: ShapeHandler<'compensate'> = (run, shape, key) => {
  // The target's key: its id with the prefix of the compensate's own (a called orchestration's shapes are prefixed).
  const target = shape.scope === undefined ? undefined : key.slice(0, key.length - shape.id.length) + shape.scope;
  const pending = newestFirst(
    target === undefined ? run.compensable : run.compensable.filter((e) => scopeOf(e) === target),
  );
  run.compensable = target === undefined ? [] : run.compensable.filter((e) => scopeOf(e) !== target);
  run.thread = { ...run.thread, compensating: pending, returnTo: run.after(key) };
  run.advanceTo(run.nextCompensation());
  return undefined;
};

/** The end of one compensation: the next one, or where the Compensate shape continues. */
export const compensated: ShapeHandler<'compensated'> = (run) => {
  run.advanceTo(run.nextCompensation());
  return undefined;
};
