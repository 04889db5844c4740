import { DEFAULT_RETRY } from '../../definition.ts';
import { END } from '../../definition.ts';
import { DefinitionCodeFailed } from '../../errors.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * Runs a step's code, retried by its policy with backoff; past it, the step fails (the scope's handler, else the
 * instance is suspended). An exclusive step waits for the lease; `persistAfter` makes a persistence point after it.
 */
export const code: ShapeHandler<'code'> = async (run, shape, key) => {
  // A lock left before this step is freed by a commit, which keeps the lease for it too; a claim would free nothing.
  if (shape.exclusive && !run.options.holdsLease) return run.finish(run.releasing() ? 'checkpoint' : 'needsLease');
  const policy = shape.retry ?? DEFAULT_RETRY;
  let attempt = run.thread.attempts;
  for (;;) {
    attempt++;
    try {
      await shape.run(run.context(shape.exclusive));
      break;
    } catch (error) {
      if (attempt >= policy.attempts) {
        run.thread = { ...run.thread, attempts: 0 };
        return run.fail(DefinitionCodeFailed.afterAttempts(shape.id, attempt, error).message, key);
      }
      await run.options.sleep(policy.backoffMs * 2 ** (attempt - 1));
    }
  }
  run.advanceTo(run.after(key));
  if (shape.persistAfter && run.thread.at !== END) return run.finish('checkpoint');
  return undefined;
};
