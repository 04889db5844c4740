/**
 * WCP-43 Explicit Termination
 *
 * Definition: A given process (or sub-process) instance should terminate when it reaches a nominated state.
 * Typically this is denoted by a specific end node. When this end node is reached, any remaining work in the process
 * instance is cancelled and the overall process instance is recorded as having completed successfully, regardless
 * of whether there are any tasks in progress or remaining to be executed.
 * Rating: partial
 * Reason: Complete (`complete`) ends the instance as completed wherever it stands on the orchestration's own thread,
 * the steps left never running. It cannot be placed in a branch of a `parallel`, which is where other work would
 * still be in progress for it to cancel.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: 'first', rest: 'cancel' })` followed by `complete` (the branch that
 * reaches the end node cancels the others), or `complete` allowed in a branch.
 */
import { code, complete, decide, loop, orchestration, receive, send, when } from '../../functions/builders.ts';

interface Search {
  readonly sources: readonly string[];
  readonly holder: string;
}

/** Registries are searched one by one; finding the record is the end node, whatever is left to search. */
export const explicitTermination = orchestration('Wcp43ExplicitTermination', 1, [
  receive('receiveSearch', 'TitleSearch', { into: 'search' }),
  code('first', (ctx) => {
    ctx.vars.next = 0;
  }),
  loop('eachSource', (ctx) => (ctx.vars.next as number) < (ctx.message('search').body as Search).sources.length, [
    send('query', 'send', 'RegistryQueried', (ctx) => ({
      source: (ctx.message('search').body as Search).sources[ctx.vars.next as number],
    })),
    decide('isFound', [
      when(
        'found',
        (ctx) => {
          const search = ctx.message('search').body as Search;
          return search.sources[ctx.vars.next as number] === search.holder;
        },
        [send('found', 'send', 'TitleFound', () => ({})), complete('endNode')],
      ),
    ]),
    code('following', (ctx) => {
      ctx.vars.next = (ctx.vars.next as number) + 1;
    }),
  ]),
  send('notFound', 'send', 'TitleNotFound', () => ({})),
]);
