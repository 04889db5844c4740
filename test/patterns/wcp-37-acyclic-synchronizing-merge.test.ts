import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { acyclicSynchronizingMerge } from './wcp-37-acyclic-synchronizing-merge.ts';

it('WCP-37 Acyclic Synchronizing Merge (workaround): the merge fires once every active branch arrived, none other', async () => {
  const w = patternWorld([acyclicSynchronizingMerge]);
  await w.send('Applicant', { foreign: false, driver: true });
  await w.run({ timers: true });
  expect(w.bodies('ApplicantDecided')).toEqual([{ identity: 'passed', visa: null, licence: 'passed' }]);
  // It waited for the licence check (20 minutes), not for the visa check it did not need (60).
  const [applicant] = w.of('Wcp37AcyclicSynchronizingMerge');
  expect(applicant!.updatedAt - applicant!.createdAt).toBeGreaterThanOrEqual(20 * 60_000);
  expect(applicant!.updatedAt - applicant!.createdAt).toBeLessThan(60 * 60_000);
});
