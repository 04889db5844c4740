import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { structuredPartialJoin } from './wcp-30-structured-partial-join.ts';

it('WCP-30 Structured Partial Join: the downstream runs once, after the second of three branches; the third runs on and passes nothing on', async () => {
  const w = patternWorld([structuredPartialJoin]);
  await w.send('Picture', { title: 'Harbour at dusk' });
  await w.run({ timers: true });
  // Baker (day 1), Cole (day 2): the plan; Ames (day 3) still reports, and nothing follows it.
  expect(w.sent()).toEqual(['ConditionReported', 'ConditionReported', 'RestorationPlanned', 'ConditionReported']);
  expect(w.bodies('ConditionReported').map((b) => b.dealer)).toEqual(['baker', 'cole', 'ames']);
  expect(w.bodies('RestorationPlanned')).toEqual([{ reports: ['baker', 'cole'] }]);
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
});
