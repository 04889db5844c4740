import type { ShapeHandler } from './handler.ts';

/** The first branch whose rule holds, else `otherwise`. */
export const decide: ShapeHandler<'decide'> = (run, shape, key) => {
  const chosen = run.evaluate(
    `decide "${shape.id}" failed`,
    key,
    () => shape.branches.find((branch) => branch.when(run.context()))?.name ?? 'otherwise',
  );
  run.advanceTo(run.entry(key, chosen));
  return undefined;
};
