import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multiMerge } from './wcp-08-multi-merge.ts';

it('WCP-8 Multi-Merge: the merge runs once per incoming branch, each time that branch reaches it', async () => {
  const w = patternWorld([multiMerge]);
  await w.send('Build', { site: 's-1' });
  await w.run();
  // The materials branch reached the review; the foundations branch has not: no synchronization.
  expect(w.bodies('QualityReviewed')).toEqual([{ task: 'materials' }]);
  await w.run({ timers: true });
  expect(w.bodies('QualityReviewed')).toEqual([{ task: 'materials' }, { task: 'foundations' }]);
});
