/**
 * WCP-22 Recursion
 *
 * Definition: The ability of a task to invoke itself during its execution or an ancestor in terms of the overall
 * decomposition structure with which it is associated.
 * Rating: supported
 * Reason: `child(id, () => callable, { params, into })` inside that callable's own steps: the task invokes itself,
 * each invocation a child instance of its own (its own variables, persistence points and lease), and the invoking
 * one waits, dehydrated, for the result of the one it invoked before it completes. Here the invocations are made by
 * a `forEach` over the sub-parts, so one level's invocations run at once.
 * BPEL: -
 */
import { callable, child, forEach, orchestration, receive, send } from '../../functions/builders.ts';

interface Part {
  readonly name: string;
  readonly parts?: readonly Part[];
}

/** Assembling a part: assemble each of its sub-parts (the same task, invoked on each), then fit them together. */
export const assemble = callable(
  'Assemble',
  [
    forEach(
      'subAssemblies',
      (ctx) => (ctx.vars.part as Part).parts ?? [],
      [child('assembleSub', () => assemble, { params: (ctx) => ({ part: ctx.item }), into: 'count' })],
      { into: 'counts', result: (ctx) => ctx.vars.count },
    ),
    send('fitted', 'send', 'PartAssembled', (ctx) => ({ part: (ctx.vars.part as Part).name })),
  ],
  { result: (ctx) => 1 + (ctx.vars.counts as number[]).reduce((sum, n) => sum + n, 0) },
);

/** An order for a machine, assembled from its bill of materials. */
export const recursion = orchestration('Wcp22Recursion', 1, [
  receive('receiveOrder', 'MachineOrder', { into: 'order' }),
  child('assembleMachine', assemble, {
    params: (ctx) => ({ part: (ctx.message('order').body as { machine: Part }).machine }),
    into: 'parts',
  }),
  send('ship', 'send', 'MachineShipped', (ctx) => ({ parts: ctx.vars.parts })),
]);
