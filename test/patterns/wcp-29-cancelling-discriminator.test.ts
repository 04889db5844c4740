import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancellingDiscriminator } from './wcp-29-cancelling-discriminator.ts';

it('WCP-29 Cancelling Discriminator: the downstream runs once, after the first branch, and the other branches are cancelled', async () => {
  const w = patternWorld([cancellingDiscriminator]);
  await w.send('DrillingSample', { site: 'well-7' });
  await w.run({ timers: true });
  // East reported after 2 hours; north (5) and south (8) were withdrawn before they could.
  expect(w.sent()).toEqual(['ExaminationReported', 'DrillingReviewed']);
  expect(w.bodies('ExaminationReported')).toEqual([{ laboratory: 'east' }]);
  const status = Object.fromEntries(w.branches().map((b) => [b.branchOf!.branch, b.status]));
  expect(status).toEqual({ north: 'terminated', east: 'completed', south: 'terminated' });
  for (const b of w.branches().filter((b) => b.status === 'terminated'))
    expect(b.error!.reason).toMatch(/cancelled: parallel "examinations" went on once 1 of 3 branches ended/);
  expect(w.of('Wcp29CancellingDiscriminator')[0]!.status).toBe('completed');
});
