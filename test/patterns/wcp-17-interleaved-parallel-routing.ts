/**
 * WCP-17 Interleaved Parallel Routing
 *
 * Definition: A set of tasks has a partial ordering defining the requirements with respect to the order in which
 * they must be executed. Each task in the set must be executed once and they can be completed in any order that
 * accords with the partial order. However, as an additional requirement, no two tasks can be executed at the same
 * time (i.e. no two tasks can be active for the same process instance at the same time).
 * Rating: supported
 * Reason: The partial order is the branches of a `parallel`, each holding the tasks it orders in sequence; each task
 * runs in a scope `synchronized` with the others' (one lock for the instance), so no two run at once, and the run
 * interleaves the branches in any order the sequences allow.
 * BPEL: +/-
 */
import { branch, orchestration, parallel, receive, scope, send } from '../../functions/builders.ts';
import { task } from './journal.ts';

const alone = (name: string, synchronized: boolean) => scope(`${name}Alone`, [task(name)], { synchronized });

/** Moving house, one pair of hands: pack before loading; cleaning whenever, but never while packing or loading. */
export const interleavedParallelRouting = (synchronized = true) =>
  orchestration(synchronized ? 'Wcp17InterleavedParallelRouting' : 'Wcp17Unsynchronized', 1, [
    receive('receiveMove', 'Move', { into: 'move' }),
    parallel('chores', [
      branch('boxes', [alone('pack', synchronized), alone('load', synchronized)]),
      branch('rooms', [alone('clean', synchronized)]),
    ]),
    send('moved', 'send', 'Moved', () => ({})),
  ]);
