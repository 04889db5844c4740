import { completed } from '../../compensable.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * Enters a scope: its error handler now catches what fails inside, its event handlers listen. One with a transient
 * trigger counts only a message that arrives from now on: the thread keeps when it entered (see `Thread.reached`).
 */
export const scope: ShapeHandler<'scope'> = (run, shape, key) => {
  run.thread = { ...run.thread, scopes: [...(run.thread.scopes ?? []), key] };
  if (shape.events?.some((e) => e.trigger.transient)) run.reached(key);
  run.advanceTo(run.entry(key, 'body'));
  return undefined;
};

/** Leaves a scope; one with a compensation is now compensable. */
export const scopeEnd: ShapeHandler<'scopeEnd'> = (run, shape, key) => {
  run.thread = { ...run.thread, scopes: (run.thread.scopes ?? []).filter((s) => s !== shape.scope) };
  if (run.orchestration.branchEntry.get(shape.scope)!.has('compensation'))
    run.compensable = completed(run.compensable, shape.scope);
  run.advanceTo(run.after(key));
  return undefined;
};
