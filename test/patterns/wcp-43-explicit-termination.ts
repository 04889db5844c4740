/**
 * WCP-43 Explicit Termination
 *
 * Definition: A given process (or sub-process) instance should terminate when it reaches a nominated state.
 * Typically this is denoted by a specific end node. When this end node is reached, any remaining work in the process
 * instance is cancelled and the overall process instance is recorded as having completed successfully, regardless
 * of whether there are any tasks in progress or remaining to be executed.
 * Rating: supported
 * Reason: The end node is `complete`: reached, the instance ends as completed, the steps after it never running.
 * Where work goes on concurrently, the branches lead to it through `parallel(id, branches, { join: 'first', rest:
 * 'cancel' })`: the first branch to reach the end node ends the instance, and every other branch is cancelled
 * wherever it stands, whatever it had left to do. In that `parallel` every branch leads to the end node, as in a
 * model with one end node; a branch meant to end without ending the instance belongs outside it. One exception: a
 * branch an earlier join let run on (`rest: 'ignore'`) is not ended by `complete` (a terminate ends it:
 * test/core/outliving-branches.test.ts).
 * BPEL: -
 */
import {
  branch,
  complete,
  delay,
  forEach,
  loop,
  orchestration,
  parallel,
  receive,
  send,
} from '../../functions/builders.ts';

/**
 * A fire drill: the alarm rings every minute while the floors are cleared; once the building is clear (the end
 * node), the drill is over, wherever the alarm is, and the report scheduled after it is never written.
 */
export const explicitTermination = orchestration('Wcp43ExplicitTermination', 1, [
  receive('receiveDrill', 'FireDrill', { into: 'drill' }),
  parallel(
    'drill',
    [
      branch('alarm', [
        loop('ringing', () => true, [send('ring', 'send', 'AlarmRang', () => ({})), delay('nextRing', { minutes: 1 })]),
      ]),
      branch('evacuation', [
        forEach(
          'floors',
          (ctx) => (ctx.message('drill').body as { floors: string[] }).floors,
          [
            delay('clearing', (ctx) => (ctx.index! + 1) * 90_000),
            send('floorClear', 'send', 'FloorCleared', (ctx) => ({ floor: ctx.item })),
          ],
          { maxConcurrency: 10 },
        ),
        send('buildingClear', 'send', 'BuildingCleared', () => ({})),
      ]),
    ],
    { join: 'first', rest: 'cancel' },
  ),
  complete('endNode'),
  send('report', 'send', 'DrillReported', () => ({})),
]);
