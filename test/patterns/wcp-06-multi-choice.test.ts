import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multiChoice } from './wcp-06-multi-choice.ts';

it.each([
  [{ fire: true, injured: true }, ['ambulance', 'fireBrigade'], ['AmbulanceDespatched', 'FireBrigadeDespatched']],
  [{ fire: true }, ['fireBrigade'], ['FireBrigadeDespatched']],
  [{ injured: true }, ['ambulance'], ['AmbulanceDespatched']],
])('WCP-6 Multi-Choice: %o forks exactly the branches it selects, and no others', async (call, forked, despatched) => {
  const w = patternWorld([multiChoice]);
  await w.send('EmergencyCall', call);
  // The split: one branch instance, with its own work item, for each branch selected; none for the others.
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(forked.map(() => 'fork'));
  await w.run();
  expect(
    w
      .branches()
      .map((b) => b.branchOf!.branch)
      .sort(),
  ).toEqual(forked);
  expect(w.sent().sort()).toEqual(despatched);
  expect(w.of('Wcp06MultiChoice')[0]!.status).toBe('completed');
});
