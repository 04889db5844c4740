import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancellingPartialJoin } from './wcp-32-cancelling-partial-join.ts';

it('WCP-32 Cancelling Partial Join: the downstream runs once, after the second of three branches, and the third is cancelled', async () => {
  const w = patternWorld([cancellingPartialJoin]);
  await w.send('Picture', { title: 'Harbour at dusk' });
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['ConditionReported', 'ConditionReported', 'RestorationPlanned']);
  expect(w.bodies('RestorationPlanned')).toEqual([{ reports: ['baker', 'cole'] }]);
  const status = Object.fromEntries(w.branches().map((b) => [b.branchOf!.branch, b.status]));
  expect(status).toEqual({ ames: 'terminated', baker: 'completed', cole: 'completed' });
  expect(w.branches().find((b) => b.branchOf!.branch === 'ames')!.error!.reason).toMatch(
    /cancelled: parallel "conditionReports" went on once 2 of 3 branches ended/,
  );
});
