import type { ShapeHandler } from './handler.ts';

/** Its body again while its condition holds (checked before each pass), else on. */
export const loop: ShapeHandler<'loop'> = (run, shape, key) => {
  const again = run.evaluate(`loop "${shape.id}" failed`, key, () => shape.while(run.context()));
  run.advanceTo(again ? run.entry(key, 'body') : run.after(key));
  return undefined;
};
