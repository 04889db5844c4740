import type { StepContext } from '../../context.ts';
import type { ProgramShape } from '../../program.ts';
import { describeError } from '../../errors.ts';
import type { RunResult, RunState } from '../run-state.ts';

/** The shapes of a kind (a marker type may stand for two kinds: `scopeEnd` and `compensated`). */
export type ShapeOf<K extends ProgramShape['kind'], S = ProgramShape> = S extends { readonly kind: infer SK }
  ? K extends SK
    ? S
    : never
  : never;

/**
 * What one shape kind does when the run reaches it: it moves the run on (and returns nothing, so the run goes to the
 * next shape) or stops it at a persistence point (and returns where it stopped).
 */
export type ShapeHandler<K extends ProgramShape['kind']> = (
  run: RunState,
  shape: ShapeOf<K>,
  key: string,
) => RunResult | undefined | Promise<RunResult | undefined>;

/** A shape's text from the definition's code (a reason, an error): what it says, or, when it throws, what it threw. */
export function textOf(run: RunState, text: (ctx: StepContext) => string): string {
  try {
    return text(run.context());
  } catch (error) {
    return describeError(error);
  }
}
