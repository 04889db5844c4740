import { LEAVE_MACHINE, type StateMachineShape, type UntilShape } from '../../definition.ts';
import { DefinitionCodeFailed } from '../../errors.ts';
import type { ShapeHandler } from './handler.ts';

/** Its body again while its condition holds (checked before each pass), else on. */
export const loop: ShapeHandler<'loop'> = (run, shape, key) => {
  const again = run.evaluate(`loop "${shape.id}" failed`, key, () => shape.while(run.context()));
  run.advanceTo(again ? run.entry(key, 'body') : run.after(key));
  return undefined;
};

/** An until-loop: its body, unchecked the first time (the check marker after the body checks its condition). */
export const until: ShapeHandler<'until'> = (run, _shape, key) => {
  run.advanceTo(run.entry(key, 'body'));
  return undefined;
};

/** The end of an until-loop's body: on once its condition holds, else the body again. */
export const untilCheck: ShapeHandler<'untilCheck'> = (run, shape, key) => {
  const loop = run.orchestration.shapes.get(shape.until) as UntilShape;
  const done = run.evaluate(`until "${loop.id}" failed`, key, () => loop.until(run.context()));
  run.advanceTo(done ? run.after(key) : run.entry(shape.until, 'body'));
  return undefined;
};

/** A state machine starts in its initial state. */
export const stateMachine: ShapeHandler<'stateMachine'> = (run, shape, key) => {
  run.advanceTo(run.entry(key, shape.initial));
  return undefined;
};

/**
 * The end of a state: its `next` chooses the state to enter, or the shape after the machine. A name that is not a
 * state is the definition's fault, as a condition that throws: the instance is suspended with the reason.
 */
export const stateEnd: ShapeHandler<'stateEnd'> = (run, shape, key) => {
  const entries = run.orchestration.branchEntry.get(shape.machine)!;
  const machine = run.orchestration.shapes.get(shape.machine) as StateMachineShape;
  const what = `state machine "${machine.id}", state "${shape.state}"`;
  const target: unknown = run.evaluate(`${what}: next failed`, key, () =>
    machine.states[shape.state]!.next(run.context()),
  );
  if (target === LEAVE_MACHINE) run.advanceTo(run.after(key));
  else if (typeof target === 'string' && entries.has(target)) run.advanceTo(entries.get(target)!);
  else
    throw new DefinitionCodeFailed(
      `${what}: next returned ${JSON.stringify(target) ?? String(target)}, which is not one of its states (${[...entries.keys()].join(', ')}) nor '${LEAVE_MACHINE}'`,
      key,
    );
  return undefined;
};
