import { completed } from '../../compensable.ts';
import { lockOf } from '../../locks.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * Enters a scope: its error handler now catches what fails inside. A synchronized scope is entered with its lock only
 * (core/locks.ts): without it the run stops for its host to take it, and waits, dehydrated, when another holds it.
 * Its event handlers listen; one with a transient trigger counts only a message that arrives from now on: the thread
 * keeps when it entered (see `Thread.reached`).
 */
export const scope: ShapeHandler<'scope'> = (run, shape, key) => {
  const lock = lockOf(shape);
  if (lock !== undefined) {
    const since = run.locks.get(lock);
    if (since === undefined) {
      if (run.options.blocked !== lock) return { ...run.finish('needsLock'), lock };
      run.thread = { ...run.thread, waitsFor: lock };
      return run.finish('waiting');
    }
    const { waitsFor: _taken, ...thread } = run.thread;
    run.thread = { ...thread, holds: { lock, since, scope: key } };
  }
  run.thread = { ...run.thread, scopes: [...(run.thread.scopes ?? []), key] };
  if (shape.events?.some((e) => e.trigger.transient)) run.reached(key);
  run.advanceTo(run.entry(key, 'body'));
  return undefined;
};

/** Leaves a scope; one with a compensation is now compensable; a synchronized one's lock is freed by the next commit. */
export const scopeEnd: ShapeHandler<'scopeEnd'> = (run, shape, key) => {
  run.thread = { ...run.thread, scopes: (run.thread.scopes ?? []).filter((s) => s !== shape.scope) };
  if (run.thread.holds?.scope === shape.scope) run.leaveLock();
  if (run.orchestration.branchEntry.get(shape.scope)!.has('compensation'))
    run.compensable = completed(run.compensable, shape.scope);
  run.advanceTo(run.after(key));
  return undefined;
};
